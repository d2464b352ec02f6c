"""Nothing outlives the engine: stop(), and the engine's process dying under it."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from tests.support import child_pids, invoke_json, make_spec, process_gone, wait_until

from helpers.engine import Engine, ServiceException

REPO = Path(__file__).resolve().parents[2]
WHO = """
import os, time
def handler(event, context):
    time.sleep(event.get("sleep", 0))
    return [os.getpid(), os.environ["AWS_LAMBDA_RUNTIME_API"], os.environ["LAMBDA_TASK_ROOT"]]
"""


def _refused(address: str) -> bool:
    host, port = address.split(":")
    try:
        socket.create_connection((host, int(port)), timeout=1).close()
    except ConnectionRefusedError:
        return True
    return False


def test_stop_leaves_no_worker_thread_port_or_directory():
    threads = set(threading.enumerate())
    children = child_pids()
    engine = Engine()
    workers = [invoke_json(engine, make_spec(WHO, name=name))[1] for name in ("a", "b")]
    engine.invoke(make_spec(WHO, name="c", timeout=30), b'{"sleep": 30}', invocation_type="Event")
    wait_until(lambda: any(e.state == "busy" and e.pid for e in engine.environments()))
    busy_pid = next(e.pid for e in engine.environments() if e.state == "busy")

    engine.stop()
    engine.stop()  # idempotent

    assert all(process_gone(pid) for pid, _, _ in workers) and process_gone(busy_pid)
    assert child_pids() <= children
    assert [t for t in threading.enumerate() if t not in threads] == []
    assert all(_refused(address) for _, address, _ in workers)
    assert not any(os.path.exists(root) for _, _, root in workers)
    with pytest.raises(ServiceException):
        engine.invoke(make_spec(WHO), b"{}")


ORPHAN_SCRIPT = """
import json, sys, time
from helpers.engine import Engine
from tests.support import make_spec
engine = Engine()
idle = engine.invoke(make_spec({who!r}, name="idle"), b"{{}}")
engine.invoke(make_spec({who!r}, name="busy", timeout=60), b'{{"sleep": 60}}', invocation_type="Event")
while not any(e.state == "busy" and e.pid for e in engine.environments()):
    time.sleep(0.01)
print(json.dumps([engine._dir, [e.pid for e in engine.environments()]]), flush=True)
time.sleep(60)
"""


def test_workers_exit_when_the_engines_process_is_killed():
    script = textwrap.dedent(ORPHAN_SCRIPT).format(who=textwrap.dedent(WHO))
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, env=env, text=True)
    try:
        engine_dir, pids = json.loads(parent.stdout.readline())
        assert len(pids) == 2 and not any(process_gone(pid) for pid in pids)
    finally:
        parent.send_signal(signal.SIGKILL)  # no stop(), no atexit: like a kernel killed by the OS
        parent.wait()
        parent.stdout.close()
    wait_until(lambda: all(process_gone(pid) for pid in pids), timeout=5)
    shutil.rmtree(engine_dir)  # the one thing a SIGKILLed engine cannot clean up itself


EXIT_SCRIPT = """
import json
from helpers.engine import Engine
from tests.support import make_spec
engine = Engine()
result = engine.invoke(make_spec({who!r}), b"{{}}")
print(json.dumps([engine._dir, json.loads(result.payload)]), flush=True)
# no stop(): interpreter exit must clean up
"""


def test_interpreter_exit_stops_a_forgotten_engine():
    script = textwrap.dedent(EXIT_SCRIPT).format(who=textwrap.dedent(WHO))
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    finished = subprocess.run([sys.executable, "-c", script], capture_output=True, env=env, text=True, timeout=60)
    assert finished.returncode == 0, finished.stderr
    engine_dir, (pid, address, _) = json.loads(finished.stdout)
    assert process_gone(pid) and _refused(address) and not os.path.exists(engine_dir)


def test_a_worker_that_asks_for_work_before_its_environment_is_set_up_still_runs(recorder, monkeypatch):
    # Under load the thread starting a worker can lose the GIL for longer than the worker takes to
    # start and send its first GET /next; the environment must be set up before that request is served.
    from helpers.engine import environment, procfs

    real = procfs.ProcessMemory

    def slow_memory(pid):
        time.sleep(1.5)  # a bare interpreter starts and connects well within this
        return real(pid)

    monkeypatch.setattr(environment.procfs, "ProcessMemory", slow_memory)
    with Engine(log_sink=recorder.log_sink) as engine:
        result, payload = invoke_json(engine, make_spec("def handler(event, context):\n    return 'ok'\n"))
    assert result.function_error is None and payload == "ok"
    assert any(m.startswith("REPORT RequestId:") for m in recorder.messages())
