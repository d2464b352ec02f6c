"""Checking an AWS Signature Version 4 on a request that reached the sandbox (Authorization header form)."""

from __future__ import annotations

import hashlib
import hmac
import posixpath
import re
from typing import Any
from urllib.parse import quote, unquote

from ..gateway.request import RAW_HEADERS_KEY, raw_path

_AUTHORIZATION = re.compile(
    r"AWS4-HMAC-SHA256\s+Credential=(?P<key>[^/,\s]+)/(?P<date>\d{8})/(?P<region>[^/]+)/(?P<service>[^/]+)/aws4_request,"
    r"\s*SignedHeaders=(?P<signed>[^,\s]+),\s*Signature=(?P<signature>[0-9a-f]{64})\s*$"
)
_SPACES = re.compile(r"\s+")
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"


def verify(environ: dict[str, Any], body: bytes, access_key_id: str, secret_access_key: str,
           *, service: str = "execute-api") -> bool | None:
    """True if the request carries a valid SigV4 signature by this key, False if signed otherwise, None if unsigned."""
    authorization = _header_values(environ, "authorization")
    query = environ.get("QUERY_STRING", "")
    if not authorization:
        # A presigned URL is a signature too, but one this check does not verify.
        return False if "X-Amz-Signature=" in query else None
    match = _AUTHORIZATION.match(authorization[-1])
    if match is None or match["key"] != access_key_id or match["service"] != service:
        return False
    timestamp = (_header_values(environ, "x-amz-date") or [""])[-1]
    if not timestamp.startswith(match["date"]):
        return False
    signed = match["signed"].split(";")
    if "host" not in signed:
        return False
    declared = (_header_values(environ, "x-amz-content-sha256") or [None])[-1]
    actual = hashlib.sha256(body).hexdigest()
    if declared not in (None, actual, UNSIGNED_PAYLOAD):
        return False
    headers = "".join(f"{name}:{','.join(_SPACES.sub(' ', v.strip()) for v in _header_values(environ, name))}\n"
                      for name in signed)
    path, _, _ = raw_path(environ).partition("?")
    key = _signing_key(secret_access_key, match["date"], match["region"], service)
    scope = f"{match['date']}/{match['region']}/{service}/aws4_request"
    # Clients differ in how they put the query into the canonical request: botocore signs the
    # pairs as sent, the spec (and other SDKs) re-encodes them; either is a valid signature.
    for canonical_query in dict.fromkeys((_query_as_sent(query), _query_re_encoded(query))):
        canonical = "\n".join([environ["REQUEST_METHOD"], _canonical_path(path), canonical_query, headers,
                               match["signed"], declared or actual])
        string_to_sign = "\n".join(["AWS4-HMAC-SHA256", timestamp, scope,
                                    hashlib.sha256(canonical.encode()).hexdigest()])
        expected = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
        if hmac.compare_digest(expected, match["signature"]):
            return True
    return False


def _header_values(environ: dict[str, Any], name: str) -> list[str]:
    raw = environ.get(RAW_HEADERS_KEY)
    if raw is not None:
        return [value for key, value in raw if key.lower() == name]
    key = name.upper().replace("-", "_")
    value = environ.get(key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else f"HTTP_{key}")
    return [] if value is None else [value]


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
