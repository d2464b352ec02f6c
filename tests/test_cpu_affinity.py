"""The sandbox's request threads share one CPU; the Lambda workers they start may use them all."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import urllib.request

import boto3
import pytest

from helpers import cpu_affinity
from tests.sandbox.test_lambda_service import deploy

pytestmark = pytest.mark.skipif(
    not hasattr(os, "sched_setaffinity") or len(os.sched_getaffinity(0)) < 2,
    reason="CPU affinity is Linux's, and pinning needs more than one CPU to mean anything")

AFFINITY = """\
import os

def lambda_handler(event, context):
    return sorted(os.sched_getaffinity(0))
"""


def test_current_cpu_is_the_one_the_thread_runs_on():
    seen = {}

    def on_each_cpu():  # a thread of its own: moving it leaves the test's thread where it was
        for cpu in sorted(os.sched_getaffinity(0)):
            os.sched_setaffinity(0, {cpu})
            seen[cpu] = cpu_affinity.current_cpu()

    thread = threading.Thread(target=on_each_cpu)
    thread.start()
    thread.join()
    assert seen == {cpu: cpu for cpu in os.sched_getaffinity(0)}


def test_request_threads_run_on_one_cpu_and_the_caller_keeps_its_own(serve):
    before = os.sched_getaffinity(0)

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(sorted(os.sched_getaffinity(0))).encode()]

    server = serve(app)
    for _ in range(3):  # a new connection each time: each has its own thread
        with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/") as response:
            cpus = json.loads(response.read())
        assert len(cpus) == 1 and cpus[0] in before
    assert os.sched_getaffinity(0) == before
    assert os.sched_getaffinity(os.getpid()) == before


def test_a_worker_started_by_a_request_thread_may_use_every_cpu(sandbox):
    # The cold start runs on the pinned thread serving the Invoke call, and the worker inherits its CPU.
    deploy("affinity", AFFINITY)
    result = boto3.client("lambda").invoke(FunctionName="affinity")
    assert json.loads(result["Payload"].read()) == sorted(os.sched_getaffinity(os.getpid()))


def test_sharing_with_a_process_that_is_gone_is_not_an_error():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    cpu_affinity.share_process_cpus(child.pid)
