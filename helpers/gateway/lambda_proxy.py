"""The AWS_PROXY integration with Lambda: permission check, event, invocation, response mapping."""

from __future__ import annotations

import json
import time

from .backend import FunctionNotFound, GatewayBackend, IntegrationTimedOut, LambdaResult
from .context import EndpointRequest, EndpointResponse, InvocationContext
from .errors import ApiConfigurationError, IntegrationTimeout, LambdaFailure
from .lambda_calls import encode_event, invocation_url, permitted_function
from .proxy_event import build_proxy_event
from .proxy_response import map_proxy_response

DEFAULT_TIMEOUT_MS = 29000


class LambdaProxyIntegration:
    """Run the function behind a method and answer with what it returned."""

    def __init__(self, backend: GatewayBackend):
        self._backend = backend

    def __call__(self, ctx: InvocationContext) -> None:
        integration = ctx.route.method["methodIntegration"]
        # A Lambda integration is always a POST to the Lambda API; the console does this for
        # you, but an API built with boto3 and httpMethod="GET" fails exactly like this on AWS.
        if integration.get("httpMethod") != "POST":
            raise ApiConfigurationError("Lambda integrations must use the POST integration method")
        arn = permitted_function(self._backend, ctx, integration.get("uri"),
                                 source=f"{ctx.request.stage}/{ctx.request.method}{ctx.route.resource['path']}",
                                 credentials=integration.get("credentials"), error=ApiConfigurationError,
                                 what="Lambda integration")
        ctx.endpoint_request = EndpointRequest(invocation_url(ctx.region, arn), encode_event(build_proxy_event(ctx)))
        timeout_s = int(integration.get("timeoutInMillis") or DEFAULT_TIMEOUT_MS) / 1000
        started = time.perf_counter()
        try:
            result = self._backend.invoke_function(arn, ctx.endpoint_request.body, timeout_s=timeout_s)
        except IntegrationTimedOut:
            raise IntegrationTimeout(f"{arn} still running after {timeout_s:g} s") from None
        except FunctionNotFound:
            raise ApiConfigurationError(f"Function not found: {arn}") from None
        finally:
            ctx.integration_latency_ms = (time.perf_counter() - started) * 1000
        ctx.endpoint_response = EndpointResponse(200, result.payload, result.request_id, result.executed_version)
        if result.function_error or result.timed_out:
            raise LambdaFailure(_customer_error(result))
        ctx.response = map_proxy_response(
            result.payload,
            accept=ctx.request.header("Accept"),
            binary_media_types=ctx.deployment.binary_media_types,
        )
        ctx.response.headers.append(("X-Amzn-Trace-Id", ctx.trace_id))


def _customer_error(result: LambdaResult) -> str:
    """AWS's execution-log line for a function that raised, timed out or crashed."""
    try:
        message = json.loads(result.payload).get("errorMessage")
    except (ValueError, AttributeError):
        message = None
    if message is None:
        message = result.payload.decode("utf-8", errors="replace")
    line = f"Lambda execution failed with status 200 due to customer function error: {message}"
    return f"{line}. Lambda request id: {result.request_id}" if result.request_id else line
