"""One learner's footprint on a JupyterHub: memory and CPU of a Jupyter server, its kernel and the sandbox's workers.

A learner's single-user server is a Jupyter server; this starts one on
loopback, runs chapters in a kernel over its REST API and websocket (as
JupyterLab does), samples the process tree (server + kernel + Lambda worker
processes) while each chapter runs, and prints, per chapter: peak and
after-the-chapter memory, and CPU time and cores used. The baseline, measured
in the same run, is an idle server with an idle kernel: what any Jupyter
learner costs before the course starts a sandbox. docs/jupyterhub.md turns
these figures into per-user limits.

    python bench/bench_learner_footprint.py [03 06 08 10 ...]
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.hub.hub_support import COURSE, LOOPBACK, free_port  # noqa: E402
from tests.hub.remote_kernel import RemoteKernel, code_cells  # noqa: E402

# The walkthrough's API (03), the most execution environments (06), load (08), CloudFormation and DynamoDB (10, the largest).
DEFAULT_CHAPTERS = ["03", "06", "08", "10"]
SAMPLE_EVERY = 0.2
MIB = 1024 * 1024


def tree(root: psutil.Process) -> list[psutil.Process]:
    """The server and every process under it (kernels, Lambda workers)."""
    return [root, *root.children(recursive=True)]


def rss(processes: list[psutil.Process]) -> int:
    """Resident memory added up (shared pages counted in each process: an upper bound)."""
    return sum(_safe(lambda p: p.memory_info().rss, p) for p in processes)


def pss(processes: list[psutil.Process]) -> int:
    """Proportional set size added up: shared pages split between the processes that share them."""
    return sum(_safe(lambda p: p.memory_full_info().pss, p) for p in processes)


def cpu_seconds(processes: list[psutil.Process]) -> float:
    """CPU time used so far, including children that have exited and been waited for."""

    def used(p: psutil.Process) -> float:
        t = p.cpu_times()
        return t.user + t.system + t.children_user + t.children_system

    return sum(_safe(used, p) for p in processes)


def _safe(measure, process: psutil.Process):
    try:
        return measure(process)
    except (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied):
        return 0


class Sampler:
    """Samples the tree's memory and CPU in a thread while a chapter runs."""

    def __init__(self, root: psutil.Process) -> None:
        self.root = root
        self.peak_rss = 0
        self.peak_processes = 0
        self.peak_cores = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="footprint-sampler")

    def __enter__(self) -> "Sampler":
        self.started = time.monotonic()
        self.cpu_at_start = cpu_seconds(tree(self.root))
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.wall = time.monotonic() - self.started
        # Workers that exited and were waited for are in their parent's children times.
        self.cpu = cpu_seconds(tree(self.root)) - self.cpu_at_start

    def _run(self) -> None:
        last_cpu, last_time = self.cpu_at_start, time.monotonic()
        while not self._stop.wait(SAMPLE_EVERY):
            processes = tree(self.root)
            self.peak_rss = max(self.peak_rss, rss(processes))
            self.peak_processes = max(self.peak_processes, len(processes))
            now_cpu, now = cpu_seconds(processes), time.monotonic()
            if now - last_time >= 1.0:
                self.peak_cores = max(self.peak_cores, (now_cpu - last_cpu) / (now - last_time))
                last_cpu, last_time = now_cpu, now


def start_server(root_dir: Path, token: str) -> tuple[subprocess.Popen, str]:
    """A Jupyter server on loopback (what a hub spawns for each learner), and its URL."""
    port = free_port()
    command = [sys.executable, "-m", "jupyter", "server", f"--ServerApp.ip={LOOPBACK}", f"--ServerApp.port={port}",
               f"--ServerApp.root_dir={root_dir}", f"--IdentityProvider.token={token}", "--ServerApp.open_browser=False"]
    if os.geteuid() == 0:
        command.append("--allow-root")
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://{LOOPBACK}:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{url}/api/status", headers={"Authorization": f"token {token}"}, timeout=2).ok:
                return server, url
        except requests.RequestException:
            time.sleep(0.2)
    server.kill()
    raise TimeoutError("the Jupyter server did not start in 60 s")


def notebook(chapter: str) -> str:
    """The notebook path, relative to the course folder, of a chapter number such as '03'."""
    (match,) = [p for p in (ROOT / "notebooks").glob(f"{chapter}_*.ipynb")]
    return f"notebooks/{match.name}"


def main(chapters: list[str]) -> None:
    token = secrets.token_hex(24)
    with tempfile.TemporaryDirectory(prefix="footprint-") as course:
        for folder in COURSE:
            shutil.copytree(ROOT / folder, Path(course) / folder, ignore=shutil.ignore_patterns("__pycache__"))
        server, url = start_server(Path(course), token)
        root = psutil.Process(server.pid)
        try:
            idle = RemoteKernel(url, token, notebook(chapters[0]), timeout=120)
            idle.execute("1")
            time.sleep(1)
            baseline_rss, baseline_pss = rss(tree(root)), pss(tree(root))
            idle.close()
            print(f"baseline: idle server + idle kernel: RSS {baseline_rss / MIB:.0f} MiB, PSS {baseline_pss / MIB:.0f} MiB")
            print(f"{'chapter':<32} {'wall s':>7} {'CPU s':>6} {'avg cores':>9} {'peak 1-s cores':>14} "
                  f"{'peak RSS MiB':>12} {'after RSS MiB':>13} {'after PSS MiB':>13} {'procs':>5} {'x baseline':>10}")
            for chapter in chapters:
                path = notebook(chapter)
                cells = code_cells(Path(course) / path)
                kernel = RemoteKernel(url, token, path, timeout=300)
                with Sampler(root) as sample:
                    kernel.run_cells(cells[:-1])  # the sandbox still running, before the chapter's clean-up
                after = tree(root)
                after_rss, after_pss = rss(after), pss(after)
                kernel.run_cells(cells[-1:])
                kernel.close()
                peak = max(sample.peak_rss, after_rss)
                print(f"{Path(path).stem:<32} {sample.wall:>7.1f} {sample.cpu:>6.1f} {sample.cpu / sample.wall:>9.2f} "
                      f"{sample.peak_cores:>14.2f} {peak / MIB:>12.0f} {after_rss / MIB:>13.0f} {after_pss / MIB:>13.0f} "
                      f"{sample.peak_processes:>5} {peak / baseline_rss:>10.2f}")
        finally:
            server.terminate()
            server.wait(30)


if __name__ == "__main__":
    main(sys.argv[1:] or DEFAULT_CHAPTERS)
