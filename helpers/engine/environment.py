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
from .interpreters import Interpreter
from .runtime_api import DONE, Invocation, RuntimeAPIEndpoint
from .runtime_connection import Connection
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
    log_lines: Sequence[str]  # the invocation's log, as far as LogType=Tail needs it (if it asked)

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

    def __init__(self, spec: FunctionSpec, *, init_type: str, command: Sequence[str], interpreter: Interpreter,
                 env: Mapping[str, str], task_root: str, log_sink: logs.LogSink | None,
                 on_exit: Callable[["ExecutionEnvironment"], None]):
        self.spec = spec
        self.interpreter = interpreter
        self.init_type = init_type
        self.task_root = task_root
        self.invocations = 0
        # Pool bookkeeping, owned by the engine under its lock.
        self.busy = False
        self.retiring = False
        self.idle_since = time.monotonic()
        self.log = logs.LogStream(spec.log_group_name, logs.log_stream_name(spec.version), log_sink,
                                  system_log_level=(spec.system_log_level or "INFO") if spec.log_format == "JSON" else None)
        self._command = list(command)
        self._env = {**env, "AWS_LAMBDA_LOG_STREAM_NAME": self.log.name, "AWS_LAMBDA_INITIALIZATION_TYPE": init_type}
        self._on_exit = on_exit
        self._cond = threading.Condition()
        # The worker's connections that no thread reads now: those whose GET /next waits for work, and
        # those whose next request has not been read yet (the next invoke() reads it first).
        self._parked: list[Connection] = []
        self._unread: list[Connection] = []
        self._current: Invocation | None = None  # handed to the worker, no result yet
        self._spawned = 0.0
        self._initialized: float | None = None  # when the worker first asked for work
        self._init_error: tuple[bytes, str] | None = None
        self._exit: str | None = None  # how the worker ended, once it has been reaped
        self._ended = False  # reaped, and the engine has forgotten this environment
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
        self.log.write(logs.init_start(self.interpreter, self.spec.region, self.spec.function_name,
                                       self.spec.version, self.init_type))
        # Under the lock: a worker's first GET /next (next_invocation) must find its output and memory
        # watched, even when this thread loses the GIL for longer than the worker takes to start.
        with self._cond:
            self._spawned = time.monotonic()
            try:
                self._process = subprocess.Popen(
                    self._command, cwd=self.task_root,
                    env={**self._env, "AWS_LAMBDA_RUNTIME_API": self._endpoint.address},
                    stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                    # Its own process group, so killing the environment also kills whatever the handler spawned.
                    start_new_session=True)
            except OSError as e:
                self._exit = f"could not start: {e}"
                failure: OSError | None = e
            else:
                failure = None
                # exec() passes the spawning process's high-water mark on to the worker's rusage: read ours
                # after the spawn, and a worker peak above it can only be the worker's own.
                self._inherited_peak = procfs.rusage_peak(resource.getrusage(resource.RUSAGE_SELF)) or 0
                self._memory = procfs.ProcessMemory(self._process.pid)
                self._output = WorkerOutput(self._process.stdout, self.log.write)
                self._watcher = threading.Thread(target=self._watch, name=f"lambda-env-{self._process.pid}",
                                                 daemon=True)
                self._watcher.start()
        if failure is not None:  # outside the lock: the engine's lock is taken before an environment's
            self._endpoint.close()
            self._on_exit(self)
            raise ServiceException(f"Could not start the Lambda runtime: {failure}") from failure

    def invoke(self, invocation: Invocation) -> Outcome:
        """Hand an invocation to the worker and wait for its result, enforcing the init limit and Timeout.

        The calling thread does the Runtime API's I/O itself (see runtime_api): it writes the event on
        the worker's parked GET /next and reads the runtime's answer from the same connection.
        """
        connection = self._ready_connection(invocation)
        if connection is None:
            return self._not_started(invocation)
        deadline = invocation.started + self.spec.timeout
        served = self._endpoint.exchange(connection, invocation.message(), deadline,
                                         lambda: invocation.finished is not None or self._exit is not None)
        if served == DONE:
            self._keep_unread(connection)
        timed_out = False
        if invocation.finished is None:  # set once, under the lock: once set it stays
            with self._cond:
                # The connection ended (the worker died: wait for its reaping), or the result may still
                # come on another connection.
                self._cond.wait_for(lambda: invocation.finished is not None or self._ended,
                                    deadline - time.monotonic())
                timed_out = invocation.finished is None and self._exit is None
                if invocation.finished is None:
                    invocation.finished = time.monotonic()  # a late post from the worker is now refused
        if timed_out:
            return self._timed_out(invocation)
        if not invocation.answered:
            return self._exited(invocation)
        return self._finished(invocation)

    def _ready_connection(self, invocation: Invocation) -> Connection | None:
        """Start `invocation` on a connection whose GET /next waits for work, waiting up to the init limit.

        None when the worker never asked for it (its init failed, it ended, or it ran out of time).
        """
        deadline = time.monotonic() + INIT_TIMEOUT
        ready = lambda: self._parked or self._unread or self._init_error or self._ended
        while True:
            with self._cond:
                if not ready():
                    self._cond.wait_for(ready, deadline - time.monotonic())
                if self._parked:
                    connection = self._parked.pop()
                    self._start(invocation)
                    hung_up = self._hung_up_unread()
                    break
                if self._init_error or self._ended or not self._unread:
                    invocation.finished = time.monotonic()
                    return None
                connection = self._unread.pop()
            # A runtime that asks for work only after the 202 to its result: read its GET /next now.
            asked_elsewhere = lambda: bool(self._parked) or self._exit is not None
            if self._endpoint.serve(connection, deadline, asked_elsewhere) == DONE:
                self._keep_unread(connection)
        for stale in hung_up:
            stale.close()
        return connection

    def _hung_up_unread(self) -> list[Connection]:
        """Unread connections the runtime has closed, taken out (called under the lock).

        A runtime that moved to another connection may close the old one only after the invocation
        was over; unread, and passed over for parked ones, it would stay open for the worker's life.
        """
        if not self._unread:
            return []
        hung_up = [connection for connection in self._unread if connection.hung_up()]
        self._unread = [connection for connection in self._unread if connection not in hung_up]
        return hung_up

    def _keep_unread(self, connection: Connection) -> None:
        """Leave a connection for the next invoke() to read, or hang up if the environment is ending."""
        with self._cond:
            if not self._closed and self._exit is None:
                if self._current is not None and self._current.finished is not None:
                    # Its result is in: idle from here, as once its GET /next is read (see check_memory).
                    self._current = None
                self._unread.append(connection)
                return
        connection.close()

    def _finished(self, invocation: Invocation) -> Outcome:
        # The worker wrote everything before it posted. When it says the pipe was empty then, the
        # reader thread has read it all, and _report()'s end_line() waits for it to finish the lines.
        if invocation.output_pending != 0:
            self._output.drain()
        if self._outgrew_memory(invocation.peak_rss):
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
        if invocation.log_tail:
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

    def _outgrew_memory(self, reported: int | None = None) -> bool:
        """Whether the worker's peak RSS so far is above MemorySize (as it reported, or read from outside)."""
        self._peak_rss = max(self._peak_rss, (self._memory.peak() if reported is None else reported) or 0)
        return self._peak_rss > self.spec.memory_size * _MB

    def _max_memory_mb(self) -> int:
        # A worker killed for memory overshot between two samples; AWS's cgroup stops exactly at the limit.
        return min(procfs.megabytes(self._peak_rss), self.spec.memory_size)

    # The Runtime API side, called by whichever thread reads a connection (see runtime_api).

    def next_invocation(self, connection: Connection) -> bool:
        with self._cond:
            self._current = None
            first = self._initialized is None
            if first:
                self._initialized = time.monotonic()
            else:
                return self._park(connection)
        # The init phase's log lines, now rather than at the first invocation's end.
        self._output.drain()
        self.log.flush()
        with self._cond:
            return self._park(connection)

    def _park(self, connection: Connection) -> bool:
        """Keep a GET /next until invoke() answers it; False when the environment is ending (under the lock)."""
        if self._closed or self._exit:
            return False
        self._parked.append(connection)
        self._cond.notify_all()
        return True

    def _start(self, invocation: Invocation) -> None:
        """Hand an invocation to the worker (called under the lock, just before it is sent)."""
        # No drain of the worker's output here (a system call on every invocation): what it printed
        # between two invocations, with none running, reaches the log when the reader thread reads it.
        self.invocations += 1
        invocation.started = time.monotonic()
        invocation.deadline_ms = logs.now_ms() + self.spec.timeout * 1000
        self._current = invocation
        if invocation.log_tail:  # else no copy of each line is kept for a tail nobody asked for
            self.log.capture()
        self.log.write(logs.start(invocation.request_id, self.spec.version))

    def complete(self, request_id: str, body: bytes, content_type: str | None, error_type: str | None,
                 worker_state: tuple[int | None, int | None] = (None, None)) -> bool:
        with self._cond:
            invocation = self._current
            if invocation is None or invocation.request_id != request_id or invocation.finished is not None:
                return False
            invocation.finished = time.monotonic()
            invocation.result = body
            invocation.content_type = content_type or "application/json"
            invocation.error_type = error_type
            invocation.peak_rss, invocation.output_pending = worker_state
            self._cond.notify_all()
            return True

    def init_error(self, body: bytes, error_type: str | None) -> None:
        with self._cond:
            self._init_error = (body, error_type or "Unhandled")
            self._cond.notify_all()

    # Lifecycle.

    def check_memory(self, min_age: float = 0.0) -> None:
        """Sample the worker's RSS while it runs code; above MemorySize it is killed, as AWS's cgroup would.

        An invocation younger than `min_age` seconds is not sampled: the peak it reaches is checked
        when it ends, so a sample only matters for one that runs on, and skipping the short ones
        spares a /proc read per busy environment and tick under load.
        Not RLIMIT_AS: it caps virtual memory, which for Python is far above what it uses. Not a cgroup:
        creating one needs privileges a laptop user doesn't have.
        """
        if self._memory is None or self._exit is not None or (self._initialized and self._current is None):
            return  # not started (the monitor may look between Popen and this environment's set-up), or idle
        current = self._current
        if min_age and current is not None and current.started is not None \
                and time.monotonic() - current.started < min_age:
            return
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
            idle = self._take_idle_connections()
            self._cond.notify_all()
        for connection in idle:
            connection.close()  # the runtime's GET /next ends, and it exits
        self.kill()

    def _take_idle_connections(self) -> list[Connection]:
        """The connections no thread reads, now the environment's to close (called under the lock)."""
        idle = self._parked + self._unread
        self._parked, self._unread = [], []
        return idle

    def join(self, timeout: float | None = None) -> None:
        """Wait until the worker has been reaped and its port closed."""
        if self._watcher is not None:
            self._watcher.join(timeout)

    def _kill_and_wait(self) -> None:
        self.kill()
        with self._cond:
            self._cond.wait_for(lambda: self._ended, EXIT_WAIT)

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
            idle = self._take_idle_connections()
        for connection in idle:
            connection.close()
        self._on_exit(self)  # the engine forgets this environment before anyone waiting on it wakes up
        with self._cond:
            self._ended = True
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
