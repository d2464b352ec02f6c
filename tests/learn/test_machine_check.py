"""Chapter 00's environment check: passes on a working machine, and says what to do when a part is blocked."""

from __future__ import annotations

import subprocess
import types

import boto3
import pytest

from helpers.engine import environment
from helpers.machine_check import NAME, check_machine


def leftovers():
    """What the check created and should have deleted."""
    functions = [f["FunctionName"] for f in boto3.client("lambda").list_functions()["Functions"]]
    apis = [a["name"] for a in boto3.client("apigateway").get_rest_apis()["items"]]
    roles = [r["RoleName"] for r in boto3.client("iam").list_roles()["Roles"]]
    return [name for name in functions + apis + roles if name.startswith(NAME)]


def test_a_working_machine_passes_and_nothing_is_left_behind(sandbox, capsys):
    check_machine()
    check_machine()  # running the cell again is harmless
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("ok  a Lambda function ran in its own process; its log says: "
                               "INIT_START Runtime Version: python:3.")
    assert lines[1:3] == ['ok  the API URL answered 200 "Hello, World! from Lambda!"',
                          "Your machine is ready for the course."]
    assert lines[3:] == lines[:3]
    assert leftovers() == []


def test_a_machine_that_forbids_starting_processes_is_told_what_to_do(sandbox, monkeypatch, capsys):
    def forbidden(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(environment, "subprocess", types.SimpleNamespace(**{**vars(subprocess), "Popen": forbidden}))
    with pytest.raises(RuntimeError, match="environment check failed"):
        check_machine()
    out = capsys.readouterr().out
    assert "FAILED  the Lambda function did not run: ServiceException" in out
    assert "Permission denied" in out and "antivirus" in out and "Binder" in out
    assert "ok  the API URL answered (HTTP 500, because the function could not run)" in out
    assert leftovers() == []


def test_a_proxy_that_intercepts_local_addresses_is_told_what_to_do(sandbox, monkeypatch, capsys):
    # Nothing listens on port 9: a proxy that is configured but unreachable, with NO_PROXY emptied,
    # stops boto3 before the API URL is ever called.
    for name in ("HTTP_PROXY", "http_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(name, "")
    with pytest.raises(RuntimeError, match="environment check failed"):
        check_machine()
    out = capsys.readouterr().out
    assert out.startswith("FAILED  boto3 could not reach the sandbox: ProxyConnectionError")
    assert "NO_PROXY" in out and "firewall" in out
    monkeypatch.undo()  # the sandbox's own environment again
    assert leftovers() == []
