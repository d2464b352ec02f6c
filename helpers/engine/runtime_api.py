"""The Lambda Runtime API (2018-06-01) that workers poll, served on loopback.

Each execution environment gets its own listening port. A runtime client (ours, or AWS's awslambdaric)
knows nothing but AWS_LAMBDA_RUNTIME_API=host:port, so the port is the only thing that can say which
environment is asking; one shared port would have to guess the worker from its ephemeral source port.
With a port per environment, a worker can only ever receive its own invocations, and closing the
port cuts off an environment that has been retired.

A warm invocation does not pass from thread to thread. It used to: a thread per connection read
the runtime's POST and woke the caller waiting for the result, and that second thread's reads, the
wake-up and the contention for the GIL cost about 150 us of CPU per invocation under load, and
latency on top. So a connection has one reader at a time, and who that is follows what the runtime
is doing:

- From its accept, a thread reads the connection: during the init phase there is no caller to do it
  (the init may end in /init/error, or a provisioned environment gets ready with no caller waiting),
  and a handler's own connections to the API are served this way from start to end.
- A GET /next parks the connection with its environment, and that thread ends: nobody reads it now.
- The caller of an invocation takes the parked connection, writes the event as the answer, and reads
  the runtime's next requests itself, up to the function's deadline. It answers the POST of the
  response or error, and if the next GET /next is already buffered (our runtime sends it in the same
  write as the result) parks the connection again at once. A runtime that asks only after the 202
  (awslambdaric) leaves the connection unread: the next caller reads its GET /next first.
- The connection ending tells the caller that the worker is gone (its environment says how it
  ended). A runtime may also post, or ask for work, on another connection: that connection's thread
  records it, and the caller, looking up every SLICE, sees it.

A warm invocation is thus one thread writing the event and reading the result, with no hand-off.
"""

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Callable, Protocol

from ..randomness import random_bytes, uuid4_text
from .runtime_connection import BadRequest, Connection

NEXT = "/2018-06-01/runtime/invocation/next"
INIT_ERROR = "/2018-06-01/runtime/init/error"
INVOCATION = "/2018-06-01/runtime/invocation/"
ERROR_TYPE_HEADER = "lambda-runtime-function-error-type"
PEAK_RSS_HEADER = "sandbox-peak-rss"  # sent by the sandbox's own runtime only (see bootstrap.WorkerState)
OUTPUT_PENDING_HEADER = "sandbox-output-pending"
# How long a caller reading one connection waits before it looks at its environment again: a runtime
# may post its result, or ask for work, on a connection of its own while leaving this one open.
SLICE = 0.1

# What serve() ended with: the connection was handed to the environment, is gone, or is still the caller's.
PARKED, ENDED, TIMED_OUT, DONE = "parked", "ended", "timed out", "done"


def new_trace_id() -> str:
    """An X-Ray trace header, for an Invocation made without one."""
    return new_ids()[1]


def new_ids() -> tuple[str, str]:
    """A new request id (a random UUID, version 4) and trace header, from one draw of random bytes.

    Made on every invocation: one draw instead of two, and no uuid.UUID object built just to print it.
    """
    random = random_bytes(36).hex()
    return uuid4_text(random), f"Root=1-{int(time.time()):08x}-{random[32:56]};Parent={random[56:72]};Sampled=0"


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
    # Reported by our runtime with its result (see bootstrap.WorkerState); None when it did not say.
    peak_rss: int | None = None  # the worker's VmHWM, in bytes
    output_pending: int | None = None  # bytes of its output still in the pipe when it posted
    log_tail: bool = False  # collect its log lines for the Invoke API's LogType=Tail

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

    def next_invocation(self, connection: Connection) -> bool:
        """A runtime asks for work: True when the environment took (parked) `connection`; False to hang up."""

    def complete(self, request_id: str, body: bytes, content_type: str | None, error_type: str | None,
                 worker_state: tuple[int | None, int | None] = (None, None)) -> bool:
        """Record a posted response or error (and the worker's (peak_rss, output_pending)); False for a
        request id that isn't running."""

    def init_error(self, body: bytes, error_type: str | None) -> None:
        """Record the runtime's report that the function could not be initialized."""


def _size(value: str | None) -> int | None:
    """A byte count the runtime reported, or None when it sent none (or nonsense)."""
    if value is None or not value.isdigit():
        return None
    return int(value)


def _response(status: int, body: bytes) -> bytes:
    return (f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode("latin-1") + body


def _error(status: int, error_type: str, message: str) -> bytes:
    return _response(status, json.dumps({"errorMessage": message, "errorType": error_type}).encode())


ACCEPTED = _response(202, b'{"status":"OK"}')
INVALID_REQUEST_ID = _error(400, "InvalidRequestID", "Invalid request ID")


class RuntimeAPIEndpoint:
    """One environment's Runtime API: a loopback port, a thread accepting on it, and its connections' readers."""

    def __init__(self, runtime: Runtime):
        self._runtime = runtime
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.address = f"127.0.0.1:{self.port}"
        self._lock = threading.Lock()
        self._connections: set[Connection] = set()  # open, whoever holds them
        self._readers: list[threading.Thread] = []
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
                connection = Connection(sock, self._forget)
                self._connections.add(connection)
                reader = threading.Thread(target=self.serve, args=(connection,), daemon=True,
                                          name=f"runtime-api-{self.port}-conn")
                # close() joins every reader; those that ended need no joining.
                self._readers = [thread for thread in self._readers if thread.is_alive()] + [reader]
            reader.start()

    def _forget(self, connection: Connection) -> None:
        with self._lock:
            self._connections.discard(connection)

    def exchange(self, connection: Connection, message: bytes, deadline: float, done: Callable[[], bool]) -> str:
        """Answer a parked GET /next with `message`, then serve() the runtime's requests on this thread."""
        try:
            connection.send(message, deadline)
        except TimeoutError:
            connection.close()
            return TIMED_OUT
        except OSError:
            connection.close()  # the worker is gone; its environment reports how it ended
            return ENDED
        return self.serve(connection, deadline, done)

    def serve(self, connection: Connection, deadline: float | None = None,
              done: Callable[[], bool] | None = None) -> str:
        """Read and answer the runtime's requests on this thread, until one of:

        PARKED: a GET /next handed the connection to the environment; ENDED: the connection is over;
        TIMED_OUT: `deadline` passed; DONE: done() held between two requests, with no whole request
        buffered, and the connection is still the caller's. It is closed here when ENDED or TIMED_OUT.
        """
        try:
            while True:
                if done is not None and not connection.has_request():
                    if done():
                        return DONE
                    if not connection.wait(deadline, SLICE):
                        continue
                request = connection.read_request(deadline)
                if request is None:
                    break
                if (answer := self._handle(connection, *request)) == PARKED:
                    return PARKED
                if answer == ENDED:
                    break
        except BadRequest as e:
            try:
                connection.send(_error(400, "BadRequest", str(e)))
            except OSError:
                pass
        except TimeoutError:
            connection.close()
            return TIMED_OUT
        except OSError:
            pass  # the worker went away mid-request, or close() cut the connection
        connection.close()
        return ENDED

    def _handle(self, connection: Connection, method: str, path: str, headers: dict[str, str],
                body: bytes) -> str | None:
        """Answer one request, or park it: PARKED, ENDED when the connection must end, None to read on.

        Every answer has a Content-Length, so the connection stays open until the client closes it.
        """
        if method == "GET" and path == NEXT:
            return PARKED if self._runtime.next_invocation(connection) else ENDED
        error_type = headers.get(ERROR_TYPE_HEADER)
        if method == "POST" and path == INIT_ERROR:
            self._runtime.init_error(body, error_type)
            connection.send(ACCEPTED)
            return None
        request_id, _, action = path.removeprefix(INVOCATION).partition("/")
        if method != "POST" or not path.startswith(INVOCATION) or action not in ("response", "error"):
            connection.send(_error(404, "NotFound", f"Unknown path {path}"))
            return None
        error_type = (error_type or "Unhandled") if action == "error" else None
        worker_state = (_size(headers.get(PEAK_RSS_HEADER)), _size(headers.get(OUTPUT_PENDING_HEADER)))
        if self._runtime.complete(request_id, body, headers.get("content-type"), error_type, worker_state):
            if connection.has_request():  # its GET /next came in the same write: the 202 goes with the event
                connection.owe(ACCEPTED)
            else:
                connection.send(ACCEPTED)
        else:
            connection.send(INVALID_REQUEST_ID)
        return None

    def close(self) -> None:
        """Stop accepting, cut every connection, and wait for this endpoint's reader threads to end.

        A connection is closed by whoever holds it: its reader, or the environment it is parked with.
        """
        with self._lock:
            if self._closed:
                return
            self._closed = True
        try:  # wake the blocked accept() portably: connect to ourselves
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
        except OSError:
            pass
        self._acceptor.join()
        self._listener.close()
        with self._lock:
            connections, readers = list(self._connections), list(self._readers)
        for connection in connections:
            connection.cut()
        for reader in readers:
            if reader is not threading.current_thread():
                reader.join()
