"""A worker's stdout and stderr turned into log events, one per line, the way Lambda captures them."""

import os
import select
import threading
from typing import Callable, IO

from .logs import MAX_EVENT_CHARS


class WorkerOutput:
    """Reads a worker's output pipe; `drain()` lets another thread consume everything written so far.

    The worker writes unbuffered, so all of a handler's output is in the pipe before it posts its
    response. `drain()` takes it out under the same lock the reader thread reads under, so START,
    the handler's lines and END come out in the order they happened.
    """

    def __init__(self, pipe: IO[bytes], on_line: Callable[[str], None]):
        self._pipe = pipe
        self._fd = pipe.fileno()
        os.set_blocking(self._fd, False)
        self._on_line = on_line
        self._lock = threading.Lock()
        self._ready = select.poll()  # drain()'s own: the reader thread may be blocked in its poller
        self._ready.register(self._fd, select.POLLIN)
        self._partial = b""
        self._eof = False

    def read_until_eof(self) -> None:
        """The reader thread's loop: wait for output, consume it, stop when the worker has closed the pipe."""
        poller = select.poll()
        poller.register(self._fd, select.POLLIN | select.POLLHUP)
        while self.drain():
            poller.poll()

    def drain(self) -> bool:
        """Consume every byte available now; False once the pipe has reached end of file."""
        with self._lock:
            if not self._eof and not self._ready.poll(0):
                return True  # nothing new (the common case), known without a read that fails
            while not self._eof:
                try:
                    data = os.read(self._fd, 1 << 16)
                except BlockingIOError:
                    return True
                if data:
                    self._feed(data)
                else:
                    self._eof = True
                    self._end_line()
                    self._pipe.close()
            return False

    def end_line(self) -> None:
        """Emit a final line the worker did not end with a newline (print(..., end=""))."""
        with self._lock:
            self._end_line()

    def _feed(self, data: bytes) -> None:
        *lines, self._partial = (self._partial + data).split(b"\n")
        for line in lines:
            self._emit(line)
        if len(self._partial) >= MAX_EVENT_CHARS:  # no newline in sight: don't let one line grow without end
            self._end_line()

    def _end_line(self) -> None:
        if self._partial:
            line, self._partial = self._partial, b""
            self._emit(line)

    def _emit(self, line: bytes) -> None:
        # The runtime separates the lines of one message (a traceback) with \r so they stay one event;
        # CloudWatch shows them as line breaks, and so do notebooks when they become \n.
        self._on_line(line.decode("utf-8", "replace").rstrip("\r").replace("\r", "\n"))
