"""Cells run twice: AWS's refusal to create something again comes with how to go on; start_over() resets a chapter."""

from __future__ import annotations

from typing import Any

# Lambda, IAM, API Gateway, CloudWatch Logs; CloudFormation (a stack) and S3 (a bucket of yours).
_ALREADY_EXISTS = {"ResourceConflictException", "EntityAlreadyExists", "ConflictException", "ResourceAlreadyExistsException",
                   "AlreadyExistsException", "BucketAlreadyOwnedByYou"}
NOTE = ("↑ {code}: this cell has probably run before, and what it creates is still there from that run. "
        "Go on with the next cell, or start over (the 'Start over' section near the top).")


def rerun_note(error: BaseException) -> str | None:
    """How to go on after AWS refused to create something that exists (None for any other error)."""
    code = getattr(error, "response", {}).get("Error", {}).get("Code")
    return NOTE.format(code=code) if code in _ALREADY_EXISTS else None


def explain_reruns() -> None:
    """In IPython, follow an 'already exists' error from AWS with rerun_note(); elsewhere, do nothing."""
    from botocore.exceptions import ClientError
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None:
        return

    def show(shell: Any, etype: type, value: BaseException, tb: Any, tb_offset: int | None = None) -> None:
        shell.showtraceback((etype, value, tb), tb_offset=tb_offset)
        note = rerun_note(value)
        if note:
            print(note)

    shell.set_custom_exc((ClientError,), show)


def start_over(namespace: dict[str, Any]) -> Any:
    """Stop the notebook's sandbox (namespace['lab']), start an empty one in its Region, and remake its boto3 clients; returns the new sandbox."""
    import boto3
    from botocore.client import BaseClient

    from .. import sandbox

    old = namespace["lab"]
    old.stop()
    new = sandbox.start(region=old.region)
    for name, value in list(namespace.items()):
        if isinstance(value, BaseClient):
            namespace[name] = boto3.client(value.meta.service_model.service_name)
    return new
