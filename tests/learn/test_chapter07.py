"""Chapter 07: the scripted traffic, REPORT durations, and both checkers with right and typical wrong answers."""

from __future__ import annotations


import boto3
import pytest
import requests

from helpers.learn import ____, chapter07
from helpers.steps import deploy_hello_world_api, invoke_url, package_function
from tests.support import HELLO_WORLD, ROOT, verdict

MONITORED = ROOT / "lambda_src" / "monitored"
ALARM = {
    "AlarmName": "hello-5xx", "Namespace": "AWS/ApiGateway", "MetricName": "5XXError",
    "Dimensions": [{"Name": "ApiName", "Value": "hello-world-api"}],
    "Statistic": "Sum", "Period": 10, "EvaluationPeriods": 1, "Threshold": 1,
    "ComparisonOperator": "GreaterThanOrEqualToThreshold", "TreatMissingData": "notBreaching",
}


@pytest.fixture
def watched(sandbox):
    """hello-world-api running the chapter's monitored code, and log-levels beside it; returns the /hello URL."""
    api_id = deploy_hello_world_api(HELLO_WORLD)
    client = boto3.client("lambda")
    client.update_function_code(FunctionName="hello-world-api", ZipFile=package_function(MONITORED))
    client.get_waiter("function_updated_v2").wait(FunctionName="hello-world-api")
    role = client.get_function_configuration(FunctionName="hello-world-api")["Role"]
    client.create_function(FunctionName=chapter07.LOG_LEVELS_FUNCTION, Runtime="python3.12", Role=role,
                           Handler="app.lambda_handler", Code={"ZipFile": package_function(MONITORED)})
    client.get_waiter("function_active_v2").wait(FunctionName=chapter07.LOG_LEVELS_FUNCTION)
    return invoke_url(api_id, "dev", "/hello")


def test_durations_are_read_from_report_lines():
    lines = ["REPORT RequestId: 3e9a772d-3124-4f25-a6ac-6c46b28fcf32\tDuration: 2.67 ms\tBilled Duration: 61 ms\t"
             "Memory Size: 128 MB\tMax Memory Used: 12 MB\tInit Duration: 58.03 ms\t",
             "REPORT RequestId: 3e9a772d-3124-4f25-a6ac-6c46b28fcf33\tDuration: 301.50 ms\tBilled Duration: 302 ms\t"
             "Memory Size: 128 MB\tMax Memory Used: 12 MB\t", "START RequestId: x Version: $LATEST"]
    assert chapter07.durations_ms(lines) == [2.67, 301.5]


def test_the_traffic_has_every_kind_of_answer(watched):
    codes = chapter07.send_traffic(watched)
    assert codes == {"good": [200] * 6, "concurrent burst": [200] * 3, "slow": [200] * 2,
                     "unknown path": [403] * 2, "failing": [502] * 3}


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (____, "Not attempted"),
        ("JSON", "Incorrect: LoggingConfig is a dict"),
        ({"LogFormat": "Text"}, "Incorrect: with LogFormat Text the runtime leaves the root logger at WARNING"),
        ({"LogFormat": "Text", "ApplicationLogLevel": "INFO"}, "Incorrect: with LogFormat Text"),
        ({"LogFormat": "JSON", "ApplicationLogLevel": "WARN"}, "Incorrect: the logs are JSON now, but "
                                                               "ApplicationLogLevel WARN still drops every INFO"),
        ({"LogFormat": "JSON", "ApplicationLogLevel": 3}, "Incorrect: boto3 refused it before sending"),
        ({"LogFormat": "JSON", "ApplicationLogLevel": "INFO", "SystemLogLevel": "WARN"},
         "Correct: your INFO record arrives as JSON ('GET /hello with {}'); with SystemLogLevel WARN"),
        ({"LogFormat": "JSON"}, 'Correct: your INFO record arrives as JSON: {"timestamp": '),
    ],
)
def test_chapter07_logging_config_checker(watched, answer, expected, capsys):
    assert verdict(chapter07.q1, {"logging_config": answer}, capsys).startswith(expected)


def test_chapter07_logging_config_reference_solution(watched, capsys):
    namespace: dict = {}
    exec(chapter07.q1.solution_code, namespace)
    assert verdict(chapter07.q1, namespace, capsys).startswith("Correct")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"Namespace": "AWS/Lambda"}, "Incorrect: 5XXError is published in the AWS/ApiGateway namespace"),
        ({"MetricName": "5xxError"}, "Incorrect: the metric is 5XXError (names are case-sensitive)"),
        ({"Dimensions": []}, "Incorrect: CloudWatch matches a metric by its dimensions"),
        ({"Dimensions": [{"Name": "ApiName", "Value": "hello"}]}, "Incorrect: CloudWatch matches a metric"),
        ({"Statistic": "Average"}, "Incorrect: the Average of 5XXError is the share of requests that failed"),
        ({"Period": "ten"}, "Incorrect: boto3 refused it before sending"),
    ],
)
def test_chapter07_alarm_checker_wrong_alarms(watched, change, expected, capsys):
    assert verdict(chapter07.q2, {"alarm": {**ALARM, **change}}, capsys).startswith(expected)


def test_chapter07_alarm_checker_wants_the_alarm_to_fire(watched, capsys):
    assert verdict(chapter07.q2, {"alarm": "hello-5xx"}, capsys).startswith("Incorrect: alarm is a dict")
    quiet = verdict(chapter07.q2, {"alarm": ALARM}, capsys)
    assert quiet.startswith("Incorrect: the alarm exists but is OK: Threshold Crossed: no datapoints were received")
    assert requests.get(watched, params={"fail": "1"}, timeout=30).status_code == 502
    fired = verdict(chapter07.q2, {"alarm": ALARM}, capsys)
    assert fired.startswith("Correct: hello-5xx is in ALARM: Threshold Crossed: 1 out of the last 1 datapoints [1.0 (")


def test_chapter07_alarm_reference_solution(watched, capsys):
    namespace = {"requests": requests, "url": watched}
    exec(chapter07.q2.solution_code, namespace)
    assert verdict(chapter07.q2, namespace, capsys).startswith("Correct: hello-5xx is in ALARM")
