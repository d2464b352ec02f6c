"""The gateway as a WSGI application, for mounting at /restapis/{api}/{stage}/_user_request_/."""

from __future__ import annotations

import time
from http import HTTPStatus
from typing import Any, Callable, Iterable

from .backend import GatewayBackend
from .gateway import Gateway


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


class GatewayApp:
    """WSGI application that answers invoke-URL requests exactly as API Gateway does.

    Paths are `/restapis/{api_id}/{stage}/_user_request_/{path}`; the path is taken raw from
    RAW_URI / REQUEST_URI when the server provides it (see request.raw_path).
    """

    def __init__(self, backend: GatewayBackend, *, clock: Callable[[], float] = time.time):
        self.gateway = Gateway(backend, clock=clock)

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        response = self.gateway.handle(environ)
        headers = [(name, value) for name, value in response.headers if name.lower() != "content-length"]
        headers.append(("Content-Length", str(len(response.body))))
        start_response(f"{response.status} {_reason(response.status)}", headers)
        return [b""] if environ.get("REQUEST_METHOD") == "HEAD" else [response.body]
