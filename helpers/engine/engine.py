"""The Lambda data plane: pools of execution environments per function version, and their monitor."""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from typing import TYPE_CHECKING, Mapping, Protocol, Sequence

from . import interpreters, metrics
from .errors import EngineError, InvalidRuntimeException, ServiceException, TooManyRequestsException
from .event_queue import EventQueue
from .invocation import Invocation, new_ids
from .lifecycle import ON_DEMAND, PROVISIONED, State
from .logs import LogSink
from .metrics import MetricSink
from .pool import Pool, held
from .reporting import Outcome
from .results import EnvironmentInfo, InvokeResult
from .spec import FunctionSpec
from .task_root import TaskRoots
from .worker_launch import worker_command, worker_environment

if TYPE_CHECKING:
    from .environment import ExecutionEnvironment

EVENT_RETRY_WINDOW = 60.0  # seconds a throttled Event invocation is retried (AWS: up to 6 hours)

log = logging.getLogger(__name__)


class ExecutionRoles(Protocol):
    """What the engine asks about a function's execution role (the sandbox answers from IAM)."""

    def credentials(self, spec: FunctionSpec) -> Mapping[str, str]:
        """The role's temporary credentials, as the variables an execution environment gets."""

    def may_write_logs(self, spec: FunctionSpec, group: str, stream: str) -> bool:
        """Whether the role lets Lambda deliver the function's log events to this group and stream now."""


class Engine:
    """Runs Lambda functions in worker processes, with AWS's cold starts, limits, logs and metrics."""

    def __init__(self, *, worker_env: Mapping[str, str] = {}, log_sink: LogSink | None = None,
                 metric_sink: MetricSink | None = None, idle_timeout: float = 300.0, python: str = sys.executable,
                 runtime_command: Sequence[str] | None = None, roles: ExecutionRoles | None = None):
        """`runtime_command` replaces the built-in runtime, like a custom runtime's `bootstrap` (for
        example AWS's awslambdaric); it finds the handler in _HANDLER and the API in AWS_LAMBDA_RUNTIME_API.
        Otherwise a function runs on the interpreter its runtime names, if installed, else on `python`
        (see helpers.engine.interpreters). With `roles`, each environment gets its role's credentials,
        and its logs arrive only where the role may write them."""
        self.idle_timeout = idle_timeout  # seconds; may be changed while running
        self._python = python
        self._worker_env = dict(worker_env)
        self._log_sink = log_sink
        self._roles = roles
        self._metric_sink = metric_sink
        self._dir = tempfile.mkdtemp(prefix="lambda-engine-")
        try:
            self._home_dir = os.path.join(self._dir, "home")
            os.mkdir(self._home_dir)
            os.mkdir(os.path.join(self._dir, "task"))
        except BaseException:
            shutil.rmtree(self._dir, ignore_errors=True)
            raise
        self._runtime_command = list(runtime_command) if runtime_command else None
        self._workers: dict[str, tuple[interpreters.Interpreter, list[str]]] = {}  # per runtime
        self._task_roots = TaskRoots(os.path.join(self._dir, "task"))
        self._lock = threading.Lock()
        self._pools: dict[tuple[str, str], Pool] = {}
        self._busy: Counter[str] = Counter()  # environments running an invocation, per function ARN
        self._stopped = False
        self._stopping = threading.Event()
        self._events = EventQueue()
        self._monitor = threading.Thread(target=self._watch_environments, name="lambda-engine-monitor", daemon=True)
        self._monitor.start()
        atexit.register(self.stop)

    # Running functions. What the Invoke API accepts (payload, invocation type, client context) is
    # checked before a request gets here, by the Lambda service (helpers.sandbox.invoke_api).

    def check(self, spec: FunctionSpec) -> None:
        """Raise the error Lambda answers with when it cannot run `spec` at all (engine stopped, runtime missing)."""
        self._check_running()
        if not spec.runtime.startswith("python3"):
            raise InvalidRuntimeException(
                f"The runtime {spec.runtime} is not available in this sandbox, which runs Python functions only.")

    def invoke(self, spec: FunctionSpec, event: bytes, *, invoked_function_arn: str | None = None,
               client_context: str | None = None, log_tail: bool = False) -> InvokeResult:
        """Run a function version on `event` (JSON, delivered as it is) and wait for the result.

        `client_context` is the JSON the Runtime API hands on; `log_tail` asks for LogType=Tail's log.
        """
        self.check(spec)
        return self._run(spec, self._invocation(spec, event, invoked_function_arn, client_context, log_tail))

    def enqueue(self, spec: FunctionSpec, event: bytes, *, invoked_function_arn: str | None = None,
                client_context: str | None = None) -> str:
        """Queue an asynchronous (Event) invocation, retried while throttled; its request id."""
        self.check(spec)
        invocation = self._invocation(spec, event, invoked_function_arn, client_context, False)
        self._events.submit(lambda: self._run_event(spec, invocation))
        return invocation.request_id

    @staticmethod
    def _invocation(spec: FunctionSpec, event: bytes, invoked_function_arn: str | None, client_context: str | None,
                    log_tail: bool) -> Invocation:
        request_id, trace_id = new_ids()
        return Invocation(request_id, event, invoked_function_arn or spec.invoked_arn, client_context, trace_id,
                          log_tail=log_tail)

    def _run(self, spec: FunctionSpec, invocation: Invocation) -> InvokeResult:
        env, concurrent = self._acquire(spec)
        try:
            outcome = env.invoke(invocation)
        finally:
            self._release(env)
        if self._metric_sink is not None:
            self._publish(spec, metrics.invocation(spec.function_name, outcome.duration_ms,
                                                   outcome.error_type is not None, concurrent))
        return self._result(spec, invocation, outcome)

    @staticmethod
    def _result(spec: FunctionSpec, invocation: Invocation, outcome: Outcome) -> InvokeResult:
        return InvokeResult(
            status_code=200, payload=outcome.payload,
            function_error="Unhandled" if outcome.error_type else None,
            log_result=outcome.log_tail if invocation.log_tail else None, executed_version=spec.version,
            cold_start=outcome.init_duration_ms is not None, init_duration_ms=outcome.init_duration_ms,
            duration_ms=outcome.duration_ms, request_id=invocation.request_id)

    def _run_event(self, spec: FunctionSpec, invocation: Invocation) -> None:
        """Run a queued Event invocation, retrying while throttled, as Lambda's async queue does."""
        delay = 1.0
        deadline = time.monotonic() + EVENT_RETRY_WINDOW
        while True:
            try:
                self._run(spec, invocation)
                return
            except TooManyRequestsException:
                if time.monotonic() + delay > deadline or self._stopping.wait(delay):
                    log.warning("dropped throttled event %s for %s", invocation.request_id, spec.function_name)
                    return
                delay = min(delay * 2, 30.0)
            except EngineError as e:
                log.warning("event %s for %s failed: %s", invocation.request_id, spec.function_name, e.message)
                return

    # Environments.

    def _acquire(self, spec: FunctionSpec) -> tuple[ExecutionEnvironment, int]:
        """A warm environment, or a new one (a cold start); raises when reserved concurrency is used up."""
        with self._lock:
            self._check_running()
            pool, retired = self._pool(spec)
            concurrent = self._busy[spec.function_arn]
            throttled = spec.reserved_concurrency is not None and concurrent >= spec.reserved_concurrency
            if not throttled:
                env = pool.take_idle()
                cold = env is None
                if cold:  # unpacking new code happens here, once per code version
                    env = self._new_environment(pool, ON_DEMAND)
                else:
                    env.lifecycle.move(State.BUSY, expect=State.IDLE)
                self._busy[spec.function_arn] += 1
        if retired:
            self._top_up_provisioned(pool)
        if throttled:
            self._publish(spec, metrics.throttle(spec.function_name))
            raise TooManyRequestsException()
        if cold:
            try:
                env.start()
            except ServiceException:
                self._release(env)
                raise
        return env, concurrent + 1

    def _release(self, env: ExecutionEnvironment) -> None:
        with self._lock:
            env.idle_since = time.monotonic()
            self._busy[env.spec.function_arn] -= 1
            end = env.retiring or self._stopped
            if not end:  # not if it was stopped under the invocation (timed out, crashed)
                env.lifecycle.move(State.IDLE, expect=State.BUSY)
        if end:
            env.stop()

    def _pool(self, spec: FunctionSpec) -> tuple[Pool, bool]:
        """The version's pool, its old environments retired if the spec changed (called under the lock)."""
        key = (spec.function_arn, spec.version)
        pool = self._pools.get(key)
        if pool is None:
            pool = self._pools[key] = Pool(spec)
            return pool, False
        if pool.spec.identity == spec.identity:
            return pool, False
        # AWS retires environments when code or configuration changes: in-flight requests finish first.
        if pool.spec.code_sha256 != spec.code_sha256:
            self._task_roots.retire(pool.spec)
        pool.spec = spec
        pool.provisioned_failure = None
        for env in pool.environments:
            self._retire(env)
        return pool, True

    @staticmethod
    def _retire(env: ExecutionEnvironment) -> None:
        """Stop an environment now if it is free, or when its invocation ends (called under the lock)."""
        env.retiring = True
        if not held(env):
            env.stop()

    def _new_environment(self, pool: Pool, init_type: str) -> ExecutionEnvironment:
        """Create (not start) an environment for the pool's spec (called under the lock)."""
        spec = pool.spec
        interpreter, command = self._worker(spec.runtime)
        task_root = self._task_roots.acquire(spec)
        credentials = self._roles.credentials(spec) if self._roles is not None else {}
        # Loaded with the first environment, not when the sandbox starts: the Runtime API's HTTP library with it.
        from .environment import ExecutionEnvironment

        env = ExecutionEnvironment(
            spec, init_type=init_type, command=command, interpreter=interpreter, task_root=task_root,
            env=worker_environment(spec, task_root, interpreter, self._home_dir, self._worker_env, credentials),
            log_sink=self._environment_log_sink(spec), on_exit=self._environment_ended)
        pool.environments.append(env)
        return env

    def _environment_log_sink(self, spec: FunctionSpec) -> LogSink | None:
        """Where an environment's log events go: Lambda delivers them with the role's permissions, or drops them."""
        sink, roles = self._log_sink, self._roles
        if sink is None or roles is None:
            return sink

        def deliver(group: str, stream: str, events: list[tuple[int, str]]) -> None:
            if roles.may_write_logs(spec, group, stream):
                sink(group, stream, events)

        return deliver

    def _worker(self, runtime: str) -> tuple[interpreters.Interpreter, list[str]]:
        """The interpreter that runs `runtime` and the command starting a worker on it (called under the lock)."""
        if runtime not in self._workers:
            if self._runtime_command:
                self._workers[runtime] = interpreters.of(self._python), self._runtime_command
            else:
                interpreter = interpreters.for_runtime(runtime, self._python)
                self._workers[runtime] = interpreter, worker_command(self._dir, interpreter)
        return self._workers[runtime]

    def _environment_ended(self, env: ExecutionEnvironment) -> None:
        """Called on an environment's watcher thread once its worker has been reaped."""
        with self._lock:
            pool = self._pools.get((env.spec.function_arn, env.spec.version))
            if pool is not None and env in pool.environments:
                pool.environments.remove(env)
            # A provisioned environment whose init failed is not replaced: it would fail again, forever.
            if pool is not None and env.init_type == PROVISIONED and not env.retiring and not self._stopped:
                pool.provisioned_failure = pool.provisioned_failure or env.init_failure
        self._task_roots.release(env.spec)
        if pool is not None and env.init_type == PROVISIONED:
            self._top_up_provisioned(pool)

    def _top_up_provisioned(self, pool: Pool) -> None:
        """Start provisioned environments until the requested number are alive (unless init keeps failing)."""
        with self._lock:
            if self._stopped or pool.provisioned_failure is not None:
                return
            missing = pool.provisioned - len(pool.live_provisioned())
            new = [self._new_environment(pool, PROVISIONED) for _ in range(missing)]
        for env in new:
            try:
                env.start()
            except ServiceException:
                return  # recorded as the pool's provisioning failure when the environment ended

    def _watch_environments(self) -> None:
        """The engine's monitor: samples the memory of workers running code, reclaims idle ones."""
        interval = 0.1
        while not self._stopping.wait(interval):
            with self._lock:
                envs = [env for pool in self._pools.values() for env in pool.environments]
            for env in envs:
                env.check_memory()
            now = time.monotonic()
            with self._lock:
                for env in envs:
                    if (env.init_type == ON_DEMAND and env.state is State.IDLE and not env.retiring
                            and now - env.idle_since > self.idle_timeout):
                        self._retire(env)
                running = any(env.state in (State.INITIALIZING, State.BUSY) for env in envs)
            # Memory can grow fast: sample every 10 ms while code runs, relax when all is idle.
            interval = 0.01 if running else 0.1

    # Provisioned concurrency.

    def put_provisioned_concurrency(self, spec: FunctionSpec, count: int) -> None:
        """Keep `count` environments initialized ahead of invocations; they are used first."""
        with self._lock:
            self._check_running()
            pool, _ = self._pool(spec)
            pool.provisioned = count
            pool.provisioned_failure = None
            for env in pool.live_provisioned()[count:]:
                self._retire(env)
        self._top_up_provisioned(pool)

    def provisioned_status(self, spec: FunctionSpec) -> dict:
        """Requested and available provisioned environments, and IN_PROGRESS, READY or FAILED."""
        with self._lock:
            pool = self._pools.get((spec.function_arn, spec.version))
            requested = pool.provisioned if pool else 0
            available = sum(env.state in (State.IDLE, State.BUSY) for env in pool.live_provisioned()) if pool else 0
            failure = pool.provisioned_failure if pool else None
        status = {"requested": requested, "allocated": available, "available": available,
                  "status": "FAILED" if failure else "READY" if available >= requested else "IN_PROGRESS"}
        if failure:
            status["status_reason"] = failure
        return status

    def delete_provisioned_concurrency(self, spec: FunctionSpec) -> None:
        """Stop keeping environments ready; busy ones finish their invocation first."""
        with self._lock:
            pool = self._pools.get((spec.function_arn, spec.version))
            if pool is None:
                return
            pool.provisioned = 0
            pool.provisioned_failure = None
            for env in pool.live_provisioned():
                self._retire(env)

    # Introspection and shutdown.

    def environments(self, function_arn: str | None = None) -> list[EnvironmentInfo]:
        """The live environments, optionally of one function."""
        with self._lock:
            return [EnvironmentInfo(env.spec.function_arn, env.spec.version, env.pid, env.state, env.invocations,
                                    env.init_type, env.log.name)
                    for pool in self._pools.values() for env in pool.environments
                    if function_arn in (None, env.spec.function_arn)]

    def stop(self) -> None:
        """Kill every worker, join every thread, close every port, remove unpacked code. Idempotent."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
            envs = [env for pool in self._pools.values() for env in pool.environments]
        self._stopping.set()
        self._events.close()
        for env in envs:
            env.stop()
        for env in envs:
            env.join()
        self._monitor.join()
        self._events.join()
        shutil.rmtree(self._dir, ignore_errors=True)
        atexit.unregister(self.stop)

    def __enter__(self) -> "Engine":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def _check_running(self) -> None:
        if self._stopped:
            raise ServiceException("The Lambda engine has been stopped.")

    def _publish(self, spec: FunctionSpec, data: list[dict]) -> None:
        if self._metric_sink is None:
            return
        try:
            self._metric_sink(metrics.NAMESPACE, data)
        except Exception:
            log.exception("metric sink failed for %s", spec.function_name)
