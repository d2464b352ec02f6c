"""One runtime client's keep-alive HTTP/1.1 connection to the Runtime API, read with or without a deadline."""

import re
import select
import socket
import struct
import threading
import time
from typing import Callable

MAX_HEAD = 1 << 16  # request line and headers; a client sending more is not a runtime
RECEIVE = 1 << 16
RECEIVE_TIMEOUT = 0.1  # seconds a blocking recv() waits before its caller looks at the time (or not)
_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:[ \t]*(\d+)", re.IGNORECASE)

Request = tuple[str, str, dict[str, str], bytes]  # method, path, lower-cased headers, body


class BadRequest(Exception):
    """The client sent something that is not an HTTP/1.1 request we can answer."""


class Connection:
    """One runtime client's connection: requests in, responses out, one reading thread at a time.

    Lean on purpose: a runtime sends a request line, a few headers and a Content-Length body, and
    parsing them with http.server's email machinery was a measurable share of every invocation.
    The socket stays blocking, so a thread with nothing else to do just reads; a caller that must
    give up at a deadline (time.monotonic()) takes what has arrived, and then waits in recv() itself,
    bounded by the kernel's receive timeout (SO_RCVTIMEO) rather than a poll() first: every system
    call lets go of the GIL, and under load each one costs a turn in the queue for it.
    """

    def __init__(self, sock: socket.socket, on_close: Callable[["Connection"], None]):
        self._sock = sock
        self._buffer = bytearray()
        self._on_close = on_close
        self._lock = threading.Lock()  # cut() from another thread must not race close()
        self._closed = False
        self._owed = b""  # an answer held back to leave in the same write as the next one (see owe())
        self._eof = False  # the client has hung up; what it sent before may still be buffered
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # else Nagle + delayed ACK hold replies ~40 ms
        self._receive_timeout = 0.0  # how long a blocking recv() waits (SO_RCVTIMEO); 0: for ever

    def has_request(self) -> bool:
        """Whether a whole request is buffered already (the runtime pipelined it): reading it won't wait."""
        end = self._buffer.find(b"\r\n\r\n")
        if end < 0:
            return False
        length = _CONTENT_LENGTH.search(self._buffer, 0, end)
        return length is None or len(self._buffer) >= end + 4 + int(length[1])

    def hung_up(self) -> bool:
        """Whether the client has closed its end, seen without waiting and without consuming a request."""
        if self._buffer:
            return False
        if self._eof:
            return True
        try:
            return self._sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
        except BlockingIOError:
            return False
        except OSError:
            return True

    def wait(self, deadline: float, patience: float | None = None) -> bool:
        """Wait for the client to send (or hang up), buffering what it sent: False after `patience`
        seconds, TimeoutError at `deadline`."""
        if self._eof:
            return True
        give_up = deadline if patience is None else min(deadline, time.monotonic() + patience)
        while True:
            now = time.monotonic()
            if now >= deadline:
                raise TimeoutError("the runtime did not answer in time")
            if now >= give_up:
                return False
            if self._receive_within(give_up - now):
                return True

    def _receive_within(self, timeout: float | None) -> bool:
        """One recv() into the buffer, bounded as _limit_receive() says: whether anything came."""
        self._limit_receive(timeout)
        try:
            chunk = self._sock.recv(RECEIVE)
        except BlockingIOError:  # the receive timeout passed
            return False
        if chunk:
            self._buffer += chunk
        else:
            self._eof = True
        return True

    def _limit_receive(self, timeout: float | None) -> None:
        """Make blocking reads give up after `timeout` seconds or RECEIVE_TIMEOUT, whichever is shorter
        (the kernel rounds up to its clock tick); None: wait as long as it takes."""
        # Usually a whole RECEIVE_TIMEOUT, set once (a wait a hair shorter than that is one too: its
        # caller looks at the clock anyway); shorter only near a deadline.
        if timeout is None:
            wanted = 0.0  # SO_RCVTIMEO's "no timeout"
        elif timeout >= RECEIVE_TIMEOUT - 0.002:
            wanted = RECEIVE_TIMEOUT
        else:
            wanted = max(timeout, 0.001)
        if wanted != self._receive_timeout:
            self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO,
                                  struct.pack("ll", int(wanted), int(wanted % 1 * 1_000_000)))
            self._receive_timeout = wanted

    def read_request(self, deadline: float | None = None) -> Request | None:
        """The next request; None when the client hung up."""
        while (end := self._buffer.find(b"\r\n\r\n")) < 0:
            if len(self._buffer) > MAX_HEAD:
                raise BadRequest("request head too long")
            if not self._receive(deadline):
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
        return method, path, headers, self._read_body(length, deadline)

    def _read_body(self, length: int, deadline: float | None) -> bytes:
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
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                raise TimeoutError("the runtime did not answer in time")
            self._limit_receive(remaining)
            try:
                received = self._sock.recv_into(view[have:])
            except BlockingIOError:  # the receive timeout passed: look at the clock again
                continue
            if not received:
                raise ConnectionError("the runtime hung up in the middle of a request")
            have += received
        return bytes(body)

    def _receive(self, deadline: float | None) -> bool:
        """Add what the client sends next to the buffer; False once it has hung up."""
        if deadline is None:  # a thread with nothing else to do: wait as long as it takes
            self._receive_within(None)
        else:
            self.wait(deadline)  # what has arrived already comes back at once
        return not self._eof

    def owe(self, answer: bytes) -> None:
        """Send `answer` just before the next message, in the same write.

        For the 202 to a result when the runtime has already asked for its next invocation: it reads
        the 202 and then waits for the event anyway, so one write (one wake-up of the runtime) does both.
        """
        self._owed += answer

    def send(self, message: bytes, deadline: float | None = None) -> None:
        """Send all of `message`; with a deadline, TimeoutError if the client stops reading until then."""
        if self._owed:
            message, self._owed = self._owed + message, b""
        if deadline is None:
            self._sock.sendall(message)
            return
        view, sent = memoryview(message), 0
        writable = None
        while True:
            try:
                sent += self._sock.send(view[sent:], socket.MSG_DONTWAIT)
            except BlockingIOError:
                pass
            if sent == len(message):
                return
            if writable is None:  # a large event fills the socket buffer: wait for the runtime to read
                writable = select.poll()
                writable.register(self._sock, select.POLLOUT)
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not writable.poll(remaining * 1000):
                raise TimeoutError("the runtime did not read its event in time")

    def cut(self) -> None:
        """Shut the connection down from another thread: its reader sees it end (and closes it)."""
        with self._lock:
            if not self._closed:
                try:
                    self._sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self) -> None:
        """Hang up (a runtime waiting on GET /next sees the connection end, and exits) and free the socket."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            try:
                self._sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self._sock.close()
        self._on_close(self)
