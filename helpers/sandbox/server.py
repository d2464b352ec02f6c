"""A threaded HTTP server for WSGI apps on loopback that can be stopped without leaks."""

from __future__ import annotations

import socket
import threading
from typing import Any, Callable

from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler

LOOPBACK = "127.0.0.1"


class QuietRequestHandler(WSGIRequestHandler):
    """Werkzeug's handler with Nagle off, keep-alive on and no request log."""

    # Without TCP_NODELAY a small response waits on the client's delayed ACK
    # (~40 ms per request on Linux loopback).
    disable_nagle_algorithm = True
    protocol_version = "HTTP/1.1"

    def log(self, type: str, message: str, *args: Any) -> None:  # noqa: A002
        """Stay quiet: a notebook cell is no place for access logs."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Stay quiet."""

    def make_environ(self) -> dict[str, Any]:
        environ = super().make_environ()
        # The gateway needs the path exactly as sent (API Gateway does not
        # decode it); PATH_INFO is already percent-decoded.
        environ.setdefault("RAW_URI", self.path)
        return environ


class LoopbackServer(ThreadedWSGIServer):
    """Serves a WSGI app on 127.0.0.1 and tracks open connections so stop() can close them."""

    daemon_threads = False
    block_on_close = True

    def __init__(self, app: Callable[..., Any], port: int = 0) -> None:
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(LOOPBACK, port, app, handler=QuietRequestHandler)
        self._thread: threading.Thread | None = None
        # werkzeug sets self.port to the requested one (0); keep the real one.
        self.port = self.server_address[1]

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def start(self, name: str) -> None:
        """Serve in a background thread."""
        self._thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.05}, name=name, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving, end open keep-alive connections, join every thread and close the port."""
        if self._thread is not None:
            self.shutdown()
        # A client's idle keep-alive connection keeps its handler thread blocked
        # in a read; werkzeug's serve loop joins those threads as it exits, so
        # the sockets must be shut down before the serve thread can end.
        with self._connections_lock:
            for conn in list(self._connections):
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self.server_close()
