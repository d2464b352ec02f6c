"""A worker process: started in its own process group, its output read into log lines, killed and reaped."""

import os
import resource
import signal
import subprocess
import threading
import time
from typing import Callable, Mapping, Sequence

from . import procfs
from .worker_output import WorkerOutput


def exit_reason(returncode: int) -> str:
    """How a worker ended, worded like the Go runtime interface AWS runs (os/exec's ProcessState)."""
    if returncode < 0:
        return "Runtime exited with error: signal: " + (signal.strsignal(-returncode) or str(-returncode)).lower()
    if returncode == 0:
        return "Runtime exited without providing a reason"
    return f"Runtime exited with error: exit status {returncode}"


class Worker:
    """One worker process and the thread that reads its output until it ends, then reaps it."""

    def __init__(self, command: Sequence[str], env: Mapping[str, str], cwd: str, on_line: Callable[[str], None]):
        self._command = list(command)
        self._env = dict(env)
        self._cwd = cwd
        self._on_line = on_line
        self._process: subprocess.Popen | None = None
        self._output: WorkerOutput | None = None
        self.memory: procfs.ProcessMemory | None = None
        self._inherited_peak = 0
        self._watcher: threading.Thread | None = None
        self._reap_lock = threading.Lock()  # a pid must not be signalled after it has been reaped

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def start(self, on_exit: Callable[[int, int | None], None]) -> None:
        """Spawn the worker; once it has ended, on_exit(returncode, peak RSS over its life or None) runs."""
        self._process = subprocess.Popen(
            self._command, cwd=self._cwd, env=self._env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            # Its own process group, so killing the environment also kills whatever the handler spawned.
            start_new_session=True)
        # exec() passes the spawning process's high-water mark on to the worker's rusage: read ours after
        # the spawn, and a worker peak above it can only be the worker's own.
        self._inherited_peak = procfs.rusage_peak(resource.getrusage(resource.RUSAGE_SELF)) or 0
        self.memory = procfs.ProcessMemory(self._process.pid)
        self._output = WorkerOutput(self._process.stdout, self._on_line)
        self._watcher = threading.Thread(target=self._watch, args=(on_exit,), name=f"lambda-env-{self.pid}",
                                         daemon=True)
        self._watcher.start()

    def drain_output(self, end_line: bool = False) -> None:
        """Turn everything the worker has written so far into log lines (with `end_line`, an unfinished one too)."""
        if self._output is not None:
            self._output.drain()
            if end_line:
                self._output.end_line()

    def kill(self) -> None:
        """SIGKILL the worker and everything it started."""
        with self._reap_lock:
            if self._process is not None and self._process.returncode is None:
                try:
                    os.killpg(self._process.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass

    def join(self, timeout: float | None = None) -> None:
        """Wait until the worker has been reaped (and on_exit has run)."""
        if self._watcher is not None:
            self._watcher.join(timeout)

    def _watch(self, on_exit: Callable[[int, int | None], None]) -> None:
        self._output.read_until_eof()
        returncode, peak = self._reap()
        self.memory.close()
        on_exit(returncode, peak)

    def _reap(self) -> tuple[int, int | None]:
        """The worker's exit status, and its peak RSS over its whole life (None where unknown)."""
        # End of output almost always means the process has exited; poll briefly rather than block
        # in wait() while holding the lock that kill() needs.
        delay = 0.001
        while True:
            with self._reap_lock:
                # wait4, not Popen.poll(): its rusage holds the peak RSS, which /proc no longer shows
                # once the process has exited, and a worker can race past the limit between samples.
                pid, status, usage = os.wait4(self._process.pid, os.WNOHANG)
                if pid:
                    self._process.returncode = os.waitstatus_to_exitcode(status)  # Popen must not reap it again
                    peak = procfs.rusage_peak(usage)
                    return self._process.returncode, peak if peak and peak > self._inherited_peak else None
            time.sleep(delay)
            delay = min(delay * 2, 0.1)
