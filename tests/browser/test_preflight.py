"""The pre-flight check instructors send to learners: one command that says whether a machine can run the course."""

from __future__ import annotations

import os
import subprocess
import sys

from lab_support import ROOT


def preflight(env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "helpers.machine_check"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env=env)


def test_a_ready_machine_passes_with_exit_code_0():
    done = preflight()
    lines = done.stdout.splitlines()
    assert done.returncode == 0, done.stdout + done.stderr
    assert lines[0].startswith("ok  Python 3.")
    assert lines[1].startswith("ok  a Lambda function ran in its own process")
    assert lines[2] == 'ok  the API URL answered 200 "Hello, World! from Lambda!"'
    assert lines[-1] == "Your machine is ready for the course."


def test_a_machine_without_the_packages_fails_with_exit_code_1_and_says_what_to_do(tmp_path):
    # A matplotlib that cannot be imported stands for an environment the course was never installed into.
    (tmp_path / "matplotlib").mkdir()
    (tmp_path / "matplotlib" / "__init__.py").write_text("raise ImportError('No module named matplotlib')\n")
    done = preflight({**os.environ, "PYTHONPATH": str(tmp_path)})
    assert done.returncode == 1
    assert done.stdout.startswith("FAILED  matplotlib is not installed")
    assert "make lab" in done.stdout
