"""Which Python runs a function: the interpreter its runtime names when the machine has one, else the kernel's.

A function declared `python3.12` runs on `python3.12` from the active conda environment's `bin`, the
kernel's own `bin` (a virtual environment), PATH, or pyenv's versions (whose shim on PATH refuses to
run a version that is not selected), the first that runs; when none does it runs on the interpreter
the engine was given (the kernel's). Each runtime is looked up once per process. Either way the INIT_START line names the
interpreter that really ran, in AWS's format: `Runtime Version: python:3.12.v8` for Python 3.12.8,
or `python:3.11.v7` for a `python3.12` function that ran on the kernel's Python 3.11.7 -- the field
AWS uses to say which runtime build ran, so nothing that reads INIT_START has to change.
"""

from __future__ import annotations

import functools
import glob
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass

_RUNTIME = re.compile(r"^python(\d+)\.(\d+)$")
# Runs in the candidate interpreter: where it really lives (PATH may hold a shim that execs it) and its version.
_PROBE = "import json, sys; print(json.dumps([sys.executable, list(sys.version_info[:3]), sys.version]))"


@dataclass(frozen=True)
class Interpreter:
    """A Python interpreter a worker can run on."""

    path: str
    version: tuple[int, int, int]
    build: str  # its sys.version, which tells two builds of one release apart

    @property
    def runtime_version(self) -> str:
        """As INIT_START prints it: python:3.12.v8."""
        major, minor, micro = self.version
        return f"python:{major}.{minor}.v{micro}"


@functools.lru_cache(maxsize=None)
def for_runtime(runtime: str, fallback: str) -> Interpreter:
    """The interpreter matching `runtime` (e.g. python3.12) if installed, otherwise `fallback`'s."""
    match = _RUNTIME.match(runtime)
    if match:
        wanted = (int(match[1]), int(match[2]))
        for candidate in [fallback, *_candidates(runtime, fallback)]:
            found = probe(candidate)
            if found is not None and found.version[:2] == wanted:
                return found
    return of(fallback)


def of(path: str) -> Interpreter:
    """The interpreter at `path`, or this process's own if `path` does not run."""
    return probe(path) or _this_interpreter()


def _candidates(runtime: str, fallback: str) -> list[str]:
    folders = [os.path.join(os.environ["CONDA_PREFIX"], "bin")] if os.environ.get("CONDA_PREFIX") else []
    folders.append(os.path.dirname(fallback))
    found = [os.path.join(folder, runtime) for folder in folders]
    found.append(shutil.which(runtime))
    pyenv_root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    found.extend(sorted(glob.glob(os.path.join(pyenv_root, "versions", "*", "bin", runtime)), reverse=True))
    return [path for path in found if path and os.access(path, os.X_OK)]


@functools.lru_cache(maxsize=None)
def probe(path: str) -> Interpreter | None:
    """Ask `path` what it is (once per process); None if it does not run."""
    if os.path.realpath(path) == os.path.realpath(sys.executable):
        return _this_interpreter()
    try:
        done = subprocess.run([path, "-I", "-S", "-c", _PROBE], capture_output=True, text=True, timeout=30, env={})
        executable, version, build = json.loads(done.stdout)
    except (OSError, ValueError, subprocess.SubprocessError):
        return None
    return Interpreter(executable or path, tuple(version), build)


def _this_interpreter() -> Interpreter:
    return Interpreter(sys.executable, tuple(sys.version_info[:3]), sys.version)
