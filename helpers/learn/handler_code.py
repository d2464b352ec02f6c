"""A handler written in a notebook cell as Lambda code: its app.py, its unit tests, its deployment."""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import boto3

from ..deployment_package import zip_files

_SECTION = re.compile(r"^_{3,} (?P<test>\S+) _{3,}$")
_SUMMARY = re.compile(r"^(\d+ (passed|failed|error|errors)\b.*|no tests ran.*)$")


def module_source(function: Callable[..., Any]) -> str:
    """The text of an app.py whose lambda_handler is `function`, with json imported as in lambda_src/."""
    source = textwrap.dedent(inspect.getsource(function)).rstrip()
    alias = "" if function.__name__ == "lambda_handler" else f"\n\nlambda_handler = {function.__name__}"
    return f"import json\n\n\n{source}{alias}\n"


def deploy_handler(function: Callable[..., Any], function_name: str) -> None:
    """Make `function` the code of a Lambda function as app.lambda_handler (lambda.update_function_code, function_updated_v2 waiter)."""
    client = boto3.client("lambda")
    client.update_function_code(FunctionName=function_name, ZipFile=zip_files({"app.py": module_source(function)}))
    client.get_waiter("function_updated_v2").wait(FunctionName=function_name, WaiterConfig={"Delay": 1, "MaxAttempts": 60})


@dataclass
class TestRun:
    """What `pytest -q` said: its summary line and, for each failing test, the assertion that failed."""

    summary: str
    failures: dict[str, list[str]] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        """True when every test passed."""
        words = set(self.summary.replace(",", " ").split())
        return not self.failures and "passed" in words and not words & {"failed", "error", "errors"}

    def __str__(self) -> str:
        lines = []
        for test, detail in self.failures.items():
            lines += [f"FAILED {test}", *detail]
        return "\n".join([*lines, self.summary])


def run_unit_tests(folder: str | Path, *files: str) -> TestRun:
    """Run `python -m pytest -q` on a folder (or some of its files), as CI would; keep each failing assertion."""
    targets = [str(Path(folder, name)) for name in files] or [str(folder)]
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "--tb=short", "--color=no", "-p", "no:cacheprovider", "-p", "no:randomly", *targets],
        capture_output=True, text=True, cwd=folder,
    )
    return parse_pytest_output(run.stdout)


def parse_pytest_output(output: str) -> TestRun:
    """The summary line and failing assertions of `pytest -q --tb=short` output."""
    lines = output.splitlines()
    summary = next((line for line in reversed(lines) if _SUMMARY.match(line)), lines[-1] if lines else "no output")
    failures: dict[str, list[str]] = {}
    current: list[str] | None = None
    failing_line, in_folder = "", False
    for line in lines:
        section = _SECTION.match(line)
        if section:
            current, failing_line = failures.setdefault(section["test"], []), ""
        elif line.startswith("="):
            current = None
        elif current is None:
            continue
        elif line.split(" ", 1)[0] == "E":
            # The last line of the tests or app.py that ran (not a library's), then pytest's E lines.
            if not current and failing_line:
                current.append(failing_line)
            current.append(line.rstrip())
        elif line.startswith("    "):
            if in_folder and line.strip(" ^~"):  # not Python's ^^^ markers under the line
                failing_line = line.rstrip()
        else:  # a frame's "file:line: in function" header; files of the tests' folder are relative
            in_folder = not line.startswith(("/", "<")) and ":" in line
    return TestRun(summary, failures)
