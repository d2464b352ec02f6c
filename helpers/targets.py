"""Where the tutorial's boto3 calls go: the offline sandbox, another endpoint, or real AWS (opt-in)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import sandbox as _sandbox
from .sandbox import aws_guard
from .sandbox.process_env import owners, sandbox_variables

REAL_AWS_OPT_IN = "I understand this creates real AWS resources that may cost money"


@dataclass
class Target:
    """A place to send boto3 calls: `client(service)`, `region`, and `close()` when done."""

    kind: str
    region: str
    endpoint_url: str | None = None
    sandbox: "_sandbox.Sandbox | None" = None
    _session: Any = field(default=None, repr=False)

    def client(self, service: str, **kwargs: Any) -> Any:
        """A boto3 client for this target."""
        if self.sandbox is not None:
            return self.sandbox.client(service, **kwargs)
        if self.endpoint_url:
            kwargs.setdefault("endpoint_url", self.endpoint_url)
        if self.kind == "aws":
            from botocore.config import Config

            kwargs.setdefault("config", Config(ignore_configured_endpoint_urls=True))
        return self._session.client(service, region_name=self.region, **kwargs)

    def close(self) -> None:
        """Stop the sandbox, or give the environment back; safe to call twice."""
        if self.sandbox is not None:
            self.sandbox.stop()
        elif self.kind == "endpoint":
            owners.pop(self)

    def __enter__(self) -> "Target":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def connect(
    target: str = "sandbox",
    *,
    region: str = "us-east-1",
    endpoint_url: str | None = None,
    real_aws: str | None = None,
) -> Target:
    """Connect to the sandbox (default), an AWS-compatible `endpoint_url`, or real AWS with `real_aws=REAL_AWS_OPT_IN`."""
    import boto3

    if target == "sandbox":
        box = _sandbox.start(region)
        return Target("sandbox", region, box.endpoint_url, sandbox=box)
    if target == "endpoint":
        if not endpoint_url:
            raise ValueError("target='endpoint' needs endpoint_url, e.g. 'http://localhost:4566'")
        # LocalStack and friends accept any credentials; "test" is their convention.
        variables = sandbox_variables(endpoint_url, region, "test", "test")
        result = Target("endpoint", region, endpoint_url)
        aws_guard.allow_endpoint(endpoint_url)
        owners.push(result, variables)
        result._session = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test")
        return result
    if target == "aws":
        return _connect_real_aws(region, real_aws)
    raise ValueError(f"target must be 'sandbox', 'endpoint' or 'aws', not {target!r}")


def _connect_real_aws(region: str, opt_in: str | None) -> Target:
    import boto3
    from botocore.config import Config

    if opt_in != REAL_AWS_OPT_IN:
        raise PermissionError(
            "Real AWS needs an explicit opt-in: connect('aws', real_aws=REAL_AWS_OPT_IN). "
            "Resources you create there are billed to your account."
        )
    if _sandbox.any_running():
        raise RuntimeError("A sandbox is running in this kernel; stop it before connecting to real AWS.")
    aws_guard.opt_in_to_real_aws()
    session = boto3.session.Session(region_name=region)
    # Ignore AWS_ENDPOINT_URL and endpoint_url in ~/.aws: this target is AWS itself.
    sts = session.client("sts", config=Config(ignore_configured_endpoint_urls=True))
    identity = sts.get_caller_identity()
    print(f"Using real AWS: account {identity['Account']}, Region {region}, as {identity['Arn']}")
    return Target("aws", region, None, _session=session)
