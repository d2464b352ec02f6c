"""Successful invocations: return values, the handler's environment and context, invocation types."""

import base64
import json

import pytest

from tests.support import invoke_json, make_spec, wait_until

from helpers.engine import InvalidRequestContentException

ECHO = """
import json
def handler(event, context):
    return event
"""

RETURNS = """
import decimal
def handler(event, context):
    kind = event["kind"]
    if kind == "dict":
        return {"statusCode": 200, "body": "hi"}
    if kind == "none":
        return None
    if kind == "text":
        return "caf\u00e9"
    if kind == "bytes":
        return b"\\x00raw"
    if kind == "decimal":
        return {"n": decimal.Decimal("5"), "x": decimal.Decimal("1.5")}
"""


@pytest.mark.parametrize("kind, payload", [
    ("dict", b'{"statusCode": 200, "body": "hi"}'),
    ("none", b"null"),
    ("text", '"caf\u00e9"'.encode()),  # python3.12+: non-ASCII left as is
    ("bytes", b"\x00raw"),
    ("decimal", b'{"n": 5, "x": 1.5}'),
])
def test_return_values_are_marshalled_like_the_python_runtime(engine, kind, payload):
    result = engine.invoke(make_spec(RETURNS), json.dumps({"kind": kind}).encode())
    assert (result.status_code, result.function_error, result.payload) == (200, None, payload)


def test_python311_escapes_non_ascii(engine):
    result = engine.invoke(make_spec(RETURNS, runtime="python3.11"), b'{"kind": "text"}')
    assert result.payload == b'"caf\\u00e9"'


def test_event_round_trips_and_empty_payload_is_an_empty_object(engine):
    spec = make_spec(ECHO)
    assert invoke_json(engine, spec, {"a": [1, "b"]})[1] == {"a": [1, "b"]}
    assert engine.invoke(spec, b"").payload == b"{}"


def test_payload_that_is_not_json_is_refused(engine):
    with pytest.raises(InvalidRequestContentException) as error:
        engine.invoke(make_spec(ECHO), b"not json")
    assert error.value.status_code == 400
    assert error.value.message.startswith("Could not parse request body into json")


ENVIRONMENT = """
import os, sys
def handler(event, context):
    return {"env": dict(os.environ), "cwd": os.getcwd(), "path0": sys.path[0]}
"""

CONTEXT = """
def handler(event, context):
    cc = context.client_context
    return {
        "function_name": context.function_name,
        "function_version": context.function_version,
        "invoked_function_arn": context.invoked_function_arn,
        "memory_limit_in_mb": context.memory_limit_in_mb,
        "aws_request_id": context.aws_request_id,
        "log_group_name": context.log_group_name,
        "log_stream_name": context.log_stream_name,
        "remaining": context.get_remaining_time_in_millis(),
        "identity": [context.identity.cognito_identity_id, context.identity.cognito_identity_pool_id],
        "custom": cc and cc.custom,
        "app_title": cc and cc.client and cc.client.app_title,
    }
"""


def test_handler_sees_lambdas_environment_variables_and_nothing_of_ours(engine, monkeypatch):
    monkeypatch.setenv("LEAKY_PARENT_VARIABLE", "secret")
    spec = make_spec(ENVIRONMENT, name="envy", memory_size=256, environment={"TABLE": "items"})
    result, body = invoke_json(engine, spec)
    env = body["env"]
    root = env["LAMBDA_TASK_ROOT"]
    assert {key: env[key] for key in [
        "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_REGION", "AWS_DEFAULT_REGION",
        "AWS_EXECUTION_ENV", "_HANDLER", "TZ", "TABLE", "AWS_ACCESS_KEY_ID"]} == {
        "AWS_LAMBDA_FUNCTION_NAME": "envy", "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256", "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/envy",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand", "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12", "_HANDLER": "app.handler", "TZ": ":UTC", "TABLE": "items",
        "AWS_ACCESS_KEY_ID": "testing"}
    assert env["AWS_LAMBDA_RUNTIME_API"].startswith("127.0.0.1:")
    assert env["AWS_LAMBDA_LOG_STREAM_NAME"] == engine.environments()[0].log_stream_name
    assert env["LAMBDA_RUNTIME_DIR"]
    assert body["cwd"] == root and body["path0"] == root
    assert "LEAKY_PARENT_VARIABLE" not in env
    assert not any(key.startswith("PYTHON") for key in env)


def test_context_object(engine):
    spec = make_spec(CONTEXT, name="ctx", timeout=2, version="3")
    client_context = base64.b64encode(json.dumps(
        {"custom": {"k": "v"}, "client": {"app_title": "lab"}}).encode()).decode()
    result, body = invoke_json(engine, spec, client_context=client_context)
    assert 0 < body.pop("remaining") <= 2000
    assert body == {
        "function_name": "ctx", "function_version": "3",
        "invoked_function_arn": "arn:aws:lambda:us-east-1:123456789012:function:ctx:3",
        "memory_limit_in_mb": "128", "aws_request_id": result.request_id,
        "log_group_name": "/aws/lambda/ctx", "log_stream_name": engine.environments()[0].log_stream_name,
        "identity": [None, None], "custom": {"k": "v"}, "app_title": "lab",
    }
    assert result.executed_version == "3"


def test_bad_client_context_is_refused(engine):
    with pytest.raises(InvalidRequestContentException):
        engine.invoke(make_spec(CONTEXT), b"{}", client_context="%%%")


def test_event_invocation_returns_202_and_runs_in_the_background(engine, recorder):
    spec = make_spec("def handler(event, context):\n    print('ran', event['n'])\n")
    result = engine.invoke(spec, b'{"n": 7}', invocation_type="Event")
    assert (result.status_code, result.payload) == (202, b"")
    wait_until(lambda: "ran 7" in recorder.messages())


def test_dry_run_returns_204_and_runs_nothing(engine, recorder):
    spec = make_spec("def handler(event, context):\n    print('ran')\n")
    result = engine.invoke(spec, b"{}", invocation_type="DryRun")
    assert (result.status_code, result.payload) == (204, b"")
    assert engine.environments() == [] and recorder.messages() == []


def test_log_result_only_with_tail(engine):
    spec = make_spec("def handler(event, context):\n    print('x' * 5000)\n    print('last line')\n")
    assert engine.invoke(spec, b"{}").log_result is None
    text = base64.b64decode(engine.invoke(spec, b"{}", log_type="Tail").log_result).decode()
    assert len(text.encode()) == 4096
    lines = text.splitlines()
    assert set(lines[0]) == {"x"} and lines[-3] == "last line" and lines[-2].startswith("END RequestId: ")
    assert lines[-1].startswith("REPORT RequestId: ")


def test_warm_invocations_reuse_the_environment(engine):
    spec = make_spec("import os\ncount = 0\ndef handler(event, context):\n    global count\n    count += 1\n"
                     "    return [os.getpid(), count]\n")
    first, (pid1, n1) = invoke_json(engine, spec)
    second, (pid2, n2) = invoke_json(engine, spec)
    assert (pid1, n1, first.cold_start) == (pid2, 1, True)
    assert (n2, second.cold_start, second.init_duration_ms) == (2, False, None)
    assert first.init_duration_ms > 0
    assert [(e.pid, e.state, e.invocations) for e in engine.environments()] == [(pid1, "idle", 2)]
