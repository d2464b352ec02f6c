"""The gateway as a WSGI application, for mounting at /restapis/{api}/{stage}/_user_request_/."""

from __future__ import annotations

import time
from typing import Any, Callable, Iterable

from ..wsgi import reply
from .backend import GatewayBackend
from .gateway import Gateway


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
        body = reply(start_response, response.status, response.body, headers)
        return [b""] if environ.get("REQUEST_METHOD") == "HEAD" else body
