"""The Lambda Runtime API (2018-06-01) that workers poll, served on loopback.

Each execution environment gets its own listening port. A runtime client (ours, or AWS's awslambdaric)
knows nothing but AWS_LAMBDA_RUNTIME_API=host:port, so the port is the only thing that can say which
environment is asking; one shared port would have to guess the worker from its ephemeral source port.
With a port per environment, a worker can only ever receive its own invocations, and closing the
port cuts off an environment that has been retired.
"""

import json
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Protocol

NEXT = "/2018-06-01/runtime/invocation/next"
INIT_ERROR = "/2018-06-01/runtime/init/error"
INVOCATION = "/2018-06-01/runtime/invocation/"
ERROR_TYPE_HEADER = "Lambda-Runtime-Function-Error-Type"
ACCEPTED = b'{"status":"OK"}'


def new_trace_id() -> str:
    return f"Root=1-{int(time.time()):08x}-{secrets.token_hex(12)};Parent={secrets.token_hex(8)};Sampled=0"


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

    def headers(self) -> dict[str, str]:
        headers = {
            "Content-Type": "application/json",
            "Lambda-Runtime-Aws-Request-Id": self.request_id,
            "Lambda-Runtime-Deadline-Ms": str(self.deadline_ms),
            "Lambda-Runtime-Invoked-Function-Arn": self.invoked_function_arn,
            "Lambda-Runtime-Trace-Id": self.trace_id,
        }
        if self.client_context:
            headers["Lambda-Runtime-Client-Context"] = self.client_context
        return headers


class Runtime(Protocol):
    """What the Runtime API needs from the execution environment behind a port."""

    def next_invocation(self) -> Invocation | None:
        """Block until there is work; None when the environment is shutting down."""

    def complete(self, request_id: str, body: bytes, content_type: str | None, error_type: str | None) -> bool:
        """Record a posted response or error; False for a request id that isn't running."""

    def init_error(self, body: bytes, error_type: str | None) -> None:
        """Record the runtime's report that the function could not be initialized."""


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
                connection, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                if self._closed:
                    connection.close()
                    return
                thread = threading.Thread(target=self._serve, args=(connection,), daemon=True,
                                          name=f"runtime-api-{self.port}-conn")
                self._connections[connection] = thread
            thread.start()

    def _serve(self, connection: socket.socket) -> None:
        try:
            _RuntimeAPIHandler(connection, self._runtime)
        except OSError:
            pass  # the worker went away mid-request, or close() cut the connection
        finally:
            with self._lock:
                self._connections.pop(connection, None)
            connection.close()

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
        for connection, thread in connections.items():
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            if thread is not threading.current_thread():
                thread.join()


class _RuntimeAPIHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: a worker polls over one connection
    disable_nagle_algorithm = True  # else Nagle + delayed ACK hold every small response ~40 ms
    wbufsize = -1  # buffered, flushed once per request: headers and body leave together

    def __init__(self, connection: socket.socket, runtime: Runtime):
        self.runtime = runtime
        super().__init__(connection, connection.getpeername(), None)

    def log_message(self, format, *args):
        pass  # a worker's polling is not the learner's business

    def do_GET(self):
        if self.path != NEXT:
            return self._reply_error(404, "NotFound", f"Unknown path {self.path}")
        invocation = self.runtime.next_invocation()
        if invocation is None:
            self.close_connection = True  # shutting down: the runtime sees the connection end and exits
            return
        self._reply(200, invocation.payload, invocation.headers())

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        error_type = self.headers.get(ERROR_TYPE_HEADER)
        if self.path == INIT_ERROR:
            self.runtime.init_error(body, error_type)
            return self._reply(202, ACCEPTED)
        request_id, _, action = self.path.removeprefix(INVOCATION).partition("/")
        if not self.path.startswith(INVOCATION) or action not in ("response", "error"):
            return self._reply_error(404, "NotFound", f"Unknown path {self.path}")
        error_type = (error_type or "Unhandled") if action == "error" else None
        if not self.runtime.complete(request_id, body, self.headers.get("Content-Type"), error_type):
            return self._reply_error(400, "InvalidRequestID", "Invalid request ID")
        self._reply(202, ACCEPTED)

    def _reply_error(self, status: int, error_type: str, message: str) -> None:
        self._reply(status, json.dumps({"errorMessage": message, "errorType": error_type}).encode())

    def _reply(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {"Content-Type": "application/json"}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
