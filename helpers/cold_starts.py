"""Cold starts measured the way AWS shows them: REPORT lines in CloudWatch Logs, invocations alone or in bursts."""

from __future__ import annotations

import json
import re
import statistics
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config

# REPORT RequestId: <id>\tDuration: 3.01 ms\tBilled Duration: 4 ms\tMemory Size: 128 MB\tMax Memory Used: 36 MB\tInit Duration: 110.10 ms
_REPORT = re.compile(
    r"REPORT RequestId: (?P<id>\S+)\s+Duration: (?P<duration>[\d.]+) ms\s+Billed Duration: (?P<billed>\d+) ms"
    r"\s+Memory Size: (?P<size>\d+) MB\s+Max Memory Used: (?P<used>\d+) MB(?:\s+Init Duration: (?P<init>[\d.]+) ms)?"
)
# The variable a configuration change sets to retire a function's environments (see force_cold_start).
COLD_START_VARIABLE = "COLD_START_RUN"


@dataclass(frozen=True)
class Report:
    """One REPORT line: what an invocation cost, and the environment (log stream) it ran in."""

    request_id: str
    duration_ms: float
    billed_duration_ms: int
    memory_size_mb: int
    max_memory_used_mb: int
    init_duration_ms: float | None
    log_stream: str = ""

    @property
    def cold(self) -> bool:
        """True when this invocation started its environment (the line has Init Duration)."""
        return self.init_duration_ms is not None


def parse_report(line: str, log_stream: str = "") -> Report | None:
    """The Report in a REPORT log line, or None for any other line."""
    match = _REPORT.search(line)
    if match is None:
        return None
    init = match["init"]
    return Report(match["id"], float(match["duration"]), int(match["billed"]), int(match["size"]), int(match["used"]),
                  float(init) if init else None, log_stream)


def report_lines(function_name: str) -> list[Report]:
    """Every REPORT line of a function, oldest first (logs.filter_log_events with filterPattern "REPORT")."""
    logs = boto3.client("logs")
    reports = []
    try:
        for page in logs.get_paginator("filter_log_events").paginate(
                logGroupName=f"/aws/lambda/{function_name}", filterPattern="REPORT"):
            for event in page["events"]:
                report = parse_report(event["message"], event["logStreamName"])
                if report is not None:
                    reports.append(report)
    except logs.exceptions.ResourceNotFoundException:
        return []  # never invoked: no log group yet
    return reports


def reports_for(function_name: str, request_ids: list[str]) -> list[Report]:
    """The REPORT lines of these invocations, in the order of `request_ids` (logs.filter_log_events)."""
    by_id = {report.request_id: report for report in report_lines(function_name)}
    missing = [request_id for request_id in request_ids if request_id not in by_id]
    if missing:
        raise LookupError(f"no REPORT line for request {missing[0]} of {function_name}")
    return [by_id[request_id] for request_id in request_ids]


def deploy_function(name: str, code: bytes, role_arn: str, **settings: Any) -> str:
    """Create a python3.12 function, replacing one of that name and its logs (lambda.delete_function, logs.delete_log_group, lambda.create_function, function_active_v2 waiter); returns its ARN."""
    client, logs = boto3.client("lambda"), boto3.client("logs")
    try:
        client.delete_function(FunctionName=name)
    except client.exceptions.ResourceNotFoundException:
        pass
    try:  # a replaced function starts with no REPORT lines, so a re-run cell counts only its own
        logs.delete_log_group(logGroupName=f"/aws/lambda/{name}")
    except logs.exceptions.ResourceNotFoundException:
        pass
    settings.setdefault("Handler", "app.lambda_handler")
    arn = client.create_function(FunctionName=name, Runtime="python3.12", Role=role_arn, Code={"ZipFile": code},
                                 **settings)["FunctionArn"]
    client.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    return arn


def force_cold_start(function_name: str) -> None:
    """Retire a function's environments with a configuration change, as on AWS (lambda.update_function_configuration, function_updated_v2 waiter)."""
    client = boto3.client("lambda")
    variables = client.get_function_configuration(FunctionName=function_name).get("Environment", {}).get("Variables", {})
    client.update_function_configuration(
        FunctionName=function_name, Environment={"Variables": {**variables, COLD_START_VARIABLE: uuid.uuid4().hex}})
    client.get_waiter("function_updated_v2").wait(FunctionName=function_name, WaiterConfig={"Delay": 1, "MaxAttempts": 60})


@dataclass(frozen=True)
class Call:
    """One invocation as the caller saw it: its request id, the decoded answer, and the time the call took."""

    request_id: str
    answer: Any
    function_error: str | None
    client_ms: float


def invoke(function_name: str, payload: dict | None = None, *, qualifier: str | None = None, client: Any = None) -> Call:
    """Invoke a function once and time the call (lambda.invoke)."""
    client = client or boto3.client("lambda")
    extra = {"Qualifier": qualifier} if qualifier else {}
    started = time.perf_counter()
    response = client.invoke(FunctionName=function_name, Payload=json.dumps(payload or {}), **extra)
    body = response["Payload"].read()
    elapsed = (time.perf_counter() - started) * 1000
    return Call(response["ResponseMetadata"]["RequestId"], json.loads(body) if body else None,
                response.get("FunctionError"), elapsed)


def invoke_burst(function_name: str, count: int, payload: dict | None = None, *, qualifier: str | None = None) -> list[Call]:
    """Send `count` invocations at the same moment, one thread each (lambda.invoke); returns them in the order sent."""
    # One client for all threads (boto3 clients are thread-safe), with a connection for each.
    client = boto3.client("lambda", config=Config(max_pool_connections=max(count, 10)))
    ready = threading.Barrier(count)

    def call(_: int) -> Call:
        ready.wait()
        return invoke(function_name, payload, qualifier=qualifier, client=client)

    with ThreadPoolExecutor(max_workers=count, thread_name_prefix="burst") as pool:
        return list(pool.map(call, range(count)))


@dataclass(frozen=True)
class Measurement:
    """Init Duration of several cold starts and Duration of the warm calls after them, from REPORT lines."""

    init_ms: list[float]
    warm_ms: list[float]

    @property
    def median_init_ms(self) -> float:
        """The median Init Duration."""
        return statistics.median(self.init_ms)

    @property
    def median_warm_ms(self) -> float:
        """The median Duration of a warm call."""
        return statistics.median(self.warm_ms)


def measure(function_name: str, *, cold_starts: int = 3, warm_calls: int = 2) -> Measurement:
    """Start `cold_starts` new environments, each followed by `warm_calls` calls, and read their REPORT lines."""
    cold_ids, warm_ids = [], []
    for _ in range(cold_starts):
        force_cold_start(function_name)
        cold_ids.append(invoke(function_name).request_id)
        warm_ids += [invoke(function_name).request_id for _ in range(warm_calls)]
    cold, warm = reports_for(function_name, cold_ids), reports_for(function_name, warm_ids)
    if not all(report.cold for report in cold) or any(report.cold for report in warm):
        raise RuntimeError(f"{function_name}: expected Init Duration on exactly the first call of each environment")
    return Measurement([report.init_duration_ms for report in cold], [report.duration_ms for report in warm])


def wait_until_provisioned(function_name: str, qualifier: str, timeout: float = 30.0) -> dict:
    """Poll until provisioned concurrency is READY (lambda.get_provisioned_concurrency_config); returns the config."""
    client = boto3.client("lambda")
    deadline = time.monotonic() + timeout
    while True:
        config = client.get_provisioned_concurrency_config(FunctionName=function_name, Qualifier=qualifier)
        if config["Status"] != "IN_PROGRESS" or time.monotonic() > deadline:
            return config
        time.sleep(0.05)


# What many real functions do first: import the AWS SDK and make a client, at module level.
HEAVY_IMPORT = 'import boto3\n\ns3 = boto3.client("s3")\n\n'


def with_heavy_import(source: str) -> str:
    """`source` with the AWS SDK imported and a client made before everything else."""
    return HEAVY_IMPORT + source
