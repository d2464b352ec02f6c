"""AWS/Lambda metrics in CloudWatch PutMetricData's MetricData shape."""

from datetime import datetime, timezone
from typing import Callable

NAMESPACE = "AWS/Lambda"
MetricSink = Callable[[str, list[dict]], None]


def _datum(name: str, value: float, unit: str, dimensions: list[dict], at: datetime) -> dict:
    return {"MetricName": name, "Dimensions": dimensions, "Timestamp": at, "Value": float(value), "Unit": unit}


def _dimensions(function_name: str) -> list[dict]:
    return [{"Name": "FunctionName", "Value": function_name}]


def invocation(function_name: str, duration_ms: float, error: bool, concurrent: int) -> list[dict]:
    """Invocations, Errors, Duration and ConcurrentExecutions for one completed invocation."""
    # One dimensions list and one timestamp for all four: a sink aggregating them sees they match.
    at, dimensions = datetime.now(timezone.utc), _dimensions(function_name)
    return [_datum("Invocations", 1, "Count", dimensions, at),
            _datum("Errors", int(error), "Count", dimensions, at),
            _datum("Duration", duration_ms, "Milliseconds", dimensions, at),
            _datum("ConcurrentExecutions", concurrent, "Count", dimensions, at)]


def throttle(function_name: str) -> list[dict]:
    """Throttles for one invocation refused by reserved concurrency."""
    return [_datum("Throttles", 1, "Count", _dimensions(function_name), datetime.now(timezone.utc))]
