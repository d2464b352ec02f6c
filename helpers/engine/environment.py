"""An execution environment: one worker process running the Lambda runtime, with its own log stream."""

import json
import os
import resource
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

from . import logs, procfs
from .errors import ServiceException, platform_error
from .runtime_api import Connection, Invocation, RuntimeAPIEndpoint
from .spec import FunctionSpec
from .worker_output import WorkerOutput

INIT_TIMEOUT = 10.0  # seconds AWS gives the init phase of an on-demand environment
EXIT_WAIT = 5.0  # seconds to wait for a killed worker's last output
# AWS's limit is 6 MB, but its error message (and its check) says 6291556, 100 bytes more.
MAX_RESPONSE_BYTES = 6291556
_MB = 1024 * 1024


@dataclass
class Outcome:
    """What one invocation produced, as the platform saw it."""

    payload: bytes
    error_type: str | None  # None when the function succeeded
    duration_ms: float
    init_duration_ms: float | None  # set when this invocation paid for the environment's init
    log_lines: Sequence[str]  # the invocation's log, as far as LogType=Tail needs it

    @property
    def log_tail(self) -> str:
        """base64 of the last 4 KB of the invocation's log (encoded only for callers who ask for it)."""
        return logs.tail(self.log_lines)


def _exit_reason(returncode: int) -> str:
    # Worded like the Go runtime interface AWS runs (os/exec's ProcessState), as AWS shows it.
    if returncode < 0:
        return "Runtime exited with error: signal: " + (signal.strsignal(-returncode) or str(-returncode)).lower()
    if returncode == 0:
        return "Runtime exited without providing a reason"
    return f"Runtime exited with error: exit status {returncode}"


class ExecutionEnvironment:
    """One Lambda execution environment: a worker process, its Runtime API port and its log stream."""

    def __init__(self, spec: FunctionSpec, *, init_type: str, command: Sequence[str], env: Mapping[str, str],
                 task_root: str, log_sink: logs.LogSink | None,
                 on_exit: Callable[["ExecutionEnvironment"], None]):
        self.spec = spec
        self.init_type = init_type
        self.task_root = task_root
        self.invocations = 0
        # Pool bookkeeping, owned by the engine under its lock.
        self.busy = False
        self.retiring = False
        self.idle_since = time.monotonic()
        self.log = logs.LogStream(spec.log_group_name, logs.log_stream_name(spec.version), log_sink)
        self._command = list(command)
        self._env = {**env, "AWS_LAMBDA_LOG_STREAM_NAME": self.log.name, "AWS_LAMBDA_INITIALIZATION_TYPE": init_type}
        self._on_exit = on_exit
        self._cond = threading.Condition()
        self._pending: Invocation | None = None  # waiting for the worker's next GET /next
        self._polling: list[Connection] = []  # the worker's GET /next, parked until there is work
        self._current: Invocation | None = None  # handed to the worker, no result yet
        self._spawned = 0.0
        self._initialized: float | None = None  # when the worker first asked for work
        self._init_error: tuple[bytes, str] | None = None
        self._exit: str | None = None  # how the worker ended, once it has been reaped
        self._closed = False
        self._peak_rss = 0
        self._inherited_peak = 0  # a bound on the peak RSS the worker's exec inherited from this process
        self._process: subprocess.Popen | None = None
        self._memory: procfs.ProcessMemory | None = None
        self._output: WorkerOutput | None = None
        self._watcher: threading.Thread | None = None
        self._reap_lock = threading.Lock()  # a pid must not be signalled after it has been reaped
        self._endpoint = RuntimeAPIEndpoint(self)

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    @property
    def initialized(self) -> bool:
        return self._initialized is not None and self._exit is None

    @property
    def alive(self) -> bool:
        return self._exit is None and not self._closed

    @property
    def init_failure(self) -> str | None:
        """Why the environment ended without finishing its init phase (None if it finished, or is in it)."""
        if self._initialized is not None or self._exit is None:
            return None
        if self._init_error is None:
            return self._exit
        body, error_type = self._init_error
        try:
            message = json.loads(body).get("errorMessage", "")
        except (ValueError, AttributeError):
            message = ""
        return f"{error_type}: {message}"

    @property
    def state(self) -> str:
        if not self.alive:
            return "dead"
        if self.busy:
            return "busy"
        return "idle" if self._initialized is not None else "initializing"

    def start(self) -> None:
        """Start the worker; its init phase runs until it first asks the Runtime API for work."""
        self.log.write(logs.init_start(self.spec.runtime, self.spec.region))
        self._spawned = time.monotonic()
        try:
            self._process = subprocess.Popen(
                self._command, cwd=self.task_root, env={**self._env, "AWS_LAMBDA_RUNTIME_API": self._endpoint.address},
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                # Its own process group, so killing the environment also kills whatever the handler spawned.
                start_new_session=True)
        except OSError as e:
            self._exit = f"could not start: {e}"
            self._endpoint.close()
            self._on_exit(self)
            raise ServiceException(f"Could not start the Lambda runtime: {e}") from e
        # exec() passes the spawning process's high-water mark on to the worker's rusage: read ours
        # after the spawn, and a worker peak above it can only be the worker's own.
        self._inherited_peak = procfs.rusage_peak(resource.getrusage(resource.RUSAGE_SELF)) or 0
        self._memory = procfs.ProcessMemory(self._process.pid)
        self._output = WorkerOutput(self._process.stdout, self.log.write)
        self._watcher = threading.Thread(target=self._watch, name=f"lambda-env-{self._process.pid}", daemon=True)
        self._watcher.start()

    def invoke(self, invocation: Invocation) -> Outcome:
        """Hand an invocation to the worker and wait for its result, enforcing the init limit and Timeout."""
        timed_out = False
        with self._cond:
            polling = self._polling.pop() if self._polling else None
            if polling is None:
                self._pending = invocation  # the worker takes it when it next asks
            else:
                self._start(invocation)
        if polling is not None:
            polling.deliver(invocation)  # outside the lock: a large event takes a while to send
        with self._cond:
            self._cond.wait_for(lambda: invocation.started is not None or self._init_error or self._exit,
                                INIT_TIMEOUT)
            if invocation.started is None:
                self._pending = None
                invocation.finished = time.monotonic()
            else:
                remaining = self.spec.timeout - (time.monotonic() - invocation.started)
                self._cond.wait_for(lambda: invocation.finished is not None or self._exit, remaining)
                timed_out = invocation.finished is None and self._exit is None
                if invocation.finished is None:
                    invocation.finished = time.monotonic()  # a late post from the worker is now refused
        if invocation.started is None:
            return self._not_started(invocation)
        if timed_out:
            return self._timed_out(invocation)
        if not invocation.answered:
            return self._exited(invocation)
        return self._finished(invocation)

    def _finished(self, invocation: Invocation) -> Outcome:
        self._output.drain()  # the worker wrote everything before it posted: it is in the pipe now
        if self._outgrew_memory():
            # Past MemorySize between two samples, and still alive: AWS's cgroup would have killed it there.
            self._kill_and_wait()
            return self._exited(invocation)
        if invocation.error_type is None and len(invocation.result) > MAX_RESPONSE_BYTES:
            message = f"Response payload size exceeded maximum allowed payload size ({MAX_RESPONSE_BYTES} bytes)."
            return self._report(invocation, platform_error("Function.ResponseSizeTooLarge", message),
                                "Function.ResponseSizeTooLarge")
        return self._report(invocation, invocation.result, invocation.error_type)

    def _timed_out(self, invocation: Invocation) -> Outcome:
        self._kill_and_wait()
        self.log.write(logs.timed_out(invocation.request_id, self.spec.timeout))
        message = f"RequestId: {invocation.request_id} Error: Task timed out after {self.spec.timeout:.2f} seconds"
        return self._report(invocation, platform_error("Sandbox.Timedout", message), "Sandbox.Timedout",
                            status="timeout")

    def _exited(self, invocation: Invocation) -> Outcome:
        message = f"RequestId: {invocation.request_id} Error: {self._exit}"
        self.log.write(f"{message}\nRuntime.ExitError")
        return self._report(invocation, platform_error("Runtime.ExitError", message), "Runtime.ExitError",
                            status="error")

    def _not_started(self, invocation: Invocation) -> Outcome:
        """The worker never took this invocation: its init failed, it crashed, or it ran out of time."""
        init_error, exit_reason, initialized = self._init_error, self._exit, self._initialized is not None
        self._kill_and_wait()
        if init_error is not None:
            payload, error_type = init_error
        elif exit_reason is not None:
            error_type = "Runtime.ExitError"
            payload = platform_error(error_type, f"RequestId: {invocation.request_id} Error: {exit_reason}")
        else:
            error_type = "Sandbox.Timedout"
            payload = platform_error(error_type, f"RequestId: {invocation.request_id} Error: "
                                                 f"Task timed out after {self.spec.timeout:.2f} seconds")
        init_ms = None
        if not initialized:
            init_ms = (invocation.finished - self._spawned) * 1000
            self.log.write(logs.init_report(init_ms, error_type))
        self.log.capture()
        self.log.write(logs.start(invocation.request_id, self.spec.version))
        invocation.started = invocation.finished
        return self._report(invocation, payload, error_type, status="error", init_ms=init_ms)

    def _report(self, invocation: Invocation, payload: bytes, error_type: str | None, status: str | None = None,
                init_ms: float | None = None) -> Outcome:
        """END and REPORT, then hand the stream's batch to the sink."""
        duration_ms = (invocation.finished - invocation.started) * 1000
        if init_ms is None and self.invocations == 1 and self.init_type == "on-demand":
            init_ms = (self._initialized - self._spawned) * 1000
        self._output.end_line()  # a last print(..., end="") belongs to this invocation
        self.log.write(logs.end(invocation.request_id))
        self.log.write(logs.report(
            invocation.request_id, duration_ms, self.spec.memory_size, self._max_memory_mb(), init_ms,
            status, error_type if status == "error" else None))
        lines = self.log.captured()
        self.log.flush()
        return Outcome(payload, error_type, duration_ms, init_ms, lines)

    def _outgrew_memory(self) -> bool:
        """Whether the worker's peak RSS so far is above MemorySize (read from the live worker)."""
        self._peak_rss = max(self._peak_rss, self._memory.peak() or 0)
        return self._peak_rss > self.spec.memory_size * _MB

    def _max_memory_mb(self) -> int:
        # A worker killed for memory overshot between two samples; AWS's cgroup stops exactly at the limit.
        return min(procfs.megabytes(self._peak_rss), self.spec.memory_size)

    # The Runtime API side, called on the endpoint's connection threads.

    def next_invocation(self, connection: Connection) -> bool:
        with self._cond:
            first = self._initialized is None
            if first:
                self._initialized = time.monotonic()
                self._cond.notify_all()
        if first:  # the init phase's log lines, now rather than at the first invocation's end
            self._output.drain()
            self.log.flush()
        with self._cond:
            self._current = None
            if self._closed or self._exit:
                return False
            invocation, self._pending = self._pending, None
            if invocation is None:
                self._polling.append(connection)  # the next invoke() answers it
                return True
            self._start(invocation)
            self._cond.notify_all()
        connection.deliver(invocation)
        return True

    def _start(self, invocation: Invocation) -> None:
        """Hand an invocation to the worker (called under the lock, just before it is sent)."""
        self._output.drain()  # what the worker printed before asking for work comes before START
        self.invocations += 1
        invocation.started = time.monotonic()
        invocation.deadline_ms = logs.now_ms() + self.spec.timeout * 1000
        self._current = invocation
        self.log.capture()
        self.log.write(logs.start(invocation.request_id, self.spec.version))

    def complete(self, request_id: str, body: bytes, content_type: str | None, error_type: str | None) -> bool:
        with self._cond:
            invocation = self._current
            if invocation is None or invocation.request_id != request_id or invocation.finished is not None:
                return False
            invocation.finished = time.monotonic()
            invocation.result = body
            invocation.content_type = content_type or "application/json"
            invocation.error_type = error_type
            self._cond.notify_all()
            return True

    def init_error(self, body: bytes, error_type: str | None) -> None:
        with self._cond:
            self._init_error = (body, error_type or "Unhandled")
            self._cond.notify_all()

    # Lifecycle.

    def check_memory(self) -> None:
        """Sample the worker's RSS while it runs code; above MemorySize it is killed, as AWS's cgroup would.

        Not RLIMIT_AS: it caps virtual memory, which for Python is far above what it uses. Not a cgroup:
        creating one needs privileges a laptop user doesn't have.
        """
        if self._memory is None or self._exit is not None or (self._initialized and self._current is None):
            return  # not started (the monitor may look between Popen and this environment's set-up), or idle
        rss = self._memory.rss()
        if rss is not None:
            self._peak_rss = max(self._peak_rss, rss)
            if rss > self.spec.memory_size * _MB:
                self.kill()

    def kill(self) -> None:
        """SIGKILL the worker and everything it started."""
        with self._reap_lock:
            if self._process is not None and self._process.returncode is None:
                try:
                    os.killpg(self._process.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass

    def stop(self) -> None:
        """End the environment now (retired, reclaimed, or the engine is stopping)."""
        with self._cond:
            self._closed = True
            polling, self._polling = self._polling, []
            self._cond.notify_all()
        for connection in polling:
            connection.hang_up()
        self.kill()

    def join(self, timeout: float | None = None) -> None:
        """Wait until the worker has been reaped and its port closed."""
        if self._watcher is not None:
            self._watcher.join(timeout)

    def _kill_and_wait(self) -> None:
        self.kill()
        with self._cond:
            self._cond.wait_for(lambda: self._exit, EXIT_WAIT)

    def _watch(self) -> None:
        """Read the worker's output until it closes, then reap it and tell the engine it has ended."""
        self._output.read_until_eof()
        returncode, peak = self._reap()
        self._memory.close()
        self._endpoint.close()
        with self._cond:
            self._peak_rss = max(self._peak_rss, peak or 0)
            if self._peak_rss > self.spec.memory_size * _MB:
                # However it ended (a MemoryError, a crash, even exit 0), it went past MemorySize
                # first, and there AWS's cgroup would have killed it.
                returncode = -signal.SIGKILL
            self._exit = _exit_reason(returncode)
            self._polling.clear()
        self._on_exit(self)  # the engine forgets this environment before anyone waiting on it wakes up
        with self._cond:
            self._cond.notify_all()
        self.log.flush()

    def _reap(self) -> tuple[int, int | None]:
        """The worker's exit status, and its peak RSS over its whole life (None where unknown)."""
        # End of output almost always means the process has exited; poll briefly rather than block
        # in wait() while holding the lock that kill() needs.
        delay = 0.001
        while True:
            with self._reap_lock:
                # wait4, not Popen.poll(): its rusage holds the peak RSS, which /proc no longer shows
                # once the process has exited, and a worker can race past the limit between samples.
                pid, status, usage = os.wait4(self._process.pid, os.WNOHANG)
                if pid:
                    self._process.returncode = os.waitstatus_to_exitcode(status)  # Popen must not reap it again
                    peak = procfs.rusage_peak(usage)
                    return self._process.returncode, peak if peak and peak > self._inherited_peak else None
            time.sleep(delay)
            delay = min(delay * 2, 0.1)
