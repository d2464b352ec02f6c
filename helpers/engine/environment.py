"""An execution environment: one worker process, its Runtime API port, its limits and its log stream."""

import signal
import threading
import time
from concurrent.futures import CancelledError
from typing import Callable, Mapping, Sequence

from . import logs
from .errors import ServiceException, platform_error
from .interpreters import Interpreter
from .invocation import InitError, Invocation, RuntimeEnded, RuntimeResult, settle
from .lifecycle import PROVISIONED, Lifecycle, State
from .limits import INIT_TIMEOUT, MAX_RESPONSE_BYTES, MemoryLimit
from .reporting import Outcome, Reporter
from .runtime_api import RuntimeAPIEndpoint
from .spec import FunctionSpec
from .worker import Worker, exit_reason

EXIT_WAIT = 5.0  # seconds to wait for a killed worker to be reaped


class ExecutionEnvironment:
    """One Lambda execution environment; its lifecycle says where it is (see helpers.engine.lifecycle)."""

    def __init__(self, spec: FunctionSpec, *, init_type: str, command: Sequence[str], interpreter: Interpreter,
                 env: Mapping[str, str], task_root: str, log_sink: logs.LogSink | None,
                 on_exit: Callable[["ExecutionEnvironment"], None]):
        self.spec = spec
        self.interpreter = interpreter
        self.init_type = init_type
        self.invocations = 0
        # Pool bookkeeping, owned by the engine under its lock.
        self.retiring = False
        self.idle_since = time.monotonic()
        self.lifecycle = Lifecycle()
        self.log = logs.LogStream(spec.log_group_name, logs.log_stream_name(spec.version), log_sink,
                                  system_log_level=(spec.system_log_level or "INFO") if spec.log_format == "JSON" else None)
        self._report = Reporter(self.log, spec.version, spec.memory_size, spec.timeout)
        self._memory = MemoryLimit(spec.memory_size)
        self._endpoint = RuntimeAPIEndpoint()
        self._worker = Worker(command, {**env, "AWS_LAMBDA_LOG_STREAM_NAME": self.log.name,
                                        "AWS_LAMBDA_INITIALIZATION_TYPE": init_type,
                                        "AWS_LAMBDA_RUNTIME_API": self._endpoint.address},
                              task_root, self.log.write)
        self._on_exit = on_exit
        self._current: Invocation | None = None  # the invocation the runtime has been given, until it ends
        self._end: RuntimeEnded | None = None  # how the worker ended, once it has been reaped
        self._spawned = 0.0
        self._init_ms: float | None = None  # the init phase's length, for an on-demand environment's first REPORT
        self._ended = threading.Event()

    @property
    def state(self) -> State:
        return self.lifecycle.state

    @property
    def pid(self) -> int | None:
        return self._worker.pid

    @property
    def alive(self) -> bool:
        return self.state not in (State.STOPPING, State.ENDED)

    @property
    def init_failure(self) -> str | None:
        """Why the environment ended without finishing its init phase (None if it finished, or is in it)."""
        initialized = self._endpoint.initialized
        if not initialized.done() or initialized.cancelled() or initialized.exception() is None:
            return None
        error = initialized.exception()
        return error.reason if isinstance(error, InitError) else str(error)

    def start(self) -> None:
        """Start the worker; its init phase runs until it first asks the Runtime API for work."""
        self.log.write(logs.init_start(self.interpreter, self.spec.region, self.spec.function_name,
                                       self.spec.version, self.init_type))
        self._spawned = time.monotonic()
        try:
            self._worker.start(self._worker_ended)
        except OSError as e:
            settle(self._endpoint.initialized, exception=RuntimeEnded(f"could not start: {e}"))
            self.lifecycle.stop()
            self._endpoint.close()
            self._on_exit(self)
            self.lifecycle.move(State.ENDED)
            self._ended.set()
            raise ServiceException(f"Could not start the Lambda runtime: {e}") from e
        if not self.lifecycle.move(State.INITIALIZING, expect=State.STARTING):
            self._worker.kill()  # stopped while it was being spawned
        elif self.init_type == PROVISIONED:  # no invocation waits for it: it is ready once its init is over
            self._endpoint.initialized.add_done_callback(self._provisioned_ready)

    def _provisioned_ready(self, initialized) -> None:
        if not initialized.cancelled() and initialized.exception() is None:
            self._flush_init_lines()
            self.lifecycle.move(State.IDLE, expect=State.INITIALIZING)

    def _flush_init_lines(self) -> None:
        """The init phase's log lines, now rather than at the first invocation's end."""
        self._worker.drain_output()
        self.log.flush()

    def invoke(self, invocation: Invocation) -> Outcome:
        """Run an invocation (the environment is BUSY, or INITIALIZING for it), enforcing the init limit and Timeout."""
        if self.state is State.INITIALIZING and not self._finish_init():
            return self._not_started(invocation)
        self.invocations += 1
        # The first invocation of an on-demand environment reports its init phase (and is billed for it).
        init_ms, self._init_ms = self._init_ms, None
        started = time.monotonic()
        invocation.deadline_ms = logs.now_ms() + int(self.spec.timeout * 1000)
        self._report.start(invocation.request_id, invocation.log_tail)
        self._current = invocation
        if self._end is not None:  # the worker ended between two invocations, before this one was handed over
            settle(invocation.future, exception=self._end)
        self._endpoint.submit(invocation)
        try:
            result = self._result(invocation)
        except RuntimeEnded as ended:
            self._kill_and_wait()  # reaped already: this waits for the engine to have forgotten it
            return self._exited(invocation, started, str(ended), init_ms)
        finally:
            self._current = None
        if result is None:
            self._kill_and_wait()
            payload = self._report.timed_out(invocation.request_id)
            return self._finish(invocation, started, time.monotonic(), payload, "Sandbox.Timedout", init_ms,
                                status="timeout")
        return self._finished(invocation, started, result, init_ms)

    def _result(self, invocation: Invocation) -> RuntimeResult | None:
        """What the runtime posted, or None when Timeout passed first; RuntimeEnded when the worker ended."""
        try:
            return invocation.future.result(self.spec.timeout)
        except TimeoutError:
            if invocation.future.cancel():  # a late post from the runtime is now refused
                return None
            return invocation.future.result()  # it was answered (or failed) just now
        except CancelledError:
            return None

    def _finish_init(self) -> bool:
        """Wait for the init phase to end: whether the environment is now BUSY with this invocation."""
        try:
            ready = self._endpoint.initialized.result(INIT_TIMEOUT)
        except (TimeoutError, InitError, RuntimeEnded, CancelledError):
            return False
        if self.init_type != PROVISIONED:
            self._init_ms = (ready - self._spawned) * 1000
        self._flush_init_lines()
        return self.lifecycle.move(State.BUSY, expect=State.INITIALIZING)

    def _finished(self, invocation: Invocation, started: float, result: RuntimeResult,
                  init_ms: float | None) -> Outcome:
        if self._memory.check_peak(self._worker.memory):
            # Past MemorySize between two samples, and still alive: AWS's cgroup would have killed it there.
            self._kill_and_wait()
            return self._exited(invocation, started, exit_reason(-signal.SIGKILL), init_ms)
        payload, error_type = result.payload, result.error_type
        if error_type is None and len(payload) > MAX_RESPONSE_BYTES:
            error_type = "Function.ResponseSizeTooLarge"
            payload = platform_error(error_type, "Response payload size exceeded maximum allowed payload size "
                                                 f"({MAX_RESPONSE_BYTES} bytes).")
        return self._finish(invocation, started, result.received, payload, error_type, init_ms)

    def _exited(self, invocation: Invocation, started: float, reason: str, init_ms: float | None) -> Outcome:
        payload = self._report.exited(invocation.request_id, reason)
        return self._finish(invocation, started, time.monotonic(), payload, "Runtime.ExitError", init_ms,
                            status="error")

    def _finish(self, invocation: Invocation, started: float, finished: float, payload: bytes,
                error_type: str | None, init_ms: float | None, status: str | None = None) -> Outcome:
        # The worker wrote everything before it posted; a last print(..., end="") belongs to this invocation.
        self._worker.drain_output(end_line=True)
        return self._report.finish(invocation.request_id, payload, error_type, (finished - started) * 1000,
                                   self._memory.max_used_mb, status=status, init_ms=init_ms)

    def _not_started(self, invocation: Invocation) -> Outcome:
        """The worker never took this invocation: its init failed, it crashed, or it ran out of time."""
        initialized = self._endpoint.initialized
        failure = initialized.exception() if initialized.done() and not initialized.cancelled() else None
        init_over = initialized.done() and failure is None  # and then it was stopped, before it could run this
        self._kill_and_wait()
        finished = time.monotonic()
        if isinstance(failure, InitError):
            payload, error_type = failure.body, failure.error_type
        elif isinstance(failure, RuntimeEnded):
            error_type = "Runtime.ExitError"
            payload = platform_error(error_type, f"RequestId: {invocation.request_id} Error: {failure}")
        else:
            error_type = "Sandbox.Timedout"
            payload = platform_error(error_type, f"RequestId: {invocation.request_id} Error: "
                                                 f"Task timed out after {self.spec.timeout:.2f} seconds")
        init_ms = None
        if not init_over:
            init_ms = (finished - self._spawned) * 1000
            self._report.init_failed(init_ms, error_type)
        self._report.start(invocation.request_id, invocation.log_tail)
        return self._finish(invocation, finished, finished, payload, error_type, init_ms, status="error")

    # Limits and the end of the environment.

    def check_memory(self) -> None:
        """Sample the worker's RSS while it runs code; above MemorySize it is killed, as AWS's cgroup would."""
        if self.state in (State.INITIALIZING, State.BUSY) and self._memory.sample(self._worker.memory):
            self._worker.kill()

    def stop(self) -> None:
        """End the environment now (retired, reclaimed, or the engine is stopping)."""
        if self.lifecycle.stop():
            self._worker.kill()  # the watcher reaps it and ends the environment

    def join(self, timeout: float | None = None) -> None:
        """Wait until the worker has been reaped and its port closed."""
        self._worker.join(timeout)

    def _kill_and_wait(self) -> None:
        self._worker.kill()
        self._ended.wait(EXIT_WAIT)

    def _worker_ended(self, returncode: int, peak: int | None) -> None:
        """On the worker's watcher thread, once it has been reaped: end the environment."""
        self._endpoint.close()
        # However it ended (a MemoryError, a crash, even exit 0), a worker that went past MemorySize did
        # so first, and there AWS's cgroup would have killed it.
        self._end = ended = RuntimeEnded(exit_reason(-signal.SIGKILL if self._memory.seen(peak) else returncode))
        self.lifecycle.stop()
        settle(self._endpoint.initialized, exception=ended)
        current = self._current
        if current is not None:
            settle(current.future, exception=ended)
        self._on_exit(self)  # the engine forgets this environment before anyone waiting on it goes on
        self.lifecycle.move(State.ENDED)
        self._ended.set()
        self.log.flush()
