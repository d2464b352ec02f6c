"""The small part of API Gateway's mapping-template language the gateway supports: variable references."""

from __future__ import annotations

import json
import re
from typing import Any

from .context import InvocationContext

# `$context.requestId` or `${context.requestId}`; anything else (e.g. `$input.json('$')`) is left as written.
_REFERENCE = re.compile(r"\$\{([A-Za-z_][\w.]*)\}|\$([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)")


def render(template: str, variables: dict[str, str], *, missing: str | None = None) -> str:
    """Replace the known `$name` references; unknown ones become `missing`, or stay literally as VTL prints them."""
    return _REFERENCE.sub(
        lambda m: variables.get(m.group(1) or m.group(2), m.group(0) if missing is None else missing), template)


def template_variables(ctx: InvocationContext, error: Any = None) -> dict[str, str]:
    """`$context.*` and `$stageVariables.*` values for a request (and `$context.error.*` for an error)."""
    request = ctx.request
    values: dict[str, Any] = {
        "context.requestId": ctx.request_id,
        "context.extendedRequestId": ctx.extended_request_id,
        "context.accountId": ctx.account_id,
        "context.requestTimeEpoch": int(ctx.received_at * 1000),
    }
    if request is not None:
        values.update({
            "context.apiId": request.api_id,
            "context.stage": request.stage,
            "context.httpMethod": request.method,
            "context.path": request.stage_path,
            "context.identity.sourceIp": request.source_ip,
            "context.identity.userAgent": request.header("User-Agent") or "",
        })
    if ctx.route is not None:
        values["context.resourcePath"] = ctx.route.resource.get("path")
        values["context.resourceId"] = ctx.route.resource.get("id")
    for key, value in (ctx.authorizer or {}).items():
        values[f"context.authorizer.{key}"] = value
    for key, value in ctx.stage_variables.items():
        values[f"stageVariables.{key}"] = value
    if error is not None:
        values["context.error.message"] = "" if error.message is None else error.message
        values["context.error.messageString"] = json.dumps(error.message)
        values["context.error.responseType"] = error.response_type
    return {k: str(v) for k, v in values.items() if v is not None}


def mapped_headers(parameters: dict[str, str] | None, target_prefix: str, ctx: InvocationContext) -> list[tuple[str, str]]:
    """Headers from responseParameters such as `{"gatewayresponse.header.X": "'literal'"}`.

    Sources: 'quoted literals', method.request.header/querystring/path.<name>,
    stageVariables.<name> and context.<name>; a source with no value sets no header.
    """
    headers = []
    for target, source in (parameters or {}).items():
        if not target.startswith(target_prefix):
            continue
        value = _parameter_value(source, ctx)
        if value is not None:
            headers.append((target[len(target_prefix):], value))
    return headers


def with_overrides(defaults: list[tuple[str, str]], overrides: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The default headers, less those the overrides name again, then the overrides."""
    named = {name.lower() for name, _ in overrides}
    return [h for h in defaults if h[0].lower() not in named] + overrides


def _parameter_value(source: str, ctx: InvocationContext) -> str | None:
    if len(source) >= 2 and source.startswith("'") and source.endswith("'"):
        return source[1:-1]
    request = ctx.request
    kind, _, name = source.removeprefix("method.request.").partition(".")
    if request is not None and source.startswith("method.request."):
        if kind == "header":
            return request.header(name)
        if kind == "querystring":
            return dict(request.query_values()).get(name)
        if kind == "path" and ctx.route is not None:
            return (ctx.route.path_parameters or {}).get(name)
        return None
    return template_variables(ctx).get(source)
