"""A chapter's committed outputs hold under a second supported Python, not only the one they were recorded with."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SUPPORTED = ("3.11", "3.12", "3.13", "3.14")
# Chapter 02 prints the function's platform log lines, the output most tied to the interpreter.
CHAPTER = "notebooks/02_create_lambda_function.ipynb"


def _works(command: str) -> bool:
    # A version manager's shim can exist for an interpreter that is not installed.
    try:
        return subprocess.run([command, "-c", "import venv, ensurepip"], capture_output=True, timeout=60).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def _candidates(version: str) -> list[str]:
    """Where a `pythonX.Y` may be: on PATH, or installed by pyenv without being its active version."""
    found = [shutil.which(f"python{version}")]
    if shutil.which("pyenv"):
        root = subprocess.run(["pyenv", "root"], capture_output=True, text=True).stdout.strip()
        found += sorted(Path(root).glob(f"versions/{version}.*/bin/python{version}"), reverse=True)
    return [str(command) for command in found if command]


def other_python() -> tuple[str, str] | None:
    """The version and command of the first supported interpreter that is not this one."""
    current = f"{sys.version_info.major}.{sys.version_info.minor}"
    for version in SUPPORTED:
        if version == current:
            continue
        for command in _candidates(version):
            if _works(command):
                return version, command
    return None


def chapter_requirements() -> list[str]:
    """What a kernel needs to run a chapter under nbval: the project's dependencies, less the JupyterLab UI."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    needed = [r for r in project["dependencies"] if not r.startswith("jupyterlab")]
    return [*needed, "ipykernel", "nbval>=0.11", "pytest>=8"]


def environment_for(version: str, python: str) -> Path:
    """A virtual environment for `version`, made once and remade only when pyproject.toml changes."""
    home = ROOT / ".venv-other" / f"py{version}"
    stamp = home / "installed-from"
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == wanted:
        return home
    shutil.rmtree(home, ignore_errors=True)
    subprocess.run([python, "-m", "venv", str(home)], check=True)
    subprocess.run([str(home / "bin" / "python"), "-m", "pip", "install", "--quiet", *chapter_requirements()],
                   check=True)
    stamp.write_text(wanted)
    return home


@pytest.mark.skipif(os.name != "posix", reason="the environment layout below is POSIX's (bin/python)")
def test_a_chapter_passes_strict_nbval_under_a_second_python():
    found = other_python()
    if found is None:
        pytest.skip(f"no second interpreter among Python {', '.join(SUPPORTED)} on PATH or in pyenv")
    version, command = found
    python = environment_for(version, command) / "bin" / "python"
    # The kernel imports this checkout's helpers from the source tree, as an editable install would.
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run(
        # tests.conftest carries the nbval stderr rule that `make test` loads with the test folder.
        [str(python), "-m", "pytest", "-q", "-p", "tests.conftest", "--nbval", "--nbval-current-env",
         "--nbval-sanitize-with", "tests/sanitize.cfg", CHAPTER],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, f"chapter 02 under Python {version}:\n{run.stdout[-4000:]}\n{run.stderr[-2000:]}"
