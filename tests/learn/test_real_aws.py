"""Going to real AWS: the role-propagation retry and the Linux packaging command (no AWS call)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from helpers.real_aws import ROLE_NOT_READY, create_function_when_role_ready, linux_install_command


class FakeLambda:
    """Fails with `errors` in turn, then creates the function."""

    def __init__(self, *errors):
        self.errors = list(errors)
        self.calls = []

    def create_function(self, **kwargs):
        self.calls.append(kwargs)
        if self.errors:
            code, message = self.errors.pop(0)
            raise ClientError({"Error": {"Code": code, "Message": message}}, "CreateFunction")
        return {"FunctionName": kwargs["FunctionName"], "State": "Pending"}


NOT_READY = ("InvalidParameterValueException", ROLE_NOT_READY)


def test_retries_while_the_role_is_not_ready_and_says_so(capsys):
    fake, waits = FakeLambda(NOT_READY, NOT_READY), []
    result = create_function_when_role_ready(client=fake, sleep=waits.append, FunctionName="f", Role="arn:r")
    assert result["FunctionName"] == "f"
    assert len(fake.calls) == 3 and waits == [1.0, 2.0]
    out = capsys.readouterr().out.splitlines()
    assert out == [f"attempt 1: {ROLE_NOT_READY} Waiting 1 s for IAM to propagate the new role.",
                   f"attempt 2: {ROLE_NOT_READY} Waiting 2 s for IAM to propagate the new role."]


def test_the_backoff_is_bounded_and_the_last_error_surfaces():
    fake, waits = FakeLambda(*[NOT_READY] * 10), []
    with pytest.raises(ClientError, match="cannot be assumed"):
        create_function_when_role_ready(client=fake, sleep=waits.append, attempts=6, FunctionName="f")
    assert len(fake.calls) == 6
    assert waits == [1.0, 2.0, 4.0, 8.0, 8.0]


@pytest.mark.parametrize("error", [("InvalidParameterValueException", "Unsupported runtime"),
                                   ("ResourceConflictException", "Function already exist: f")])
def test_other_errors_are_not_retried(error):
    fake, waits = FakeLambda(error), []
    with pytest.raises(ClientError):
        create_function_when_role_ready(client=fake, sleep=waits.append, FunctionName="f")
    assert len(fake.calls) == 1 and waits == []


def test_linux_install_command():
    assert linux_install_command(["requests==2.32.3"], "build/package") == (
        "pip install --platform manylinux2014_x86_64 --only-binary=:all: --implementation cp "
        "--python-version 3.12 --target build/package requests==2.32.3")
    assert "manylinux2014_aarch64" in linux_install_command(["pydantic"], architecture="arm64")
