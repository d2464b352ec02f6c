"""LoggingConfig through the Lambda API: kept, returned, and obeyed by the next invocation."""

from __future__ import annotations

import json

from tests.support import create_function


def _messages(sandbox, group: str) -> list[str]:
    events = sandbox.client("logs").filter_log_events(logGroupName=group)["events"]
    return [event["message"].rstrip("\n") for event in events]


def test_logging_config_is_returned_and_json_logs_follow_it(sandbox):
    client = sandbox.client("lambda")
    create_function(sandbox, "structured")
    assert client.get_function_configuration(FunctionName="structured")["LoggingConfig"] == {
        "LogFormat": "Text", "LogGroup": "/aws/lambda/structured"}
    updated = client.update_function_configuration(FunctionName="structured", LoggingConfig={"LogFormat": "JSON"})
    assert updated["LoggingConfig"] == {"LogFormat": "JSON", "ApplicationLogLevel": "INFO", "SystemLogLevel": "INFO",
                                        "LogGroup": "/aws/lambda/structured"}
    client.get_waiter("function_updated_v2").wait(FunctionName="structured")
    assert client.invoke(FunctionName="structured")["StatusCode"] == 200
    types = [json.loads(m).get("type") for m in _messages(sandbox, "/aws/lambda/structured")]
    assert types == ["platform.initStart", "platform.start", "platform.report"]
    client.update_function_configuration(FunctionName="structured",
                                         LoggingConfig={"LogFormat": "Text", "ApplicationLogLevel": "DEBUG"})
    assert client.get_function(FunctionName="structured")["Configuration"]["LoggingConfig"] == {
        "LogFormat": "Text", "LogGroup": "/aws/lambda/structured"}


def test_a_custom_log_group_receives_the_logs(sandbox):
    create_function(sandbox, "grouped", LoggingConfig={"LogFormat": "Text", "LogGroup": "/shared/app"})
    sandbox.client("lambda").invoke(FunctionName="grouped")
    assert _messages(sandbox, "/shared/app")[0].startswith("INIT_START Runtime Version: ")
