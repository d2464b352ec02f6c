"""Lambda's internal queue for asynchronous (Event) invocations."""

import logging
import queue
import threading
from typing import Callable

log = logging.getLogger(__name__)


class EventQueue:
    """Runs queued calls on a few daemon threads; `close()` drops what has not started."""

    def __init__(self, workers: int = 8):
        self._queue: queue.SimpleQueue[Callable[[], None] | None] = queue.SimpleQueue()
        self._workers = workers
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._closed = False

    def submit(self, call: Callable[[], None]) -> None:
        with self._lock:
            if self._closed:
                raise RuntimeError("the event queue is closed")
            self._queue.put(call)
            if len(self._threads) < self._workers:
                thread = threading.Thread(target=self._work, name=f"lambda-event-{len(self._threads)}", daemon=True)
                self._threads.append(thread)
                thread.start()

    def _work(self) -> None:
        while (call := self._queue.get()) is not None:
            try:
                call()
            except Exception:
                log.exception("asynchronous invocation failed")

    def close(self) -> None:
        """Refuse new calls and drop queued ones; running calls finish on their own."""
        with self._lock:
            self._closed = True
            while not self._queue.empty():
                self._queue.get_nowait()
            for _ in self._threads:
                self._queue.put(None)

    def join(self) -> None:
        for thread in self._threads:
            thread.join()
