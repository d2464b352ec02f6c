"""The Runtime API's warm path: the invoking thread reads the runtime's answers itself.

A custom runtime (`runtime_command`) written with http.client shows what our own runtime never does:
it asks for work only after the 202 to its result, may answer on another connection, open one
connection per request (closing the old one before or after it posts), hang before asking again,
or exit right after posting.
"""

import json
import os
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

from helpers.engine import Engine, environment
from helpers.engine import bootstrap
from helpers.engine.runtime_api import new_ids
from helpers.engine.runtime_connection import Connection

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
    # Every connection the runtime closed is closed here too, by the time an invocation comes by.
    wait_until(lambda: invoke_json(custom_engine, spec) and _open_sockets() <= sockets)
    wait_until(lambda: _connection_threads() == [])  # each parked connection's reader ended


def test_a_worker_that_exits_right_after_posting(custom_engine, recorder):
    spec = make_spec("", timeout=3)
    result, body = invoke_json(custom_engine, spec, {"how": "exit-after-post"})
    assert (result.function_error, body["request"]) == (None, result.request_id)
    assert any(message.startswith(f"REPORT RequestId: {result.request_id}") for message in recorder.messages())
    wait_until(lambda: custom_engine.environments() == [] and process_gone(body["pid"]))
    assert invoke_json(custom_engine, spec)[0].cold_start


def test_a_reported_peak_above_memory_size_ends_as_a_kill(custom_engine, recorder):
    # The sandbox's own runtime reports the worker's peak RSS with each result; the engine trusts it
    # instead of reading /proc, so a report above MemorySize is an out-of-memory kill.
    spec = make_spec("", timeout=3, memory_size=128)
    state = {"Sandbox-Peak-Rss": str(129 * 1024 * 1024), "Sandbox-Output-Pending": "0"}
    result, error = invoke_json(custom_engine, spec, {"state": state})
    assert (result.function_error, error["errorType"]) == ("Unhandled", "Runtime.ExitError")
    assert "\tMax Memory Used: 128 MB\t" in recorder.messages()[-1]


@pytest.mark.parametrize("state", [{"Sandbox-Peak-Rss": "a lot", "Sandbox-Output-Pending": "-1"},
                                   {"Sandbox-Peak-Rss": "", "Sandbox-Output-Pending": "1e3"}])
def test_nonsense_in_the_worker_state_headers_is_ignored(custom_engine, recorder, state):
    spec = make_spec("", timeout=3, memory_size=128)
    result, body = invoke_json(custom_engine, spec, {"state": state})
    assert (result.function_error, body["request"]) == (None, result.request_id)
    used = int(recorder.messages()[-1].split("Max Memory Used: ")[1].split()[0])
    assert 0 < used < 128  # read from /proc instead


def test_no_next_request_within_the_init_limit_times_out(custom_engine, monkeypatch):
    monkeypatch.setattr(environment, "INIT_TIMEOUT", 1.0)
    spec = make_spec("", timeout=3)
    _, body = invoke_json(custom_engine, spec, {"how": "hang-before-next"})
    result, error = invoke_json(custom_engine, spec)  # reads the connection for a GET /next that never comes
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


def test_a_warm_environment_needs_no_thread_per_connection(engine):
    spec = make_spec("def handler(event, context):\n    return 1\n")
    for _ in range(3):
        invoke_json(engine, spec)
    wait_until(lambda: _connection_threads() == [])
    assert invoke_json(engine, spec)[1] == 1


def test_stop_ends_a_runtime_whose_next_request_is_unread(tmp_path):
    bootstrap = tmp_path / "bootstrap.py"
    bootstrap.write_text(textwrap.dedent(RUNTIME))
    threads = set(threading.enumerate())
    engine = Engine(runtime_command=[sys.executable, "-u", str(bootstrap)])
    _, body = invoke_json(engine, make_spec(""), {"pause": 30})  # stopped before it asks for more
    engine.stop()
    assert process_gone(body["pid"])
    assert [thread for thread in threading.enumerate() if thread not in threads] == []


def test_payload_is_json_skips_the_check_but_not_the_empty_payload_rule(engine):
    spec = make_spec("def handler(event, context):\n    return event\n")
    assert engine.invoke(spec, b'{"a": [1, 2]}', payload_is_json=True).payload == b'{"a": [1, 2]}'
    assert engine.invoke(spec, b"", payload_is_json=True).payload == b"{}"


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


def test_waiting_takes_what_arrives_into_the_buffer():
    with socket.create_server(("127.0.0.1", 0)) as listener:
        theirs = socket.create_connection(listener.getsockname())
        ours, _ = listener.accept()
    connection = Connection(ours, lambda _: None)
    try:
        deadline = time.monotonic() + 5
        assert connection.wait(deadline, patience=0.01) is False  # nothing came
        threading.Timer(0.02, theirs.sendall, args=(b"GET / HTTP/1.1\r\n\r\n",)).start()
        assert connection.wait(deadline) is True
        assert connection.has_request()  # buffered by the wait itself
        assert connection.read_request(deadline)[:2] == ("GET", "/")
    finally:
        connection.close()
        theirs.close()


def _vm_hwm() -> int:
    line = next(line for line in open("/proc/self/status") if line.startswith("VmHWM:"))
    return int(line.split()[1]) * 1024


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc and FIONREAD on a pipe: Linux")
def test_our_runtime_reports_its_peak_memory_and_the_output_left_in_its_pipe():
    read, write = os.pipe()
    try:
        state = bootstrap.WorkerState(output_fd=write)
        assert set(state.headers()) == {"Sandbox-Peak-Rss"}  # counting the pipe waits for load()
        state.load()
        os.write(write, b"twelve bytes")
        before = _vm_hwm()
        headers = state.headers()
        assert before <= headers["Sandbox-Peak-Rss"] <= _vm_hwm()
        assert headers["Sandbox-Output-Pending"] == 12
        os.read(read, 100)
        assert state.headers()["Sandbox-Output-Pending"] == 0
    finally:
        os.close(read)
        os.close(write)


_PEAK_AFTER_FAULTS = """
import json, os, sys
sys.path.insert(0, sys.argv[1])
from helpers.engine import bootstrap
reads = []
real_pread = os.pread
os.pread = lambda *args: reads.append(1) or real_pread(*args)
state = bootstrap.WorkerState()
state.load()
quiet = [state.headers()["Sandbox-Peak-Rss"] for _ in range(20)]
quiet_reads = len(reads)
ballast = bytearray(64 << 20)  # zero-filled: every page of it faulted in
rss = int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
grown = state.headers()["Sandbox-Peak-Rss"]
print(json.dumps({"quiet": quiet, "quiet_reads": quiet_reads, "reads": len(reads), "rss": rss, "grown": grown}))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc: Linux")
def test_our_runtime_reads_its_peak_again_only_once_it_has_faulted_pages_in():
    # A fresh interpreter: its peak is far below what the ballast brings, so a stale peak would show.
    root = str(Path(__file__).resolve().parents[2])
    out = subprocess.run([sys.executable, "-c", _PEAK_AFTER_FAULTS, root], capture_output=True, text=True, check=True)
    seen = json.loads(out.stdout)
    assert len(set(seen["quiet"])) == 1
    assert seen["quiet_reads"] < 20  # at least one call with no new fault since the last one skipped the read
    assert seen["reads"] == seen["quiet_reads"] + 1
    assert seen["grown"] >= seen["rss"] > seen["quiet"][0] + (32 << 20)
