"""AWS/Lambda metrics in CloudWatch PutMetricData's MetricData shape."""

from datetime import datetime, timezone
from typing import Callable

NAMESPACE = "AWS/Lambda"
MetricSink = Callable[[str, list[dict]], None]


def _datum(function_name: str, name: str, value: float, unit: str, at: datetime) -> dict:
    return {"MetricName": name, "Dimensions": [{"Name": "FunctionName", "Value": function_name}],
            "Timestamp": at, "Value": float(value), "Unit": unit}


def invocation(function_name: str, duration_ms: float, error: bool, concurrent: int) -> list[dict]:
    """Invocations, Errors, Duration and ConcurrentExecutions for one completed invocation."""
    at = datetime.now(timezone.utc)
    return [_datum(function_name, "Invocations", 1, "Count", at),
            _datum(function_name, "Errors", int(error), "Count", at),
            _datum(function_name, "Duration", duration_ms, "Milliseconds", at),
            _datum(function_name, "ConcurrentExecutions", concurrent, "Count", at)]


def throttle(function_name: str) -> list[dict]:
    """Throttles for one invocation refused by reserved concurrency."""
    return [_datum(function_name, "Throttles", 1, "Count", datetime.now(timezone.utc))]
