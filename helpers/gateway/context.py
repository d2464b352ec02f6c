"""The state of one request as it moves through the gateway's steps."""

from __future__ import annotations

import base64
import os
import uuid
from dataclasses import dataclass, field
from typing import Any

from .deployment import Deployment
from .errors import GatewayError
from .request import Request
from .routing import RouteMatch


@dataclass
class HttpResponse:
    """A finished HTTP response; headers may repeat (e.g. Set-Cookie)."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes = b""


def new_extended_request_id(random: bytes | None = None) -> str:
    """An id shaped like AWS's x-amz-apigw-id: 15 URL-safe base64 characters and "=" (from 11 random bytes)."""
    return base64.urlsafe_b64encode(os.urandom(11) if random is None else random).decode()


def new_request_ids(now: float) -> tuple[str, str, str]:
    """A request's id (a version-4 UUID), extended id and X-Ray trace id."""
    return str(uuid.uuid4()), new_extended_request_id(), f"Root=1-{int(now):08x}-{os.urandom(12).hex()}"


@dataclass(frozen=True)
class EndpointRequest:
    """What the gateway sent its integration (the execution log shows it)."""

    uri: str  # the Lambda Invoke URL the integration URI stands for
    body: bytes


@dataclass(frozen=True)
class EndpointResponse:
    """What the integration answered, before the gateway mapped it."""

    status: int
    body: bytes
    request_id: str | None = None  # the Lambda request id, when the backend knows it
    executed_version: str | None = None


@dataclass
class InvocationContext:
    """Everything the steps learn about a request; each step reads and adds to it."""

    environ: dict[str, Any]
    received_at: float  # epoch seconds from the gateway's clock
    account_id: str
    region: str
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    extended_request_id: str = field(default_factory=new_extended_request_id)
    trace_id: str = ""
    request: Request | None = None
    api: dict[str, Any] | None = None
    stage: dict[str, Any] | None = None
    deployment: Deployment | None = None
    route: RouteMatch | None = None
    iam_identity: dict[str, Any] = field(default_factory=dict)  # accessKey, caller, ... for AWS_IAM
    authorizer: dict[str, Any] | None = None  # becomes requestContext.authorizer
    usage_identifier_key: str | None = None  # an API key value returned by a Lambda authorizer
    api_key: dict[str, Any] | None = None
    usage_plan: dict[str, Any] | None = None
    authorizer_id: str | None = None  # the Lambda authorizer the method uses, once it is being run
    authorizer_request: EndpointRequest | None = None  # the call to the authorizer's function, if made
    authorizer_response: EndpointResponse | None = None
    authorizer_output: dict[str, Any] | None = None  # what the authorizer returned (principalId, policyDocument...)
    endpoint_request: EndpointRequest | None = None
    endpoint_response: EndpointResponse | None = None
    integration_latency_ms: float | None = None
    error: GatewayError | None = None  # what ended the request early, if anything did
    response: HttpResponse | None = None
    finished_at: float | None = None  # epoch seconds from the gateway's clock, once answered
    # A TestInvokeMethod call (the console's Test button): no stage, AWS's test-invoke placeholders.
    test_invocation: bool = False

    @property
    def stage_variables(self) -> dict[str, str]:
        """The stage's variables ({} when none)."""
        return (self.stage or {}).get("variables") or {}
