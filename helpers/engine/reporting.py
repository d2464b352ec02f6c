"""What the platform writes about each invocation (START, END, REPORT and its failures) and returns for it."""

from dataclasses import dataclass
from typing import Sequence

from . import logs
from .errors import platform_error


@dataclass
class Outcome:
    """What one invocation produced, as the platform saw it."""

    payload: bytes
    error_type: str | None  # None when the function succeeded
    duration_ms: float
    init_duration_ms: float | None  # set when this invocation paid for the environment's init
    log_lines: Sequence[str]  # the invocation's log, as far as LogType=Tail needs it (if it asked)

    @property
    def log_tail(self) -> str:
        """base64 of the last 4 KB of the invocation's log (encoded only for callers who ask for it)."""
        return logs.tail(self.log_lines)


class Reporter:
    """Writes one environment's platform lines into its log stream."""

    def __init__(self, log: logs.LogStream, version: str, memory_size: int, timeout: float):
        self.log = log
        self._version = version
        self._memory_size = memory_size
        self._timeout = timeout

    def start(self, request_id: str, log_tail: bool) -> None:
        """START, after which the invocation's lines are kept for LogType=Tail if it asked."""
        if log_tail:  # else no copy of each line is kept for a tail nobody asked for
            self.log.capture()
        self.log.write(logs.start(request_id, self._version))

    def init_failed(self, init_ms: float, error_type: str) -> None:
        self.log.write(logs.init_report(init_ms, error_type))

    def timed_out(self, request_id: str) -> bytes:
        """The line and the payload of an invocation that ran out of time."""
        self.log.write(logs.timed_out(request_id, self._timeout))
        return platform_error("Sandbox.Timedout", f"RequestId: {request_id} Error: Task timed out after "
                                                  f"{self._timeout:.2f} seconds")

    def exited(self, request_id: str, reason: str) -> bytes:
        """The line and the payload of an invocation whose worker ended under it."""
        message = f"RequestId: {request_id} Error: {reason}"
        self.log.write(f"{message}\nRuntime.ExitError")
        return platform_error("Runtime.ExitError", message)

    def finish(self, request_id: str, payload: bytes, error_type: str | None, duration_ms: float,
               max_memory_mb: int, *, status: str | None = None, init_ms: float | None = None) -> Outcome:
        """END and REPORT, then hand the stream's batch to the sink."""
        self.log.write(logs.end(request_id))
        self.log.write(logs.report(request_id, duration_ms, self._memory_size, max_memory_mb, init_ms, status,
                                   error_type if status == "error" else None))
        lines = self.log.captured()
        self.log.flush()
        return Outcome(payload, error_type, duration_ms, init_ms, lines)
