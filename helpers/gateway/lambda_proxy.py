"""The AWS_PROXY integration with Lambda: permission check, event, invocation, response mapping."""

from __future__ import annotations

import time

from .backend import FunctionNotFound, GatewayBackend, IntegrationTimedOut
from .context import InvocationContext
from .errors import ApiConfigurationError, IntegrationTimeout, LambdaFailure
from .lambda_calls import invoke, permitted_function
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
        event = build_proxy_event(ctx)
        timeout_s = int(integration.get("timeoutInMillis") or DEFAULT_TIMEOUT_MS) / 1000
        started = time.perf_counter()
        try:
            result = invoke(self._backend, arn, event, timeout_s=timeout_s)
        except IntegrationTimedOut:
            raise IntegrationTimeout(f"Execution failed due to a timeout error after {timeout_s:g} s") from None
        except FunctionNotFound:
            raise ApiConfigurationError(f"Function not found: {arn}") from None
        finally:
            ctx.integration_latency_ms = (time.perf_counter() - started) * 1000
        if result.function_error or result.timed_out:
            raise LambdaFailure(f"Lambda execution failed with status 200 due to customer function error: {result.payload[:200]!r}")
        ctx.response = map_proxy_response(
            result.payload,
            accept=ctx.request.header("Accept"),
            binary_media_types=ctx.deployment.binary_media_types,
        )
        ctx.response.headers.append(("X-Amzn-Trace-Id", ctx.trace_id))
