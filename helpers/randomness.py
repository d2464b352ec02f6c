"""Random bytes for request and trace ids, without a system call per id."""

import os
import random

# One generator seeded once from the system's randomness. os.urandom() is a system call, and on
# every request it let go of the GIL, which under load handed the interpreter to another thread.
# Ids need to be unique, not secret.
_generator = random.Random()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_generator.seed)  # a forked child must not repeat its parent's ids


def random_bytes(count: int) -> bytes:
    """`count` random bytes."""
    return _generator.getrandbits(count * 8).to_bytes(count, "little")


_UUID_VARIANT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}  # RFC 4122: 10xx


def uuid4_text(hex_digits: str) -> str:
    """A version-4 UUID in its usual text form, made from 32 random hex digits (cheaper than uuid.UUID)."""
    h = hex_digits
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_UUID_VARIANT[h[16]]}{h[17:20]}-{h[20:32]}"
