"""The MOCK integration: status from the request template, headers and body from the integration response."""

from __future__ import annotations

import json
import re
from typing import Any

from .context import HttpResponse, InvocationContext
from .errors import ApiConfigurationError
from .templates import mapped_headers, render, template_variables, with_overrides


class MockIntegration:
    """Answer without a backend, as the console's "Enable CORS" OPTIONS method does."""

    def __call__(self, ctx: InvocationContext) -> None:
        integration = ctx.route.method["methodIntegration"]
        status = _mock_status(ctx, integration.get("requestTemplates") or {})
        chosen = _integration_response(integration.get("integrationResponses") or {}, status)
        templates = chosen.get("responseTemplates") or {}
        template = templates.get("application/json", next(iter(templates.values()), None))
        body = render(template, template_variables(ctx)).encode("utf-8") if template else b""
        custom = mapped_headers(chosen.get("responseParameters"), "method.response.header.", ctx)
        headers = with_overrides([("Content-Type", "application/json")], custom)
        ctx.response = HttpResponse(int(chosen.get("statusCode") or 200), headers, body)


def _mock_status(ctx: InvocationContext, templates: dict[str, str]) -> int:
    """The statusCode the request template produces (200 when there is no template)."""
    content_type = (ctx.request.header("Content-Type") or "application/json").split(";", 1)[0].strip()
    template = templates.get(content_type) or templates.get("application/json")
    if not template:
        return 200
    try:
        rendered = json.loads(render(template, template_variables(ctx)))
        return int(rendered.get("statusCode", 200))
    except (ValueError, TypeError, AttributeError):
        raise ApiConfigurationError(f"MOCK request template does not give a statusCode: {template!r}") from None


def _integration_response(responses: dict[str, Any], status: int) -> dict[str, Any]:
    """The response whose selectionPattern matches the status, else the default (no pattern)."""
    default = None
    for response in responses.values():
        pattern = response.get("selectionPattern")
        if not pattern:
            default = default or response
        elif _selects(pattern, status):
            return response
    if default is None:
        raise ApiConfigurationError("No match for output mapping and no default output mapping configured")
    return default


def _selects(pattern: str, status: int) -> bool:
    try:
        return re.fullmatch(pattern, str(status)) is not None
    except re.error:
        raise ApiConfigurationError(f"Invalid selectionPattern {pattern!r}") from None
