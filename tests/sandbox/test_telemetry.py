"""Data-plane logs and metrics reach CloudWatch in batches, and every read sees them all."""

from __future__ import annotations

import gc
import random
import threading
import urllib.request
from datetime import datetime, timedelta, timezone

from helpers.sandbox import moto_link
from helpers.sandbox.telemetry import Telemetry
from tests.support import walkthrough

STATISTICS = ["SampleCount", "Sum", "Average", "Minimum", "Maximum"]


def _account() -> str:
    return str(random.randrange(10**11, 10**12))


def _statistics(account: str, since: datetime, period: int, minutes: int = 15) -> list[dict]:
    from moto.cloudwatch.models import cloudwatch_backends

    backend = cloudwatch_backends[account]["us-east-1"]
    since = since.replace(tzinfo=None)  # moto's API hands its backend naive UTC times
    points = backend.get_metric_statistics("Test", "Duration", since, since + timedelta(minutes=minutes), period,
                                           STATISTICS, dimensions=[{"Name": "FunctionName", "Value": "f"}])
    return [{s: p.get_statistics_for_type(s) for s in STATISTICS} for p in points]


def test_aggregated_metrics_give_the_statistics_of_the_single_points(no_leaks):
    # The same points, written one by one into one account and through telemetry into another.
    # CloudWatch keeps one-minute data, so every statistic over whole minutes must agree.
    # (moto starts its periods at the first point, not on the minute as CloudWatch does, so
    # within a window only the whole-window figures are comparable.)
    start = datetime(2026, 11, 24, 12, 0, 30, tzinfo=timezone.utc)
    points = [(start + timedelta(seconds=7 * i), float((i * 37) % 11)) for i in range(40)]  # spans 5 minutes
    plain, buffered = _account(), _account()
    write_plain = moto_link.metric_sink(plain, "us-east-1")
    telemetry = Telemetry(moto_link.log_sink(buffered, "us-east-1"), moto_link.metric_sink(buffered, "us-east-1"))
    try:
        for at, value in points:
            datum = {"MetricName": "Duration", "Dimensions": [{"Name": "FunctionName", "Value": "f"}],
                     "Timestamp": at, "Value": value, "Unit": "Milliseconds"}
            write_plain("Test", [datum])
            telemetry.put_metric_data("Test", [datum])
        telemetry.flush()
        since = start.replace(second=0)
        assert _statistics(buffered, since, 3600) == _statistics(plain, since, 3600)
        per_minute = _statistics(buffered, since, 60)
        assert len(per_minute) >= 4
        assert sum(p["SampleCount"] for p in per_minute) == len(points)
        assert sum(p["Sum"] for p in per_minute) == sum(value for _, value in points)
        for minute in range(5):  # each minute on its own, as CloudWatch answers for Period=60
            first = since + timedelta(minutes=minute)
            window = [v for at, v in points if first <= at < first + timedelta(minutes=1)]
            got = _statistics(buffered, first, 60, minutes=1)
            assert len(got) == 1 and got[0]["SampleCount"] == len(window) and got[0]["Sum"] == sum(window)
            assert (got[0]["Minimum"], got[0]["Maximum"]) == (min(window), max(window))
    finally:
        telemetry.stop()
        moto_link.forget_account(plain)
        moto_link.forget_account(buffered)


def test_a_second_with_one_point_is_written_as_that_value():
    written = []
    telemetry = Telemetry(lambda *a: None, lambda namespace, data: written.extend(data))
    try:
        at = datetime(2026, 11, 24, 12, 0, 30, tzinfo=timezone.utc)
        telemetry.put_metric_data("Test", [{"MetricName": "Count", "Dimensions": [], "Timestamp": at,
                                            "Value": 1, "Unit": "Count"}])
        telemetry.put_metric_data("Test", [{"MetricName": "Latency", "Dimensions": [], "Timestamp": at,
                                            "Value": 2.5}, {"MetricName": "Latency", "Dimensions": [],
                                                            "Timestamp": at + timedelta(milliseconds=300), "Value": 0.5}])
        telemetry.flush()
    finally:
        telemetry.stop()
    by_name = {d["MetricName"]: d for d in written}
    assert by_name["Count"] == {"MetricName": "Count", "Dimensions": [], "Timestamp": at, "Value": 1.0, "Unit": "Count"}
    assert by_name["Latency"]["Timestamp"] == at and "Unit" not in by_name["Latency"]
    assert by_name["Latency"]["StatisticValues"] == {"SampleCount": 2.0, "Sum": 3.0, "Minimum": 0.5, "Maximum": 2.5}


def test_data_points_are_aggregated_as_they_come_not_held_until_the_flush():
    # A second's worth of points held one by one would outlive the young collections, and the
    # old generation's growth sets off full collections of the whole heap (~190 ms each, measured).
    written = []
    telemetry = Telemetry(lambda *a: None, lambda namespace, data: written.extend(data), interval=3600)
    at = datetime.now(timezone.utc)

    def put(value: float) -> None:
        telemetry.put_metric_data("Test", [{"MetricName": "Duration", "Dimensions": [{"Name": "F", "Value": "f"}],
                                            "Timestamp": at, "Value": value, "Unit": "Milliseconds"}])

    try:
        put(5.0)
        gc.collect()
        before = len(gc.get_objects())
        for i in range(5000):
            put(float(i % 7))
        gc.collect()
        grown = len(gc.get_objects()) - before
        telemetry.flush()
    finally:
        telemetry.stop()
    assert grown < 500, f"{grown} objects kept for 5,000 data points of one metric and second"
    [datum] = written
    assert datum["StatisticValues"] == {"SampleCount": 5001.0, "Sum": 5.0 + sum(i % 7 for i in range(5000)),
                                        "Minimum": 0.0, "Maximum": 6.0}


def test_log_events_keep_their_order_across_batches_and_threads():
    written: list[tuple[str, str, list]] = []
    telemetry = Telemetry(lambda group, stream, events: written.append((group, stream, events)), lambda *a: None,
                          interval=0.001)
    try:
        def writer(stream: str) -> None:
            for i in range(500):
                telemetry.put_log_events("/aws/lambda/f", stream, [(i, f"{stream} {i}")])
        threads = [threading.Thread(target=writer, args=(f"s{n}",)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        telemetry.stop()
    for n in range(4):
        lines = [message for _, stream, events in written if stream == f"s{n}" for _, message in events]
        assert lines == [f"s{n} {i}" for i in range(500)]


def test_lines_stamped_out_of_order_all_reach_cloudwatch_in_order(no_leaks):
    # CloudWatch (and moto) refuse a whole PutLogEvents batch that is not in time order.
    account = _account()
    telemetry = Telemetry(moto_link.log_sink(account, "us-east-1"), moto_link.metric_sink(account, "us-east-1"))
    now = int(datetime.now(timezone.utc).timestamp() * 1000)
    try:
        telemetry.put_log_events("/aws/lambda/f", "s", [(now + 1, "second"), (now + 1, "third")])
        telemetry.put_log_events("/aws/lambda/f", "s", [(now, "first")])
        telemetry.flush()
        from moto.logs.models import logs_backends

        stream = logs_backends[account]["us-east-1"].groups["/aws/lambda/f"].streams["s"]
        assert [event.message for event in stream.events] == ["first", "second", "third"]
    finally:
        telemetry.stop()
        moto_link.forget_account(account)


def test_the_background_thread_delivers_without_a_read_and_stop_flushes_the_rest(no_leaks):
    delivered = threading.Event()
    batches = []

    def write(group, stream, events):
        batches.append(events)
        delivered.set()

    telemetry = Telemetry(write, lambda *a: None, interval=0.01)
    try:
        telemetry.put_log_events("g", "s", [(1, "first")])
        assert delivered.wait(30), "the background flush never ran"
    finally:
        telemetry.stop()
    stopped = Telemetry(write, lambda *a: None, interval=3600)
    stopped.put_log_events("g", "s", [(2, "last")])
    stopped.stop()
    stopped.stop()  # idempotent
    assert [message for events in batches for _, message in events] == ["first", "last"]


def test_a_failing_writer_loses_nothing_else(caplog):
    # One stream and one namespace whose writes fail: the others in the same flush, and
    # everything queued after it, still arrive; the failure is logged, not raised.
    logs, metrics = [], []

    def write_logs(group, stream, events):
        if stream == "broken":
            raise RuntimeError("log write failed")
        logs.extend(message for _, message in events)

    def write_metrics(namespace, data):
        if namespace == "Broken":
            raise RuntimeError("metric write failed")
        metrics.extend((namespace, d["MetricName"]) for d in data)

    def datum(name):
        return [{"MetricName": name, "Dimensions": [], "Value": 1, "Timestamp": datetime.now(timezone.utc)}]

    telemetry = Telemetry(write_logs, write_metrics, interval=3600)
    try:
        telemetry.put_log_events("g", "broken", [(1, "lost")])
        telemetry.put_log_events("g", "s", [(1, "kept")])
        telemetry.put_metric_data("Broken", datum("lost"))
        telemetry.put_metric_data("N", datum("kept"))
        telemetry.flush()  # logged, not raised: the data plane must keep serving
        telemetry.put_log_events("g", "s", [(2, "after")])
        telemetry.put_metric_data("N", datum("after"))
        telemetry.flush()
    finally:
        telemetry.stop()
    assert logs == ["kept", "after"]
    assert metrics == [("N", "kept"), ("N", "after")]
    failures = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert failures == ["could not write log events to g broken", "could not write metrics to Broken"]


def test_reads_right_after_a_request_see_its_logs_and_metrics(sandbox):
    # Nothing waits for the background flush here: the CloudWatch reads themselves flush.
    sandbox.telemetry._interval = 3600
    api = walkthrough(sandbox)

    with urllib.request.urlopen(api.url("/hello")) as response:
        assert response.status == 200
    logs = sandbox.client("logs")
    messages = [e["message"] for e in logs.filter_log_events(logGroupName="/aws/lambda/hello-world-api")["events"]]
    assert any(m.startswith("REPORT RequestId:") for m in messages)
    cloudwatch = sandbox.client("cloudwatch")
    names = {m["MetricName"] for m in cloudwatch.list_metrics(Namespace="AWS/ApiGateway")["Metrics"]}
    assert {"Count", "Latency", "IntegrationLatency"} <= names
    count = cloudwatch.get_metric_statistics(
        Namespace="AWS/Lambda", MetricName="Invocations", Dimensions=[{"Name": "FunctionName", "Value": "hello-world-api"}],
        StartTime=datetime.now(timezone.utc) - timedelta(minutes=5), EndTime=datetime.now(timezone.utc) + timedelta(minutes=1),
        Period=60, Statistics=["Sum"])["Datapoints"]
    assert sum(p["Sum"] for p in count) == 1
