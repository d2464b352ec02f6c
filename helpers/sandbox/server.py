"""A lean threaded WSGI server on loopback: HTTP/1.1 keep-alive, Nagle off, quiet, stoppable without leaks.

werkzeug's development server costs about 2.5x http.server per request
(measured in bench/bench_gateway.py); this one keeps http.server's parsing and
adds only the WSGI environ, so a warm invoke URL answers in well under a
millisecond.
"""

from __future__ import annotations

import io
import socket
import sys
import threading
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Iterable
from urllib.parse import unquote_to_bytes

from ..gateway.request import RAW_HEADERS_KEY  # the headers exactly as sent (case, repeats)

LOOPBACK = "127.0.0.1"
# Bodies are read whole before the app runs, so an app that ignores one can't
# desynchronize a keep-alive connection; beyond this, the request is refused.
MAX_BODY = 256 * 1024 * 1024
# Headers the server itself sets on the environ, not as HTTP_*.
_CGI_HEADERS = {"CONTENT_TYPE", "CONTENT_LENGTH"}


class BadRequest(Exception):
    """The request can't be read (bad Content-Length, broken chunked body, too large)."""


class WSGIRequestHandler(BaseHTTPRequestHandler):
    """Runs one WSGI app per request on a kept-alive HTTP/1.1 connection."""

    protocol_version = "HTTP/1.1"
    server: "LoopbackServer"

    def setup(self) -> None:
        # Without TCP_NODELAY a small response waits on the client's delayed
        # ACK (~40 ms per request on Linux loopback).
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().setup()

    def handle_one_request(self) -> None:
        try:
            self.raw_requestline = self.rfile.readline(65537)
        except (ConnectionError, OSError):
            self.close_connection = True
            return
        if len(self.raw_requestline) > 65536:
            self.send_error(414)
            return
        if not self.raw_requestline:
            self.close_connection = True
            return
        if not self.parse_request():
            return
        try:
            body = self._read_body()
        except BadRequest as error:
            self.close_connection = True
            self.send_error(413 if "large" in str(error) else 400, str(error))
            return
        try:
            self._run_app(body)
        except (ConnectionError, OSError):
            self.close_connection = True

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        text = self.headers.get("Content-Length") or "0"
        if not text.strip().isdigit():
            raise BadRequest("Bad Content-Length")
        length = int(text)
        if length > MAX_BODY:
            raise BadRequest("Request body too large")
        return self.rfile.read(length) if length else b""

    def _read_chunked(self) -> bytes:
        parts, total = [], 0
        while True:
            line = self.rfile.readline(1024)
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise BadRequest("Bad chunked body") from None
            if size == 0:
                while self.rfile.readline(1024).strip():  # trailers
                    pass
                return b"".join(parts)
            total += size
            if total > MAX_BODY:
                raise BadRequest("Request body too large")
            parts.append(self.rfile.read(size))
            self.rfile.readline(3)

    def _environ(self, body: bytes) -> dict[str, Any]:
        path, _, query = self.path.partition("?")
        if path.startswith(("http://", "https://")):  # absolute-form request target (proxies)
            path = "/" + path.split("/", 3)[3] if path.count("/") >= 3 else "/"
        environ: dict[str, Any] = {
            "REQUEST_METHOD": self.command,
            "SCRIPT_NAME": "",
            # PEP 3333: the decoded path, its bytes carried in a latin-1 string.
            "PATH_INFO": unquote_to_bytes(path).decode("latin-1"),
            "RAW_URI": self.path,
            "REQUEST_URI": self.path,
            "QUERY_STRING": query,
            "SERVER_NAME": LOOPBACK,
            "SERVER_PORT": str(self.server.port),
            "SERVER_PROTOCOL": self.request_version,
            "REMOTE_ADDR": self.client_address[0],
            "REMOTE_PORT": str(self.client_address[1]),
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            RAW_HEADERS_KEY: self.headers.items(),
        }
        for name, value in self.headers.items():
            key = name.upper().replace("-", "_")
            if key == "TRANSFER_ENCODING" or key == "CONTENT_LENGTH":
                continue  # the body is already read and de-chunked
            if key not in _CGI_HEADERS:
                key = "HTTP_" + key
            environ[key] = f"{environ[key]},{value}" if key in environ else value
        return environ

    def _run_app(self, body: bytes) -> None:
        started: list[Any] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
            started[:] = [status, headers]
            return lambda data: None  # the legacy write() callable; nothing here uses it

        result = self.server.app(self._environ(body), start_response)
        try:
            payload = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        status, headers = started
        names = {name.lower() for name, _ in headers}
        head_only = self.command == "HEAD"
        lines = [f"HTTP/1.1 {status}\r\n"]
        # A HEAD answer keeps the app's Content-Length: the size of the body it would send.
        lines += [f"{name}: {value}\r\n" for name, value in headers if head_only or name.lower() != "content-length"]
        if not (head_only and "content-length" in names):
            lines.append(f"Content-Length: {len(payload)}\r\n")
        if "date" not in names:
            lines.append(f"Date: {formatdate(usegmt=True)}\r\n")
        if self.close_connection:
            lines.append("Connection: close\r\n")
        lines.append("\r\n")
        # One write for head and body: two small writes would cost a round trip.
        self.wfile.write("".join(lines).encode("latin-1") + (b"" if head_only else payload))

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Stay quiet: a notebook cell is no place for access logs."""


class LoopbackServer(ThreadingHTTPServer):
    """Serves a WSGI app on 127.0.0.1 and tracks open connections so stop() can close them."""

    daemon_threads = False
    block_on_close = True

    def __init__(self, app: Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]], port: int = 0) -> None:
        self.app = app
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__((LOOPBACK, port), WSGIRequestHandler)
        self.port = self.server_address[1]
        self._thread: threading.Thread | None = None

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
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, name=name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop serving, end open keep-alive connections, join every thread and close the port."""
        if self._thread is not None:
            self.shutdown()
            self._thread.join()
            self._thread = None
        # A client's idle keep-alive connection keeps its handler thread blocked
        # in a read; shutting the socket down ends that read.
        with self._connections_lock:
            for conn in list(self._connections):
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        self.server_close()
