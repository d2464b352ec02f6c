"""Calling Lambda the way API Gateway does: from an integration URI, with the invoke-permission check."""

from __future__ import annotations

import json
import re
from typing import Any

from .backend import GatewayBackend
from .context import InvocationContext
from .policies import lambda_policy_allows

_FUNCTION_URI = re.compile(r"arn:[\w-]+:apigateway:[\w-]*:lambda:path/[\d-]+/functions/(?P<arn>.+)/invocations")
_STAGE_VARIABLE = re.compile(r"\$\{stageVariables\.([A-Za-z0-9_.:-]+)\}")


def partition(region: str) -> str:
    """The ARN partition of a region."""
    if region.startswith("cn-"):
        return "aws-cn"
    return "aws-us-gov" if region.startswith("us-gov-") else "aws"


def execute_api_arn(ctx: InvocationContext, suffix: str) -> str:
    """`arn:aws:execute-api:<region>:<account>:<api id>/<suffix>`."""
    return f"arn:{partition(ctx.region)}:execute-api:{ctx.region}:{ctx.account_id}:{ctx.request.api_id}/{suffix}"


def function_arn(uri: str | None, stage_variables: dict[str, str]) -> str | None:
    """The function ARN inside a Lambda integration URI, after `${stageVariables.x}` substitution."""
    rendered = _STAGE_VARIABLE.sub(lambda m: stage_variables.get(m.group(1), ""), uri or "")
    match = _FUNCTION_URI.fullmatch(rendered)
    return match.group("arn") if match else None


# (function ARN, source ARN, account) -> (the policy decided on, the decision). The backend hands out
# the same policy object until the policy changes, so a decision holds while its object is the one
# the backend returns; keeping the object alive here means its identity cannot be reused meanwhile.
_decisions: dict[tuple[str, str, str], tuple[Any, bool]] = {}
_MAX_DECISIONS = 1024


def may_invoke(backend: GatewayBackend, arn: str, *, source_arn: str) -> bool:
    """Whether the function's resource policy lets API Gateway invoke it for this source ARN."""
    policy = backend.get_function_policy(arn)
    key = (arn, source_arn, backend.account_id)
    decided = _decisions.get(key)
    if decided is not None and decided[0] is policy:
        return decided[1]
    allowed = lambda_policy_allows(policy, source_arn=source_arn, account_id=backend.account_id)
    if len(_decisions) >= _MAX_DECISIONS:
        _decisions.clear()
    _decisions[key] = (policy, allowed)
    return allowed


def permitted_function(backend: GatewayBackend, ctx: InvocationContext, uri: str | None, *, source: str,
                       credentials: str | None, error: type[Exception], what: str) -> str:
    """The function ARN a URI names, once its resource policy lets API Gateway call it from `source`; else `error`."""
    arn = function_arn(uri, ctx.stage_variables)
    if arn is None:
        raise error(f"Invalid {what} URI {uri!r}")
    # With credentials (a role) API Gateway calls as that role, so the resource policy is not consulted.
    if not credentials and not may_invoke(backend, arn, source_arn=execute_api_arn(ctx, source)):
        raise error("Invalid permissions on Lambda function")
    return arn


# Events are built fresh from plain values, never cyclic: skipping the cycle check saves a quarter
# of the encoding, which is paid on every request.
_EVENT_ENCODER = json.JSONEncoder(check_circular=False)


def encode_event(event: dict[str, Any]) -> bytes:
    """An event as the JSON payload Lambda receives."""
    return _EVENT_ENCODER.encode(event).encode()


def invocation_url(region: str, arn: str) -> str:
    """The Lambda Invoke URL API Gateway calls for a function (the execution log's "Endpoint request URI")."""
    domain = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"https://lambda.{region}.{domain}/2015-03-31/functions/{arn}/invocations"
