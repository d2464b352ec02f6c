"""The console's Test buttons: TestInvokeMethod and TestInvokeAuthorizer, on the API as saved.

A test runs the saved configuration, deployed or not, with AWS's placeholders where a real
request would have a stage and a client: stage `test-invoke-stage`, source IP
`test-invoke-source-ip`, domain `testPrefix.testDomainName`. The method test skips
authorization, API keys and throttling, as on AWS.
"""

from __future__ import annotations

import json
from typing import Any

from .backend import GatewayBackend
from .context import InvocationContext
from .deployment import Deployment
from .errors import MissingAuthenticationToken
from .execution_log import authorizer_log, execution_log, method_response_headers, test_invoke_log
from .iam_auth import account_identity
from .request import Request
from .routing import RouteMatch, Router

TEST_STAGE = "test-invoke-stage"
# The stage in the methodArn a tested authorizer receives.
AUTHORIZER_TEST_STAGE = "ESTestInvoke-stage"
TEST_SOURCE_IP = "test-invoke-source-ip"
TEST_DEPLOYMENT_ID = "test-invoke-deployment-id"
TEST_API_KEY = {"value": "test-invoke-api-key", "id": "test-invoke-api-key-id"}


class NotFound(Exception):
    """The test names an API, resource, method or authorizer that does not exist (404 NotFoundException)."""


def method_test_context(backend: GatewayBackend, ctx: InvocationContext, api_id: str, resource_id: str,
                        http_method: str, test_request: dict[str, Any]) -> InvocationContext:
    """The context of a TestInvokeMethod call, routed to the saved method; NotFound as AWS words it."""
    snapshot = backend.get_api_snapshot(api_id)
    # AWS answers an unknown API like an unknown resource (recorded).
    resource = _find(snapshot and snapshot.get("resources"), resource_id, "Invalid Resource identifier specified")
    method = (resource.get("resourceMethods") or {}).get(http_method)
    if method is None:
        raise NotFound("Invalid Method identifier specified")
    _prepare(backend, ctx, api_id, snapshot, test_request, stage=TEST_STAGE, method=http_method,
             default_path=resource["path"])
    ctx.iam_identity = account_identity(ctx, None)
    ctx.api_key = TEST_API_KEY
    ctx.route = RouteMatch(resource, method, _path_parameters(resource, method, http_method, ctx.request.path))
    return ctx


def method_test_result(ctx: InvocationContext, latency_ms: float) -> dict[str, Any]:
    """TestInvokeMethod's answer: status, body, headers, multiValueHeaders, log and latency."""
    headers = method_response_headers(ctx)
    if ctx.error is not None:
        # Recorded on AWS: a failed test shows x-amzn-ErrorType alone.
        headers = [(name, value) for name, value in headers if name.lower() != "content-type"]
    multi: dict[str, list[str]] = {}
    for name, value in headers:
        multi.setdefault(name, []).append(value)
    return {
        "status": ctx.response.status,
        "body": ctx.response.body.decode("utf-8", errors="replace"),
        "headers": {name: values[-1] for name, values in multi.items()},
        "multiValueHeaders": multi,
        "log": test_invoke_log(ctx, execution_log(ctx)),
        "latency": round(latency_ms),
    }


def authorizer_test_context(backend: GatewayBackend, ctx: InvocationContext, api_id: str, authorizer_id: str,
                            test_request: dict[str, Any]) -> InvocationContext:
    """The context of a TestInvokeAuthorizer call: a GET of the test path guarded by the saved authorizer."""
    snapshot = backend.get_api_snapshot(api_id)
    if snapshot is None:
        raise NotFound("Invalid Resource identifier specified")
    _find(snapshot.get("authorizers"), authorizer_id, "Invalid Authorizer identifier specified")
    _prepare(backend, ctx, api_id, snapshot, test_request, stage=AUTHORIZER_TEST_STAGE, method="GET",
             default_path="/")
    method = {"httpMethod": "GET", "authorizationType": "CUSTOM", "authorizerId": authorizer_id}
    ctx.route = RouteMatch({"path": ctx.request.path, "resourceMethods": {"GET": method}}, method, None)
    return ctx


def authorizer_test_result(ctx: InvocationContext, latency_ms: float) -> dict[str, Any]:
    """TestInvokeAuthorizer's answer; clientStatus is 0 when the authorizer allowed (AWS's API reference)."""
    output = ctx.authorizer_output or {}
    result: dict[str, Any] = {
        "clientStatus": 0 if ctx.error is None else ctx.response.status,
        "log": test_invoke_log(ctx, authorizer_log(ctx)),
        "latency": round(latency_ms),
    }
    if output.get("principalId") is not None:
        result["principalId"] = str(output["principalId"])
    if output.get("policyDocument") is not None:
        result["policy"] = json.dumps(output["policyDocument"])
    if ctx.authorizer is not None:
        result["authorization"] = {key: [str(value)] for key, value in ctx.authorizer.items()
                                   if key not in ("principalId", "integrationLatency")}
    return result


def _find(items: list[dict[str, Any]] | None, item_id: str, message: str) -> dict[str, Any]:
    for item in items or []:
        if item.get("id") == item_id:
            return item
    raise NotFound(message)


def _prepare(backend: GatewayBackend, ctx: InvocationContext, api_id: str, snapshot: dict[str, Any],
             test_request: dict[str, Any], *, stage: str, method: str, default_path: str) -> None:
    ctx.test_invocation = True
    ctx.api = backend.get_rest_api(api_id)
    ctx.stage = {"stageName": stage, "variables": test_request.get("stageVariables") or {}}
    ctx.deployment = Deployment(TEST_DEPLOYMENT_ID, snapshot)
    ctx.request = _request(api_id, stage, method, test_request, default_path)


def _request(api_id: str, stage: str, method: str, test_request: dict[str, Any], default_path: str) -> Request:
    path, _, query = (test_request.get("pathWithQueryString") or default_path).partition("?")
    multi = test_request.get("multiValueHeaders") or {}
    headers = [(name, value) for name, values in multi.items() for value in values]
    headers += [(name, value) for name, value in (test_request.get("headers") or {}).items() if name not in multi]
    return Request(api_id=api_id, stage=stage, method=method, path=path if path.startswith("/") else "/" + path,
                   query_string=query, headers=headers, source_ip=TEST_SOURCE_IP, protocol="HTTP/1.1",
                   environ={}, body=(test_request.get("body") or "").encode("utf-8"))


def _path_parameters(resource: dict[str, Any], method: dict[str, Any], http_method: str,
                     path: str) -> dict[str, str] | None:
    """The path parameters the test path gives the resource's template; none when it does not fit (as AWS)."""
    try:
        router = Router([{**resource, "resourceMethods": {http_method: method}}])
        return router.match(http_method, path).path_parameters
    except MissingAuthenticationToken:
        return None
