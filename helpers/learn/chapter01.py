"""Chapter 01 exercises: predict an unknown route's status, the proxy response shape, and a monthly bill."""

from __future__ import annotations

import json
import math

from ..cost import monthly_cost
from ..steps import invoke_url
from .diagnosis import call
from .exercise import Exercise, Incorrect

_PROXY_KEYS = {"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"}


def _check_prediction(pong_status: object, api_id: str) -> str:
    if isinstance(pong_status, str) and pong_status.strip().isdigit():
        pong_status = int(pong_status)
    if not isinstance(pong_status, int) or isinstance(pong_status, bool):
        raise Incorrect("give the status code as a number, such as 200.")
    answer = call(invoke_url(api_id, "dev", "/pong"))
    actual = f"{answer.status_code} {answer.text}"
    if pong_status == answer.status_code:
        return f"API Gateway answered {actual}: a REST API answers 403 for any route it has no resource for."
    if pong_status == 404:
        raise Incorrect(f"404 is what most web servers, and API Gateway's HTTP APIs, answer; this REST API answered {actual}. "
                        "Run the next cell to see it.")
    if pong_status == 200:
        raise Incorrect(f"there is no /pong resource, so no integration runs; API Gateway answered {actual}.")
    raise Incorrect(f"API Gateway answered {actual}, not {pong_status}. Run the next cell to see it.")


def _check_response(response: object) -> str:
    if isinstance(response, str):
        raise Incorrect("with the proxy integration a bare string is a malformed response: API Gateway answers 502.")
    if not isinstance(response, dict):
        raise Incorrect("return a dict with statusCode and body.")
    unknown = set(response) - _PROXY_KEYS
    if unknown:
        raise Incorrect(f"API Gateway answers 502 for an unknown key such as {sorted(unknown)[0]!r}; allowed: {', '.join(sorted(_PROXY_KEYS))}.")
    if "statusCode" not in response:
        raise Incorrect("without statusCode API Gateway answers 200; the exercise asks for 404.")
    if str(response["statusCode"]) != "404":
        raise Incorrect(f"statusCode is {response['statusCode']!r}; a missing item is 404.")
    body = response.get("body")
    if isinstance(body, (dict, list)):
        raise Incorrect("body must be a string: wrap it in json.dumps(...), or API Gateway answers 502.")
    if not isinstance(body, str):
        raise Incorrect("add a body: the JSON text {\"error\": \"not found\"}.")
    try:
        document = json.loads(body)
    except ValueError:
        raise Incorrect(f"the body {body!r} is not JSON; use json.dumps({{'error': 'not found'}}).") from None
    if document != {"error": "not found"}:
        raise Incorrect(f"the body decodes to {document!r}; the exercise asks for {{'error': 'not found'}}.")
    return "API Gateway sends status 404 and that JSON body to the client."


def _check_bill(monthly_cost_usd: object) -> str:
    if not isinstance(monthly_cost_usd, (int, float)) or isinstance(monthly_cost_usd, bool):
        raise Incorrect("give the total in dollars as a number, e.g. the .total of monthly_cost(...).")
    expected = monthly_cost(5_000_000, 200, 512, "arm64").total
    wrong = {
        "x86_64 instead of arm64": monthly_cost(5_000_000, 200, 512, "x86_64").total,
        "256 MB instead of 512 MB": monthly_cost(5_000_000, 200, 256, "arm64").total,
        "the Lambda part only (no API Gateway)": monthly_cost(5_000_000, 200, 512, "arm64").lambda_total,
    }
    if math.isclose(monthly_cost_usd, expected, abs_tol=0.01):
        return f"${expected:.2f} a month, most of it API Gateway's ${monthly_cost(5_000_000, 200, 512, 'arm64').api_gateway:.2f}."
    for mistake, value in wrong.items():
        if math.isclose(monthly_cost_usd, value, abs_tol=0.01):
            raise Incorrect(f"that is the bill with {mistake}.")
    raise Incorrect(f"${monthly_cost_usd:.2f} is not it; call monthly_cost(5_000_000, 200, 512, 'arm64') and take .total.")


q1 = Exercise("q1", ("pong_status", "api_id"), _check_prediction,
              "not 404: API Gateway's REST APIs answer an unknown route with an error named after authentication.",
              "pong_status = 403")
q2 = Exercise("q2", ("response",), _check_response, "statusCode 404 and body json.dumps({'error': 'not found'}).",
              'response = {"statusCode": 404, "body": json.dumps({"error": "not found"})}')
q3 = Exercise("q3", ("monthly_cost_usd",), _check_bill, "monthly_cost(requests, duration_ms, memory_mb, architecture).total",
              'monthly_cost_usd = monthly_cost(5_000_000, 200, 512, "arm64").total')
