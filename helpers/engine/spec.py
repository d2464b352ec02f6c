"""What the engine needs to know about one function version: its code and configuration."""

import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import Mapping


@dataclass(frozen=True)
class FunctionSpec:
    """A function version's code and configuration, as the control plane stores it."""

    function_name: str
    function_arn: str  # unqualified: arn:aws:lambda:us-east-1:123456789012:function:hello
    version: str  # "$LATEST", "1", "2", ...
    handler: str  # "app.lambda_handler"
    runtime: str  # "python3.12"
    code_zip: bytes = field(repr=False)
    code_sha256: str
    region: str
    account_id: str
    memory_size: int = 128
    timeout: int = 3
    environment: Mapping[str, str] = field(default_factory=dict)
    architecture: str = "x86_64"
    reserved_concurrency: int | None = None
    role: str = ""  # the execution role's ARN
    # When the control plane made this function version: a function deleted and created again under the
    # same name, with the same code, is a new function on AWS, and its first invocation a cold start.
    created: str = ""

    def __post_init__(self):
        # Frozen means frozen: a caller mutating its dict must not change a running function.
        object.__setattr__(self, "environment", MappingProxyType(dict(self.environment)))

    def __hash__(self) -> int:  # the environment mapping is not hashable; the identity stands for it
        return hash((self.function_arn, self.version, self.identity))

    @cached_property
    def identity(self) -> str:
        """Hash of everything an execution environment is built from; a change retires old environments."""
        fields = {
            "code_sha256": self.code_sha256,
            "handler": self.handler,
            "runtime": self.runtime,
            "memory_size": self.memory_size,
            "timeout": self.timeout,
            "environment": sorted(self.environment.items()),
            "architecture": self.architecture,
            "region": self.region,
            "role": self.role,
            "created": self.created,
        }
        return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()

    @property
    def invoked_arn(self) -> str:
        """The ARN a caller used: unqualified for $LATEST, version-qualified otherwise."""
        return self.function_arn if self.version == "$LATEST" else f"{self.function_arn}:{self.version}"

    @property
    def log_group_name(self) -> str:
        """The function's CloudWatch log group."""
        return f"/aws/lambda/{self.function_name}"
