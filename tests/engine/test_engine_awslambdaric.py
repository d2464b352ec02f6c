"""Proof of protocol: AWS's own runtime client runs handlers against the engine's Runtime API."""

import json
import sys

import pytest

from tests.support import invoke_json, make_spec

from helpers.engine import Engine

pytest.importorskip("awslambdaric", reason="awslambdaric (AWS's runtime interface client, Linux only) is not installed")

COUNTER = """
import os
count = 0
def handler(event, context):
    global count
    count += 1
    if event.get("fail"):
        raise ValueError("bad value")
    return {"pid": os.getpid(), "count": count, "text": "caf\u00e9", "request": context.aws_request_id}
"""


@pytest.fixture
def ric_engine():
    # What the brief of a custom runtime says: `python -m awslambdaric <handler>`, in the same clean environment.
    with Engine(runtime_command=[sys.executable, "-m", "awslambdaric", "app.handler"]) as engine:
        yield engine


def _normalized(payload: bytes, result) -> dict:
    body = json.loads(payload)
    body["requestId"] = "<id>" if body["requestId"] == result.request_id else body["requestId"]
    body["stackTrace"] = [line.split('"', 2)[2] for line in body["stackTrace"]]  # drop the task root path
    return body


def test_awslambdaric_reuses_one_process_for_warm_invocations(ric_engine):
    spec = make_spec(COUNTER)
    first, one = invoke_json(ric_engine, spec)
    second, two = invoke_json(ric_engine, spec)
    assert one["pid"] == two["pid"] and (one["count"], two["count"]) == (1, 2)
    assert (first.cold_start, second.cold_start) == (True, False)
    assert two["request"] == second.request_id


def test_awslambdaric_and_our_runtime_produce_identical_payloads(ric_engine, engine):
    spec = make_spec(COUNTER)
    theirs, ours = ric_engine.invoke(spec, b'{"fail": true}'), engine.invoke(spec, b'{"fail": true}')
    assert theirs.function_error == ours.function_error == "Unhandled"
    assert _normalized(theirs.payload, theirs) == _normalized(ours.payload, ours) == {
        "errorMessage": "bad value", "errorType": "ValueError", "requestId": "<id>",
        "stackTrace": [', line 8, in handler\n    raise ValueError("bad value")\n']}
    theirs, ours = ric_engine.invoke(spec, b"{}"), engine.invoke(spec, b"{}")
    strip = lambda result: {k: v for k, v in json.loads(result.payload).items() if k not in ("pid", "request")}
    assert strip(theirs) == strip(ours)
    assert theirs.payload.split(b'"pid"')[0] == ours.payload.split(b'"pid"')[0]  # same separators, no escaping


@pytest.mark.parametrize("files, handler", [
    ({"app.py": "import no_such_module\n"}, "app.handler"),
    ({"app.py": "def handler(e, c)\n"}, "app.handler"),
])
def test_awslambdaric_init_errors_match_ours(files, handler, engine):
    spec = make_spec(files, handler=handler)
    with Engine(runtime_command=[sys.executable, "-m", "awslambdaric", handler]) as ric_engine:
        theirs = ric_engine.invoke(spec, b"{}")
    ours = engine.invoke(spec, b"{}")
    assert json.loads(theirs.payload)["requestId"] == ""
    assert _normalized(theirs.payload, theirs) == _normalized(ours.payload, ours)
