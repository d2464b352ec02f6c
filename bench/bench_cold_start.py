"""Cold start, warm latency and concurrency of the Lambda engine, against a bare interpreter start.

Run: python bench/bench_cold_start.py [--runs N]

(a) bare:    `python -I -S -u -c "<same sys.path setup>; import app"`, started like a worker
(b) cold:    Engine.invoke on a new execution environment, end to end
(c) warm:    Engine.invoke on a warm environment
(d) 8 concurrent invocations, cold (8 new environments) and warm
"""

import argparse
import hashlib
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from helpers.engine import Engine, FunctionSpec, interpreters  # noqa: E402
from helpers.engine.worker_launch import WORKER_FLAGS  # noqa: E402
from helpers.engine.runtime_site import build_runtime_site  # noqa: E402

# The console's hello-world blueprint.
HELLO_WORLD = """import json

def lambda_handler(event, context):
    return {"statusCode": 200, "body": json.dumps("Hello from Lambda!")}
"""


def hello_world_spec() -> FunctionSpec:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("lambda_function.py", HELLO_WORLD)
    code = buffer.getvalue()
    return FunctionSpec(
        function_name="hello", function_arn="arn:aws:lambda:us-east-1:123456789012:function:hello",
        version="$LATEST", handler="lambda_function.lambda_handler", runtime="python3.12", code_zip=code,
        code_sha256=hashlib.sha256(code).hexdigest(), region="us-east-1", account_id="123456789012")


def ms(seconds: float) -> float:
    return seconds * 1000


def bare_import(spec: FunctionSpec, runs: int) -> list[float]:
    """Start the interpreter a worker runs on, as a worker is started, and import the handler's module, nothing else."""
    python = interpreters.for_runtime(spec.runtime, sys.executable).path
    work = tempfile.mkdtemp(prefix="bench-bare-")
    try:
        task_root, site = os.path.join(work, "task"), os.path.join(work, "runtime")
        os.mkdir(site)
        build_runtime_site(python, site)
        with zipfile.ZipFile(io.BytesIO(spec.code_zip)) as archive:
            archive.extractall(task_root)
        code = (f"import sys; sys.path[:] = [{task_root!r}, *sys.path, {site!r}]; "
                f"import {spec.handler.rsplit('.', 1)[0]}")
        env = {"PATH": os.path.dirname(python), "LAMBDA_TASK_ROOT": task_root, "TZ": ":UTC"}
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            subprocess.run([python, *WORKER_FLAGS, "-c", code], cwd=task_root, env=env, check=True,
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           start_new_session=True)
            times.append(ms(time.perf_counter() - start))
        return times
    finally:
        shutil.rmtree(work)


def fresh(spec: FunctionSpec, tag: str) -> FunctionSpec:
    """Same code, new configuration identity: the engine must start a new environment."""
    return replace(spec, environment={"BENCH_RUN": tag})


def cold_starts(engine: Engine, spec: FunctionSpec, runs: int) -> tuple[list[float], list[float]]:
    totals, inits = [], []
    for run in range(runs):
        run_spec = fresh(spec, f"cold-{run}")
        start = time.perf_counter()
        result = engine.invoke(run_spec, b"{}")
        totals.append(ms(time.perf_counter() - start))
        assert result.cold_start and result.function_error is None, result.payload
        inits.append(result.init_duration_ms)
    return totals, inits


def warm_invokes(engine: Engine, spec: FunctionSpec, runs: int) -> tuple[list[float], list[float]]:
    spec = fresh(spec, "warm")
    engine.invoke(spec, b"{}")
    totals, durations = [], []
    for _ in range(runs):
        start = time.perf_counter()
        result = engine.invoke(spec, b"{}")
        totals.append(ms(time.perf_counter() - start))
        durations.append(result.duration_ms)
        assert not result.cold_start
    return totals, durations


def concurrent_rounds(engine: Engine, spec: FunctionSpec, rounds: int, width: int = 8) -> tuple[list[float], list[float]]:
    """Wall time for `width` simultaneous invocations: first on new environments, then on warm ones."""
    cold, warm = [], []
    with ThreadPoolExecutor(width) as pool:
        for run in range(rounds):
            run_spec = fresh(spec, f"wide-{run}")
            for bucket in (cold, warm):
                start = time.perf_counter()
                results = list(pool.map(lambda _: engine.invoke(run_spec, b"{}"), range(width)))
                bucket.append(ms(time.perf_counter() - start))
                assert all(r.function_error is None for r in results)
    return cold, warm


def summary(label: str, values: list[float]) -> str:
    values = sorted(values)
    p90 = values[min(len(values) - 1, int(len(values) * 0.9))]
    return f"{label:<44} median {statistics.median(values):8.2f} ms   p90 {p90:8.2f} ms   (n={len(values)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21, help="samples per cold measurement (default 21)")
    args = parser.parse_args()
    spec = hello_world_spec()
    worker = interpreters.for_runtime(spec.runtime, sys.executable)
    print(f"python {sys.version.split()[0]} at {sys.executable}, {spec.runtime} functions on {worker.path} "
          f"({'.'.join(map(str, worker.version))}), {os.cpu_count()} CPUs, flags {' '.join(WORKER_FLAGS)}")

    bare = bare_import(spec, args.runs)
    with Engine() as engine:
        cold, inits = cold_starts(engine, spec, args.runs)
        warm, handler = warm_invokes(engine, spec, args.runs * 10)
        wide_cold, wide_warm = concurrent_rounds(engine, spec, max(3, args.runs // 4))

    print(summary("(a) bare interpreter + import handler", bare))
    print(summary("(b) cold start through Engine.invoke", cold))
    print(summary("    of which Init Duration (REPORT)", inits))
    print(summary("(c) warm Engine.invoke", warm))
    print(summary("    of which Duration (REPORT)", handler))
    print(summary("(d) 8 concurrent, 8 new environments", wide_cold))
    print(summary("    8 concurrent, warm", wide_warm))
    ratio = statistics.median(cold) / statistics.median(bare)
    print(f"cold / bare = {ratio:.2f}   (goal: within 1.5)")


if __name__ == "__main__":
    main()
