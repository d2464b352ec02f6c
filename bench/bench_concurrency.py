"""Benchmark: warm GET /dev/hello through a sandbox vs a bare ThreadingHTTPServer, driven by wrk.

Run: python bench/bench_concurrency.py [--rounds 5] [--seconds 3] [--connections 8]

Both servers run in child processes of this script (bench_gateway's): the sandbox with the
walkthrough deployed through boto3, the baseline answering with the same handler's result
in-process. The client is wrk, a separate process, so no client thread shares a GIL with a
server. Each round measures both servers back to back (interleaved, so a change in the
machine's load hits them alike): one keep-alive connection for the warm p50, then N
keep-alive connections for throughput and p99. Medians of the rounds are compared with the
issue's targets: p50 <= 4x, throughput >= 1/3, p99 <= 5x the baseline's.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_gateway import ServerProcess, serve_baseline, serve_sandbox  # noqa: E402

_UNITS = {"us": 1.0, "ms": 1e3, "s": 1e6, "m": 60e6}
_PERCENTILE = re.compile(r"^\s+(50|99)(?:\.000)?%\s+([\d.]+)(us|ms|s|m)\s*$", re.MULTILINE)
_RATE = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)
_FAILED = re.compile(r"Non-2xx or 3xx responses: (\d+)|Socket errors: .*")


def wrk(url: str, connections: int, seconds: int) -> dict[str, float]:
    """p50 and p99 in microseconds and requests per second, from one wrk run."""
    output = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", url],
                            capture_output=True, text=True, check=True).stdout
    failed = _FAILED.search(output)
    if failed:
        raise RuntimeError(f"wrk saw failures against {url}: {failed.group(0)}")
    percentiles = {int(p): float(value) * _UNITS[unit] for p, value, unit in _PERCENTILE.findall(output)}
    return {"p50": percentiles[50], "p99": percentiles[99], "rps": float(_RATE.search(output).group(1))}


def measure(server: ServerProcess, connections: int, seconds: int) -> dict[str, float]:
    """The warm single-connection p50, then throughput and p99 under `connections` connections."""
    url = f"http://127.0.0.1:{server.port}{server.path}"
    single = wrk(url, 1, seconds)
    loaded = wrk(url, connections, seconds)
    return {"p50": single["p50"], "rps": loaded["rps"], "p99": loaded["p99"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=3, help="length of each wrk run")
    parser.add_argument("--connections", type=int, default=8, help="concurrent keep-alive connections")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("skipped: wrk is needed (apt-get install wrk, brew install wrk)")
        return
    rounds: dict[str, list[dict[str, float]]] = {"baseline": [], "sandbox": []}
    with ServerProcess(serve_baseline) as baseline, ServerProcess(serve_sandbox) as sandbox:
        servers = {"baseline": baseline, "sandbox": sandbox}
        for server in servers.values():  # warm: one environment per concurrent connection
            wrk(f"http://127.0.0.1:{server.port}{server.path}", args.connections, 1)
        for number in range(1, args.rounds + 1):
            for name, server in servers.items():
                result = measure(server, args.connections, args.seconds)
                rounds[name].append(result)
                print(f"round {number} {name:9} p50 {result['p50']:8.0f} µs   {args.connections} connections: "
                      f"{result['rps']:7.0f} req/s, p99 {result['p99']:8.0f} µs", flush=True)
    base, box = ({key: statistics.median(r[key] for r in rounds[name]) for key in ("p50", "rps", "p99")}
                 for name in ("baseline", "sandbox"))
    print(f"\nmedian of {args.rounds} rounds   {'p50 µs':>10}{'req/s':>10}{'p99 µs':>10}")
    for name, result in (("baseline", base), ("sandbox", box)):
        print(f"{name:22}{result['p50']:10.0f}{result['rps']:10.0f}{result['p99']:10.0f}")
    print(f"warm p50 ratio {box['p50'] / base['p50']:.2f}x (target <= 4), "
          f"throughput ratio {box['rps'] / base['rps']:.2f} (target >= 0.33), "
          f"p99 ratio {box['p99'] / base['p99']:.2f}x (target <= 5)")


if __name__ == "__main__":
    main()
