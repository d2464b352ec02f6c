"""One invocation on its way through the Runtime API: its request, and the future its result comes back through."""

import json
import os
import time
import uuid
from concurrent.futures import Future, InvalidStateError
from dataclasses import dataclass, field


def new_ids() -> tuple[str, str]:
    """A new request id (a version-4 UUID) and an X-Ray trace header."""
    span = os.urandom(20).hex()
    return str(uuid.uuid4()), f"Root=1-{int(time.time()):08x}-{span[:24]};Parent={span[24:40]};Sampled=0"


@dataclass(frozen=True)
class RuntimeResult:
    """What the runtime posted for an invocation."""

    payload: bytes
    content_type: str
    error_type: str | None  # set when the runtime posted to /error
    received: float  # time.monotonic() when it arrived


class InitError(Exception):
    """The runtime reported that the function could not be initialized (/init/error)."""

    def __init__(self, body: bytes, error_type: str):
        super().__init__(error_type)
        self.body = body
        self.error_type = error_type

    @property
    def reason(self) -> str:
        """`errorType: errorMessage`, as a provisioned-concurrency status reason says it."""
        try:
            message = json.loads(self.body).get("errorMessage", "")
        except (ValueError, AttributeError):
            message = ""
        return f"{self.error_type}: {message}"


class RuntimeEnded(Exception):
    """The worker ended before it answered; the message says how, worded as AWS words it."""


@dataclass(eq=False)
class Invocation:
    """One request for the runtime; its future holds the RuntimeResult once the runtime has posted it."""

    request_id: str
    payload: bytes
    invoked_function_arn: str
    client_context: str | None = None  # JSON text, already decoded from the Invoke API's base64
    trace_id: str = field(default_factory=lambda: new_ids()[1])
    log_tail: bool = False  # collect its log lines for the Invoke API's LogType=Tail
    deadline_ms: int = 0
    future: Future = field(default_factory=Future)

    def headers(self) -> list[tuple[str, str]]:
        """The headers of the answer to GET /next."""
        headers = [("Content-Type", "application/json"), ("Lambda-Runtime-Aws-Request-Id", self.request_id),
                   ("Lambda-Runtime-Deadline-Ms", str(self.deadline_ms)),
                   ("Lambda-Runtime-Invoked-Function-Arn", self.invoked_function_arn),
                   ("Lambda-Runtime-Trace-Id", self.trace_id)]
        if self.client_context:
            headers.append(("Lambda-Runtime-Client-Context", self.client_context))
        return [*headers, ("Content-Length", str(len(self.payload)))]


def settle(future: Future, result=None, exception: BaseException | None = None) -> bool:
    """Complete `future` unless it is done already (answered, cancelled or failed): whether this call did."""
    try:
        if exception is not None:
            future.set_exception(exception)
        else:
            future.set_result(result)
    except InvalidStateError:
        return False
    return True
