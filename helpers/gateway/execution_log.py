"""The execution log: API Gateway's own account of one request, line by line, in its words.

One place builds the lines, from the request's context once it has been answered; the
console's Test button (TestInvokeMethod) and a stage's CloudWatch execution logs only
format them differently. Wording from responses recorded against AWS and AWS's articles:
aws-behaviour.md §5.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Iterable

from .context import EndpointRequest, InvocationContext
from .proxy_event import query_parameters

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# AWS cuts a logged header map at this many characters and says so.
MAX_HEADERS_TEXT = 998
# Headers the gateway adds to every answer after the method response; the log shows the method's own.
_ADDED_AFTER = {"x-amzn-requestid", "x-amz-apigw-id"}
# The headers API Gateway sends with its signed call to Lambda's Invoke API (the signature masked).
_SIGNATURE_MASK = "*" * 100


@dataclass(frozen=True)
class LogLine:
    """One line of the execution log."""

    at: float  # epoch seconds
    text: str
    data: bool = False  # request or response data: stage logs write it only with dataTraceEnabled
    error: bool = False  # the failure and the outcome: all an ERROR-level stage log writes


class _Lines(list):
    """Lines being written for one request: early ones at its arrival, late ones when it was answered."""

    def __init__(self, ctx: InvocationContext):
        super().__init__()
        self.ctx = ctx
        self.start = ctx.received_at
        self.end = ctx.finished_at or ctx.received_at

    def add(self, text: str, *, late: bool = False, data: bool = False, error: bool = False) -> None:
        self.append(LogLine(self.end if late else self.start, text, data, error))

    def failure(self) -> None:
        line = self.ctx.error.execution_log_line(self.ctx.request_id)
        if line:
            self.add(line, late=True, error=True)

    def lambda_request(self, sent: EndpointRequest | None) -> None:
        if sent is not None:
            self.add(f"Endpoint request URI: {sent.uri}")
            self.add(f"Endpoint request headers: {header_map(_lambda_request_headers(self.ctx))}", data=True)
            self.add(f"Endpoint request body after transformations: {_text(sent.body)}", data=True)
            self.add(f"Sending request to {sent.uri}")


def execution_log(ctx: InvocationContext) -> list[LogLine]:
    """The lines AWS logs for an answered request (none when it never reached a method)."""
    if ctx.route is None or ctx.request is None:
        return []
    lines = _Lines(ctx)
    if not ctx.test_invocation:
        lines.add(f"Extended Request Id: {ctx.extended_request_id}")
    lines += authorizer_log(ctx)
    if ctx.error is not None and ctx.error.before_execution:
        return lines
    if not ctx.test_invocation:
        _add_usage_plan(ctx, lines)
    request = ctx.request
    lines.add(f"Starting execution for request: {ctx.request_id}")
    lines.add(f"HTTP Method: {request.method}, Resource Path: {request.path}")
    lines.add(f"Method request path: {java_map((ctx.route.path_parameters or {}).items())}", data=True)
    lines.add(f"Method request query string: {java_map((query_parameters(request)[0] or {}).items())}", data=True)
    lines.add(f"Method request headers: {header_map(request.headers)}", data=True)
    lines.add(f"Method request body before transformations: {_text(request.body)}", data=True)
    lines.lambda_request(ctx.endpoint_request)
    received = ctx.endpoint_response
    if received is not None:
        lines.add(f"Received response. Status: {received.status}, Integration latency: "
                  f"{round(ctx.integration_latency_ms or 0)} ms", late=True)
        lines.add(f"Endpoint response headers: {header_map(_lambda_response_headers(ctx, received))}",
                  late=True, data=True)
        lines.add(f"Endpoint response body before transformations: {_text(received.body)}", late=True, data=True)
    if ctx.error is not None:
        lines.failure()
        lines.add(f"Method completed with status: {ctx.response.status}", late=True, error=True)
        return lines
    response = ctx.response
    lines.add(f"Method response body after transformations: {_text(response.body)}", late=True, data=True)
    lines.add(f"Method response headers: {header_map(method_response_headers(ctx))}", late=True, data=True)
    lines.add("Successfully completed execution", late=True)
    lines.add(f"Method completed with status: {response.status}", late=True)
    return lines


def authorizer_log(ctx: InvocationContext) -> list[LogLine]:
    """The Lambda authorizer's part of the log (none when the method has no authorizer)."""
    lines = _Lines(ctx)
    if ctx.authorizer_id is None:
        return lines
    lines.add(f"Starting authorizer: {ctx.authorizer_id} for request: {ctx.request_id}")
    lines.lambda_request(ctx.authorizer_request)
    if ctx.authorizer_response is not None:
        lines.add(f"Authorizer result body before parsing: {_text(ctx.authorizer_response.body)}", late=True, data=True)
    if ctx.authorizer_output is not None:
        lines.add(f"Using valid authorizer policy for principal: {ctx.authorizer_output.get('principalId')}", late=True)
    if ctx.authorizer is not None:
        lines.add("Successfully completed authorizer execution", late=True)
    elif ctx.error is not None and ctx.error.before_execution:
        lines.failure()
    return lines


def _add_usage_plan(ctx: InvocationContext, lines: _Lines) -> None:
    request, key = ctx.request, ctx.api_key
    api_stage = f"{request.api_id}/{request.stage}"
    shown = mask_key(key.get("value", "")) if key else ""
    lines.add(f"Verifying Usage Plan for request: {ctx.request_id}. API Key: {shown} API Stage: {api_stage}")
    if key is None:
        lines.add(f"API Key authorized because method '{request.method} {ctx.route.resource['path']}' does not "
                  "require API Key. Request will not contribute to throttle or quota limits")
    lines.add(f"Usage Plan check succeeded for API Key {shown} and API Stage {api_stage}")


def method_response_headers(ctx: InvocationContext) -> list[tuple[str, str]]:
    """The method response's headers, without those the gateway adds to every answer afterwards."""
    return [(name, value) for name, value in ctx.response.headers if name.lower() not in _ADDED_AFTER]


def _lambda_request_headers(ctx: InvocationContext) -> list[tuple[str, str]]:
    api_id = ctx.request.api_id
    return [
        ("x-amzn-lambda-integration-tag", ctx.request_id),
        ("Authorization", _SIGNATURE_MASK),
        ("X-Amz-Date", time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(ctx.received_at))),
        ("x-amzn-apigateway-api-id", api_id),
        ("Accept", "application/json"),
        ("User-Agent", f"AmazonAPIGateway_{api_id}"),
        ("X-Amz-Security-Token", _SIGNATURE_MASK),
    ]


def _lambda_response_headers(ctx: InvocationContext, received) -> list[tuple[str, str]]:
    headers = [("Date", http_date(ctx.finished_at or ctx.received_at)), ("Content-Type", "application/json"),
               ("Content-Length", str(len(received.body))), ("Connection", "keep-alive")]
    if received.request_id:
        headers.append(("x-amzn-RequestId", received.request_id))
    if received.executed_version:
        headers.append(("X-Amz-Executed-Version", received.executed_version))
    headers.append(("X-Amzn-Trace-Id", ctx.trace_id))
    return headers


def java_map(items: Iterable[tuple[str, str]]) -> str:
    """`{a=1, b=2}`: how API Gateway (a Java service) prints a map."""
    return "{" + ", ".join(f"{key}={value}" for key, value in items) + "}"


def header_map(headers: Iterable[tuple[str, str]]) -> str:
    """Headers as a map, repeated names joined by commas, cut at AWS's length with " [TRUNCATED]"."""
    joined: dict[str, list[str]] = {}
    for name, value in headers:
        joined.setdefault(name, []).append(value)
    text = java_map((name, ",".join(values)) for name, values in joined.items())
    return f"{text[:MAX_HEADERS_TEXT]} [TRUNCATED]" if len(text) > MAX_HEADERS_TEXT else text


def mask_key(value: str) -> str:
    """An API key as the logs show it: all but its last six characters masked."""
    return "*" * max(len(value) - 6, 0) + value[-6:]


def log_timestamp(epoch_seconds: float) -> str:
    """`Thu Dec 03 10:15:02 UTC 2026`, independent of the process locale."""
    t = time.gmtime(epoch_seconds)
    return (f"{_DAYS[t.tm_wday]} {_MONTHS[t.tm_mon - 1]} {t.tm_mday:02d} "
            f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} UTC {t.tm_year}")


def http_date(epoch_seconds: float) -> str:
    """`Thu, 03 Dec 2026 10:15:02 GMT` (RFC 7231), independent of the process locale."""
    t = time.gmtime(epoch_seconds)
    return (f"{_DAYS[t.tm_wday]}, {t.tm_mday:02d} {_MONTHS[t.tm_mon - 1]} {t.tm_year} "
            f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} GMT")


def test_invoke_log(ctx: InvocationContext, lines: list[LogLine]) -> str:
    """The `log` TestInvokeMethod and TestInvokeAuthorizer return: a title, then each line after its timestamp."""
    texts = [f"Execution log for request {ctx.request_id}"]
    texts += [f"{log_timestamp(line.at)} : {line.text}" for line in lines]
    return "\n".join(texts) + "\n"


def stage_log_events(ctx: InvocationContext, level: str, data_trace: bool) -> list[tuple[int, str]]:
    """CloudWatch events for a stage's execution log at `level` (INFO or ERROR), each line after `(<request id>) `."""
    lines = execution_log(ctx)
    if level == "ERROR":
        lines = [line for line in lines if line.error]
    elif not data_trace:
        lines = [line for line in lines if not line.data]
    return [(int(line.at * 1000), f"({ctx.request_id}) {line.text}") for line in lines]


def _text(body: bytes) -> str:
    return body.decode("utf-8", errors="replace")
