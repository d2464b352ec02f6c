"""Chapter 09's "explain this output" cards, written from a real REPORT line, 403 or 502."""

from __future__ import annotations

import re
from pathlib import Path

import requests

from ..cost import Prices
from .course_map import NOTEBOOKS, revisit
from .flashcards import Card

_REPORT_FIELD = re.compile(r"(Duration|Billed Duration|Memory Size|Max Memory Used|Init Duration): ([\d.]+) (ms|MB)")


def report_fields(report_line: str) -> dict[str, float]:
    """The numbers of a REPORT line: Duration, Billed Duration, Memory Size, Max Memory Used, Init Duration (if any)."""
    fields = {name: float(value) for name, value, _ in _REPORT_FIELD.findall(report_line)}
    missing = {"Duration", "Billed Duration", "Memory Size"} - set(fields)
    if not report_line.startswith("REPORT") or missing:
        raise ValueError(f"not a REPORT line (missing {', '.join(sorted(missing)) or 'REPORT'}): {report_line!r}")
    return fields


def gb_seconds_of(report_line: str) -> float:
    """The GB-seconds a REPORT line bills: Billed Duration in seconds × Memory Size in GB."""
    fields = report_fields(report_line)
    return fields["Billed Duration"] / 1000 * fields["Memory Size"] / 1024


def explain_report(report_line: str, notebooks: Path = NOTEBOOKS) -> Card:
    """An "explain this output" card for a real REPORT line: what is billed?"""
    f = report_fields(report_line)
    init = f.get("Init Duration")
    gb_s = gb_seconds_of(report_line)
    price = Prices().gb_second("x86_64")
    rate = f"{price:.10f}".rstrip("0")
    init_part = (f"Duration {f['Duration']:.2f} ms + Init Duration {init:.2f} ms, rounded up to the next ms — "
                 "INIT has been billed since 1 Aug 2025, and Init Duration only appears on a cold start"
                 if init is not None else
                 f"Duration {f['Duration']:.2f} ms rounded up to the next ms; no Init Duration, so this was a warm call")
    answer = (
        f"**Billed Duration {f['Billed Duration']:.0f} ms** = {init_part}.\n"
        f"Lambda bills memory × time: {f['Memory Size']:.0f} MB = {f['Memory Size'] / 1024:g} GB, so "
        f"{f['Billed Duration']:.0f} ms × {f['Memory Size'] / 1024:g} GB = **{gb_s:.6f} GB-seconds**, "
        f"about ${gb_s * price:.10f} at ${rate} per GB-s (x86_64), plus $0.0000002 for the request — both inside "
        f"the free tier. Max Memory Used ({f.get('Max Memory Used', 0):.0f} MB) is not billed: it tells you how "
        "much of the memory you pay for the function needs."
    )
    return Card("REPORT line", f"What is billed for this invocation?\n{report_line}", answer, revisit("cost", notebooks))


def explain_403(url: str, answer: requests.Response, notebooks: Path = NOTEBOOKS) -> Card:
    """An "explain this output" card for a real 403 from API Gateway: what is wrong?"""
    shown = f"GET {url}\n{answer.status_code} x-amzn-ErrorType: {answer.headers.get('x-amzn-ErrorType')}\n{answer.text}"
    model = (
        "Nothing about authentication. A REST API answers 403 `{\"message\":\"Missing Authentication Token\"}` "
        "(`MissingAuthenticationTokenException`) when **no resource and method match** the request — here the "
        "path: resources are case-sensitive and this API has `/hello`, not `/Hello`. The same body comes back for "
        "a wrong stage, a method that isn't defined, or a resource that was created but never deployed. An HTTP "
        "API would answer 404 Not Found. Check `apigateway.get_resources` and the stage's deployment."
    )
    return Card("403 body", f"What is wrong?\n{shown}", model, revisit("api gateway", notebooks))


def explain_502(answer: requests.Response, log_lines: list[str], notebooks: Path = NOTEBOOKS) -> Card:
    """An "explain this output" card for a real 502 after a bad deploy: what happened?"""
    shown = f"{answer.status_code} x-amzn-ErrorType: {answer.headers.get('x-amzn-ErrorType')}\n{answer.text}\n" + "\n".join(log_lines)
    model = (
        "API Gateway called the function, and the function **raised**: the `[ERROR]` line names the exception and "
        "the line of `app.py`. For a Lambda proxy integration a failed invocation becomes 502 "
        "`{\"message\": \"Internal server error\"}` (`InternalServerErrorException`) — the client never sees the "
        "traceback, only the log group does. Here `queryStringParameters` is `None` (JSON null) for a request "
        "without a query string, so `event[\"queryStringParameters\"][\"name\"]` fails. Fix the handler "
        "(`event.get(\"queryStringParameters\") or {}`), add a unit test for a request without a query string, "
        "redeploy — and roll back first if users are affected."
    )
    return Card("502 after a deploy", f"The API worked until this deploy. What happened?\n{shown}", model,
                revisit("monitoring", notebooks))
