"""The sandbox's HTTP server: WSGI apps on 127.0.0.1, a thread per connection, HTTP/1.1 framing by h11.

Every call a notebook makes to the sandbox (boto3, curl, a browser on an invoke URL) crosses this
server. h11 reads and writes the HTTP/1.1 messages (request heads, Content-Length and chunked
bodies, keep-alive, 100-continue), so this module only turns a request into a WSGI environ and
an app's answer into a response. A body is read whole before the app runs: an app that ignores
it can then never desynchronize a kept-alive connection, and apps may read wsgi.input twice.
Requests that cannot be read safely are answered with an error and the connection is closed.
"""

from __future__ import annotations

import io
import socket
import socketserver
import sys
import threading
import time
from email.utils import formatdate
from http import HTTPStatus
from typing import Any, Callable, Iterable
from urllib.parse import unquote_to_bytes

import h11

from ..wsgi import RAW_HEADERS_KEY  # the headers exactly as sent (case, repeats)

LOOPBACK = "127.0.0.1"
# Bodies are read whole before the app runs; beyond this, the request is refused (413).
MAX_BODY = 256 * 1024 * 1024
MAX_HEAD = 64 * 1024  # request line and headers; longer: 414 if the request line alone is, else 431
MAX_HEADERS = 100  # http.client's limit; more: 431
_RECEIVE = 64 * 1024
_LINGER = 1.0  # seconds to read a refused request's remains before closing
_NO_BODY_STATUSES = (204, 304)  # answers that never carry a body (RFC 9110 6.4.1)
_CONTINUE = h11.InformationalResponse(status_code=100, reason=b"Continue", headers=[])


class BadRequest(Exception):
    """The request can't be served: it is answered with `status` and the connection closed."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _ignore_write(data: bytes) -> None:
    """WSGI's legacy write() callable; nothing here uses it."""


class WSGIRequestHandler(socketserver.BaseRequestHandler):
    """Serves the requests of one connection, one after another, until either side closes it."""

    server: "LoopbackServer"
    request: socket.socket

    def handle(self) -> None:
        """Serve requests until the client or the server ends the connection."""
        sock = self.request
        # Without TCP_NODELAY a small response waits on the client's delayed ACK (~40 ms on Linux).
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEAD)
        try:
            while self._serve_one(conn):
                conn.start_next_cycle()
        except BadRequest as error:
            self._refuse(conn, error.status, str(error))
        except h11.RemoteProtocolError as error:
            self._refuse(conn, self._protocol_error_status(conn, error), str(error))
        except OSError:
            pass  # the client hung up, or stop() shut the connection down

    def _serve_one(self, conn: h11.Connection) -> bool:
        """Read one request, run the app, send its answer; whether the connection stays open."""
        request = self._next_event(conn)
        if type(request) is h11.ConnectionClosed:
            return False
        environ = self._environ(request)
        environ["wsgi.input"], environ["CONTENT_LENGTH"] = self._body(conn, request)
        started: list[Any] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[..., None]:
            started[:] = [status, headers]
            return _ignore_write

        try:
            result = self.server.app(environ, start_response)
            try:
                payload = b"".join(result)
            finally:
                if hasattr(result, "close"):
                    result.close()
            status, headers = started
            data = self._response(conn, request.method == b"HEAD", status, headers, payload)
        except Exception:
            self.server.handle_error(self.request, self.client_address)  # a traceback on stderr
            raise BadRequest(500, "The application failed") from None
        self.request.sendall(data)
        return conn.our_state is h11.DONE and conn.their_state is h11.DONE

    def _next_event(self, conn: h11.Connection) -> Any:
        """The next h11 event, receiving as much as it takes (and answering 100-continue first)."""
        while (event := conn.next_event()) is h11.NEED_DATA:
            if conn.they_are_waiting_for_100_continue:
                self.request.sendall(conn.send(_CONTINUE))
            conn.receive_data(self.request.recv(_RECEIVE))
        return event

    def _body(self, conn: h11.Connection, request: h11.Request) -> tuple[io.BytesIO, str]:
        """The request's body, read as it arrives up to MAX_BODY, and its length."""
        length = next((int(value) for name, value in request.headers if name == b"content-length"), 0)
        if length > MAX_BODY:
            raise BadRequest(413, "Request body too large")  # before 100-continue invites the upload
        parts, size = [], 0
        while type(event := self._next_event(conn)) is h11.Data:
            size += len(event.data)
            if size > MAX_BODY:
                raise BadRequest(413, "Request body too large")
            parts.append(event.data)
        return io.BytesIO(b"".join(parts)), str(size)

    def _environ(self, request: h11.Request) -> dict[str, Any]:
        """The WSGI environ of a request (its body is added once read)."""
        if request.http_version not in (b"1.0", b"1.1"):
            raise BadRequest(505, "Only HTTP/1.0 and HTTP/1.1 are supported")
        if len(request.target) > MAX_HEAD:
            raise BadRequest(414, "Request line too long")
        raw = request.headers.raw_items()
        # h11 bounds what it buffers; a head that arrived whole in one read is measured here.
        if len(raw) > MAX_HEADERS or sum(len(name) + len(value) for name, value in raw) > MAX_HEAD:
            raise BadRequest(431, "Request header fields too large")
        headers = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in raw]
        names = {name.lower() for name, _ in headers}
        # RFC 9112 6.1: two framings for one body could be read two ways (request smuggling).
        if "content-length" in names and "transfer-encoding" in names:
            raise BadRequest(400, "Both Content-Length and Transfer-Encoding")
        target = request.target.decode("latin-1")
        if target.startswith("//"):
            target = "/" + target.lstrip("/")  # as http.server does (gh-87389): "//x" reads as a host to clients
        path, _, query = target.partition("?")
        if path.startswith(("http://", "https://")):  # absolute-form request target (proxies)
            path = "/" + path.split("/", 3)[3] if path.count("/") >= 3 else "/"
        environ: dict[str, Any] = {
            "REQUEST_METHOD": request.method.decode("latin-1"),
            "SCRIPT_NAME": "",
            # PEP 3333: the decoded path, its bytes carried in a latin-1 string.
            "PATH_INFO": unquote_to_bytes(path).decode("latin-1"),
            "RAW_URI": target,
            "REQUEST_URI": target,
            "QUERY_STRING": query,
            "SERVER_NAME": LOOPBACK,
            "SERVER_PORT": str(self.server.port),
            "SERVER_PROTOCOL": "HTTP/" + request.http_version.decode(),
            "REMOTE_ADDR": self.client_address[0],
            "REMOTE_PORT": str(self.client_address[1]),
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            RAW_HEADERS_KEY: headers,
        }
        for name, value in headers:
            key = name.upper().replace("-", "_")
            if key in ("CONTENT_LENGTH", "TRANSFER_ENCODING"):
                continue  # framing, not for the app: the body is read and de-chunked before it runs
            if key != "CONTENT_TYPE":
                key = "HTTP_" + key
            environ[key] = f"{environ[key]},{value}" if key in environ else value
        return environ

    @staticmethod
    def _response(conn: h11.Connection, head_only: bool, status: str, headers: list[tuple[str, str]],
                  payload: bytes) -> bytes:
        """The bytes of a whole response: the app's status and headers, its body framed by Content-Length."""
        code, _, reason = status.partition(" ")
        lines = [(name.encode("latin-1"), value.strip(" \t").encode("latin-1")) for name, value in headers
                 if name.lower() not in ("content-length", "transfer-encoding")]
        names = {name.lower() for name, _ in lines}
        if int(code) in _NO_BODY_STATUSES:
            payload = b""
        # A HEAD answer keeps the app's Content-Length: the size of the body a GET would bring.
        given = [value for name, value in headers if name.lower() == "content-length"] if head_only else []
        lines.append((b"Content-Length", (given[0] if given else str(len(payload))).encode("latin-1")))
        if b"date" not in names:
            lines.append((b"Date", formatdate(usegmt=True).encode("latin-1")))
        data = conn.send(h11.Response(status_code=int(code), reason=reason.encode("latin-1"), headers=lines))
        if payload and not head_only:
            data += conn.send(h11.Data(data=payload))
        return data + conn.send(h11.EndOfMessage())

    @staticmethod
    def _protocol_error_status(conn: h11.Connection, error: h11.RemoteProtocolError) -> int:
        if error.error_status_hint == 431 and b"\n" not in conn.trailing_data[0][:MAX_HEAD]:
            return 414  # the head outgrew MAX_HEAD before its request line ended
        return error.error_status_hint

    def _refuse(self, conn: h11.Connection, status: int, message: str) -> None:
        """Answer `status` with a plain-text body (if a response can still be sent) and close."""
        sock = self.request
        try:
            if conn.our_state in (h11.IDLE, h11.SEND_RESPONSE):
                body = f"{status} {HTTPStatus(status).phrase}: {message}\n".encode()
                headers = [("Content-Type", "text/plain; charset=utf-8"), ("Connection", "close")]
                sock.sendall(self._response(conn, False, str(status), headers, body))
            # Closing with unread request bytes makes the kernel reset the connection, and a client
            # still sending (a body the server refused) may see the reset instead of the answer. So
            # stop writing and read what the client sends for a moment (a "lingering close").
            sock.shutdown(socket.SHUT_WR)
            sock.settimeout(_LINGER)
            deadline = time.monotonic() + _LINGER
            while time.monotonic() < deadline and sock.recv(_RECEIVE):
                pass
        except (OSError, h11.LocalProtocolError):
            pass


class LoopbackServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    """Serves a WSGI app on 127.0.0.1 and tracks open connections so stop() can close them."""

    daemon_threads = False
    block_on_close = True  # server_close() joins every connection's thread
    allow_reuse_address = True
    # socketserver's default backlog of 5 would make a burst of new connections wait on SYN retries.
    request_queue_size = 128

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
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=name, daemon=True)
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
