"""CloudWatch Logs and metrics from the data plane, buffered off the request path.

Writing into moto costs more than serving a warm request: a PutLogEvents of
three lines and a PutMetricData of nine data points took ~120 µs per call of
GET /hello. Here the engine and the gateway only add to a buffer (log lines
as they are, data points into their statistic sets, below); a background
thread hands the buffer to moto in batches, and every CloudWatch read first
flushes what is pending (the front door calls flush() before a `logs` or
`monitoring` request reaches moto), so a learner who invokes and then reads
the logs sees every line, as on AWS once delivery has caught up.

Metrics are aggregated as they arrive, as CloudWatch itself stores them: one
statistic set (SampleCount, Sum, Minimum, Maximum) per metric, dimensions,
unit and second (CloudWatch's high-resolution storage; the sandbox's alarms
evaluate periods as short as 10 s). Every statistic GetMetricStatistics and
GetMetricData return for whole-second periods is the same as if each point had
been written alone; a second with a single point is written as that plain value.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from typing import Any, Callable

from . import moto_link

log = logging.getLogger(__name__)

FLUSH_INTERVAL = 1.0  # seconds; CloudWatch Logs itself delivers within seconds
MAX_PENDING_EVENTS = 10_000  # flush early rather than let a chatty function grow the buffer

LogWriter = Callable[[str, str, list[tuple[int, str]]], None]
MetricWriter = Callable[[str, list[dict[str, Any]]], None]


class _Statistics:
    """The statistic set of one metric for one second."""

    __slots__ = ("timestamp", "count", "total", "low", "high")

    def __init__(self, timestamp: datetime, value: float):
        self.timestamp = timestamp  # the second's first point: it stays inside that second
        self.count, self.total, self.low, self.high = 1, value, value, value

    def add(self, value: float) -> None:
        self.count += 1
        self.total += value
        self.low = min(self.low, value)
        self.high = max(self.high, value)

    def datum(self, name: str, dimensions: list[dict[str, str]], unit: str | None) -> dict[str, Any]:
        datum: dict[str, Any] = {"MetricName": name, "Dimensions": dimensions, "Timestamp": self.timestamp}
        if self.count == 1:
            datum["Value"] = self.total
        else:
            datum["StatisticValues"] = {"SampleCount": float(self.count), "Sum": self.total,
                                        "Minimum": self.low, "Maximum": self.high}
        if unit:
            datum["Unit"] = unit
        return datum


class Telemetry:
    """Buffers log events and metric data for one sandbox account and writes them to moto in batches."""

    def __init__(self, write_logs: LogWriter, write_metrics: MetricWriter, *, interval: float = FLUSH_INTERVAL):
        self._write_logs = write_logs
        self._write_metrics = write_metrics
        self._interval = interval
        self._lock = threading.Lock()  # guards the buffers; held only to append or swap
        self._flush_lock = threading.Lock()  # one flush at a time, so batches reach moto in order
        self._logs: dict[tuple[str, str], list[tuple[int, str]]] = {}
        self._pending_events = 0
        self._metrics: dict[tuple, _Statistics] = {}  # by namespace, name, dimensions, unit and second
        self._wake = threading.Condition(self._lock)
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="sandbox-telemetry", daemon=True)
        self._thread.start()

    @classmethod
    def for_account(cls, account_id: str, region: str) -> "Telemetry":
        """Telemetry that lands in the sandbox account's CloudWatch Logs and metrics."""
        return cls(moto_link.log_sink(account_id, region), moto_link.metric_sink(account_id, region))

    def put_log_events(self, group: str, stream: str, events: list[tuple[int, str]]) -> None:
        """Queue events for a stream (created on the first flush if needed)."""
        with self._lock:
            self._wake_if_idle()
            self._logs.setdefault((group, stream), []).extend(events)
            self._pending_events += len(events)
            full = self._pending_events >= MAX_PENDING_EVENTS
        if full:
            self.flush()

    def put_metric_data(self, namespace: str, metric_data: list[dict[str, Any]]) -> None:
        """Add data points (PutMetricData's MetricData shape, single values) to their seconds' statistic sets."""
        # Aggregated now rather than kept until the flush: the caller's dicts then die with its
        # request. Thousands of them held for a second would each survive the young collections,
        # and every ~25% growth of the old generation triggers a full collection of the whole
        # heap (moto's included): ~190 ms each, ~40 µs per request under load (measured).
        # The data points of one call usually share their dimensions and timestamp objects:
        # their keys are built once per call.
        dimensions, dimensions_key, timestamp, second = None, (), None, None
        with self._lock:
            self._wake_if_idle()
            for datum in metric_data:
                if datum.get("Dimensions") is not dimensions:
                    dimensions = datum.get("Dimensions")
                    dimensions_key = tuple((d["Name"], d["Value"]) for d in dimensions or ())
                if datum["Timestamp"] is not timestamp:
                    timestamp = datum["Timestamp"]
                    second = timestamp.replace(microsecond=0)
                key = (namespace, datum["MetricName"], dimensions_key, datum.get("Unit"), second)
                value = float(datum["Value"])
                statistics = self._metrics.get(key)
                if statistics is None:
                    self._metrics[key] = _Statistics(timestamp, value)
                else:
                    statistics.add(value)

    def _wake_if_idle(self) -> None:
        # Only the first item after a flush wakes the thread: a wake-up per request would
        # cost a thread switch per request (called under the lock).
        if not self._logs and not self._metrics:
            self._wake.notify()

    def flush(self) -> None:
        """Write everything queued so far into moto (also what another thread is flushing right now)."""
        with self._flush_lock:
            with self._lock:
                logs, self._logs, self._pending_events = self._logs, {}, 0
                metrics, self._metrics = self._metrics, {}
            for (group, stream), events in logs.items():
                # PutLogEvents refuses a whole batch that is out of time order, and two threads can
                # stamp a stream's lines a millisecond apart in either order: sort (stably) first.
                events.sort(key=_timestamp)
                try:
                    self._write_logs(group, stream, events)
                except Exception:  # noqa: BLE001 - telemetry must never break the data plane
                    log.exception("could not write log events to %s %s", group, stream)
            by_namespace: dict[str, list[dict[str, Any]]] = {}
            for (namespace, name, dimensions, unit, _), statistics in metrics.items():
                by_namespace.setdefault(namespace, []).append(
                    statistics.datum(name, [{"Name": n, "Value": v} for n, v in dimensions], unit))
            for namespace, data in by_namespace.items():
                try:
                    self._write_metrics(namespace, data)
                except Exception:  # noqa: BLE001
                    log.exception("could not write metrics to %s", namespace)

    def stop(self) -> None:
        """Flush what is left and end the background thread. Idempotent."""
        with self._lock:
            self._stopped = True
            self._wake.notify()
        self._thread.join()
        self.flush()

    def _run(self) -> None:
        while True:
            with self._lock:
                # Sleep until something is queued, then give the batch an interval to grow.
                self._wake.wait_for(lambda: self._stopped or self._logs or self._metrics)
                if self._stopped:
                    return
                self._wake.wait_for(lambda: self._stopped, self._interval)
                if self._stopped:
                    return
            self.flush()


def _timestamp(event: tuple[int, str]) -> int:
    return event[0]
