"""The Lambda data plane: pools of execution environments per function version, and the Invoke API's rules."""

import atexit
import base64
import binascii
import json
import logging
import os
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from typing import Mapping, Protocol, Sequence

from . import interpreters, metrics
from .environment import ExecutionEnvironment, Outcome
from .errors import (EngineError, InvalidParameterValueException, InvalidRequestContentException,
                     InvalidRuntimeException, RequestEntityTooLargeException, ServiceException,
                     TooManyRequestsException)
from .event_queue import EventQueue
from .logs import LogSink
from .metrics import MetricSink
from .runtime_api import Invocation, new_ids
from .runtime_site import build_runtime_site
from .spec import FunctionSpec
from .task_root import TaskRoots

SYNC_PAYLOAD_LIMIT = 6291456  # 6 MB, RequestResponse
ASYNC_PAYLOAD_LIMIT = 1048576  # 1 MB, Event (raised from 256 KB in 2025)
EVENT_RETRY_WINDOW = 60.0  # seconds a throttled Event invocation is retried (AWS: up to 6 hours)
ON_DEMAND = "on-demand"
PROVISIONED = "provisioned-concurrency"
# Isolated (no site-packages, no PYTHON* variables, no user site directory) and unbuffered, so every
# print() reaches the log before the handler returns.
WORKER_FLAGS = ("-I", "-S", "-u")
BOOTSTRAP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bootstrap.py")

log = logging.getLogger(__name__)


@dataclass
class InvokeResult:
    """What the Invoke API returns, plus what a notebook wants to show about the run."""

    status_code: int  # 200 RequestResponse, 202 Event, 204 DryRun
    payload: bytes
    function_error: str | None  # "Unhandled" when the function failed
    log_result: str | None  # base64 of the last 4 KB of the log, with LogType=Tail
    executed_version: str
    cold_start: bool
    init_duration_ms: float | None
    duration_ms: float
    request_id: str


@dataclass(frozen=True)
class EnvironmentInfo:
    """A snapshot of one execution environment, for tests and notebooks."""

    function_arn: str
    version: str
    pid: int | None
    state: str  # initializing, idle, busy, dead
    invocations: int
    init_type: str  # on-demand or provisioned-concurrency
    log_stream_name: str


class ExecutionRoles(Protocol):
    """What the engine asks about a function's execution role (the sandbox answers from IAM)."""

    def credentials(self, spec: FunctionSpec) -> Mapping[str, str]:
        """The role's temporary credentials, as the variables an execution environment gets."""

    def may_write_logs(self, spec: FunctionSpec, group: str, stream: str) -> bool:
        """Whether the role lets Lambda deliver the function's log events to this group and stream now."""


class _Pool:
    """The environments of one function version, all built from its current spec (or retiring)."""

    def __init__(self, spec: FunctionSpec):
        self.spec = spec
        self.environments: list[ExecutionEnvironment] = []
        self.provisioned = 0
        self.provisioned_failure: str | None = None

    def take_idle(self) -> ExecutionEnvironment | None:
        """A warm environment: provisioned ones first, then the most recently used, so extras idle out."""
        idle = [env for env in self.environments if not env.busy and not env.retiring and env.initialized]
        provisioned = [env for env in idle if env.init_type == PROVISIONED]
        if provisioned:
            return provisioned[0]
        return max(idle, key=lambda env: env.idle_since, default=None)

    def live_provisioned(self) -> list[ExecutionEnvironment]:
        return [env for env in self.environments if env.init_type == PROVISIONED and not env.retiring and env.alive]


def _check_runtime(spec: FunctionSpec) -> None:
    if not spec.runtime.startswith("python3"):
        raise InvalidRuntimeException(
            f"The runtime {spec.runtime} is not available in this sandbox, which runs Python functions only.")


def _event_payload(payload: bytes, is_json: bool) -> bytes:
    if not payload:
        return b"{}"  # an Invoke without a payload delivers an empty object
    if is_json:
        return payload
    try:
        json.loads(payload)
    except ValueError as e:
        raise InvalidRequestContentException(
            f"Could not parse request body into json: Could not parse payload into json: {e}") from e
    return payload


def _client_context_json(client_context: str | None) -> str | None:
    """The Invoke API's base64 ClientContext as the one-line JSON the Runtime API header carries."""
    if client_context is None:
        return None
    try:
        value = json.loads(base64.b64decode(client_context, validate=True))
    except (ValueError, binascii.Error) as e:
        raise InvalidRequestContentException("Client context must be a valid Base64-encoded JSON object.") from e
    if not isinstance(value, dict):
        raise InvalidRequestContentException("Client context must be a valid Base64-encoded JSON object.")
    return json.dumps(value)


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
        self._pools: dict[tuple[str, str], _Pool] = {}
        self._busy: Counter[str] = Counter()  # environments running an invocation, per function ARN
        self._stopped = False
        self._stopping = threading.Event()
        self._events = EventQueue()
        self._monitor = threading.Thread(target=self._watch_environments, name="lambda-engine-monitor", daemon=True)
        self._monitor.start()
        atexit.register(self.stop)

    # The Invoke API.

    def invoke(self, spec: FunctionSpec, payload: bytes, *, invocation_type: str = "RequestResponse",
               log_type: str = "None", client_context: str | None = None,
               invoked_function_arn: str | None = None, payload_is_json: bool = False) -> InvokeResult:
        """Invoke a function version; `client_context` is the Invoke API's base64 ClientContext.

        The Invoke API refuses a payload that is not JSON, so it is parsed to check; a caller that
        serialized the payload itself (an integration building the event) says `payload_is_json`.
        """
        self._check_running()
        _check_runtime(spec)
        limit = ASYNC_PAYLOAD_LIMIT if invocation_type == "Event" else SYNC_PAYLOAD_LIMIT
        if len(payload) > limit:
            raise RequestEntityTooLargeException(limit, len(payload), invocation_type)
        request_id, trace_id = new_ids()
        invocation = Invocation(request_id, _event_payload(payload, payload_is_json),
                                invoked_function_arn or spec.invoked_arn, _client_context_json(client_context),
                                trace_id, log_tail=invocation_type == "RequestResponse" and log_type == "Tail")
        if invocation_type == "RequestResponse":
            return self._run(spec, invocation)
        if invocation_type == "Event":
            self._events.submit(lambda: self._run_event(spec, invocation))
            return InvokeResult(202, b"", None, None, spec.version, False, None, 0.0, invocation.request_id)
        if invocation_type == "DryRun":
            return InvokeResult(204, b"", None, None, spec.version, False, None, 0.0, invocation.request_id)
        raise InvalidParameterValueException(f"Unknown invocation type {invocation_type}")

    def _run(self, spec: FunctionSpec, invocation: Invocation) -> InvokeResult:
        env, concurrent = self._acquire(spec)
        try:
            outcome = env.invoke(invocation)
        finally:
            self._release(env)
        if self._metric_sink is not None:  # building the data costs as much as a few log lines
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
                env.busy = True
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
            env.busy = False
            env.idle_since = time.monotonic()
            self._busy[env.spec.function_arn] -= 1
            end = env.retiring or self._stopped
        if end:
            env.stop()

    def _pool(self, spec: FunctionSpec) -> tuple[_Pool, bool]:
        """The version's pool, its old environments retired if the spec changed (called under the lock)."""
        key = (spec.function_arn, spec.version)
        pool = self._pools.get(key)
        if pool is None:
            pool = self._pools[key] = _Pool(spec)
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
        if not env.busy:
            env.stop()

    def _new_environment(self, pool: _Pool, init_type: str) -> ExecutionEnvironment:
        """Create (not start) an environment for the pool's spec (called under the lock)."""
        spec = pool.spec
        interpreter, command = self._worker(spec.runtime)
        task_root = self._task_roots.acquire(spec)
        env = ExecutionEnvironment(spec, init_type=init_type, command=command, interpreter=interpreter,
                                   env=self._worker_environment(spec, task_root, interpreter), task_root=task_root,
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
                self._workers[runtime] = interpreter, self._worker_command(interpreter)
        return self._workers[runtime]

    def _worker_command(self, interpreter: interpreters.Interpreter) -> list[str]:
        """One runtime site per interpreter: its own boto3, or the kernel's (runtime_site says which)."""
        site = os.path.join(self._dir, "runtime-" + ".".join(map(str, interpreter.version)))
        # Bytecode the interpreter may not write next to borrowed packages is cached here, for this engine's workers.
        bytecode = site + "-bytecode"
        if not os.path.isdir(site):
            os.mkdir(site)
            if not build_runtime_site(interpreter.path, site):
                os.mkdir(bytecode)
        flags = [*WORKER_FLAGS, "-X", f"pycache_prefix={bytecode}"] if os.path.isdir(bytecode) else WORKER_FLAGS
        return [interpreter.path, *flags, BOOTSTRAP, site]

    def _worker_environment(self, spec: FunctionSpec, task_root: str,
                            interpreter: interpreters.Interpreter) -> dict[str, str]:
        """The worker's whole environment: nothing leaks in from this process (no profile, no credentials)."""
        sandbox = {
            "PATH": os.pathsep.join([os.path.dirname(interpreter.path), "/usr/local/bin", "/usr/bin", "/bin"]),
            "LANG": "en_US.UTF-8",
            "HOME": self._home_dir,  # empty: botocore must never find the notebook user's ~/.aws
            "AWS_EC2_METADATA_DISABLED": "true",  # no credentials must mean an error, not a call off loopback
        }
        runtime = {
            "AWS_LAMBDA_FUNCTION_NAME": spec.function_name,
            "AWS_LAMBDA_FUNCTION_VERSION": spec.version,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_size),
            "AWS_LAMBDA_LOG_GROUP_NAME": spec.log_group_name,
            "AWS_REGION": spec.region,
            "AWS_DEFAULT_REGION": spec.region,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
            "LAMBDA_TASK_ROOT": task_root,
            "LAMBDA_RUNTIME_DIR": os.path.dirname(BOOTSTRAP),
            "_HANDLER": spec.handler,
            "TZ": ":UTC",
        }
        credentials = self._roles.credentials(spec) if self._roles is not None else {}
        # The sandbox's endpoint and the role's credentials override the function's variables; the runtime's
        # own variables override everything, as AWS reserves them.
        return {**sandbox, **spec.environment, **self._worker_env, **credentials, **runtime}

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

    def _top_up_provisioned(self, pool: _Pool) -> None:
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
        """The engine's monitor: samples memory of running workers often, reclaims idle ones."""
        interval = 0.1
        while not self._stopping.wait(interval):
            with self._lock:
                envs = [env for pool in self._pools.values() for env in pool.environments]
            for env in envs:
                env.check_memory(min_age=interval)
            now = time.monotonic()
            with self._lock:
                expired = [env for env in envs
                           if env.init_type == ON_DEMAND and not env.busy and not env.retiring and env.initialized
                           and now - env.idle_since > self.idle_timeout]
                for env in expired:
                    self._retire(env)
                running = any(env.busy or env.state == "initializing" for env in envs)
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
            available = sum(env.initialized for env in pool.live_provisioned()) if pool else 0
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
