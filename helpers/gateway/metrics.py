"""The AWS/ApiGateway metrics API Gateway publishes for every request."""

from __future__ import annotations

import logging
from datetime import datetime, timezone

from .backend import GatewayBackend
from .context import InvocationContext

log = logging.getLogger(__name__)


def publish_metrics(backend: GatewayBackend, ctx: InvocationContext, latency_ms: float) -> None:
    """Count, 4XXError, 5XXError, Latency and IntegrationLatency with ApiName and Stage dimensions."""
    if ctx.api is None or ctx.response is None:
        return
    dimensions = [{"Name": "ApiName", "Value": ctx.api.get("name", "")}, {"Name": "Stage", "Value": ctx.request.stage}]
    timestamp = datetime.fromtimestamp(ctx.received_at, timezone.utc)
    status = ctx.response.status
    values = [
        ("Count", 1, "Count"),
        ("4XXError", int(400 <= status < 500), "Count"),
        ("5XXError", int(status >= 500), "Count"),
        ("Latency", latency_ms, "Milliseconds"),
    ]
    if ctx.integration_latency_ms is not None:
        values.append(("IntegrationLatency", ctx.integration_latency_ms, "Milliseconds"))
    data = [
        {"MetricName": name, "Dimensions": dimensions, "Timestamp": timestamp, "Value": value, "Unit": unit}
        for name, value, unit in values
    ]
    try:
        backend.put_metrics("AWS/ApiGateway", data)
    except Exception:  # metrics must never cost the client its response
        log.exception("could not publish API Gateway metrics")
