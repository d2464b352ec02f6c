"""The Lambda Runtime API (2018-06-01) that workers poll, served on loopback with h11.

Each execution environment gets its own listening port. A runtime client (ours, or AWS's awslambdaric)
knows nothing but AWS_LAMBDA_RUNTIME_API=host:port, so the port is the only thing that can say which
environment is asking; one shared port would have to guess the worker from its ephemeral source port.
With a port per environment, a worker can only ever receive its own invocations, and closing the
port cuts off an environment that has been retired.

The endpoint never calls into its environment: it completes futures the environment waits on.
`initialized` completes when the runtime first asks for work (or fails with InitError on
/init/error); each invocation's `future` completes when the runtime posts its response or error.
Whatever else ends them (a timeout, the worker's exit) is the environment's business.
"""

import json
import socket
import threading
import time
from collections import deque
from concurrent.futures import Future
from http import HTTPStatus

import h11

from .invocation import InitError, Invocation, RuntimeResult, settle

NEXT = "/2018-06-01/runtime/invocation/next"
INIT_ERROR = "/2018-06-01/runtime/init/error"
INVOCATION = "/2018-06-01/runtime/invocation/"
ERROR_TYPE_HEADER = b"lambda-runtime-function-error-type"
RECEIVE = 1 << 16


class RuntimeAPIEndpoint:
    """One environment's Runtime API: a loopback port, a thread accepting on it and one per connection."""

    def __init__(self) -> None:
        self.initialized: Future = Future()  # time.monotonic() of the runtime's first GET /next
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.address = f"127.0.0.1:{self.port}"
        self._lock = threading.Condition()
        self._waiting: deque[Invocation] = deque()  # submitted, not yet handed to the runtime
        self._running: dict[str, Invocation] = {}  # handed to the runtime, by request id
        self._sockets: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self._closed = False
        self._acceptor = threading.Thread(target=self._accept, name=f"runtime-api-{self.port}", daemon=True)
        self._acceptor.start()

    def submit(self, invocation: Invocation) -> None:
        """Queue an invocation; the runtime's next GET /next receives it."""
        with self._lock:
            self._waiting.append(invocation)
            self._lock.notify_all()

    def close(self) -> None:
        """Stop accepting, end every connection, and wait for this endpoint's threads to end."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._lock.notify_all()  # a GET /next waiting for work ends: the runtime sees its connection close
            sockets = list(self._sockets)
        try:  # wake the blocked accept() portably: connect to ourselves
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
        except OSError:
            pass
        self._acceptor.join()
        self._listener.close()
        for sock in sockets:
            _shut(sock)
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            if thread is not threading.current_thread():
                thread.join()

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
                self._sockets.add(sock)
                thread = threading.Thread(target=self._serve, args=(sock,), daemon=True,
                                          name=f"runtime-api-{self.port}-conn")
                self._threads = [t for t in self._threads if t.is_alive()] + [thread]
            thread.start()

    def _serve(self, sock: socket.socket) -> None:
        """Answer one keep-alive connection's requests, one after the other, until either side ends it."""
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # else Nagle + delayed ACK hold replies ~40 ms
        connection = h11.Connection(h11.SERVER)
        try:
            while (request := _read_request(sock, connection)) is not None:
                if not self._answer(sock, connection, *request):
                    break
                connection.start_next_cycle()
        except h11.RemoteProtocolError as e:
            if connection.our_state in (h11.IDLE, h11.SEND_RESPONSE):
                _send(sock, connection, *_error(400, "BadRequest", str(e)))
        except OSError:
            pass  # the worker went away mid-request, or close() cut the connection
        finally:
            with self._lock:
                self._sockets.discard(sock)
            _shut(sock)
            sock.close()

    def _answer(self, sock: socket.socket, connection: h11.Connection, request: h11.Request, body: bytes) -> bool:
        """Answer one request; False when the connection must end (the endpoint is closing)."""
        path = request.target.decode("latin-1")
        if request.method == b"GET" and path == NEXT:
            invocation = self._next()
            if invocation is None:
                return False
            _send(sock, connection, 200, invocation.headers(), invocation.payload)
            return True
        headers = {name: value.decode("latin-1") for name, value in request.headers}
        error_type = headers.get(ERROR_TYPE_HEADER)
        if request.method == b"POST" and path == INIT_ERROR:
            settle(self.initialized, exception=InitError(body, error_type or "Unhandled"))
            _send(sock, connection, *_ACCEPTED)
            return True
        request_id, _, action = path.removeprefix(INVOCATION).partition("/")
        if request.method != b"POST" or not path.startswith(INVOCATION) or action not in ("response", "error"):
            _send(sock, connection, *_error(404, "NotFound", f"Unknown path {path}"))
            return True
        result = RuntimeResult(body, headers.get(b"content-type", "application/json"),
                               (error_type or "Unhandled") if action == "error" else None, time.monotonic())
        with self._lock:
            invocation = self._running.pop(request_id, None)
        # A result for no running invocation, or one that has already ended (timed out), is refused.
        if invocation is not None and settle(invocation.future, result):
            _send(sock, connection, *_ACCEPTED)
        else:
            _send(sock, connection, *_error(400, "InvalidRequestID", "Invalid request ID"))
        return True

    def _next(self) -> Invocation | None:
        """The runtime asks for work: its init is over; wait for an invocation (None once closed)."""
        settle(self.initialized, time.monotonic())
        with self._lock:
            self._lock.wait_for(lambda: self._waiting or self._closed)
            if self._closed:
                return None
            invocation = self._waiting.popleft()
            self._running[invocation.request_id] = invocation
            return invocation


def _read_request(sock: socket.socket, connection: h11.Connection) -> tuple[h11.Request, bytes] | None:
    """The next whole request and its body, read as it arrives; None when the client hung up."""
    request, body = None, []
    while True:
        event = connection.next_event()
        if event is h11.NEED_DATA:
            connection.receive_data(sock.recv(RECEIVE))
        elif isinstance(event, h11.Request):
            request = event
            if connection.they_are_waiting_for_100_continue:  # curl waits for this before a large body
                sock.sendall(connection.send(h11.InformationalResponse(status_code=100, headers=[], reason=b"Continue")))
        elif isinstance(event, h11.Data):
            body.append(event.data)
        elif isinstance(event, h11.EndOfMessage):
            return request, b"".join(body)
        elif isinstance(event, h11.ConnectionClosed):
            return None


def _send(sock: socket.socket, connection: h11.Connection, status: int, headers: list[tuple[str, str]],
          body: bytes) -> None:
    response = h11.Response(status_code=status, headers=headers, reason=HTTPStatus(status).phrase)
    sock.sendall(connection.send(response) + connection.send(h11.Data(data=body))
                 + connection.send(h11.EndOfMessage()))


def _json_reply(status: int, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
    return status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))], body


def _error(status: int, error_type: str, message: str) -> tuple[int, list[tuple[str, str]], bytes]:
    return _json_reply(status, json.dumps({"errorMessage": message, "errorType": error_type}).encode())


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


_ACCEPTED = _json_reply(202, b'{"status":"OK"}')
