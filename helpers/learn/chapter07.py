"""Chapter 07: scripted traffic to watch, REPORT lines read back, and the exercises (log levels; a 5XX alarm)."""

from __future__ import annotations

import base64
import json
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import botocore.exceptions
import requests

from .exercise import Exercise, Incorrect

LOG_LEVELS_FUNCTION = "log-levels"
API_NAME = "hello-world-api"
_DURATION = re.compile(r"\tDuration: (\d+\.\d+) ms")
_QUIET_LEVELS = ("WARN", "ERROR", "FATAL")


def send_traffic(url: str) -> dict[str, list[int]]:
    """A bounded mix of requests (HTTP GETs): good ones, a concurrent burst, slow, unknown path, failing; status codes by kind."""
    def get(params: dict[str, str] | None = None, to: str = url) -> int:
        return requests.get(to, params=params, timeout=30).status_code

    codes = {"good": [get() for _ in range(6)]}
    # Three at once, each busy for 300 ms: no environment is free for the second or third.
    with ThreadPoolExecutor(3) as pool:
        codes["concurrent burst"] = list(pool.map(lambda _: get({"slow": "300"}), range(3)))
    codes["slow"] = [get({"slow": "250"}) for _ in range(2)]
    codes["unknown path"] = [get(to=url.rsplit("/", 1)[0] + "/goodbye") for _ in range(2)]
    codes["failing"] = [get({"fail": "1"}) for _ in range(3)]
    return codes


def durations_ms(report_lines: list[str]) -> list[float]:
    """The Duration of each REPORT line, in milliseconds."""
    return [float(m.group(1)) for m in map(_DURATION.search, report_lines) if m]


def _tail_lines(function_name: str, event: dict[str, Any]) -> list[str]:
    answer = boto3.client("lambda").invoke(FunctionName=function_name, Payload=json.dumps(event).encode(),
                                           LogType="Tail")
    return base64.b64decode(answer["LogResult"]).decode().splitlines()


def _json_records(lines: list[str]) -> list[dict[str, Any]]:
    records = []
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            records.append(record)
    return records


def _check_logging_config(logging_config: object) -> str:
    if not isinstance(logging_config, dict):
        raise Incorrect("LoggingConfig is a dict, for example {'LogFormat': ..., 'ApplicationLogLevel': ...}.")
    client = boto3.client("lambda")
    try:
        client.update_function_configuration(FunctionName=LOG_LEVELS_FUNCTION, LoggingConfig=logging_config)
    except botocore.exceptions.ParamValidationError as error:
        raise Incorrect(f"boto3 refused it before sending: {error}") from None
    except botocore.exceptions.ClientError as error:
        raise Incorrect(f"Lambda refused it: {error.response['Error']['Message']}") from None
    client.get_waiter("function_updated_v2").wait(FunctionName=LOG_LEVELS_FUNCTION)
    config = client.get_function_configuration(FunctionName=LOG_LEVELS_FUNCTION)["LoggingConfig"]
    if config["LogFormat"] != "JSON":
        raise Incorrect("with LogFormat Text the runtime leaves the root logger at WARNING (the log levels apply to "
                        "the JSON format only), so logger.info still prints nothing.")
    if config["ApplicationLogLevel"] in _QUIET_LEVELS:
        raise Incorrect(f"the logs are JSON now, but ApplicationLogLevel {config['ApplicationLogLevel']} still "
                        "drops every INFO record.")
    lines = _tail_lines(LOG_LEVELS_FUNCTION, {"path": "/hello", "queryStringParameters": None})
    infos = [r for r in _json_records(lines) if r.get("level") == "INFO"]
    if not infos:
        raise Incorrect("no INFO record reached the log; what arrived:\n" + "\n".join(lines))
    if config["SystemLogLevel"] in _QUIET_LEVELS:
        return (f"your INFO record arrives as JSON ({infos[0]['message']!r}); with SystemLogLevel "
                f"{config['SystemLogLevel']} the platform's start and report records are dropped too.")
    return f"your INFO record arrives as JSON: {json.dumps(infos[0])[:120]}…"


def _check_alarm(alarm: object) -> str:
    if not isinstance(alarm, dict):
        raise Incorrect("alarm is a dict of put_metric_alarm's parameters (AlarmName, Namespace, MetricName, ...).")
    if alarm.get("Namespace") != "AWS/ApiGateway":
        raise Incorrect(f"5XXError is published in the AWS/ApiGateway namespace, not {alarm.get('Namespace')!r}.")
    if alarm.get("MetricName") != "5XXError":
        raise Incorrect(f"the metric is 5XXError (names are case-sensitive), not {alarm.get('MetricName')!r}.")
    dimensions = {d.get("Name"): d.get("Value") for d in alarm.get("Dimensions") or []}
    if dimensions.get("ApiName") != API_NAME:
        raise Incorrect("CloudWatch matches a metric by its dimensions: API Gateway publishes 5XXError per API, "
                        f"so the alarm needs the dimension ApiName = {API_NAME!r}, else it watches no data at all.")
    if alarm.get("Statistic") == "Average":
        raise Incorrect("the Average of 5XXError is the share of requests that failed (0 to 1): fine for a rate, "
                        "but to fire on any 5XX count them with Sum.")
    cloudwatch = boto3.client("cloudwatch")
    try:
        cloudwatch.put_metric_alarm(**alarm)
    except botocore.exceptions.ParamValidationError as error:
        raise Incorrect(f"boto3 refused it before sending: {error}") from None
    except botocore.exceptions.ClientError as error:
        raise Incorrect(f"CloudWatch refused it: {error.response['Error']['Message']}") from None
    found = cloudwatch.describe_alarms(AlarmNames=[alarm["AlarmName"]])["MetricAlarms"][0]
    if found["StateValue"] != "ALARM":
        raise Incorrect(f"the alarm exists but is {found['StateValue']}: {found['StateReason']} Make the API answer "
                        "a 5XX within the alarm's period, then check again.")
    return f"{found['AlarmName']} is in ALARM: {found['StateReason']}"


q1 = Exercise(
    "q1", ("logging_config",), _check_logging_config,
    "LoggingConfig has LogFormat ('Text' or 'JSON') and, for JSON only, ApplicationLogLevel and SystemLogLevel.",
    'logging_config = {"LogFormat": "JSON", "ApplicationLogLevel": "INFO"}',
)
q2 = Exercise(
    "q2", ("alarm",), _check_alarm,
    "Namespace AWS/ApiGateway, MetricName 5XXError, Dimensions [{'Name': 'ApiName', 'Value': 'hello-world-api'}], "
    "Sum over a 10 s period >= 1. A request to /hello?fail=1 makes the function raise: API Gateway answers 502.",
    '''alarm = {
    "AlarmName": "hello-5xx", "Namespace": "AWS/ApiGateway", "MetricName": "5XXError",
    "Dimensions": [{"Name": "ApiName", "Value": "hello-world-api"}, {"Name": "Stage", "Value": "dev"}],
    "Statistic": "Sum", "Period": 10, "EvaluationPeriods": 1, "Threshold": 1,
    "ComparisonOperator": "GreaterThanOrEqualToThreshold", "TreatMissingData": "notBreaching",
}
requests.get(url, params={"fail": "1"})  # the function raises: API Gateway answers 502''',
)
