"""Each sandbox's own fake credentials, and who signed a request."""

from __future__ import annotations

import re
import secrets
import string
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

# A prefix no real AWS key has (real ones start with AKIA/ASIA), so a key
# printed in a notebook is never mistaken for a leaked secret.
ACCESS_KEY_PREFIX = "SBOX"
_KEY_ALPHABET = string.ascii_uppercase + string.digits
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/([^,\s]*)")


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


@dataclass(frozen=True)
class Signature:
    """The access key id and credential scope a request was signed with."""

    access_key_id: str
    scope: str  # date/region/service/aws4_request

    @property
    def service(self) -> str:
        """The signing service name, e.g. ``lambda`` or ``s3``."""
        parts = self.scope.split("/")
        return parts[2] if len(parts) > 2 else ""


def signature_of(environ: dict[str, Any]) -> Signature | None:
    """Read the SigV4 (or SigV2) access key from the Authorization header or a presigned URL."""
    auth = environ.get("HTTP_AUTHORIZATION", "")
    match = _CREDENTIAL.search(auth)
    if match:
        return Signature(match.group(1), match.group(2))
    if auth.startswith("AWS "):  # SigV2, still used by a few S3 clients
        return Signature(auth[4:].split(":", 1)[0], "")
    query = parse_qs(environ.get("QUERY_STRING", ""))
    if "X-Amz-Credential" in query:
        key, _, scope = query["X-Amz-Credential"][0].partition("/")
        return Signature(key, scope)
    if "AWSAccessKeyId" in query:
        return Signature(query["AWSAccessKeyId"][0], "")
    return None
