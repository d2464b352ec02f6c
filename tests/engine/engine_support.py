"""Helpers for the engine tests: function specs built from inline source, recording sinks, process checks."""

import hashlib
import io
import json
import os
import textwrap
import threading
import time
import zipfile
from collections import defaultdict

import pytest

from helpers.engine import Engine, FunctionSpec

ACCOUNT = "123456789012"
REGION = "us-east-1"


def make_zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, source in files.items():
            archive.writestr(name, textwrap.dedent(source))
    return buffer.getvalue()


def make_spec(source: str | dict[str, str], *, name: str = "fn", handler: str = "app.handler", **config) -> FunctionSpec:
    """A spec whose package holds `source` as app.py (or the given files)."""
    files = {"app.py": source} if isinstance(source, str) else source
    code = make_zip(files)
    return FunctionSpec(
        function_name=name, function_arn=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}",
        version=config.pop("version", "$LATEST"), handler=handler, runtime=config.pop("runtime", "python3.12"),
        code_zip=code, code_sha256=hashlib.sha256(code).hexdigest(), region=REGION, account_id=ACCOUNT, **config)


class Recorder:
    """Collects what the engine hands to its log and metric sinks."""

    def __init__(self):
        self.lock = threading.Lock()
        self.streams: dict[tuple[str, str], list[tuple[int, str]]] = defaultdict(list)
        self.metrics: list[dict] = []

    def log_sink(self, group, stream, events):
        with self.lock:
            self.streams[(group, stream)].extend(events)

    def metric_sink(self, namespace, data):
        assert namespace == "AWS/Lambda"
        with self.lock:
            self.metrics.extend(data)

    def messages(self, group: str | None = None) -> list[str]:
        with self.lock:
            return [message for (g, _), events in self.streams.items() if group in (None, g) for _, message in events]

    def stream_names(self, group: str) -> list[str]:
        with self.lock:
            return [s for (g, s) in self.streams if g == group]

    def metric_values(self, name: str) -> list[float]:
        with self.lock:
            return [d["Value"] for d in self.metrics if d["MetricName"] == name]


def invoke_json(engine: Engine, spec: FunctionSpec, event=None, **kwargs):
    """Invoke with a JSON event; returns (result, decoded payload)."""
    result = engine.invoke(spec, json.dumps({} if event is None else event).encode(), **kwargs)
    return result, json.loads(result.payload) if result.payload else None


def wait_until(predicate, timeout: float = 10.0, interval: float = 0.02):
    """Poll until predicate() is truthy; returns its value or fails the test."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"condition not met within {timeout} s")


def process_gone(pid: int) -> bool:
    """True when pid no longer runs (absent, or a zombie nobody reaped yet)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (FileNotFoundError, ProcessLookupError):  # the process vanished before or while reading
        return True


def child_pids() -> set[int]:
    """Live direct children of this process."""
    me = str(os.getpid())
    children = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    state, parent = f.read().rsplit(")", 1)[1].split()[:2]
            except OSError:
                continue
            if parent == me and state != "Z":
                children.add(int(entry))
    return children
