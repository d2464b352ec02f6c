"""Checking an AWS Signature Version 4 on a request that reached the sandbox (Authorization header form)."""

from __future__ import annotations

import hashlib
import hmac
import posixpath
import re
from typing import Any
from urllib.parse import quote, unquote

from ..wsgi import Signature, header_values, parse_authorization, raw_path

_DATE = re.compile(r"\d{8}")
_HEX_SIGNATURE = re.compile(r"[0-9a-f]{64}")
_SPACES = re.compile(r"\s+")
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"


def verify(environ: dict[str, Any], body: bytes, access_key_id: str, secret_access_key: str,
           *, service: str = "execute-api") -> bool | None:
    """True if the request carries a valid SigV4 signature by this key, False if signed otherwise, None if unsigned."""
    authorization = header_values(environ, "authorization")
    query = environ.get("QUERY_STRING", "")
    if not authorization:
        # A presigned URL is a signature too, but one this check does not verify.
        return False if "X-Amz-Signature=" in query else None
    auth = parse_authorization(authorization[-1])
    if not _well_formed(auth) or auth.access_key_id != access_key_id or auth.service != service:
        return False
    timestamp = (header_values(environ, "x-amz-date") or [""])[-1]
    if not timestamp.startswith(auth.date):
        return False
    signed = auth.signed_headers.split(";")
    if "host" not in signed:
        return False
    declared = (header_values(environ, "x-amz-content-sha256") or [None])[-1]
    actual = hashlib.sha256(body).hexdigest()
    if declared not in (None, actual, UNSIGNED_PAYLOAD):
        return False
    headers = "".join(f"{name}:{','.join(_SPACES.sub(' ', v.strip()) for v in header_values(environ, name))}\n"
                      for name in signed)
    path, _, _ = raw_path(environ).partition("?")
    key = _signing_key(secret_access_key, auth.date, auth.region, service)
    # Clients differ in how they put the query into the canonical request: botocore signs the
    # pairs as sent, the spec (and other SDKs) re-encodes them; either is a valid signature.
    for canonical_query in dict.fromkeys((_query_as_sent(query), _query_re_encoded(query))):
        canonical = "\n".join([environ["REQUEST_METHOD"], _canonical_path(path), canonical_query, headers,
                               auth.signed_headers, declared or actual])
        string_to_sign = "\n".join(["AWS4-HMAC-SHA256", timestamp, auth.scope,
                                    hashlib.sha256(canonical.encode()).hexdigest()])
        expected = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
        if hmac.compare_digest(expected, auth.signature):
            return True
    return False


def _well_formed(signature: Signature | None) -> bool:
    # AWS4-HMAC-SHA256 with a full scope (date/region/service/aws4_request), headers and a hex signature.
    if signature is None or signature.algorithm != "AWS4-HMAC-SHA256":
        return False
    parts = signature.scope.split("/")
    return (len(parts) == 4 and parts[3] == "aws4_request" and all(parts) and bool(_DATE.fullmatch(parts[0]))
            and bool(signature.signed_headers) and bool(_HEX_SIGNATURE.fullmatch(signature.signature)))


def _canonical_path(path: str) -> str:
    # Every service but S3 normalizes the path and encodes each (already encoded) segment again.
    normalized = posixpath.normpath(path) if path else "/"
    if path.endswith("/") and normalized != "/":
        normalized += "/"
    normalized = "/" + normalized.lstrip("/")
    return quote(normalized, safe="/~")


def _query_as_sent(query: str) -> str:
    pairs = [pair.partition("=") for pair in query.split("&") if pair]
    return "&".join(f"{k}={v}" for k, _, v in sorted(pairs))


def _query_re_encoded(query: str) -> str:
    pairs = []
    for pair in query.split("&"):
        if pair:
            k, _, v = pair.partition("=")
            pairs.append((quote(unquote(k), safe="-_.~"), quote(unquote(v), safe="-_.~")))
    return "&".join(f"{k}={v}" for k, v in sorted(pairs))


def _signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    key = f"AWS4{secret}".encode()
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key
