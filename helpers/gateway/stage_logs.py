"""A stage's CloudWatch logs: the execution log (loggingLevel, dataTraceEnabled) and the access log.

API Gateway writes either only when the account has a CloudWatch Logs role
(UpdateAccount /cloudwatchRoleArn). Execution logs go to the log group
`API-Gateway-Execution-Logs_<restApiId>/<stage>`, each line after `(<request id>) `;
access logs to the stage's accessLogSettings destination, one line per request in
its format, `$context` variables substituted and `-` for those without a value.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

from .backend import GatewayBackend
from .context import InvocationContext
from .execution_log import stage_log_events
from .proxy_event import format_request_time, request_context
from .templates import render, template_variables
from .throttling import method_settings

log = logging.getLogger(__name__)

LOGGING_LEVELS = ("INFO", "ERROR")


class StageLogs:
    """The observer that writes a finished request into its stage's execution and access logs."""

    def __init__(self, backend: GatewayBackend):
        self._backend = backend
        self._streams: dict[str, str] = {}  # log group -> this gateway's stream in it
        self._lock = threading.Lock()

    def __call__(self, ctx: InvocationContext, latency_ms: float) -> None:
        if ctx.stage is None or ctx.request is None or ctx.response is None:
            return
        route = ctx.route
        settings = method_settings(ctx.stage, route.resource["path"] if route else "",
                                   route.method.get("httpMethod", ctx.request.method) if route else "")
        level = settings.get("loggingLevel")
        access = ctx.stage.get("accessLogSettings") or {}
        wants_access_log = bool(access.get("destinationArn") and access.get("format"))
        if level not in LOGGING_LEVELS and not wants_access_log:
            return
        try:
            if not self._backend.cloudwatch_role_arn():
                return
            if level in LOGGING_LEVELS:
                events = stage_log_events(ctx, level, bool(settings.get("dataTraceEnabled")))
                if events:
                    self._write(f"API-Gateway-Execution-Logs_{ctx.request.api_id}/{ctx.request.stage}", events)
            if wants_access_log:
                line = render(access["format"], access_log_variables(ctx, latency_ms), missing="-")
                self._write(log_group_name(access["destinationArn"]), [(int(ctx.received_at * 1000), line)])
        except Exception:  # logs must never cost the client its response
            log.exception("could not write the stage logs of %s", ctx.request_id)

    def _write(self, group: str, events: list[tuple[int, str]]) -> None:
        with self._lock:
            # AWS names its streams with 32 hex digits; one per group for this gateway.
            stream = self._streams.setdefault(group, os.urandom(16).hex())
        self._backend.put_log_events(group, stream, events)


def log_group_name(destination_arn: str) -> str:
    """The log group an access-log destination ARN names (`arn:aws:logs:...:log-group:<name>[:*]`)."""
    name = destination_arn.split(":log-group:", 1)[-1]
    return name[:-2] if name.endswith(":*") else name


def access_log_variables(ctx: InvocationContext, latency_ms: float) -> dict[str, str]:
    """Every `$context` variable an access log format can name, for a finished request."""
    values: dict[str, Any] = template_variables(ctx, ctx.error)
    response = ctx.response
    values.update({
        "context.requestTime": format_request_time(ctx.received_at),
        "context.status": response.status,
        "context.responseLength": len(response.body),
        "context.responseLatency": round(latency_ms),
    })
    if ctx.request is not None:
        values["context.protocol"] = ctx.request.protocol
    if ctx.route is not None and ctx.deployment is not None:
        context = request_context(ctx)
        values["context.domainName"] = context["domainName"]
        values["context.domainPrefix"] = context["domainPrefix"]
        values["context.deploymentId"] = context["deploymentId"]
        for key, value in context["identity"].items():
            values[f"context.identity.{key}"] = value
    if ctx.integration_latency_ms is not None:
        values["context.integrationLatency"] = values["context.integration.latency"] = round(ctx.integration_latency_ms)
    received = ctx.endpoint_response
    if received is not None:
        values["context.integrationStatus"] = received.status
        values["context.integration.requestId"] = received.request_id
        if ctx.error is None:
            # For a Lambda proxy integration: the status code the function's code returned.
            values["context.integration.status"] = response.status
    if ctx.authorizer is not None:
        values["context.authorizer.status"] = 200
        values["context.authorizer.integrationLatency"] = ctx.authorizer.get("integrationLatency")
    elif ctx.authorizer_id is not None and ctx.error is not None:
        values["context.authorizer.status"] = response.status
    return {key: str(value) for key, value in values.items() if value is not None}
