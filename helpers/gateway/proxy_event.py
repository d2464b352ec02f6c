"""The Lambda proxy integration event (REST API, payload format 1.0)."""

from __future__ import annotations

import base64
import ipaddress
import time
from typing import Any
from urllib.parse import urlsplit

from .context import InvocationContext
from .request import Request
from .wildcards import media_type_matches

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# API Gateway title-cases these two whatever the client sent, and drops the hop-level two.
_RECASED = {"authorization": "Authorization", "user-agent": "User-Agent"}
_DROPPED = {"content-length", "connection"}
# The console's Test button has no client connection; AWS fills the domain with this placeholder.
TEST_DOMAIN_NAME = "testPrefix.testDomainName"


def build_proxy_event(ctx: InvocationContext) -> dict[str, Any]:
    """The 12-key event API Gateway sends to a Lambda proxy integration."""
    body, is_base64 = event_body(ctx.request, ctx.deployment.binary_media_types)
    return {**request_fields(ctx), "body": body, "isBase64Encoded": is_base64}


def request_fields(ctx: InvocationContext) -> dict[str, Any]:
    """The request as a proxy event describes it (also the heart of a REQUEST authorizer's event)."""
    request = ctx.request
    headers, multi_headers = event_headers(ctx)
    query, multi_query = query_parameters(request)
    return {
        "resource": ctx.route.resource["path"],
        "path": request.path,
        "httpMethod": request.method,
        "headers": headers or None,  # only a test invocation (the console's Test button) can have none
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": query,
        "multiValueQueryStringParameters": multi_query,
        "pathParameters": ctx.route.path_parameters,
        "stageVariables": ctx.stage_variables or None,
        "requestContext": request_context(ctx),
    }


def event_headers(ctx: InvocationContext) -> tuple[dict[str, str], dict[str, list[str]]]:
    """`headers` (last value wins) and `multiValueHeaders` (every value, in order)."""
    request = ctx.request
    multi: dict[str, list[str]] = {}
    spelling: dict[str, str] = {}  # first casing seen for each header, so repeats group together
    added = [] if ctx.test_invocation else _added_headers(ctx)
    for name, value in [*request.headers, *added]:
        lower = name.lower()
        if lower in _DROPPED:
            continue
        key = spelling.setdefault(lower, _RECASED.get(lower, name))
        multi.setdefault(key, []).append(value)
    return {k: v[-1] for k, v in multi.items()}, multi


def _added_headers(ctx: InvocationContext) -> list[tuple[str, str]]:
    """Headers API Gateway adds on its way to the integration."""
    request = ctx.request
    added = [] if request.header("X-Amzn-Trace-Id") else [("X-Amzn-Trace-Id", ctx.trace_id)]
    forwarded = request.header("X-Forwarded-For")
    added.append(("X-Forwarded-For", f"{forwarded}, {request.source_ip}" if forwarded else request.source_ip))
    added.append(("X-Forwarded-Port", str(request.environ.get("SERVER_PORT", "443"))))
    added.append(("X-Forwarded-Proto", request.environ.get("wsgi.url_scheme", "https")))
    return added


def query_parameters(request: Request) -> tuple[dict[str, str] | None, dict[str, list[str]] | None]:
    """`queryStringParameters` (last value wins) and the multi-value form; None when empty."""
    multi: dict[str, list[str]] = {}
    for key, value in request.query_values():
        multi.setdefault(key, []).append(value)
    if not multi:
        return None, None
    return {k: v[-1] for k, v in multi.items()}, multi


def event_body(request: Request, binary_media_types: list[str]) -> tuple[str | None, bool]:
    """The body as text, or base64 when its Content-Type is one of the API's binary media types."""
    if not request.body:
        return None, False
    if media_type_matches(binary_media_types, request.header("Content-Type")):
        return base64.b64encode(request.body).decode("ascii"), True
    return request.body.decode("utf-8", errors="replace"), False


def request_context(ctx: InvocationContext) -> dict[str, Any]:
    """`requestContext`, in the key order AWS prints it."""
    request = ctx.request
    # The Host the client used (a learner's link built from domainName + path then works
    # locally); AWS's own name when the client sent none.
    if ctx.test_invocation:
        domain_name = TEST_DOMAIN_NAME
    else:
        domain_name = request.header("Host") or f"{request.api_id}.execute-api.{ctx.region}.amazonaws.com"
    context = {
        "resourceId": ctx.route.resource.get("id"),
        "resourcePath": ctx.route.resource["path"],
        "httpMethod": request.method,
        "extendedRequestId": ctx.extended_request_id,
        "requestTime": format_request_time(ctx.received_at),
        "path": request.path if ctx.test_invocation else request.stage_path,
        "accountId": ctx.account_id,
        "protocol": request.protocol,
        "stage": request.stage,
        "domainPrefix": "testPrefix" if ctx.test_invocation else domain_prefix(domain_name, request.api_id),
        "requestTimeEpoch": int(ctx.received_at * 1000),
        "requestId": ctx.request_id,
        "identity": _identity(ctx),
        "domainName": domain_name,
        "deploymentId": ctx.deployment.id,
        "apiId": request.api_id,
    }
    if ctx.authorizer is not None:
        context["authorizer"] = ctx.authorizer
    return context


def _identity(ctx: InvocationContext) -> dict[str, Any]:
    identity = {
        "cognitoIdentityPoolId": None,
        "accountId": None,
        "cognitoIdentityId": None,
        "caller": None,
        "sourceIp": ctx.request.source_ip,
        "principalOrgId": None,
        "accessKey": None,
        "cognitoAuthenticationType": None,
        "cognitoAuthenticationProvider": None,
        "userArn": None,
        "userAgent": ctx.request.header("User-Agent"),
        "user": None,
        **ctx.iam_identity,
    }
    if ctx.api_key is not None:
        identity["apiKey"] = ctx.api_key.get("value")
        identity["apiKeyId"] = ctx.api_key.get("id")
    return identity


def format_request_time(epoch_seconds: float) -> str:
    """`24/Nov/2026:21:43:03 +0000`, independent of the process locale."""
    t = time.gmtime(epoch_seconds)
    return f"{t.tm_mday:02d}/{_MONTHS[t.tm_mon - 1]}/{t.tm_year}:{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0000"


def domain_prefix(domain_name: str, api_id: str) -> str:
    """The first label of the domain name; for a bare IP or localhost, the API id AWS would show."""
    host = urlsplit("//" + domain_name).hostname or ""
    try:
        ipaddress.ip_address(host)
        return api_id
    except ValueError:
        return api_id if host in ("", "localhost") else host.split(".", 1)[0]
