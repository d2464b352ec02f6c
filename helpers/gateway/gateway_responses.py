"""Turning a GatewayError into the HTTP response, with the API's gateway response customisations."""

from __future__ import annotations

import logging

from .context import HttpResponse, InvocationContext
from .errors import GatewayError
from .templates import mapped_headers, render, template_variables, with_overrides

log = logging.getLogger(__name__)


def error_response(ctx: InvocationContext, error: GatewayError) -> HttpResponse:
    """The response for an error: AWS's default, or the learner's PutGatewayResponse for its type.

    A customisation for the error's own type wins; otherwise DEFAULT_4XX or DEFAULT_5XX
    (by the error's status class). Its statusCode, headers and application/json template
    replace the defaults; what it leaves out stays as AWS's default.
    """
    try:
        return _response(ctx, error, _customisation(ctx, error))
    except Exception:  # a broken customisation must not turn an error into a traceback
        log.exception("gateway response for %s could not be applied", error.response_type)
        return _response(ctx, error, {})


def _response(ctx: InvocationContext, error: GatewayError, custom: dict) -> HttpResponse:
    code = str(custom.get("statusCode") or "")
    status = int(code) if code.isdigit() else error.status
    headers = [("Content-Type", "application/json"), ("x-amzn-ErrorType", error.error_type)]
    body = error.body
    templates = custom.get("responseTemplates") or {}
    if templates:
        content_type = "application/json" if "application/json" in templates else next(iter(templates))
        body = render(templates[content_type], template_variables(ctx, error)).encode("utf-8")
        headers[0] = ("Content-Type", content_type)
    custom_headers = mapped_headers(custom.get("responseParameters"), "gatewayresponse.header.", ctx)
    return HttpResponse(status, with_overrides(headers, custom_headers), body)


def _customisation(ctx: InvocationContext, error: GatewayError) -> dict:
    if ctx.deployment is None:
        return {}
    responses = ctx.deployment.gateway_responses
    fallback = "DEFAULT_4XX" if 400 <= error.status < 500 else "DEFAULT_5XX"
    return responses.get(error.response_type) or responses.get(fallback) or {}
