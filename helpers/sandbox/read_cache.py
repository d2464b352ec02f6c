"""Answers the data plane reads from moto, kept until a control-plane write changes what they read."""

from __future__ import annotations

import re
import threading
from typing import Any, Callable, Hashable, TypeVar
from urllib.parse import parse_qs

from ..wsgi import read_body

T = TypeVar("T")
MAX_ENTRIES = 4096  # keys can come from requests (API key values): never let them pile up

# The services the data plane reads (API Gateway's APIs, stages and keys; Lambda's functions and their
# policies; IAM's roles), and CloudFormation, which creates and changes them. Their signing names.
_READ_SERVICES = frozenset({"apigateway", "lambda", "iam", "cloudformation"})
# Lambda's data plane: running a function changes nothing the gateway reads.
_LAMBDA_INVOCATION = re.compile(r"^/[0-9-]+/functions/[^/]+/(invocations|invoke-async)/?$")
# IAM and CloudFormation speak the query protocol: every call is a POST, and the Action says what it does.
_QUERY_READ_VERBS = ("Get", "List", "Describe", "Validate", "Estimate", "Simulate")


class ControlPlaneWrites:
    """Counts the control-plane writes to what the data plane reads; the count is a ReadCache's generation."""

    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()  # two writes ending together must count twice

    def __call__(self) -> int:
        return self.count

    def written(self) -> None:
        """Called after such a write was served, never before: a read made while it ran is then stale."""
        with self._lock:
            self.count += 1


def changes_cached_reads(service: str, environ: dict[str, Any]) -> bool:
    """May this signed request (to `service`, its signing name) change what the data plane reads and caches?"""
    if service not in _READ_SERVICES or environ["REQUEST_METHOD"] in ("GET", "HEAD"):
        return False
    if service == "lambda":
        return not _LAMBDA_INVOCATION.match(environ.get("PATH_INFO", ""))
    if service in ("iam", "cloudformation"):
        return not _query_action(environ).startswith(_QUERY_READ_VERBS)
    return True


def _query_action(environ: dict[str, Any]) -> str:
    action = parse_qs(environ.get("QUERY_STRING", "")).get("Action")
    if action is None and environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        action = parse_qs(read_body(environ).decode("utf-8", "replace")).get("Action")
    if action is None:  # the JSON protocol names the operation in a header: Service.Operation
        return environ.get("HTTP_X_AMZ_TARGET", "").rpartition(".")[2]
    return action[-1]


class ReadCache:
    """Memoizes reads while `generation()` (the count of control-plane writes) is unchanged.

    Each entry remembers the generation it was read under, and the generation is taken
    before the read: a write that lands during the read bumps it, so that entry is never used.
    """

    def __init__(self, generation: Callable[[], int]):
        self._generation = generation
        self._entries: dict[Hashable, tuple[int, Any]] = {}

    def get(self, key: Hashable, read: Callable[[], T]) -> T:
        """The cached answer for `key`, or `read()`'s (cached when nothing changed meanwhile)."""
        generation = self._generation()
        entry = self._entries.get(key)
        if entry is not None and entry[0] == generation:
            return entry[1]
        value = read()
        if len(self._entries) >= MAX_ENTRIES:
            self._entries = {}
        self._entries[key] = (generation, value)
        return value
