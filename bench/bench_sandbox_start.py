"""How long `import helpers` + `sandbox.start()` take, against a bare `import boto3` in the same run.

Each sample is a fresh interpreter (the learner's first cell), after one
warm-up run so files come from the page cache ("after the first import").
"""

from __future__ import annotations

import statistics
import subprocess
import sys

RUNS = 7
BASELINE = "import time; t = time.perf_counter(); import boto3; boto3.client('sts', region_name='us-east-1'); print(time.perf_counter() - t)"
SANDBOX = (
    "import time; t = time.perf_counter(); import helpers; from helpers import sandbox; "
    "box = sandbox.start(); import boto3; boto3.client('sts').get_caller_identity(); "
    "print(time.perf_counter() - t); box.stop()"
)
IMPORT_AND_START = (
    "import time; t = time.perf_counter(); import helpers; from helpers import sandbox; "
    "box = sandbox.start(); print(time.perf_counter() - t); box.stop()"
)
# A kernel that has started a sandbox before (the modules are imported).
RESTART = (
    "import time; from helpers import sandbox; sandbox.start().stop(); "
    "t = time.perf_counter(); box = sandbox.start(); print(time.perf_counter() - t); box.stop()"
)


def sample(code: str) -> float:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.split()[-1])


def median_ms(code: str) -> float:
    sample(code)  # warm-up
    return statistics.median(sample(code) for _ in range(RUNS)) * 1000


def main() -> None:
    base = median_ms(BASELINE)
    rows = [
        ("import helpers + sandbox.start()", median_ms(IMPORT_AND_START)),
        ("import helpers + start + first boto3 call", median_ms(SANDBOX)),
        ("sandbox.start() again in the same process", median_ms(RESTART)),
    ]
    print(f"{'bare import boto3 + client':<44}{base:8.1f} ms (baseline)")
    for name, value in rows:
        print(f"{name:<44}{value:8.1f} ms  ({value / base:.2f}x baseline)")


if __name__ == "__main__":
    main()
