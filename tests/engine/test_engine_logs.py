"""CloudWatch log lines and AWS/Lambda metrics."""

import json
import re
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support import make_spec
from helpers.engine import interpreters

HELLO = """
print("initializing")
def handler(event, context):
    print("hello")
    return "hi"
"""

REPORT = re.compile(r"REPORT RequestId: (?P<id>[0-9a-f-]{36})\tDuration: \d+\.\d\d ms\tBilled Duration: (?P<billed>\d+) ms\t"
                    r"Memory Size: 128 MB\tMax Memory Used: (?P<used>\d+) MB\t(Init Duration: (?P<init>\d+\.\d\d) ms\t)?")


def test_log_lines_of_a_cold_then_warm_invocation(engine, recorder):
    spec = make_spec(HELLO, name="hello")
    cold = engine.invoke(spec, b"{}")
    warm = engine.invoke(spec, b"{}")
    [stream] = recorder.stream_names("/aws/lambda/hello")
    assert re.fullmatch(r"\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}", stream)
    messages = recorder.messages("/aws/lambda/hello")
    # The interpreter that really ran (tests/engine/test_engine_interpreters.py): python3.12's if installed.
    runtime_version = interpreters.for_runtime("python3.12", sys.executable).runtime_version
    assert re.fullmatch(rf"INIT_START Runtime Version: {re.escape(runtime_version)}\t"
                        r"Runtime Version ARN: arn:aws:lambda:us-east-1::runtime:[0-9a-f]{64}", messages[0])
    assert messages[1:4] == ["initializing", f"START RequestId: {cold.request_id} Version: $LATEST", "hello"]
    assert messages[4] == f"END RequestId: {cold.request_id}"
    first = REPORT.fullmatch(messages[5])
    assert first and first["id"] == cold.request_id and first["init"]
    assert float(first["init"]) == pytest.approx(cold.init_duration_ms, abs=0.01)
    assert int(first["used"]) > 0
    assert messages[6:9] == [f"START RequestId: {warm.request_id} Version: $LATEST", "hello",
                             f"END RequestId: {warm.request_id}"]
    second = REPORT.fullmatch(messages[9])
    assert second and second["init"] is None
    assert len(messages) == 10


BELOW_PYTHON = """
import os, subprocess
def handler(event, context):
    os.write(1, b"written to the descriptor\\n")
    subprocess.run(["/bin/sh", "-c", "echo from a child; echo to stderr >&2"], check=True)
    os.write(2, b"no newline at the end")
    return "ok"
"""


def test_output_written_below_python_comes_before_end(engine, recorder):
    # The worker tells the engine whether output was still in the pipe when it posted (from the
    # second invocation on): whatever wrote it, it is in the log between START and END.
    spec = make_spec(BELOW_PYTHON, name="below")
    results = [engine.invoke(spec, b"{}") for _ in range(4)]
    messages = recorder.messages("/aws/lambda/below")
    for result in results:
        start = messages.index(f"START RequestId: {result.request_id} Version: $LATEST")
        assert messages[start + 1:start + 6] == ["written to the descriptor", "from a child", "to stderr",
                                                 "no newline at the end", f"END RequestId: {result.request_id}"]


def test_billed_duration_rounds_up_and_includes_init():
    from helpers.engine import logs
    line = logs.report("id", 3.01, 128, 36, init_ms=110.1)
    assert line == ("REPORT RequestId: id\tDuration: 3.01 ms\tBilled Duration: 114 ms\tMemory Size: 128 MB\t"
                    "Max Memory Used: 36 MB\tInit Duration: 110.10 ms\t")
    assert "Billed Duration: 4 ms" in logs.report("id", 3.01, 128, 36)


def test_concurrent_invocations_get_one_environment_and_stream_each(engine, recorder):
    spec = make_spec("import time\ndef handler(event, context):\n    time.sleep(0.5)\n    return 1\n", name="wide")
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: engine.invoke(spec, b"{}"), range(4)))
    assert all(r.cold_start for r in results)
    assert len(recorder.stream_names("/aws/lambda/wide")) == 4
    assert len({e.pid for e in engine.environments()}) == 4
    init_lines = [m for m in recorder.messages() if "Init Duration" in m]
    assert len(init_lines) == 4  # one per environment
    assert max(recorder.metric_values("ConcurrentExecutions")) >= 2


LOGGING = """
import logging
logger = logging.getLogger()
logger.info("hidden at module level")
def handler(event, context):
    logger.info("hidden: root sits at WARNING")
    logger.warning("careful")
    if event.get("verbose"):
        logger.setLevel(logging.INFO)
        logger.info("now visible")
    return "ok"
"""

LINE = r"\[(?P<level>[A-Z]+)\]\t\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\t(?P<id>[0-9a-f-]*)\t(?P<message>.*)"


def test_python_logging_uses_the_runtime_format_and_warning_level(engine, recorder):
    spec = make_spec(LOGGING)
    first = engine.invoke(spec, b"{}")
    second = engine.invoke(spec, b'{"verbose": true}')
    logged = [re.fullmatch(LINE, m) for m in recorder.messages() if m.startswith("[")]
    assert [(m["level"], m["id"], m["message"]) for m in logged] == [
        ("WARNING", first.request_id, "careful"),
        ("WARNING", second.request_id, "careful"),
        ("INFO", second.request_id, "now visible"),
    ]


def test_aws_lambda_log_level_sets_the_root_logger(engine, recorder):
    spec = make_spec(LOGGING, environment={"AWS_LAMBDA_LOG_LEVEL": "INFO"})
    result = engine.invoke(spec, b"{}")
    logged = [re.fullmatch(LINE, m) for m in recorder.messages() if m.startswith("[")]
    assert [(m["id"], m["message"]) for m in logged] == [
        ("", "hidden at module level"), (result.request_id, "hidden: root sits at WARNING"),
        (result.request_id, "careful")]


def test_metrics(engine, recorder):
    spec = make_spec("def handler(event, context):\n    if event: raise ValueError('x')\n", name="metered")
    engine.invoke(spec, b"{}")
    engine.invoke(spec, b'{"fail": 1}')
    assert recorder.metric_values("Invocations") == [1.0, 1.0]
    assert recorder.metric_values("Errors") == [0.0, 1.0]
    assert len(recorder.metric_values("Duration")) == 2
    datum = recorder.metrics[0]
    assert datum["Dimensions"] == [{"Name": "FunctionName", "Value": "metered"}]
    assert {d["Unit"] for d in recorder.metrics} == {"Count", "Milliseconds"}


def test_a_failing_log_sink_does_not_break_invocations():
    from helpers.engine import Engine

    def broken(*args):
        raise RuntimeError("sink down")

    with Engine(log_sink=broken, metric_sink=broken) as engine:
        assert engine.invoke(make_spec(HELLO), b"{}").payload == b'"hi"'


def test_execution_roles_give_credentials_and_decide_where_logs_go(recorder):
    from helpers.engine import Engine

    class Roles:
        """Credentials per role; logs only while `logging` is on."""

        logging = False

        def credentials(self, spec):
            return {"AWS_ACCESS_KEY_ID": "ASIA" + spec.role[-4:], "AWS_SESSION_TOKEN": "token"}

        def may_write_logs(self, spec, group, stream):
            return self.logging and group == spec.log_group_name

    roles = Roles()
    source = ("import os\ndef handler(event, context):\n    print('ran')\n"
              "    return [os.environ.get(k) for k in ('AWS_ACCESS_KEY_ID', 'AWS_SESSION_TOKEN')]\n")
    with Engine(log_sink=recorder.log_sink, worker_env={"AWS_ACCESS_KEY_ID": "sandbox"}, roles=roles) as engine:
        spec = make_spec(source, role="arn:aws:iam::123456789012:role/role")
        assert json.loads(engine.invoke(spec, b"{}").payload) == ["ASIArole", "token"]
        assert recorder.messages() == []  # it ran, and its logs were dropped
        roles.logging = True
        engine.invoke(spec, b"{}")
        assert "ran" in recorder.messages() and sum(m.startswith("START") for m in recorder.messages()) == 1
        # Another role is another configuration: the environments built with the old credentials retire.
        other = make_spec(source, role="arn:aws:iam::123456789012:role/next")
        assert json.loads(engine.invoke(other, b"{}").payload) == ["ASIAnext", "token"]
