"""The Lambda Runtime API (2018-06-01) that workers poll, served on loopback.

Each execution environment gets its own listening port. A runtime client (ours, or AWS's awslambdaric)
knows nothing but AWS_LAMBDA_RUNTIME_API=host:port, so the port is the only thing that can say which
environment is asking; one shared port would have to guess the worker from its ephemeral source port.
With a port per environment, a worker can only ever receive its own invocations, and closing the
port cuts off an environment that has been retired.

A worker waits for work with GET /next. The thread that read that request does not wait with it:
it parks the connection with the environment and goes back to reading. The caller of the next
invocation writes the event straight onto the parked connection, and the same reading thread, woken
by the worker's POST, completes it: a warm invocation costs one switch between threads, from that
thread to the caller waiting for the result.
"""

import json
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Protocol

NEXT = "/2018-06-01/runtime/invocation/next"
INIT_ERROR = "/2018-06-01/runtime/init/error"
INVOCATION = "/2018-06-01/runtime/invocation/"
ERROR_TYPE_HEADER = "lambda-runtime-function-error-type"
MAX_HEAD = 1 << 16  # request line and headers; a client sending more is not a runtime
RECEIVE = 1 << 16


def new_trace_id() -> str:
    random = secrets.token_hex(20)  # one read of the system's randomness for both ids
    return f"Root=1-{int(time.time()):08x}-{random[:24]};Parent={random[24:]};Sampled=0"


@dataclass(eq=False)
class Invocation:
    """One request travelling through the Runtime API, and what the runtime posted back."""

    request_id: str
    payload: bytes
    invoked_function_arn: str
    client_context: str | None = None  # JSON text, already decoded from the Invoke API's base64
    trace_id: str = field(default_factory=new_trace_id)
    deadline_ms: int = 0
    started: float | None = None  # time.monotonic() when handed to the worker
    finished: float | None = None  # time.monotonic() when the runtime posted its result
    result: bytes = b""
    content_type: str | None = None
    error_type: str | None = None  # set when the runtime posted to /error

    @property
    def answered(self) -> bool:
        """Whether the runtime posted a response or an error."""
        return self.content_type is not None

    def message(self) -> bytes:
        """The whole answer to GET /next: the event and the invocation's headers."""
        client_context = (f"Lambda-Runtime-Client-Context: {self.client_context}\r\n"
                          if self.client_context else "")
        head = (f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                f"Lambda-Runtime-Aws-Request-Id: {self.request_id}\r\n"
                f"Lambda-Runtime-Deadline-Ms: {self.deadline_ms}\r\n"
                f"Lambda-Runtime-Invoked-Function-Arn: {self.invoked_function_arn}\r\n"
                f"Lambda-Runtime-Trace-Id: {self.trace_id}\r\n{client_context}"
                f"Content-Length: {len(self.payload)}\r\n\r\n")
        return head.encode("latin-1") + self.payload


class Runtime(Protocol):
    """What the Runtime API needs from the execution environment behind a port."""

    def next_invocation(self, connection: "Connection") -> bool:
        """A runtime asks for work: deliver() it on `connection` now or later; False to hang up (shutting down)."""

    def complete(self, request_id: str, body: bytes, content_type: str | None, error_type: str | None) -> bool:
        """Record a posted response or error; False for a request id that isn't running."""

    def init_error(self, body: bytes, error_type: str | None) -> None:
        """Record the runtime's report that the function could not be initialized."""


class BadRequest(Exception):
    """The client sent something that is not an HTTP/1.1 request we can answer."""


def _response(status: int, body: bytes) -> bytes:
    return (f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode("latin-1") + body


def _error(status: int, error_type: str, message: str) -> bytes:
    return _response(status, json.dumps({"errorMessage": message, "errorType": error_type}).encode())


ACCEPTED = _response(202, b'{"status":"OK"}')
INVALID_REQUEST_ID = _error(400, "InvalidRequestID", "Invalid request ID")


class Connection:
    """One runtime client's keep-alive HTTP/1.1 connection: requests in, responses out.

    Lean on purpose: a runtime sends a request line, a few headers and a Content-Length body, and
    parsing them with http.server's email machinery was a measurable share of every invocation.
    """

    def __init__(self, sock: socket.socket):
        self._sock = sock
        self._buffer = bytearray()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # else Nagle + delayed ACK hold replies ~40 ms

    def read_request(self) -> tuple[str, str, dict[str, str], bytes] | None:
        """The next request: (method, path, lower-cased headers, body); None when the client hung up."""
        while (end := self._buffer.find(b"\r\n\r\n")) < 0:
            if len(self._buffer) > MAX_HEAD:
                raise BadRequest("request head too long")
            if not self._receive():
                return None
        request_line, *lines = self._buffer[:end].decode("latin-1").split("\r\n")
        del self._buffer[:end + 4]
        try:
            method, path, _ = request_line.split(" ")
        except ValueError:
            raise BadRequest(f"malformed request line {request_line!r}") from None
        headers = {}
        for line in lines:
            name, colon, value = line.partition(":")
            if not colon:
                raise BadRequest(f"malformed header {line!r}")
            headers[name.strip().lower()] = value.strip()
        try:
            length = int(headers.get("content-length") or 0)
        except ValueError:
            raise BadRequest("malformed Content-Length") from None
        if length and headers.get("expect", "").lower() == "100-continue":
            self._sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")  # curl waits for this before a large body
        return method, path, headers, self._read_body(length)

    def _read_body(self, length: int) -> bytes:
        if len(self._buffer) >= length:
            body = bytes(self._buffer[:length])
            del self._buffer[:length]
            return body
        body = bytearray(length)  # a large response: receive it in place, not chunk by chunk into a buffer
        have = len(self._buffer)
        body[:have] = self._buffer
        self._buffer.clear()
        view = memoryview(body)
        while have < length:
            received = self._sock.recv_into(view[have:])
            if not received:
                raise ConnectionError("the runtime hung up in the middle of a request")
            have += received
        return bytes(body)

    def _receive(self) -> bool:
        chunk = self._sock.recv(RECEIVE)
        self._buffer += chunk
        return bool(chunk)

    def send(self, message: bytes) -> None:
        self._sock.sendall(message)

    def deliver(self, invocation: Invocation) -> None:
        """Answer this connection's waiting GET /next with an invocation."""
        try:
            self._sock.sendall(invocation.message())
        except OSError:
            pass  # the worker is gone; its environment reports how it ended

    def hang_up(self) -> None:
        """End a waiting GET /next without work: the runtime sees the connection end and exits."""
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class RuntimeAPIEndpoint:
    """One environment's Runtime API: a loopback port, a thread accepting on it, a thread per connection."""

    def __init__(self, runtime: Runtime):
        self._runtime = runtime
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.address = f"127.0.0.1:{self.port}"
        self._lock = threading.Lock()
        self._connections: dict[socket.socket, threading.Thread] = {}
        self._closed = False
        self._acceptor = threading.Thread(target=self._accept, name=f"runtime-api-{self.port}", daemon=True)
        self._acceptor.start()

    def _accept(self) -> None:
        while True:
            try:
                sock, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                if self._closed:
                    sock.close()
                    return
                thread = threading.Thread(target=self._serve, args=(sock,), daemon=True,
                                          name=f"runtime-api-{self.port}-conn")
                self._connections[sock] = thread
            thread.start()

    def _serve(self, sock: socket.socket) -> None:
        try:
            connection = Connection(sock)
            while (request := connection.read_request()) is not None:
                if not self._handle(connection, *request):
                    break
        except BadRequest as e:
            try:
                sock.sendall(_error(400, "BadRequest", str(e)))
            except OSError:
                pass
        except OSError:
            pass  # the worker went away mid-request, or close() cut the connection
        finally:
            with self._lock:
                self._connections.pop(sock, None)
            sock.close()

    def _handle(self, connection: Connection, method: str, path: str, headers: dict[str, str], body: bytes) -> bool:
        """Answer one request (or park it); False when the connection must end.

        Every answer has a Content-Length, so the connection stays open until the client closes it.
        """
        if method == "GET" and path == NEXT:
            return self._runtime.next_invocation(connection)
        error_type = headers.get(ERROR_TYPE_HEADER)
        if method == "POST" and path == INIT_ERROR:
            self._runtime.init_error(body, error_type)
            connection.send(ACCEPTED)
            return True
        request_id, _, action = path.removeprefix(INVOCATION).partition("/")
        if method != "POST" or not path.startswith(INVOCATION) or action not in ("response", "error"):
            connection.send(_error(404, "NotFound", f"Unknown path {path}"))
            return True
        error_type = (error_type or "Unhandled") if action == "error" else None
        if self._runtime.complete(request_id, body, headers.get("content-type"), error_type):
            connection.send(ACCEPTED)
        else:
            connection.send(INVALID_REQUEST_ID)
        return True

    def close(self) -> None:
        """Stop accepting, cut every connection, and wait for this endpoint's threads to end."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            connections = dict(self._connections)
        try:  # wake the blocked accept() portably: connect to ourselves
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
        except OSError:
            pass
        self._acceptor.join()
        self._listener.close()
        for sock, thread in connections.items():
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            if thread is not threading.current_thread():
                thread.join()
