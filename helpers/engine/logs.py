"""CloudWatch Logs as Lambda writes them: platform lines, stream names, and one buffered stream per environment."""

import base64
import hashlib
import json
import logging
import math
import threading
import time
import uuid
from collections import deque
from datetime import datetime, timezone
from typing import Callable, Iterable

from .interpreters import Interpreter

LogSink = Callable[[str, str, list[tuple[int, str]]], None]

TAIL_BYTES = 4096
# CloudWatch caps one event at 256 KB and one PutLogEvents batch at 10,000 events.
MAX_EVENT_CHARS = 256 * 1024
BATCH_EVENTS = 10_000

log = logging.getLogger(__name__)


def now_ms() -> int:
    return int(time.time() * 1000)


def timestamp(ms: int) -> str:
    """ISO-8601 UTC with milliseconds, as the platform prints it: 2026-11-24T21:43:03.123Z."""
    return datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def log_stream_name(version: str) -> str:
    """A new environment's stream: YYYY/MM/DD/[version]<32 hex>."""
    return f"{datetime.now(timezone.utc):%Y/%m/%d}/[{version}]{uuid.uuid4().hex}"


class PlatformLine(str):
    """A line Lambda itself writes (START, REPORT…): plain text, or a JSON record with LogFormat JSON."""

    def __new__(cls, text: str, kind: str | None, record: dict) -> "PlatformLine":
        line = super().__new__(cls, text)
        line.kind, line.record = kind, record  # kind None: a line JSON format leaves out (END)
        return line

    def as_json(self, ms: int) -> str:
        """The JSON event of LogFormat JSON: {"time", "type": "platform.start", "record"}."""
        return json.dumps({"time": timestamp(ms), "type": self.kind, "record": self.record})


def init_start(interpreter: Interpreter, region: str, function_name: str = "", version: str = "$LATEST",
               init_type: str = "on-demand") -> str:
    # The runtime version is the interpreter that really runs the code, so a learner comparing two
    # INIT_START lines sees a change exactly when the code would behave differently.
    arn_hash = hashlib.sha256(f"{interpreter.runtime_version}/{interpreter.build}".encode()).hexdigest()
    arn = f"arn:aws:lambda:{region}::runtime:{arn_hash}"
    return PlatformLine(f"INIT_START Runtime Version: {interpreter.runtime_version}\tRuntime Version ARN: {arn}",
                        "platform.initStart",
                        {"initializationType": init_type, "phase": "init", "runtimeVersion": interpreter.runtime_version,
                         "runtimeVersionArn": arn, "functionName": function_name, "functionVersion": version})


def init_report(init_ms: float, error_type: str) -> str:
    return PlatformLine(
        f"INIT_REPORT Init Duration: {init_ms:.2f} ms\tPhase: init\tStatus: error\tError Type: {error_type}",
        "platform.initReport", {"initializationType": "on-demand", "phase": "init", "status": "error",
                                "errorType": error_type, "metrics": {"durationMs": round(init_ms, 3)}})


def start(request_id: str, version: str) -> str:
    return PlatformLine(f"START RequestId: {request_id} Version: {version}", "platform.start",
                        {"requestId": request_id, "version": version})


def end(request_id: str) -> str:
    return PlatformLine(f"END RequestId: {request_id}", None, {})


def report(request_id: str, duration_ms: float, memory_size: int, max_memory_mb: int,
           init_ms: float | None = None, status: str | None = None, error_type: str | None = None) -> str:
    """The REPORT line; Init Duration only on an environment's first invocation.

    Billed Duration includes the init phase: AWS bills INIT for on-demand functions since 1 Aug 2025.
    """
    billed = math.ceil(duration_ms + (init_ms or 0))
    line = (f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\tBilled Duration: {billed} ms\t"
            f"Memory Size: {memory_size} MB\tMax Memory Used: {max_memory_mb} MB\t")
    if init_ms is not None:
        line += f"Init Duration: {init_ms:.2f} ms\t"
    if status:
        line += f"Status: {status}\t"
    if error_type:
        line += f"Error Type: {error_type}\t"
    measured = {"durationMs": round(duration_ms, 3), "billedDurationMs": billed, "memorySizeMB": memory_size,
                "maxMemoryUsedMB": max_memory_mb}
    if init_ms is not None:
        measured["initDurationMs"] = round(init_ms, 3)
    record = {"requestId": request_id, "metrics": measured, "status": status or "success"}
    if error_type:
        record["errorType"] = error_type
    return PlatformLine(line, "platform.report", record)


def timed_out(request_id: str, timeout: float) -> str:
    return f"{timestamp(now_ms())} {request_id} Task timed out after {timeout:.2f} seconds"


def tail(lines: Iterable[str]) -> str:
    """The last 4 KB of log text, base64-encoded, as the Invoke API's LogResult."""
    text = "".join(line + "\n" for line in lines).encode()
    return base64.b64encode(text[-TAIL_BYTES:]).decode()


class LogStream:
    """One environment's log stream: events are buffered and handed to the sink in batches."""

    def __init__(self, group: str, name: str, sink: LogSink | None, system_log_level: str | None = None):
        self.group = group
        self.name = name
        self._sink = sink
        # LogFormat JSON (a SystemLogLevel given): platform lines become JSON records, INFO ones only
        # when the level lets INFO through.
        self._platform_json = system_log_level is not None
        self._platform_info = system_log_level in (None, "DEBUG", "INFO")
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()  # keeps batches in order when two threads flush
        self._events: list[tuple[int, str]] = []
        self._tail: deque[str] | None = None
        self._tail_size = 0

    def write(self, message: str, ts: int | None = None) -> None:
        """Append one event (a long one is split, as CloudWatch would reject it)."""
        ts = now_ms() if ts is None else ts
        if self._platform_json and isinstance(message, PlatformLine):
            if message.kind is None or not self._platform_info:
                return
            message = message.as_json(ts)
        with self._lock:
            for i in range(0, max(len(message), 1), MAX_EVENT_CHARS):
                self._events.append((ts, message[i:i + MAX_EVENT_CHARS]))
            if self._tail is not None:
                self._keep_in_tail(message)
            full = len(self._events) >= BATCH_EVENTS
        if full:
            self.flush()

    def capture(self) -> None:
        """Start collecting this invocation's lines for LogType=Tail."""
        with self._lock:
            self._tail = deque()
            self._tail_size = 0

    def captured(self) -> list[str]:
        """Stop collecting; the invocation's last lines, at least TAIL_BYTES of them (see tail())."""
        with self._lock:
            lines, self._tail = self._tail or (), None
        return list(lines)

    def _keep_in_tail(self, message: str) -> None:
        # Megabytes of output must not pile up just to keep the last 4 KB.
        self._tail.append(message)
        self._tail_size += len(message) + 1
        while len(self._tail) > 1 and self._tail_size - len(self._tail[0]) - 1 >= TAIL_BYTES:
            self._tail_size -= len(self._tail.popleft()) + 1

    def flush(self) -> None:
        """Hand buffered events to the sink; a failing sink is logged, never raised into an invocation."""
        with self._flush_lock:
            with self._lock:
                events, self._events = self._events, []
            if not events or self._sink is None:
                return
            for i in range(0, len(events), BATCH_EVENTS):
                try:
                    self._sink(self.group, self.name, events[i:i + BATCH_EVENTS])
                except Exception:
                    log.exception("log sink failed for %s %s", self.group, self.name)
