"""The client's HTTP request as API Gateway sees it: raw path, headers in order, query, body."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote, unquote_to_bytes, urlsplit

from .errors import BadRequest, MissingAuthenticationToken, RequestTooLong

# API Gateway's payload limit.
MAX_BODY_BYTES = 10 * 1024 * 1024

# A server may put the headers exactly as received (name casing, repeats, order) into the
# environ under this key as a list of (name, value) pairs. WSGI's HTTP_* keys upper-case
# the names and join repeated headers, so without it casing and repeats are approximated.
RAW_HEADERS_KEY = "helpers.gateway.raw_headers"

_INVOKE_PATH = re.compile(r"/restapis/([^/]+)/([^/]+)/_user_request_(/.*)?", re.DOTALL)


@dataclass
class Request:
    """One execute-api request, addressed to an API id and stage."""

    api_id: str
    stage: str
    method: str
    path: str  # after the stage, not URL-decoded, one leading "/" (API Gateway routes "//x" as "/x")
    query_string: str  # raw, undecoded
    headers: list[tuple[str, str]]
    source_ip: str
    protocol: str
    environ: dict[str, Any]
    body: bytes = b""  # read by read_body(), once the stage is known, so REQUEST_TOO_LARGE can be customised
    sent_path: str = ""  # the path as sent, repeated leading slashes kept ($context.path shows it); "" = `path`

    # Built on the first header() lookup. Not a functools.cached_property: on Python 3.11 its first
    # computation takes a lock shared by every instance, which connection threads then queue on.
    _last_values: dict[str, str] | None = field(default=None, init=False, repr=False, compare=False)

    def header(self, name: str) -> str | None:
        """The last value of a header, looked up case-insensitively."""
        last = self._last_values
        if last is None:
            last = self._last_values = {key.lower(): value for key, value in self.headers}
        return last.get(name.lower())

    @property
    def stage_path(self) -> str:
        """The stage and the path as sent: requestContext.path and $context.path (`/dev//hello`)."""
        return f"/{self.stage}{self.sent_path or self.path}"

    def query_values(self) -> list[tuple[str, str]]:
        """The query pairs in order: `+` is a space, `%2B` a plus, broken escapes kept as typed."""
        return parse_qsl(self.query_string, keep_blank_values=True)

    @classmethod
    def from_environ(cls, environ: dict[str, Any]) -> Request:
        """Read a WSGI request (all but the body); a path outside execute-api is a 403."""
        match = _INVOKE_PATH.fullmatch(raw_path(environ))
        if match is None:
            raise MissingAuthenticationToken("not an execute-api path")
        api_id, stage, sent_path = match.group(1), match.group(2), match.group(3) or "/"
        return cls(
            api_id=api_id,
            stage=stage,
            method=environ.get("REQUEST_METHOD", "GET"),
            path="/" + sent_path.lstrip("/"),
            sent_path=sent_path,
            query_string=environ.get("QUERY_STRING", ""),
            headers=_headers(environ),
            source_ip=environ.get("REMOTE_ADDR") or "127.0.0.1",
            protocol=environ.get("SERVER_PROTOCOL") or "HTTP/1.1",
            environ=environ,
        )

    def read_body(self) -> None:
        """Read the payload, refusing one over API Gateway's 10 MB limit."""
        self.body = _body(self.environ)


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


def _headers(environ: dict[str, Any]) -> list[tuple[str, str]]:
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


def _body(environ: dict[str, Any]) -> bytes:
    stream = environ.get("wsgi.input")
    length_text = (environ.get("CONTENT_LENGTH") or "").strip()
    if length_text:
        if not length_text.isdigit():
            raise BadRequest(f"unreadable Content-Length {length_text!r}")
        length = int(length_text)
        if length > MAX_BODY_BYTES:
            raise RequestTooLong()
        return stream.read(length) if stream and length else b""
    if stream is not None and environ.get("wsgi.input_terminated"):
        # Chunked upload: the server ends the stream, so read one byte past the limit to tell.
        body = stream.read(MAX_BODY_BYTES + 1)
        if len(body) > MAX_BODY_BYTES:
            raise RequestTooLong()
        return body
    return b""
