"""The Runtime API as runtimes other than ours use it, and the future that carries each result back.

A custom runtime (`runtime_command`) written with http.client shows what our own runtime never does:
it asks for work only after the 202 to its result, may answer on another connection, open one
connection per request (closing the old one before or after it posts), hang before asking again,
or exit right after posting.
"""

import http.client
import json
import os
import re
import socket
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from pathlib import Path

import pytest

from tests.support import invoke_json, make_spec, process_gone, wait_until

from helpers.engine import Engine
from helpers.engine.invocation import Invocation, RuntimeResult, new_ids
from helpers.engine.runtime_api import RuntimeAPIEndpoint
from helpers.sandbox import invoke_api

RUNTIME = """
import http.client, json, os, threading, time

API = os.environ["AWS_LAMBDA_RUNTIME_API"]
BASE = "/2018-06-01/runtime/invocation/"


def call(conn, method, path, body=None, headers=None):
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    return response, response.read()


conn = http.client.HTTPConnection(API)
kept = []  # connections this runtime stopped using but leaves open
while True:
    response, body = call(conn, "GET", BASE + "next")
    request_id = response.getheader("Lambda-Runtime-Aws-Request-Id")
    event = json.loads(body)
    how = event.get("how")
    time.sleep(event.get("work", 0))
    old = conn
    if how in ("other-connection", "connection-per-request", "close-after-post"):
        if how == "other-connection":
            kept.append(conn)
        elif how == "connection-per-request":
            conn.close()
        conn = http.client.HTTPConnection(API)
    answer = json.dumps({"pid": os.getpid(), "how": how, "request": request_id})
    _, accepted = call(conn, "POST", BASE + request_id + "/response", answer, event.get("state"))
    if how == "close-after-post":  # once the invocation is over, while this runtime waits for the next
        threading.Timer(0.3, old.close).start()
    print("posted", json.loads(accepted)["status"])
    if how == "exit-after-post":
        os._exit(3)
    if how == "hang-before-next":
        time.sleep(3600)
    time.sleep(event.get("pause", 0))  # before asking for more: the next caller finds the connection unread
"""


@pytest.fixture
def custom_engine(tmp_path, recorder):
    bootstrap = tmp_path / "bootstrap.py"
    bootstrap.write_text(textwrap.dedent(RUNTIME))
    with Engine(runtime_command=[sys.executable, "-u", str(bootstrap)], log_sink=recorder.log_sink) as engine:
        yield engine


def _connection_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name.endswith("-conn")]


def test_a_runtime_that_asks_for_work_only_after_the_202(custom_engine):
    spec = make_spec("", timeout=3)
    results = [invoke_json(custom_engine, spec, {"pause": 0.2}) for _ in range(3)]
    assert [result.cold_start for result, _ in results] == [True, False, False]
    assert len({body["pid"] for _, body in results}) == 1
    assert [body["request"] for _, body in results] == [result.request_id for result, _ in results]
    assert all(result.function_error is None for result, _ in results)


def test_a_result_posted_on_another_connection_ends_the_wait(custom_engine):
    spec = make_spec("", timeout=3)
    first, body = invoke_json(custom_engine, spec, {"how": "other-connection"})
    assert (first.function_error, body["request"]) == (None, first.request_id)
    second, again = invoke_json(custom_engine, spec)  # the runtime now asks on its second connection
    assert (second.cold_start, second.function_error, again["pid"]) == (False, None, body["pid"])


def _open_sockets() -> int:
    return sum(os.readlink(f"/proc/self/fd/{fd}").startswith("socket:") for fd in os.listdir("/proc/self/fd")
               if os.path.exists(f"/proc/self/fd/{fd}"))


@pytest.mark.parametrize("how", ["connection-per-request", "close-after-post"])
def test_a_runtime_with_a_connection_per_request(custom_engine, how):
    spec = make_spec("", timeout=3)
    invoke_json(custom_engine, spec)
    sockets = _open_sockets()  # the listener and one connection
    results = [invoke_json(custom_engine, spec, {"how": how}) for _ in range(10)]
    assert all(result.function_error is None and body["request"] == result.request_id for result, body in results)
    assert len({body["pid"] for _, body in results}) == 1
    # Every connection the runtime closed is closed here too, and its thread has ended: one is left,
    # the one whose GET /next waits for work.
    wait_until(lambda: invoke_json(custom_engine, spec) and _open_sockets() <= sockets)
    wait_until(lambda: len(_connection_threads()) == 1)


def test_a_worker_that_exits_right_after_posting(custom_engine, recorder):
    spec = make_spec("", timeout=3)
    result, body = invoke_json(custom_engine, spec, {"how": "exit-after-post"})
    assert (result.function_error, body["request"]) == (None, result.request_id)
    assert any(message.startswith(f"REPORT RequestId: {result.request_id}") for message in recorder.messages())
    wait_until(lambda: custom_engine.environments() == [] and process_gone(body["pid"]))
    assert invoke_json(custom_engine, spec)[0].cold_start


def test_a_runtime_that_never_asks_for_its_next_invocation_times_out(custom_engine):
    spec = make_spec("", timeout=1)
    _, body = invoke_json(custom_engine, spec, {"how": "hang-before-next"})
    result, error = invoke_json(custom_engine, spec)  # queued for a GET /next that never comes
    assert (result.function_error, error["errorType"]) == ("Unhandled", "Sandbox.Timedout")
    assert process_gone(body["pid"]) and custom_engine.environments() == []


def test_the_invoker_times_out_reading_the_answer(custom_engine, recorder):
    spec = make_spec("", timeout=1)
    result, error = invoke_json(custom_engine, spec, {"work": 30})
    assert error == {"errorType": "Sandbox.Timedout",
                     "errorMessage": f"RequestId: {result.request_id} Error: Task timed out after 1.00 seconds"}
    assert "Status: timeout" in recorder.messages()[-1]
    assert custom_engine.environments() == []
    assert invoke_json(custom_engine, spec)[0].cold_start


def test_stop_ends_a_runtime_whose_next_request_is_unread(tmp_path):
    bootstrap = tmp_path / "bootstrap.py"
    bootstrap.write_text(textwrap.dedent(RUNTIME))
    threads = set(threading.enumerate())
    engine = Engine(runtime_command=[sys.executable, "-u", str(bootstrap)])
    _, body = invoke_json(engine, make_spec(""), {"pause": 30})  # stopped before it asks for more
    engine.stop()
    assert process_gone(body["pid"])
    assert [thread for thread in threading.enumerate() if thread not in threads] == []


def test_the_engine_delivers_the_event_as_it_is_and_the_invoke_api_an_empty_payload_as_an_object(engine):
    spec = make_spec("def handler(event, context):\n    return event\n")
    assert engine.invoke(spec, b'{"a": [1, 2]}').payload == b'{"a": [1, 2]}'
    assert invoke_api.invoke(engine, spec, b"").payload == b"{}"


def test_request_ids_are_version_4_uuids_and_trace_ids_are_x_ray_headers():
    request_id, trace_id = new_ids()
    parsed = uuid.UUID(request_id)
    assert (str(parsed), parsed.version, parsed.variant) == (request_id, 4, uuid.RFC_4122)
    assert len({new_ids()[0] for _ in range(1000)}) == 1000
    root, parent, sampled = trace_id.split(";")
    assert root.startswith("Root=1-") and len(root.split("-")[2]) == 24
    assert len(parent.removeprefix("Parent=")) == 16 and sampled == "Sampled=0"


def test_large_events_and_responses_cross_the_invokers_connection(engine):
    spec = make_spec("def handler(event, context):\n    return {'echo': event['data'], 'size': len(event['data'])}\n",
                     timeout=10)
    data = "x" * 3_000_000  # far more than a socket buffer holds: written and read in many pieces
    for _ in range(2):
        result, body = invoke_json(engine, spec, {"data": data})
        assert (result.function_error, body["size"], body["echo"] == data) == (None, len(data), True)


# The endpoint on its own: the future each invocation's result comes back through, and h11's framing.

ARN = "arn:aws:lambda:us-east-1:123456789012:function:fn"
NEXT = "/2018-06-01/runtime/invocation/next"


@pytest.fixture
def endpoint():
    endpoint = RuntimeAPIEndpoint()
    yield endpoint
    endpoint.close()


def _call(conn, method, path, body=None, headers=None):
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    return response, response.read()


def test_a_posted_response_completes_the_invocations_future(endpoint):
    invocation = Invocation("req-1", b'{"n": 1}', ARN, client_context='{"custom": {}}')
    endpoint.submit(invocation)
    conn = http.client.HTTPConnection(endpoint.address, timeout=5)
    response, event = _call(conn, "GET", NEXT)
    assert (response.status, event) == (200, b'{"n": 1}')
    assert response.getheader("Lambda-Runtime-Aws-Request-Id") == "req-1"
    assert response.getheader("Lambda-Runtime-Invoked-Function-Arn") == ARN
    assert response.getheader("Lambda-Runtime-Client-Context") == '{"custom": {}}'
    assert endpoint.initialized.done() and endpoint.initialized.exception() is None  # its first GET /next
    assert not invocation.future.done()
    accepted, body = _call(conn, "POST", "/2018-06-01/runtime/invocation/req-1/response", b'"ok"',
                           {"Content-Type": "application/json"})
    assert (accepted.status, body) == (202, b'{"status":"OK"}')
    result = invocation.future.result(timeout=0)
    assert isinstance(result, RuntimeResult)
    assert (result.payload, result.content_type, result.error_type) == (b'"ok"', "application/json", None)


def test_an_error_completes_the_future_with_its_type_and_a_late_post_is_refused(endpoint):
    failing, late = Invocation("req-1", b"{}", ARN), Invocation("req-2", b"{}", ARN)
    conn = http.client.HTTPConnection(endpoint.address, timeout=5)
    endpoint.submit(failing)
    _call(conn, "GET", NEXT)
    error = json.dumps({"errorMessage": "boom", "errorType": "ValueError"})
    accepted, _ = _call(conn, "POST", "/2018-06-01/runtime/invocation/req-1/error", error,
                        {"Lambda-Runtime-Function-Error-Type": "ValueError"})
    assert accepted.status == 202 and failing.future.result(timeout=0).error_type == "ValueError"
    endpoint.submit(late)
    _call(conn, "GET", NEXT)
    assert late.future.cancel()  # what the environment does when Timeout passes first
    refused, body = _call(conn, "POST", "/2018-06-01/runtime/invocation/req-2/response", b"{}")
    assert (refused.status, json.loads(body)["errorType"]) == (400, "InvalidRequestID")
    unknown, _ = _call(conn, "POST", "/2018-06-01/runtime/invocation/nobody/response", b"{}")
    assert unknown.status == 400


def test_an_init_error_fails_the_initialized_future(endpoint):
    conn = http.client.HTTPConnection(endpoint.address, timeout=5)
    body = json.dumps({"errorMessage": "no module", "errorType": "Runtime.ImportModuleError"})
    accepted, _ = _call(conn, "POST", "/2018-06-01/runtime/init/error", body,
                        {"Lambda-Runtime-Function-Error-Type": "Runtime.ImportModuleError"})
    assert accepted.status == 202
    error = endpoint.initialized.exception(timeout=0)
    assert (error.error_type, error.reason) == ("Runtime.ImportModuleError", "Runtime.ImportModuleError: no module")


def test_requests_arriving_in_pieces_or_pipelined_are_framed_whole(endpoint):
    invocation = Invocation("req-1", b"{}", ARN)
    endpoint.submit(invocation)
    with socket.create_connection(("127.0.0.1", endpoint.port), timeout=5) as sock:
        sock.sendall(f"GET {NEXT} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        time.sleep(0.05)
        post = b"POST /2018-06-01/runtime/invocation/req-1/response HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n"
        sock.sendall(post + b"[1, ")  # the body in two writes, the next request in the same write as its end
        time.sleep(0.05)
        assert not invocation.future.done()
        sock.sendall(b"2, 3]" + b" " + f"GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        assert invocation.future.result(timeout=5).payload == b"[1, 2, 3] "
        received = b""
        while received.count(b"HTTP/1.1 ") < 3:
            received += sock.recv(65536)
    assert re.findall(rb"HTTP/1\.1 (\d{3}) ", received) == [b"200", b"202", b"404"]


def test_a_malformed_request_is_answered_400_and_the_connection_closed(endpoint):
    with socket.create_connection(("127.0.0.1", endpoint.port), timeout=5) as sock:
        sock.sendall(b"NOT HTTP AT ALL\r\n\r\n")
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    assert received.startswith(b"HTTP/1.1 400 ")


def test_closing_the_endpoint_ends_a_waiting_next(endpoint):
    conn = http.client.HTTPConnection(endpoint.address, timeout=5)
    conn.request("GET", NEXT)
    wait_until(lambda: endpoint.initialized.done())
    endpoint.close()
    with pytest.raises((ConnectionError, http.client.HTTPException)):
        conn.getresponse().read()
