"""A lean threaded WSGI server on loopback: HTTP/1.1 keep-alive, Nagle off, quiet, stoppable without leaks.

Every call a notebook makes to the sandbox (boto3, curl, a browser on an invoke URL) crosses this
server, so what it spends per request is paid on all of them. werkzeug's development server costs
about 2.5x http.server per request (measured in bench/bench_gateway.py), and http.server itself
spends most of its time parsing headers with the email package and formatting the Date header.
So this server reads HTTP/1.1 itself: the request head is found in a buffer by its blank line and
split into lines, the body is read whole (Content-Length or chunked) before the app runs, and a
small answer goes out in one write. socketserver only accepts connections and gives each a thread.
"""

from __future__ import annotations

import io
import re
import socket
import socketserver
import sys
import threading
import time
from dataclasses import dataclass
from email.utils import formatdate
from http import HTTPStatus
from typing import Any, Callable, Iterable
from urllib.parse import unquote_to_bytes

from .. import cpu_affinity
from ..gateway.request import RAW_HEADERS_KEY  # the headers exactly as sent (case, repeats)

LOOPBACK = "127.0.0.1"
# Bodies are read whole before the app runs, so an app that ignores one can't
# desynchronize a keep-alive connection; beyond this, the request is refused.
MAX_BODY = 256 * 1024 * 1024
MAX_REQUEST_LINE = 64 * 1024  # longer: 414
MAX_HEADER_BYTES = 64 * 1024  # the header lines together; longer: 431
MAX_HEADERS = 100  # http.client's limit; more: 431
_SMALLEST_HEAD_LIMIT = min(MAX_REQUEST_LINE, MAX_HEADER_BYTES)  # a head no longer than this needs no size check
_MAX_CHUNK_LINE = 4096  # a chunk size with its extensions
_RECEIVE = 64 * 1024
# A head ends at its first empty line; bare LF line ends are accepted, as http.server did.
# (Starting the pattern with a literal lets re skip ahead to each LF: 5x faster than "\r?\n\r?\n".)
_END_OF_HEAD = re.compile(rb"\n\r?\n")
_VERSION = re.compile(r"HTTP/(\d)\.(\d)")
_CHUNK_SIZE = re.compile(rb"[0-9A-Fa-f]{1,16}")  # int(x, 16) alone would also take "0x", "+" and "_"
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
_LINGER = 1.0  # seconds to read a refused request's remains before closing
# A body at least this large goes out in its own write: joining it to the head would copy it.
_SEPARATE_BODY = 64 * 1024


class BadRequest(Exception):
    """The request can't be read: it is answered with `status` and the connection closed."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(slots=True)
class RequestHead:
    """A parsed request line and header section, and how its body is framed."""

    method: str
    target: str  # as sent
    version: str  # as sent: HTTP/1.x
    headers: list[tuple[str, str]]  # as sent: original case, repeats, in order
    fields: dict[str, str]  # the environ's HTTP_* and CONTENT_TYPE, repeats joined with ","
    keep_alive: bool
    expects_continue: bool
    chunked: bool
    length: int


def parse_head(text: str) -> RequestHead:
    """Parse a request head (latin-1 text, without its final empty line); BadRequest if it is malformed."""
    lines = text.split("\r\n")
    if text.count("\n") != len(lines) - 1 or text.count("\r") != len(lines) - 1:
        # Bare LF line ends (taken, as http.server did) or a stray CR (refused): the slow way.
        text = text.replace("\r\n", "\n")
        if "\r" in text:
            raise BadRequest(400, "Stray CR in the request head")
        lines = text.split("\n")
    request_line = lines.pop(0)
    words = request_line.split(" ")
    if len(words) != 3:
        raise BadRequest(400, "Malformed request line")
    method, target, version = words
    match = _VERSION.fullmatch(version)
    if match is None or not method or not target:
        raise BadRequest(400, "Malformed request line")
    if match[1] != "1":
        raise BadRequest(505, "Only HTTP/1.0 and HTTP/1.1 are supported")
    if len(lines) > MAX_HEADERS:
        raise BadRequest(431, "Too many headers")
    headers: list[tuple[str, str]] = []
    fields: dict[str, str] = {}
    lengths: list[str] = []
    transfer_codings: list[str] = []
    for line in lines:
        name, colon, value = line.partition(":")
        # No colon, or whitespace in the name (an obs-fold continuation line starts with
        # some): RFC 9112 has a server reject these rather than guess.
        if not colon or not name or " " in name or "\t" in name:
            raise BadRequest(400, "Malformed header line")
        value = value.strip(" \t")
        headers.append((name, value))
        key = name.upper().replace("-", "_")
        if key == "CONTENT_LENGTH" or key == "TRANSFER_ENCODING":
            # Framing, not for the app: the body is read and de-chunked before it runs.
            lower = name.lower()
            if lower == "content-length":
                lengths.append(value)
            elif lower == "transfer-encoding":
                transfer_codings.append(value)
            continue
        if key != "CONTENT_TYPE":
            key = "HTTP_" + key
        fields[key] = f"{fields[key]},{value}" if key in fields else value
    tokens = _tokens(fields.get("HTTP_CONNECTION"))
    if match[2] == "0":
        keep_alive = "keep-alive" in tokens and "close" not in tokens
    else:
        keep_alive = "close" not in tokens
    chunked = "chunked" in ",".join(transfer_codings).lower()
    length = 0 if chunked else _content_length(lengths)
    expects_continue = (match[2] != "0" and (chunked or length > 0)
                        and fields.get("HTTP_EXPECT", "").lower() == "100-continue")
    return RequestHead(method, target, version, headers, fields, keep_alive, expects_continue, chunked, length)


def _tokens(value: str | None) -> set[str]:
    return {token.strip() for token in value.lower().split(",")} if value else set()


def _content_length(values: list[str]) -> int:
    # Differing copies could frame the body two ways (request smuggling); an empty one meant 0 before.
    if len(set(values)) > 1:
        raise BadRequest(400, "Conflicting Content-Length headers")
    text = values[0] if values else ""
    if text and not (text.isascii() and text.isdigit()):
        raise BadRequest(400, "Bad Content-Length")
    length = int(text or 0)
    if length > MAX_BODY:
        raise BadRequest(413, "Request body too large")
    return length


class RequestReader:
    """Reads requests off one connection: a buffer, each head found by its empty line, each body whole."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._buffer = bytearray()

    def head(self) -> RequestHead | None:
        """The next request's head; None when the client closed the connection between requests."""
        buffer = self._buffer
        searched = 0
        while True:
            if buffer and buffer[0] in b"\r\n":
                # RFC 9112 2.2: ignore empty lines before a request (some clients end a body with one).
                del buffer[: len(buffer) - len(buffer.lstrip(b"\r\n"))]
                searched = 0
            end = _END_OF_HEAD.search(buffer, searched)
            if end is not None:
                break
            if len(buffer) > _SMALLEST_HEAD_LIMIT:
                _check_head_size(buffer, len(buffer))
            searched = max(len(buffer) - 3, 0)
            chunk = self._sock.recv(_RECEIVE)
            if not chunk:
                if buffer:
                    raise ConnectionError("the client hung up in the middle of a request head")
                return None
            buffer += chunk
        start = end.start()
        if start > _SMALLEST_HEAD_LIMIT:
            _check_head_size(buffer, start)
        if start and buffer[start - 1] == 13:  # the CR ending the last line
            start -= 1
        text = buffer[:start].decode("latin-1")
        del buffer[: end.end()]
        return parse_head(text)

    def body(self, head: RequestHead) -> bytes:
        """The request's body, de-chunked; answers 100-continue first when the client waits for it."""
        if not (head.chunked or head.length):
            return b""
        if head.expects_continue:
            self._sock.sendall(_CONTINUE)
        return self._chunked() if head.chunked else self._exactly(head.length)

    def _chunked(self) -> bytes:
        parts, total = [], 0
        while True:
            size_text = self._line(_MAX_CHUNK_LINE).split(b";", 1)[0].strip(b" \t")  # drop extensions
            if not _CHUNK_SIZE.fullmatch(size_text):
                raise BadRequest(400, "Bad chunked body")
            size = int(size_text, 16)
            if not size:
                break
            total += size
            if total > MAX_BODY:
                raise BadRequest(413, "Request body too large")
            parts.append(self._exactly(size))
            if self._line(2):
                raise BadRequest(400, "Bad chunked body")
        for _ in range(MAX_HEADERS + 1):  # trailers: read past them; nothing here uses them
            if not self._line(MAX_HEADER_BYTES):
                return b"".join(parts)
        raise BadRequest(431, "Too many trailer fields")

    def _line(self, limit: int) -> bytes:
        buffer = self._buffer
        searched = 0
        while (end := buffer.find(b"\n", searched)) < 0:
            if len(buffer) > limit:
                raise BadRequest(400, "Bad chunked body")
            searched = len(buffer)
            self._receive()
        if end > limit:
            raise BadRequest(400, "Bad chunked body")
        line = bytes(buffer[:end])
        del buffer[: end + 1]
        return line[:-1] if line.endswith(b"\r") else line

    def _exactly(self, length: int) -> bytes:
        buffer = self._buffer
        if len(buffer) >= length:
            data = bytes(buffer[:length])
            del buffer[:length]
            return data
        data = bytearray(length)  # receive the rest in place rather than piece by piece through the buffer
        have = len(buffer)
        data[:have] = buffer
        buffer.clear()
        view = memoryview(data)
        while have < length:
            received = self._sock.recv_into(view[have:])
            if not received:
                raise ConnectionError("the client hung up in the middle of a request body")
            have += received
        return bytes(data)

    def _receive(self) -> None:
        chunk = self._sock.recv(_RECEIVE)
        if not chunk:
            raise ConnectionError("the client hung up in the middle of a request")
        self._buffer += chunk


def _check_head_size(buffer: bytearray, end: int) -> None:
    line_end = buffer.find(b"\n", 0, end)
    if line_end < 0:
        line_end = end
    if line_end > MAX_REQUEST_LINE:
        raise BadRequest(414, "Request line too long")
    if end - line_end > MAX_HEADER_BYTES:
        raise BadRequest(431, "Request header fields too large")


_date = (0, "")


def http_date() -> str:
    """The current time as an HTTP Date header value, formatted once a second."""
    global _date
    now = int(time.time())
    second, text = _date
    if second != now:
        text = formatdate(now, usegmt=True)
        _date = (now, text)  # one tuple, so a racing thread sees a matching pair
    return text


def error_response(status: int, message: str) -> bytes:
    """A complete plain-text error answer that closes the connection."""
    phrase = HTTPStatus(status).phrase
    body = f"{status} {phrase}: {message}\n".encode()
    head = (f"HTTP/1.1 {status} {phrase}\r\nContent-Type: text/plain; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\nDate: {http_date()}\r\nConnection: close\r\n\r\n")
    return head.encode("latin-1") + body


def _drain(sock: socket.socket) -> None:
    # Closing with unread request bytes makes the kernel reset the connection, and a client
    # still sending (a body the server refused) may see the reset instead of the answer. So
    # stop writing and read what the client sends for a moment (a "lingering close").
    sock.shutdown(socket.SHUT_WR)
    sock.settimeout(_LINGER)
    deadline = time.monotonic() + _LINGER
    while time.monotonic() < deadline and sock.recv(_RECEIVE):
        pass


def _ignore_write(data: bytes) -> None:
    """WSGI's legacy write() callable; nothing here uses it."""


class WSGIRequestHandler(socketserver.BaseRequestHandler):
    """Runs one WSGI app per request on a kept-alive HTTP/1.1 connection."""

    server: "LoopbackServer"
    request: socket.socket

    def handle(self) -> None:
        """Serve requests until the client or the server ends the connection."""
        sock = self.request
        # Without TCP_NODELAY a small response waits on the client's delayed
        # ACK (~40 ms per request on Linux loopback).
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        reader = RequestReader(sock)
        try:
            while (head := reader.head()) is not None:
                if not self._respond(head, reader.body(head)):
                    break
        except BadRequest as error:
            try:
                sock.sendall(error_response(error.status, str(error)))
                _drain(sock)
            except OSError:
                pass
        except OSError:
            pass  # the client hung up, or stop() shut the connection down

    def _respond(self, head: RequestHead, body: bytes) -> bool:
        """Run the app and send its answer; whether the connection stays open."""
        started: list[Any] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
            started[:] = [status, headers]
            return _ignore_write

        try:
            result = self.server.app(self._environ(head, body), start_response)
            try:
                payload = b"".join(result)
            finally:
                if hasattr(result, "close"):
                    result.close()
            message_head = self._message_head(head, payload, *started)
        except Exception:
            self.server.handle_error(self.request, self.client_address)  # a traceback on stderr, as before
            self.request.sendall(error_response(500, "The application failed"))
            return False
        if head.method == "HEAD":
            self.request.sendall(message_head)
        elif len(payload) < _SEPARATE_BODY:
            # One write for head and body: two small writes would cost a round trip.
            self.request.sendall(message_head + payload)
        else:
            self.request.sendall(message_head)
            self.request.sendall(payload)
        return head.keep_alive

    @staticmethod
    def _message_head(head: RequestHead, payload: bytes, status: str, headers: list[tuple[str, str]]) -> bytes:
        names = {name.lower() for name, _ in headers}
        head_only = head.method == "HEAD"
        lines = [f"HTTP/1.1 {status}\r\n"]
        # A HEAD answer keeps the app's Content-Length: the size of the body it would send.
        lines += [f"{name}: {value}\r\n" for name, value in headers if head_only or name.lower() != "content-length"]
        if not (head_only and "content-length" in names):
            lines.append(f"Content-Length: {len(payload)}\r\n")
        if "date" not in names:
            lines.append(f"Date: {http_date()}\r\n")
        if not head.keep_alive:
            lines.append("Connection: close\r\n")
        elif head.version == "HTTP/1.0":
            lines.append("Connection: keep-alive\r\n")  # else an HTTP/1.0 client assumes the server closes
        lines.append("\r\n")
        return "".join(lines).encode("latin-1")

    def _environ(self, head: RequestHead, body: bytes) -> dict[str, Any]:
        target = head.target
        if target.startswith("//"):
            target = "/" + target.lstrip("/")  # as http.server does (gh-87389): "//x" reads as a host to clients
        path, _, query = target.partition("?")
        if path.startswith(("http://", "https://")):  # absolute-form request target (proxies)
            path = "/" + path.split("/", 3)[3] if path.count("/") >= 3 else "/"
        environ: dict[str, Any] = {
            "REQUEST_METHOD": head.method,
            "SCRIPT_NAME": "",
            # PEP 3333: the decoded path, its bytes carried in a latin-1 string.
            "PATH_INFO": path if "%" not in path and path.isascii() else unquote_to_bytes(path).decode("latin-1"),
            "RAW_URI": target,
            "REQUEST_URI": target,
            "QUERY_STRING": query,
            "SERVER_NAME": LOOPBACK,
            "SERVER_PORT": self.server.port_text,
            "SERVER_PROTOCOL": head.version,
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
            RAW_HEADERS_KEY: head.headers,
        }
        environ.update(head.fields)
        return environ


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
        self.port_text = str(self.port)
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
        self._thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        # This thread starts every connection's thread, and they share its CPU (see cpu_affinity).
        cpu_affinity.pin_to_current_cpu()
        self.serve_forever(poll_interval=0.05)

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
