"""What the WSGI pieces share: the request as sent (raw path and headers, body, who signed it) and the replies."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, Callable, Iterable, Sequence
from urllib.parse import parse_qs, quote, unquote_to_bytes, urlsplit

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

# A server may put the headers exactly as received (name casing, repeats, order) into the
# environ under this key as a list of (name, value) pairs. WSGI's HTTP_* keys upper-case
# the names and join repeated headers, so without it casing and repeats are approximated.
RAW_HEADERS_KEY = "helpers.gateway.raw_headers"

# AWS's reason phrases where Python's differ (Python 3.13 renamed 413 to "Content Too Large").
_AWS_REASONS = {413: "Request Entity Too Large"}


# The request.

def raw_path(environ: dict[str, Any]) -> str:
    """The request path as the client sent it, before percent-decoding.

    PATH_INFO is already decoded by the server (so `%2F` and `/` look alike), but API
    Gateway passes paths on undecoded. Servers like werkzeug and gunicorn keep the request
    target in RAW_URI / REQUEST_URI; it is used when it decodes to the same path the WSGI
    layer routed (a front layer that rewrote PATH_INFO has changed the path, and then the
    re-encoded PATH_INFO is the better answer).
    """
    routed = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
    for key in ("RAW_URI", "REQUEST_URI"):
        target = environ.get(key)
        if not target:
            continue
        path = target.split("?", 1)[0] if target.startswith("/") else urlsplit(target).path
        if unquote_to_bytes(path).decode("latin-1") == routed:
            return path
    # PEP 3333 strings carry bytes as latin-1; re-encode what needs encoding.
    return quote(routed.encode("latin-1"), safe="/:@!$&'()*+,;=-._~")


def raw_headers(environ: dict[str, Any]) -> list[tuple[str, str]]:
    """The headers in order as sent when the server kept them, else rebuilt from the HTTP_* keys."""
    raw = environ.get(RAW_HEADERS_KEY)
    if raw is not None:
        return [(str(k), str(v)) for k, v in raw]
    headers = []
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            name = key[5:]
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
            name = key
        else:
            continue
        headers.append(("-".join(part.capitalize() for part in name.split("_")), value))
    return headers


def header_values(environ: dict[str, Any], name: str) -> list[str]:
    """Every value sent for header `name` (lower case), in order."""
    raw = environ.get(RAW_HEADERS_KEY)
    if raw is not None:
        return [value for key, value in raw if key.lower() == name]
    key = name.upper().replace("-", "_")
    value = environ.get(key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else f"HTTP_{key}")
    return [] if value is None else [value]


def read_body(environ: dict[str, Any]) -> bytes:
    """The request body (Content-Length bytes), left in place for whoever reads it next (moto)."""
    stream = environ["wsgi.input"]
    length_text = (environ.get("CONTENT_LENGTH") or "").strip()
    if length_text:
        body = stream.read(int(length_text)) if length_text.isdigit() and int(length_text) else b""
    else:  # a chunked upload: the server ends the stream
        body = stream.read() if environ.get("wsgi.input_terminated") else b""
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def path_arguments(environ: dict[str, Any]) -> dict[str, str]:
    """The named groups of the route's path pattern (the wsgiorg.routing_args convention)."""
    return environ.get("wsgiorg.routing_args", ((), {}))[1]


def query_values(environ: dict[str, Any]) -> dict[str, str]:
    """The query parameters, the last value of each."""
    return {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}


# Who signed it.

@dataclass(frozen=True)
class Signature:
    """The access key id and credential scope a request was signed with (SigV4 header fields when present)."""

    access_key_id: str
    scope: str  # date/region/service/aws4_request
    algorithm: str = ""
    signed_headers: str = ""
    signature: str = ""

    @property
    def date(self) -> str:
        """The scope's date, `20261124`."""
        return self._scope_part(0)

    @property
    def region(self) -> str:
        """The Region the client signed for (the one it is configured for)."""
        return self._scope_part(1)

    @property
    def service(self) -> str:
        """The signing service name, e.g. ``lambda`` or ``s3``."""
        return self._scope_part(2)

    def _scope_part(self, index: int) -> str:
        parts = self.scope.split("/")
        return parts[index] if len(parts) > index else ""


def parse_authorization(value: str) -> Signature | None:
    """Read a SigV4 Authorization header (`AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`)."""
    algorithm, _, rest = value.strip().partition(" ")
    fields = {}
    for part in rest.split(","):
        name, _, field_value = part.strip().partition("=")
        fields[name] = field_value
    key, slash, scope = fields.get("Credential", "").partition("/")
    if not key or not slash:
        return None
    return Signature(key, scope, algorithm, fields.get("SignedHeaders", ""), fields.get("Signature", ""))


def signature_of(environ: dict[str, Any]) -> Signature | None:
    """Who signed the request: SigV4 (or SigV2) from the Authorization header, or a presigned URL."""
    auth = environ.get("HTTP_AUTHORIZATION", "")
    signature = parse_authorization(auth)
    if signature is not None:
        return signature
    if auth.startswith("AWS "):  # SigV2, still used by a few S3 clients
        return Signature(auth[4:].split(":", 1)[0], "")
    query = parse_qs(environ.get("QUERY_STRING", ""))
    if "X-Amz-Credential" in query:
        key, _, scope = query["X-Amz-Credential"][0].partition("/")
        return Signature(key, scope)
    if "AWSAccessKeyId" in query:
        return Signature(query["AWSAccessKeyId"][0], "")
    return None


# The reply.

def reason(status: int) -> str:
    """The reason phrase of an HTTP status, as AWS writes it."""
    try:
        return _AWS_REASONS.get(status) or HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def reply(start_response: Callable[..., Any], status: int, body: bytes,
          headers: Sequence[tuple[str, str]] = ()) -> list[bytes]:
    """Start the response with `headers` and its Content-Length; the body to return from the app."""
    start_response(f"{status} {reason(status)}", [*headers, ("Content-Length", str(len(body)))])
    return [body]


def json_reply(start_response: Callable[..., Any], status: int, document: Any,
               headers: Sequence[tuple[str, str]] = (), *, content_type: str = "application/json") -> list[bytes]:
    """A JSON document as the whole response (`headers` come after its Content-Type)."""
    return reply(start_response, status, json.dumps(document).encode(), [("Content-Type", content_type), *headers])
