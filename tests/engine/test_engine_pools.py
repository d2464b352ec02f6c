"""Environment pools: reserved and provisioned concurrency, idle reclaim, retirement on change."""

import dataclasses
import os
import threading

import pytest

from tests.support import invoke_json, make_spec, process_gone, wait_until

from helpers.engine import TooManyRequestsException

PID = "import os\ndef handler(event, context):\n    return os.getpid()\n"
BLOCK = """
import os, time
def handler(event, context):
    while not os.path.exists(event["release"]):
        time.sleep(0.01)
    return os.getpid()
"""


def test_reserved_concurrency_zero_always_throttles(engine, recorder):
    spec = make_spec(PID, reserved_concurrency=0)
    with pytest.raises(TooManyRequestsException) as error:
        engine.invoke(spec, b"{}")
    assert (error.value.status_code, error.value.message, error.value.body()) == (
        429, "Rate Exceeded.",
        {"Type": "User", "message": "Rate Exceeded.", "Reason": "ReservedFunctionConcurrentInvocationLimitExceeded"})
    assert recorder.metric_values("Throttles") == [1.0]


def test_reserved_concurrency_caps_busy_environments(engine, tmp_path):
    spec = make_spec(BLOCK, reserved_concurrency=2, timeout=10)
    release = tmp_path / "release"
    results = []
    threads = [threading.Thread(target=lambda: results.append(invoke_json(engine, spec, {"release": str(release)})))
               for _ in range(2)]
    for thread in threads:
        thread.start()
    wait_until(lambda: sum(e.state == "busy" for e in engine.environments()) == 2)
    with pytest.raises(TooManyRequestsException):
        engine.invoke(spec, b"{}")
    release.touch()
    for thread in threads:
        thread.join()
    assert [r.function_error for r, _ in results] == [None, None]
    assert invoke_json(engine, spec, {"release": str(release)})[0].function_error is None  # capacity is back


def test_provisioned_concurrency(engine, recorder):
    spec = make_spec("import os\ndef handler(event, context):\n    return [os.getpid(), "
                     "os.environ['AWS_LAMBDA_INITIALIZATION_TYPE']]\n", version="1")
    engine.put_provisioned_concurrency(spec, 2)
    assert engine.provisioned_status(spec)["requested"] == 2
    wait_until(lambda: engine.provisioned_status(spec)["status"] == "READY")
    assert engine.provisioned_status(spec) == {"requested": 2, "allocated": 2, "available": 2, "status": "READY"}
    provisioned = {e.pid for e in engine.environments() if e.init_type == "provisioned-concurrency"}
    assert len(provisioned) == 2
    result, (pid, init_type) = invoke_json(engine, spec)
    assert pid in provisioned and init_type == "provisioned-concurrency"
    assert (result.cold_start, result.init_duration_ms) == (False, None)
    assert not any("Init Duration" in m for m in recorder.messages())
    engine.delete_provisioned_concurrency(spec)
    wait_until(lambda: all(process_gone(pid) for pid in provisioned))
    assert engine.provisioned_status(spec)["requested"] == 0


def test_provisioned_concurrency_whose_init_fails(engine):
    spec = make_spec("raise ValueError('broken config')\n", version="1")
    engine.put_provisioned_concurrency(spec, 1)
    status = wait_until(lambda: (s := engine.provisioned_status(spec))["status"] == "FAILED" and s)
    assert status["status_reason"] == "ValueError: broken config"


def test_idle_environments_are_reclaimed(engine):
    spec = make_spec(PID)
    pid = invoke_json(engine, spec)[1]
    engine.idle_timeout = 0.2
    wait_until(lambda: engine.environments() == [] and process_gone(pid))
    assert engine.invoke(spec, b"{}").cold_start


def test_a_changed_spec_retires_old_environments_after_their_request(engine, tmp_path):
    old = make_spec(BLOCK, timeout=10)
    release = tmp_path / "release"
    busy = []
    thread = threading.Thread(target=lambda: busy.append(invoke_json(engine, old, {"release": str(release)})))
    thread.start()
    old_pid = wait_until(lambda: [e.pid for e in engine.environments() if e.state == "busy" and e.pid])[0]
    idle_pid = invoke_json(engine, make_spec(PID, name="other"))[1]  # another function, untouched
    new = dataclasses.replace(old, environment={"STAGE": "2"})  # configuration change, same code
    assert new.identity != old.identity
    new_result, new_pid = invoke_json(engine, new, {"release": str(tmp_path)})  # exists: returns at once
    assert new_result.cold_start and new_pid != old_pid
    assert not process_gone(old_pid)  # still serving its request
    release.touch()
    thread.join()
    assert busy[0][0].function_error is None and busy[0][1] == old_pid  # the in-flight request finished
    wait_until(lambda: process_gone(old_pid))
    assert not process_gone(idle_pid)


def test_new_code_is_unpacked_and_old_code_removed(engine):
    first = make_spec("import os\ndef handler(event, context):\n    return ['v1', os.getcwd()]\n")
    _, (version, root) = invoke_json(engine, first)
    second = make_spec("import os\ndef handler(event, context):\n    return ['v2', os.getcwd()]\n")
    _, (new_version, new_root) = invoke_json(engine, second)
    assert (version, new_version) == ("v1", "v2") and root != new_root
    wait_until(lambda: not os.path.exists(root))
