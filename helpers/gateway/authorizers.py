"""Lambda (custom) authorizers, TOKEN and REQUEST: identity sources, the call, the policy, the cache."""

from __future__ import annotations

import json
import re
import threading
import time
from typing import Any, Callable

from .backend import FunctionNotFound, GatewayBackend, IntegrationTimedOut
from .context import EndpointRequest, EndpointResponse, InvocationContext
from .errors import AccessDenied, AuthorizerConfigurationError, Unauthorized
from .lambda_calls import encode_event, execute_api_arn, invocation_url, permitted_function
from .policies import EXPLICIT_DENY, IMPLICIT_DENY, MalformedPolicy, authorizer_policy_decision
from .proxy_event import request_fields

DEFAULT_TTL_S = 300
# API Gateway's integration limit; used for the authorizer call too (its own limit is not documented).
AUTHORIZER_TIMEOUT_S = 29.0


class AuthorizerCache:
    """Authorizer outputs by identity, kept for authorizerResultTtlInSeconds (thread-safe)."""

    def __init__(self, clock: Callable[[], float]):
        self._clock = clock
        self._entries: dict[tuple, tuple[float, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple) -> dict[str, Any] | None:
        """A cached output that has not expired."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry[0] <= self._clock():
                del self._entries[key]
                return None
            return entry[1]

    def put(self, key: tuple, output: dict[str, Any], ttl_s: float) -> None:
        """Remember an output for ttl_s seconds."""
        with self._lock:
            self._entries[key] = (self._clock() + ttl_s, output)


class LambdaAuthorization:
    """The CUSTOM authorization step: run (or recall) the authorizer and apply its policy."""

    def __init__(self, backend: GatewayBackend, clock: Callable[[], float]):
        self._backend = backend
        self._cache = AuthorizerCache(clock)

    def __call__(self, ctx: InvocationContext) -> None:
        authorization = ctx.route.method.get("authorizationType") or "NONE"
        if authorization == "COGNITO_USER_POOLS":
            raise AuthorizerConfigurationError("Cognito user pool authorizers are not supported by the sandbox")
        if authorization != "CUSTOM":
            return
        authorizer = self._authorizer(ctx)
        identity = _identity(ctx, authorizer)
        method_arn = _method_arn(ctx)
        ttl = authorizer.get("authorizerResultTtlInSeconds", DEFAULT_TTL_S)
        cacheable = bool(ttl) and bool(identity)
        key = (ctx.request.api_id, ctx.request.stage, authorizer["id"], identity)
        output = self._cache.get(key) if cacheable else None
        latency_ms = 0
        if output is None:
            output, latency_ms = self._call(ctx, authorizer, method_arn)
            if cacheable:
                self._cache.put(key, output, ttl)
        # The policy is re-evaluated against every request's ARN, cached or not: a cached
        # policy that names only the first method's ARN denies the others (a classic surprise).
        self._apply(ctx, output, method_arn, latency_ms)

    def run_for_test(self, ctx: InvocationContext) -> None:
        """TestInvokeAuthorizer: always call the authorizer (no cache) and apply its policy to the test ARN."""
        authorizer = self._authorizer(ctx)
        _identity(ctx, authorizer)
        method_arn = _method_arn(ctx)
        output, latency_ms = self._call(ctx, authorizer, method_arn)
        self._apply(ctx, output, method_arn, latency_ms)

    @staticmethod
    def _authorizer(ctx: InvocationContext) -> dict[str, Any]:
        authorizer = ctx.deployment.authorizers.get(ctx.route.method.get("authorizerId"))
        if authorizer is None or authorizer.get("type") not in ("TOKEN", "REQUEST"):
            raise AuthorizerConfigurationError(f"unusable authorizer {authorizer!r}")
        ctx.authorizer_id = authorizer["id"]
        return authorizer

    @staticmethod
    def _apply(ctx: InvocationContext, output: dict[str, Any], method_arn: str, latency_ms: int) -> None:
        try:
            decision = authorizer_policy_decision(output.get("policyDocument"), method_arn)
        except MalformedPolicy as error:
            raise AuthorizerConfigurationError(str(error)) from None
        ctx.authorizer_output = output
        if decision == EXPLICIT_DENY:
            raise AccessDenied(f"policy denies {method_arn}")
        if decision == IMPLICIT_DENY:
            raise AccessDenied(f"policy does not allow {method_arn}", message=AccessDenied.implicit_message)
        ctx.authorizer = {
            "principalId": output.get("principalId"),
            "integrationLatency": latency_ms,
            **_context_values(output.get("context")),
        }
        ctx.usage_identifier_key = output.get("usageIdentifierKey")

    def _call(self, ctx: InvocationContext, authorizer: dict[str, Any], method_arn: str) -> tuple[dict[str, Any], int]:
        arn = permitted_function(self._backend, ctx, authorizer.get("authorizerUri"), source=f"authorizers/{authorizer['id']}",
                                 credentials=authorizer.get("authorizerCredentials"),
                                 error=AuthorizerConfigurationError, what="Lambda authorizer")
        ctx.authorizer_request = EndpointRequest(invocation_url(ctx.region, arn),
                                                 encode_event(_authorizer_event(ctx, authorizer, method_arn)))
        started = time.perf_counter()
        try:
            result = self._backend.invoke_function(arn, ctx.authorizer_request.body, timeout_s=AUTHORIZER_TIMEOUT_S)
        except (FunctionNotFound, IntegrationTimedOut) as error:
            raise AuthorizerConfigurationError(f"authorizer call failed: {error!r}") from None
        latency_ms = round((time.perf_counter() - started) * 1000)
        ctx.authorizer_response = EndpointResponse(200, result.payload, result.request_id, result.executed_version)
        output = _json_or_none(result.payload)
        if result.function_error or result.timed_out:
            if isinstance(output, dict) and output.get("errorMessage") == "Unauthorized":
                raise Unauthorized("the authorizer raised Unauthorized")
            raise AuthorizerConfigurationError(f"authorizer failed: {result.payload[:200]!r}")
        if not isinstance(output, dict) or "policyDocument" not in output:
            raise AuthorizerConfigurationError("authorizer response has no policyDocument")
        return output, latency_ms


def _method_arn(ctx: InvocationContext) -> str:
    """The methodArn API Gateway sends the authorizer (`.../stage/GET/` for the root path)."""
    method_arn = execute_api_arn(ctx, f"{ctx.request.stage}/{ctx.request.method}{ctx.request.path}".rstrip("/"))
    return method_arn + "/" if ctx.request.path == "/" else method_arn


def _identity(ctx: InvocationContext, authorizer: dict[str, Any]) -> tuple[str, ...]:
    """The identity source values; a missing one is a 401 before the authorizer is called."""
    sources = [s.strip() for s in (authorizer.get("identitySource") or "").split(",") if s.strip()]
    values = []
    for source in sources:
        value = _source_value(ctx, source)
        if not value:
            raise Unauthorized(f"identity source {source} is missing")
        values.append(value)
    if authorizer["type"] == "TOKEN":
        if len(values) != 1:
            raise AuthorizerConfigurationError("a TOKEN authorizer needs one header identity source")
        expression = authorizer.get("identityValidationExpression")
        if expression and not _fullmatch(expression, values[0]):
            raise Unauthorized("token does not match identityValidationExpression")
    return tuple(values)


def _fullmatch(expression: str, value: str) -> bool:
    try:
        return re.fullmatch(expression, value) is not None
    except re.error:
        raise AuthorizerConfigurationError(f"bad identityValidationExpression {expression!r}") from None


def _source_value(ctx: InvocationContext, source: str) -> str | None:
    request = ctx.request
    if source.startswith("method.request.header."):
        return request.header(source.removeprefix("method.request.header."))
    if source.startswith("method.request.querystring."):
        return dict(request.query_values()).get(source.removeprefix("method.request.querystring."))
    if source.startswith("stageVariables."):
        return ctx.stage_variables.get(source.removeprefix("stageVariables."))
    if source.startswith("context."):
        return {"requestId": ctx.request_id, "sourceIp": request.source_ip, "stage": request.stage}.get(
            source.removeprefix("context.")
        )
    raise AuthorizerConfigurationError(f"unsupported identity source {source!r}")


def _authorizer_event(ctx: InvocationContext, authorizer: dict[str, Any], method_arn: str) -> dict[str, Any]:
    if authorizer["type"] == "TOKEN":
        token = _source_value(ctx, authorizer["identitySource"].strip())
        return {"type": "TOKEN", "methodArn": method_arn, "authorizationToken": token}
    return {"type": "REQUEST", "methodArn": method_arn, **request_fields(ctx)}


def _context_values(context: Any) -> dict[str, str]:
    """The authorizer's `context`, stringified as API Gateway passes it on; objects are refused."""
    if context is None:
        return {}
    if not isinstance(context, dict):
        raise AuthorizerConfigurationError("authorizer context is not an object")
    values = {}
    for key, value in context.items():
        if isinstance(value, (dict, list)):
            raise AuthorizerConfigurationError(f"authorizer context value for {key!r} is not a primitive")
        if isinstance(value, bool):
            values[key] = "true" if value else "false"
        elif value is not None:
            values[key] = str(value)
    return values


def _json_or_none(payload: bytes) -> Any:
    try:
        return json.loads(payload)
    except ValueError:
        return None
