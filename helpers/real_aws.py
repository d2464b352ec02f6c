"""Going to real AWS: the waits and the packaging that the sandbox spares you."""

from __future__ import annotations

import shlex
import time
from typing import Any, Callable, Iterable

import boto3
from botocore.exceptions import ClientError

# What Lambda answers while a role made seconds ago has not reached it yet.
ROLE_NOT_READY = "The role defined for the function cannot be assumed by Lambda."
# Lambda's x86_64 and arm64 run Amazon Linux; wheels for them carry these platform tags.
LINUX_PLATFORMS = {"x86_64": "manylinux2014_x86_64", "arm64": "manylinux2014_aarch64"}


def create_function_when_role_ready(*, attempts: int = 6, first_delay: float = 1.0, max_delay: float = 8.0,
                                    client: Any = None, sleep: Callable[[float], None] = time.sleep,
                                    **create_function_args: Any) -> dict:
    """lambda.create_function, retried with a bounded backoff while a new IAM role cannot be assumed yet; says when it waits."""
    client = client or boto3.client("lambda")
    delay = first_delay
    for attempt in range(1, attempts):
        try:
            return client.create_function(**create_function_args)
        except ClientError as error:
            if not _role_not_ready(error):
                raise
        # IAM is eventually consistent: a new role takes a few seconds to be usable by Lambda.
        print(f"attempt {attempt}: {ROLE_NOT_READY} Waiting {delay:g} s for IAM to propagate the new role.")
        sleep(delay)
        delay = min(delay * 2, max_delay)
    return client.create_function(**create_function_args)


def _role_not_ready(error: ClientError) -> bool:
    return (error.response["Error"]["Code"] == "InvalidParameterValueException"
            and ROLE_NOT_READY in error.response["Error"]["Message"])


def linux_install_command(requirements: Iterable[str], target: str = "package", *, python_version: str = "3.12",
                          architecture: str = "x86_64") -> str:
    """The pip command that fetches wheels built for Lambda's Linux (not your laptop's) into `target` (no AWS call)."""
    words = ["pip", "install", "--platform", LINUX_PLATFORMS[architecture], "--only-binary=:all:",
             "--implementation", "cp", "--python-version", python_version, "--target", target, *requirements]
    return shlex.join(words)
