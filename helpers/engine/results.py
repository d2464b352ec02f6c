"""What the engine reports: an invocation's result, and a snapshot of an execution environment."""

from dataclasses import dataclass

from .lifecycle import State


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
    state: State  # starting, initializing, idle, busy, stopping (ended ones are gone)
    invocations: int
    init_type: str  # on-demand or provisioned-concurrency
    log_stream_name: str
