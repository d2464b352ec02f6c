"""Chapter 04 exercises: the URL of GET /hello, and a handler that greets by name (test-first)."""

from __future__ import annotations

import json
from typing import Any, Callable

import boto3
import requests

from .diagnosis import explain
from .exercise import Exercise, Incorrect


def _check_url(hello_url: object, api_id: str) -> str:
    url = hello_url
    if not isinstance(url, str) or not url.startswith("http"):
        raise Incorrect("hello_url is the full URL, starting with http.")
    answer = requests.get(url, timeout=10)
    if answer.status_code == 200 and answer.text == '"Hello, World! from Lambda!"':
        return "200 and the greeting."
    if api_id not in url:
        raise Incorrect(f"that URL does not name this API ({api_id}).")
    stages = {s["stageName"] for s in boto3.client("apigateway").get_stages(restApiId=api_id)["item"]}
    path = url.split("_user_request_", 1)[-1] if "_user_request_" in url else "/" + url.split("/", 4)[-1]
    if not any(f"/{stage}/" in url or url.rstrip("/").endswith(f"/{stage}") for stage in stages):
        raise Incorrect(f"the stage in the URL is wrong: this API has only {', '.join(sorted(stages))}, so API Gateway answers {answer.status_code} {answer.text}.")
    if path.rstrip("/") in ("", "/dev"):
        raise Incorrect(f"you forgot to append the resource path /hello, so API Gateway answers {answer.status_code} {answer.text}.")
    if path.lower().rstrip("/").endswith("/hello") and answer.status_code == 403:
        raise Incorrect("paths are case-sensitive: the resource is /hello, all lower case.")
    raise Incorrect(explain(answer))


def _event(query: dict[str, str] | None) -> dict[str, Any]:
    return {
        "resource": "/hello", "path": "/hello", "httpMethod": "GET", "headers": None, "multiValueHeaders": None,
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
        "pathParameters": None, "stageVariables": None, "requestContext": {"stage": "dev"}, "body": None, "isBase64Encoded": False,
    }


def _greeting(handler: Callable[..., Any], query: dict[str, str] | None) -> str:
    try:
        response = handler(_event(query), None)
    except TypeError as error:
        if query is None:
            raise Incorrect(f"your handler raised TypeError ({error}) for a request without a query string: "
                            "queryStringParameters is None then, not {}.") from None
        raise Incorrect(f"your handler raised TypeError: {error}") from None
    except KeyError as error:
        raise Incorrect(f"your handler raised KeyError {error}: use .get() for a parameter that may be missing.") from None
    if not isinstance(response, dict) or "body" not in response:
        raise Incorrect("return a proxy response: a dict with statusCode and body.")
    if not isinstance(response["body"], str):
        raise Incorrect("the body must be a string: json.dumps the greeting.")
    try:
        return json.loads(response["body"])
    except ValueError:
        raise Incorrect(f"the body {response['body']!r} is not JSON: json.dumps the greeting.") from None


def _check_named_handler(lambda_handler: object) -> str:
    if not callable(lambda_handler):
        raise Incorrect("define a function lambda_handler(event, context).")
    named = _greeting(lambda_handler, {"name": "Ada"})
    if named != "Hello, Ada! from Lambda!":
        raise Incorrect(f"for ?name=Ada it says {named!r}; the test expects 'Hello, Ada! from Lambda!'.")
    default = _greeting(lambda_handler, None)
    if default != "Hello, World! from Lambda!":
        raise Incorrect(f"without a name it says {default!r}; the original greeting must stay 'Hello, World! from Lambda!'.")
    return "both tests pass: ?name=Ada and no query string."


q1 = Exercise(
    "q1", ("hello_url", "api_id"), _check_url,
    "the stage's invoke URL plus the resource path: invoke_url(api_id, 'dev', '/hello').",
    'hello_url = invoke_url(api_id, "dev", "/hello")',
)
q2 = Exercise(
    "q2", ("lambda_handler",), _check_named_handler,
    "query = event.get('queryStringParameters') or {} — it is None without a query string.",
    '''def lambda_handler(event, context):
    query = event.get("queryStringParameters") or {}
    name = query.get("name") or "World"
    return {"statusCode": 200, "body": json.dumps(f"Hello, {name}! from Lambda!")}''',
)
