"""Each sandbox's own fake credentials."""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass

# A prefix no real AWS key has (real ones start with AKIA/ASIA), so a key
# printed in a notebook is never mistaken for a leaked secret.
ACCESS_KEY_PREFIX = "SBOX"
_KEY_ALPHABET = string.ascii_uppercase + string.digits


@dataclass(frozen=True)
class Credentials:
    """An access key pair and the account it belongs to."""

    access_key_id: str
    secret_access_key: str
    account_id: str

    @classmethod
    def generate(cls) -> "Credentials":
        """Make a random key pair and a random 12-digit account id."""
        key = ACCESS_KEY_PREFIX + "".join(secrets.choice(_KEY_ALPHABET) for _ in range(16))
        secret = secrets.token_urlsafe(30)[:40]
        account = str(secrets.randbelow(9 * 10**11) + 10**11)
        return cls(key, secret, account)
