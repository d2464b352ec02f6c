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
