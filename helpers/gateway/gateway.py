"""The request pipeline: API Gateway's phases, in its order, as a chain of small steps."""

from __future__ import annotations

import logging
import time
from typing import Any, Callable

from .api_keys import ApiKeyCheck
from .authorizers import LambdaAuthorization
from .backend import GatewayBackend
from .context import HttpResponse, InvocationContext, new_request_ids
from .deployment import DeploymentCache
from .errors import ApiConfigurationError, GatewayError, InternalFailure, MissingAuthenticationToken
from .gateway_responses import error_response
from .iam_auth import IamAuthorization
from .lambda_proxy import LambdaProxyIntegration
from .metrics import publish_metrics
from .mock_integration import MockIntegration
from .request import Request
from .stage_logs import StageLogs
from .testinvoke import authorizer_test_context, authorizer_test_result, method_test_context, method_test_result
from .throttling import Throttling

log = logging.getLogger(__name__)

Step = Callable[[InvocationContext], None]


def parse_request(ctx: InvocationContext) -> None:
    """Read method, raw path, headers and query from the WSGI environ."""
    ctx.request = Request.from_environ(ctx.environ)


class ResolveStage:
    """Find the API, the stage and the deployment the stage currently points at."""

    def __init__(self, backend: GatewayBackend):
        self._backend = backend
        self._deployments = DeploymentCache(backend.get_deployment_snapshot)

    def __call__(self, ctx: InvocationContext) -> None:
        request = ctx.request
        ctx.api = self._backend.get_rest_api(request.api_id)
        if ctx.api is None:
            raise MissingAuthenticationToken(f"no API {request.api_id}")
        ctx.stage = self._backend.get_stage(request.api_id, request.stage)
        if ctx.stage is None or not ctx.stage.get("deploymentId"):
            raise MissingAuthenticationToken(f"no deployed stage {request.stage}")
        # Routing uses the snapshot taken at CreateDeployment, never the live API: changes
        # are invisible until the learner deploys again.
        ctx.deployment = self._deployments.get(request.api_id, ctx.stage["deploymentId"])
        if ctx.deployment is None:
            raise MissingAuthenticationToken(f"no deployment {ctx.stage['deploymentId']}")


def read_body(ctx: InvocationContext) -> None:
    """Read the payload (413 over 10 MB)."""
    ctx.request.read_body()


def route(ctx: InvocationContext) -> None:
    """Pick the resource and method for the path."""
    ctx.route = ctx.deployment.router.match(ctx.request.method, ctx.request.path)


class Integrate:
    """Hand the request to the method's integration."""

    def __init__(self, backend: GatewayBackend):
        self._integrations: dict[str, Step] = {"AWS_PROXY": LambdaProxyIntegration(backend), "MOCK": MockIntegration()}

    def __call__(self, ctx: InvocationContext) -> None:
        integration = ctx.route.method.get("methodIntegration")
        if not integration:
            raise ApiConfigurationError("No integration defined for method")
        kind = integration.get("type")
        run = self._integrations.get(kind)
        if run is None:
            raise ApiConfigurationError(
                f"{kind} integration is not supported",
                message=f"Integration type {kind} is not supported by the local sandbox (AWS_PROXY and MOCK are)",
            )
        run(ctx)


class Gateway:
    """Answers execute-api requests for the APIs a backend describes."""

    def __init__(self, backend: GatewayBackend, *, clock: Callable[[], float] = time.time):
        self._backend = backend
        self._clock = clock
        self._integrate = Integrate(backend)
        self._authorize = LambdaAuthorization(backend, clock)
        self._steps: tuple[Step, ...] = (
            parse_request,
            ResolveStage(backend),
            read_body,
            route,
            IamAuthorization(backend),
            self._authorize,
            ApiKeyCheck(backend),
            Throttling(clock),
            self._integrate,
        )
        self._stage_logs = StageLogs(backend)

    def handle(self, environ: dict[str, Any]) -> HttpResponse:
        """Run the steps for one request; any GatewayError becomes its AWS-shaped response."""
        started = time.perf_counter()
        ctx = self._context(environ)
        self._run(ctx, self._steps)
        ctx.response.headers += [("x-amzn-RequestId", ctx.request_id), ("x-amz-apigw-id", ctx.extended_request_id)]
        latency_ms = (time.perf_counter() - started) * 1000
        publish_metrics(self._backend, ctx, latency_ms)
        self._stage_logs(ctx, latency_ms)
        return ctx.response

    def test_invoke_method(self, api_id: str, resource_id: str, http_method: str,
                           test_request: dict[str, Any]) -> dict[str, Any]:
        """TestInvokeMethod (the console's Test button): the method's saved configuration, deployed or not.

        Authorization, API keys and throttling are skipped, as on AWS; raises NotFound for an unknown
        API, resource or method.
        """
        started = time.perf_counter()
        ctx = method_test_context(self._backend, self._context({}), api_id, resource_id, http_method, test_request)
        self._run(ctx, (self._integrate,))
        return method_test_result(ctx, (time.perf_counter() - started) * 1000)

    def test_invoke_authorizer(self, api_id: str, authorizer_id: str, test_request: dict[str, Any]) -> dict[str, Any]:
        """TestInvokeAuthorizer: run a saved Lambda authorizer with the console's test identity."""
        started = time.perf_counter()
        ctx = authorizer_test_context(self._backend, self._context({}), api_id, authorizer_id, test_request)
        self._run(ctx, (self._authorize.run_for_test,))
        return authorizer_test_result(ctx, (time.perf_counter() - started) * 1000)

    def _context(self, environ: dict[str, Any]) -> InvocationContext:
        now = self._clock()
        request_id, extended_request_id, trace_id = new_request_ids(now)
        return InvocationContext(
            environ=environ,
            received_at=now,
            account_id=self._backend.account_id,
            region=self._backend.region,
            request_id=request_id,
            extended_request_id=extended_request_id,
            trace_id=trace_id,
        )

    def _run(self, ctx: InvocationContext, steps: tuple[Step, ...]) -> None:
        try:
            for step in steps:
                step(ctx)
        except GatewayError as error:
            log.info("%s %s: %s", ctx.request_id, type(error).__name__, error.detail or error.message)
            ctx.error = error
            ctx.response = error_response(ctx, error)
        except Exception:
            log.exception("%s: unexpected gateway failure", ctx.request_id)
            ctx.error = InternalFailure()
            ctx.response = error_response(ctx, ctx.error)
        ctx.finished_at = self._clock()
