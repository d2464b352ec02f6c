"""LoggingConfig: LogFormat JSON, ApplicationLogLevel and SystemLogLevel, and a custom log group."""

import json
import re

from tests.support import make_spec
from tests.engine.test_engine_logs import LOGGING

TIME = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"


def test_json_format_writes_application_and_platform_records(engine, recorder):
    spec = make_spec(LOGGING, name="structured", log_format="JSON", application_log_level="INFO",
                     system_log_level="INFO")
    result = engine.invoke(spec, b"{}")
    records = [json.loads(m) for m in recorder.messages("/aws/lambda/structured")]
    assert [r.get("type") or r["level"] for r in records] == [
        "platform.initStart", "INFO", "platform.start", "INFO", "WARNING", "platform.report"]
    assert records[0]["record"]["functionName"] == "structured"
    assert records[0]["record"]["initializationType"] == "on-demand"
    hidden = records[3]  # ApplicationLogLevel INFO sets the root logger's level: info() is no longer hidden
    assert set(hidden) == {"timestamp", "level", "message", "logger", "requestId"}
    assert re.fullmatch(TIME, hidden["timestamp"])
    assert (hidden["message"], hidden["logger"], hidden["requestId"]) == (
        "hidden: root sits at WARNING", "root", result.request_id)
    assert records[2] == {"time": records[2]["time"], "type": "platform.start",
                          "record": {"requestId": result.request_id, "version": "$LATEST"}}
    report = records[5]["record"]
    assert report["requestId"] == result.request_id and report["status"] == "success"
    assert set(report["metrics"]) == {"durationMs", "billedDurationMs", "memorySizeMB", "maxMemoryUsedMB",
                                      "initDurationMs"}
    assert re.fullmatch(TIME, records[5]["time"])


def test_levels_filter_application_and_platform_records(engine, recorder):
    spec = make_spec(LOGGING, name="quiet", log_format="JSON", application_log_level="ERROR",
                     system_log_level="WARN")
    engine.invoke(spec, b'{"verbose": true}')
    records = [json.loads(m) for m in recorder.messages("/aws/lambda/quiet")]
    # No platform records at WARN; the handler's own setLevel(INFO) still wins over ApplicationLogLevel.
    assert [(r["level"], r["message"]) for r in records] == [("INFO", "now visible")]


def test_text_format_is_unchanged_and_a_custom_log_group_is_used(engine, recorder):
    spec = make_spec("def handler(event, context):\n    print('plain')\n", name="grouped",
                     log_group="/shared/app-logs")
    engine.invoke(spec, b"{}")
    messages = recorder.messages("/shared/app-logs")
    assert messages[1].startswith("START RequestId: ") and messages[2] == "plain"
    assert recorder.messages("/aws/lambda/grouped") == []


EXTRA_AND_ERRORS = """
import logging
logger = logging.getLogger()
def handler(event, context):
    logger.info("greeting", extra={"visitor": "Ada"})
    try:
        1 / 0
    except ZeroDivisionError:
        logger.exception("caught")
    raise ValueError("bad value")
"""


def test_json_records_carry_extra_keys_exceptions_and_the_unhandled_error(engine, recorder):
    spec = make_spec(EXTRA_AND_ERRORS, name="errors", log_format="JSON", application_log_level="INFO",
                     system_log_level="WARN")
    result = engine.invoke(spec, b"{}")
    greeting, caught, unhandled = [json.loads(m) for m in recorder.messages("/aws/lambda/errors")]
    assert greeting["visitor"] == "Ada" and greeting["requestId"] == result.request_id
    assert (caught["level"], caught["errorType"], caught["errorMessage"]) == ("ERROR", "ZeroDivisionError",
                                                                              "division by zero")
    assert caught["location"] == "/var/task/app.py:handler:9" and caught["stackTrace"]
    assert list(unhandled)[:2] == ["timestamp", "log_level"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", unhandled["timestamp"])
    assert (unhandled["log_level"], unhandled["errorType"], unhandled["errorMessage"], unhandled["requestId"]) == (
        "ERROR", "ValueError", "bad value", result.request_id)
