"""Rate limits (token buckets) for stages, methods and usage plans, and usage-plan quotas."""

from __future__ import annotations

import calendar
import threading
import time
from typing import Any, Callable

from .context import InvocationContext
from .errors import LimitExceeded, TooManyRequests

# The account-level defaults API Gateway fills in for a limit that is not set.
ACCOUNT_RATE_LIMIT = 10000.0
ACCOUNT_BURST_LIMIT = 5000


class TokenBuckets:
    """Token buckets by key: `burst` tokens at most, refilled at `rate` per second (thread-safe)."""

    def __init__(self, clock: Callable[[], float]):
        self._clock = clock
        self._buckets: dict[tuple, tuple[float, float]] = {}  # key -> (tokens, last refill)
        self._lock = threading.Lock()

    def take(self, key: tuple, rate: float, burst: float) -> bool:
        """Take one token; False when the bucket is empty. A changed limit starts a new bucket."""
        now = self._clock()
        key = (*key, rate, burst)
        with self._lock:
            tokens, last = self._buckets.get(key, (burst, now))
            tokens = min(burst, tokens + max(0.0, now - last) * rate)
            allowed = tokens >= 1
            self._buckets[key] = (tokens - 1 if allowed else tokens, now)
        return allowed


class Quotas:
    """Request counts per (usage plan, key) in the plan's current DAY/WEEK/MONTH period."""

    def __init__(self, clock: Callable[[], float]):
        self._clock = clock
        self._counts: dict[tuple, tuple[float, int]] = {}  # key -> (period start, count)
        self._lock = threading.Lock()

    def consume(self, key: tuple, quota: dict[str, Any]) -> bool:
        """Count one request; False once the period's limit is used up."""
        start = period_start(self._clock(), quota.get("period", "DAY"), int(quota.get("offset") or 0))
        with self._lock:
            period, count = self._counts.get(key, (start, 0))
            if period != start:
                count = 0
            allowed = count < int(quota.get("limit", 0))
            self._counts[key] = (start, count + 1 if allowed else count)
        return allowed


def period_start(now: float, period: str, offset: int) -> float:
    """The UTC start of the quota period containing `now`.

    WEEK offset 0 is Sunday, 1 Monday...; MONTH offset 0 is the 1st of the month.
    """
    t = time.gmtime(now)
    midnight = calendar.timegm((t.tm_year, t.tm_mon, t.tm_mday, 0, 0, 0))
    if period == "WEEK":
        days_since_sunday = (t.tm_wday + 1) % 7  # tm_wday: Monday is 0
        return midnight - ((days_since_sunday - offset) % 7) * 86400
    if period == "MONTH":
        year, month = t.tm_year, t.tm_mon
        if t.tm_mday <= offset:
            year, month = (year - 1, 12) if month == 1 else (year, month - 1)
        return float(calendar.timegm((year, month, 1 + offset, 0, 0, 0)))
    return float(midnight)


def method_settings(stage: dict[str, Any], resource_path: str, http_method: str) -> dict[str, Any]:
    """The stage's `*/*` settings overlaid with the method's own (`hello/GET` or `~1hello/GET`)."""
    wanted = resource_path.lstrip("/")
    merged: dict[str, Any] = {}
    specific: dict[str, Any] = {}
    for key, settings in (stage.get("methodSettings") or {}).items():
        path, _, method = key.rpartition("/")
        if key == "*/*":
            merged.update(settings)
        elif method == http_method and path.replace("~1", "/").lstrip("/") == wanted:
            specific = settings
    merged.update(specific)
    return merged


class Throttling:
    """The throttling step: stage/method limits, then the key's usage-plan limits and quota."""

    def __init__(self, clock: Callable[[], float]):
        self._buckets = TokenBuckets(clock)
        self._quotas = Quotas(clock)

    def __call__(self, ctx: InvocationContext) -> None:
        request, route = ctx.request, ctx.route
        path, method = route.resource["path"], route.method.get("httpMethod", request.method)
        settings = method_settings(ctx.stage, path, method)
        if "throttlingRateLimit" in settings or "throttlingBurstLimit" in settings:
            self._take(("stage", request.api_id, request.stage, path, method), settings.get("throttlingRateLimit"),
                       settings.get("throttlingBurstLimit"))
        plan = ctx.usage_plan
        if plan is None:
            return
        key_id = ctx.api_key["id"]
        if plan.get("throttle"):
            self._take(("plan", plan["id"], key_id), plan["throttle"].get("rateLimit"), plan["throttle"].get("burstLimit"))
        for api_stage in plan.get("apiStages") or []:
            if (api_stage.get("apiId"), api_stage.get("stage")) != (request.api_id, request.stage):
                continue
            limits = (api_stage.get("throttle") or {}).get(f"{path}/{method}")
            if limits:
                self._take(("plan-method", plan["id"], key_id, request.api_id, request.stage, path, method),
                           limits.get("rateLimit"), limits.get("burstLimit"))
        if plan.get("quota") and not self._quotas.consume((plan["id"], key_id), plan["quota"]):
            raise LimitExceeded("usage plan quota exceeded")

    def _take(self, key: tuple, rate: float | None, burst: float | None) -> None:
        rate = ACCOUNT_RATE_LIMIT if rate is None else float(rate)
        burst = ACCOUNT_BURST_LIMIT if burst is None else float(burst)
        if not self._buckets.take(key, rate, burst):
            raise TooManyRequests(f"throttled by {key[0]} limit {rate}/s burst {burst}")
