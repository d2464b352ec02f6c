"""The client's HTTP request as API Gateway sees it: raw path, headers in order, query, body."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from ..wsgi import RAW_HEADERS_KEY, raw_headers, raw_path
from .errors import BadRequest, MissingAuthenticationToken, RequestTooLong

__all__ = ["MAX_BODY_BYTES", "RAW_HEADERS_KEY", "Request", "raw_path"]  # the server puts RAW_HEADERS_KEY in

# API Gateway's payload limit.
MAX_BODY_BYTES = 10 * 1024 * 1024

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

    def header(self, name: str) -> str | None:
        """The last value of a header, looked up case-insensitively."""
        name = name.lower()
        for key, value in reversed(self.headers):
            if key.lower() == name:
                return value
        return None

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
            headers=raw_headers(environ),
            source_ip=environ.get("REMOTE_ADDR") or "127.0.0.1",
            protocol=environ.get("SERVER_PROTOCOL") or "HTTP/1.1",
            environ=environ,
        )

    def read_body(self) -> None:
        """Read the payload, refusing one over API Gateway's 10 MB limit."""
        self.body = _body(self.environ)


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
