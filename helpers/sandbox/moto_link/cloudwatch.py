"""CloudWatch Logs and metrics: where the data plane writes; alarms: moto stores them, the sandbox evaluates them."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timezone
from typing import Any, Callable

# moto's backends are not thread-safe for writes; the engine writes logs and
# metrics from its own threads while HTTP threads serve reads.
_write_lock = threading.Lock()


def log_group_exists(account_id: str, region: str, group: str) -> bool:
    """Whether the sandbox's CloudWatch Logs has this log group."""
    from moto.logs.models import logs_backends

    return group in logs_backends[account_id][region].groups


def log_sink(account_id: str, region: str) -> Callable[[str, str, list[tuple[int, str]]], None]:
    """Write log events into the sandbox's CloudWatch Logs."""
    from moto.logs.models import logs_backends

    def write(group: str, stream: str, events: list[tuple[int, str]]) -> None:
        backend = logs_backends[account_id][region]
        with _write_lock:
            backend.ensure_log_group(group)
            backend.ensure_log_stream(group, stream)
            backend.put_log_events(group, stream, [{"timestamp": ts, "message": msg} for ts, msg in events])

    return write


def metric_sink(account_id: str, region: str) -> Callable[[str, list[dict]], None]:
    """Write metric data into the sandbox's CloudWatch metrics."""
    from moto.cloudwatch.models import cloudwatch_backends

    def write(namespace: str, metric_data: list[dict]) -> None:
        # moto compares timestamps with the naive UTC datetimes its API parses; an aware one
        # would make every GetMetricStatistics over these metrics fail.
        data = [{**datum, "Timestamp": _naive_utc(datum["Timestamp"])} if "Timestamp" in datum else datum
                for datum in metric_data]
        with _write_lock:
            cloudwatch_backends[account_id][region].put_metric_data(namespace, data)

    return write


def _naive_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is None else moment.astimezone(timezone.utc).replace(tzinfo=None)


# Alarms: the sandbox evaluates them (alarms.py) and keeps their history on moto's alarm objects.

def metric_alarms(account_id: str, region: str) -> list[Any]:
    """moto's metric alarms of one account and Region (composite alarms left out)."""
    from moto.cloudwatch.models import cloudwatch_backends

    return [alarm for alarm in list(cloudwatch_backends[account_id][region].alarms.values()) if alarm.rule is None]


def statistic(account_id: str, region: str, alarm: Any, start: datetime, end: datetime) -> tuple[float, float] | None:
    """(the alarm's statistic, the sample count) of its metric over [start, end), or None without data."""
    from moto.cloudwatch.models import cloudwatch_backends

    dimensions = [{"Name": d.name, "Value": d.value} for d in alarm.dimensions]
    found = cloudwatch_backends[account_id][region].get_metric_statistics(
        alarm.namespace, alarm.metric_name, start, end, int((end - start).total_seconds()),
        [alarm.statistic, "SampleCount"], dimensions, alarm.unit)
    if not found:
        return None
    return float(found[0].get_statistics_for_type(alarm.statistic)), float(found[0].sample_count)


def start_alarm_in(alarm: Any, state: str) -> None:
    """Put a new alarm in the state CloudWatch creates it in (moto starts every alarm in OK), no history."""
    alarm.state_value = state


def change_alarm_state(alarm: Any, new: str, reason: str, reason_data: str, at: datetime) -> None:
    """Set an alarm's state as CloudWatch would, and add the StateUpdate to its history."""
    old = alarm.state_value
    history_data = {"version": "1.0", "oldState": {"stateValue": old, "stateReason": alarm.state_reason},
                    "newState": {"stateValue": new, "stateReason": reason, "stateReasonData": json.loads(reason_data)}}
    alarm.update_state(reason, reason_data, new)
    alarm.state_updated_timestamp = at
    _alarm_history(alarm).insert(0, {
        "AlarmName": alarm.name, "AlarmType": "MetricAlarm", "Timestamp": at, "HistoryItemType": "StateUpdate",
        "HistorySummary": f"Alarm updated from {old} to {new}",
        "HistoryData": json.dumps(history_data, separators=(",", ":"))})


def _alarm_history(alarm: Any) -> list[dict[str, Any]]:
    # Kept on moto's alarm object, so it goes when the alarm or the account's state goes.
    if not hasattr(alarm, "sandbox_history"):
        alarm.sandbox_history = []
    return alarm.sandbox_history


def serve_alarm_history() -> None:
    """Teach moto's CloudWatch DescribeAlarmHistory (newest first), from the history kept above."""
    from moto.cloudwatch.responses import CloudWatchResponse
    from moto.core.responses import ActionResult

    if hasattr(CloudWatchResponse, "describe_alarm_history"):
        return

    def describe_alarm_history(self: Any) -> Any:
        name = self._get_param("AlarmName")
        kind = self._get_param("HistoryItemType")
        items = [item for alarm in list(self.cloudwatch_backend.alarms.values())
                 if name in (None, alarm.name) for item in _alarm_history(alarm)]
        items = [item for item in items if kind in (None, item["HistoryItemType"])]
        items.sort(key=lambda item: item["Timestamp"], reverse=self._get_param("ScanBy") != "TimestampAscending")
        return ActionResult({"AlarmHistoryItems": items[:int(self._get_param("MaxRecords") or 100)]})

    CloudWatchResponse.describe_alarm_history = describe_alarm_history
