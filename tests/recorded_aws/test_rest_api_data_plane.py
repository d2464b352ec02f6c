"""The REST API data plane replayed against responses recorded on real AWS.

Each row is a fact from a public recording of API Gateway's answers (LocalStack's AWS-validated
tests under tests/aws/services/apigateway/: test_apigateway_lambda.py and its snapshot, recorded
2024-2025, and TestApigatewayRouting in test_apigateway_common.py), restated as scenario ->
expected status, body, headers or proxy event. The sandbox must answer the same over plain HTTP.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from tests.support import RestApi, create_function

PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mP8/wIAAgkBAyMAlYwAAAAASUVORK5CYII=")
CLIENT_HEADERS = {"User-Agent": "python-requests/testing", "tEsT-HEADeR": "aValUE", "authorization": "random-value"}
MISSING_TOKEN = (403, {"message": "Missing Authentication Token"}, "MissingAuthenticationTokenException")
INTERNAL_ERROR = (502, {"message": "Internal server error"}, "InternalServerErrorException")


@dataclass(frozen=True)
class Apis:
    """The APIs the rows call: an echo of the proxy event, a response-from-body, MOCK routing trees."""

    sandbox: Any
    echo: RestApi
    answer: RestApi  # answers with the proxy response posted to it
    routing: RestApi
    order: RestApi
    existing: RestApi  # only GET /existing

    def url(self, api: RestApi, path: str, stage: str = "stage") -> str:
        """The invoke URL of a path (and query) as written, repeated slashes included."""
        return self.sandbox.invoke_url(api.id, stage, path)


# The proxy event (test_lambda_aws_proxy_integration).


def _event(apis: Apis, path: str, **kwargs: Any) -> dict[str, Any]:
    response = requests.get(apis.url(apis.echo, path), headers=CLIENT_HEADERS, timeout=30, **kwargs)
    assert response.status_code == 200, response.content
    return response.json()


EVENT_ROWS: list[tuple[str, str, dict[str, Any]]] = [
    ("without trailing slash", "/proxy-value",
     {"path": "/proxy-value", "resource": "/{proxy+}", "pathParameters": {"proxy": "proxy-value"},
      "requestContext.path": "/stage/proxy-value", "queryStringParameters": None,
      "multiValueQueryStringParameters": None, "body": None, "isBase64Encoded": False, "stageVariables": None}),
    ("with trailing slash", "/proxy-value/",
     {"path": "/proxy-value/", "pathParameters": {"proxy": "proxy-value"}, "requestContext.path": "/stage/proxy-value/"}),
    ("with a double slash inside", "/proxy-value//double-slash",
     {"path": "/proxy-value//double-slash", "pathParameters": {"proxy": "proxy-value//double-slash"},
      "requestContext.path": "/stage/proxy-value//double-slash"}),
    ("with a slash prepended", "//proxy-value",
     {"path": "/proxy-value", "pathParameters": {"proxy": "proxy-value"}, "requestContext.path": "/stage//proxy-value"}),
    ("a literal resource with a slash prepended", "//hardcoded",
     {"path": "/hardcoded", "resource": "/hardcoded", "pathParameters": None,
      "requestContext.path": "/stage//hardcoded", "requestContext.resourcePath": "/hardcoded"}),
    ("with a query string", "/proxy-value?urlparam=test",
     {"queryStringParameters": {"urlparam": "test"}, "multiValueQueryStringParameters": {"urlparam": ["test"]}}),
    ("with encoded characters in the path", "/proxy-value/api/user/test%2Balias@gmail.com/plus/test+alias@gmail.com",
     {"path": "/proxy-value/api/user/test%2Balias@gmail.com/plus/test+alias@gmail.com",
      "pathParameters": {"proxy": "proxy-value/api/user/test%2Balias@gmail.com/plus/test+alias@gmail.com"}}),
    ("with encoded characters in the query",
     "/proxy-value/api?dateTimeOffset=2023-06-12T18:05:10.123456+00:00&email=test%2Balias@gmail.com"
     "&plus=test+alias@gmail.com&url=https://www.google.com/&whitespace=foo%20bar&zhash=abort/",
     {"queryStringParameters": {"dateTimeOffset": "2023-06-12T18:05:10.123456 00:00", "email": "test+alias@gmail.com",
                                "plus": "test alias@gmail.com", "url": "https://www.google.com/",
                                "whitespace": "foo bar", "zhash": "abort/"}}),
]


def _field(event: dict[str, Any], dotted: str) -> Any:
    value: Any = event
    for key in dotted.split("."):
        value = value[key]
    return value


@pytest.mark.parametrize("name, path, expected", EVENT_ROWS, ids=[row[0] for row in EVENT_ROWS])
def test_recorded_proxy_event(apis, name, path, expected):
    event = _event(apis, path)
    assert {key: _field(event, key) for key in expected} == expected


def test_recorded_event_headers(apis):
    event = _event(apis, "/proxy-value")
    headers, multi = event["headers"], event["multiValueHeaders"]
    # The client's casing is kept but for Authorization; API Gateway adds these and drops the hop-level ones.
    assert (headers["tEsT-HEADeR"], headers["Authorization"], headers["User-Agent"]) == (
        "aValUE", "random-value", "python-requests/testing")
    assert {"Host", "X-Amzn-Trace-Id", "X-Forwarded-For", "X-Forwarded-Port", "X-Forwarded-Proto"} <= set(headers)
    assert not {"Content-Length", "Connection", "authorization"} & set(headers)
    assert multi["tEsT-HEADeR"] == ["aValUE"] and set(multi) == set(headers)
    assert event["requestContext"]["identity"]["userAgent"] == "python-requests/testing"


def test_recorded_event_of_a_post_with_repeated_query_keys(apis):
    response = requests.post(apis.url(apis.echo, "/proxy-value"), data=json.dumps({"message": "hello world"}),
                             params={"category": ["electronics", "books"], "price": ["10", "20", "30"]},
                             headers={"Content-Type": "application/json;charset=utf-8",
                                      "aUThorization": "Bearer token123;API key456"}, timeout=30)
    event = response.json()
    assert (event["httpMethod"], event["body"], event["isBase64Encoded"]) == ("POST", '{"message": "hello world"}', False)
    assert event["queryStringParameters"] == {"category": "books", "price": "30"}
    assert event["multiValueQueryStringParameters"] == {"category": ["electronics", "books"], "price": ["10", "20", "30"]}
    assert event["headers"]["Authorization"] == "Bearer token123;API key456"
    assert event["headers"]["Content-Type"] == "application/json;charset=utf-8" and "Content-Length" not in event["headers"]


# Routing (TestApigatewayRouting; test_routing_not_found).

ROUTING_ROWS: list[tuple[str, str, str, str, Any]] = [
    ("a literal resource without the method gives way to {proxy+}", "routing", "OPTIONS", "/test", "OPTIONS request"),
    ("the literal resource answers its own method", "routing", "POST", "/test", "POST request"),
    ("ANY on a child resource, OPTIONS", "routing", "OPTIONS", "/test/any", "ANY request"),
    ("ANY on a child resource, GET", "routing", "GET", "/test/any", "ANY request"),
    ("a literal resource", "order", "GET", "/part1", "part1"),
    ("a literal child", "order", "GET", "/part1/hardcoded-value", "hardcoded-value"),
    ("no literal child: back to the root's {param+}", "order", "GET", "/part1/random-value", "proxy"),
    ("a resource", "existing", "GET", "/existing", "exists"),
    ("no resource", "existing", "GET", "/random-non-existing", MISSING_TOKEN),
    ("a resource without the method", "existing", "POST", "/existing", MISSING_TOKEN),
]


@pytest.mark.parametrize("name, api, method, path, expected", ROUTING_ROWS, ids=[row[0] for row in ROUTING_ROWS])
def test_recorded_routing(apis, name, api, method, path, expected):
    response = requests.request(method, apis.url(getattr(apis, api), path), timeout=30)
    if isinstance(expected, tuple):
        assert (response.status_code, response.json(), response.headers["x-amzn-ErrorType"]) == expected
    else:
        assert (response.status_code, response.json()["message"]) == (200, expected)


# Proxy response formats (test_aws_proxy_response_payload_format_validation).

RESPONSE_ROWS: list[tuple[str, Any, tuple[int, Any, str | None]]] = [
    ("no body", {"statusCode": 200}, (200, b"", None)),
    ("a boolean header", {"statusCode": 200, "headers": {"test-header": "value", "header-bool": True}},
     (200, b"", None)),
    ("headers null", {"statusCode": 200, "headers": None}, (200, b"", None)),
    ("an unknown top-level key", {"statusCode": 200, "wrongValue": "value"}, INTERNAL_ERROR),
    ("an empty object", {}, INTERNAL_ERROR),
    ("isBase64Encoded without binary media types", {"statusCode": 200, "body": "dGVzdC1kYXRh", "isBase64Encoded": True},
     (200, b"dGVzdC1kYXRh", None)),
    ("base64 text not flagged", {"statusCode": 200, "body": "dGVzdC1kYXRh"}, (200, b"dGVzdC1kYXRh", None)),
    ("multiValueHeaders not a list", {"statusCode": 200, "multiValueHeaders": {"test-multi-invalid": "value1"}},
     INTERNAL_ERROR),
    ("a statusCode that is not a number", {"statusCode": "test"}, INTERNAL_ERROR),
    ("a statusCode as a string", {"statusCode": "201"}, (201, b"", None)),
    ("a bare string", "justAString", INTERNAL_ERROR),
    ("only headers", {"headers": {"test-header": "value"}}, (200, b"", None)),
]


def _answer(apis: Apis, proxy_response: Any, **headers: str) -> requests.Response:
    data = json.dumps(proxy_response) if proxy_response != {} else None  # the recording sent no body for {}
    return requests.post(apis.url(apis.answer, "/test"), data=data, headers={"User-Agent": "python/test", **headers},
                         timeout=30)


@pytest.mark.parametrize("name, proxy_response, expected", RESPONSE_ROWS, ids=[row[0] for row in RESPONSE_ROWS])
def test_recorded_proxy_response(apis, name, proxy_response, expected):
    response = _answer(apis, proxy_response)
    status, body, error_type = expected
    assert response.status_code == status
    assert (response.json() if isinstance(body, dict) else response.content) == body
    assert response.headers.get("x-amzn-ErrorType") == error_type


def test_recorded_response_headers(apis):
    booleans = _answer(apis, {"statusCode": 200, "headers": {"test-header": "value", "header-bool": True}}).headers
    assert (booleans["header-bool"], booleans["test-header"], booleans["Content-Type"]) == ("true", "value",
                                                                                            "application/json")
    # requests joins repeated header lines with ", ", as the recording client did.
    multi = _answer(apis, {"statusCode": 200, "multiValueHeaders": {"test-multi": ["value1", "value2"]}}).headers
    assert multi["test-multi"] == "value1, value2"
    both = _answer(apis, {"statusCode": 200, "multiValueHeaders": {"tesT-Multi": ["value-multi"]},
                          "headers": {"test-multi": "value-solo"}})
    assert both.headers["test-multi"] == "value-multi, value-solo"
    assert "tesT-Multi" in both.raw.headers.keys()  # the multi-value spelling names the header


# Binary responses (test_aws_proxy_binary_response).

BINARY_ROWS: list[tuple[str, str, str, bool]] = [
    ("no binaryMediaTypes: base64 text", "plain", "image/png", False),
    ("a listed type in Accept: the bytes", "binary", "image/png", True),
    ("another type", "binary", "image/jpg", False),
    ("a wildcard in Accept", "binary", "image/*", False),
    ("the listed wildcard itself", "binary", "*/test", False),
    ("a type the listed wildcard would match", "binary", "random/test", False),
    ("*/*", "binary", "*/*", False),
]


@pytest.mark.parametrize("name, stage, accept, binary", BINARY_ROWS, ids=[row[0] for row in BINARY_ROWS])
def test_recorded_binary_response(apis, name, stage, accept, binary):
    proxy_response = {"statusCode": 200, "body": base64.b64encode(PNG).decode(), "isBase64Encoded": True,
                      "headers": {"Content-Type": "image/png", "Cache-Control": "no-cache"}}
    response = requests.post(apis.url(apis.answer, "/test", stage), data=json.dumps(proxy_response),
                             headers={"User-Agent": "python/test", "Accept": accept}, timeout=30)
    assert response.status_code == 200
    assert response.content == (PNG if binary else base64.b64encode(PNG))


# The APIs, built once with plain boto3.


def _mock(api: RestApi, path: str, method: str, message: str) -> None:
    resource = api.resource(path)
    client = api.client
    client.put_method(restApiId=api.id, resourceId=resource, httpMethod=method, authorizationType="NONE")
    client.put_integration(restApiId=api.id, resourceId=resource, httpMethod=method, type="MOCK",
                           requestTemplates={"application/json": '{"statusCode": 200}'})
    client.put_method_response(restApiId=api.id, resourceId=resource, httpMethod=method, statusCode="200")
    client.put_integration_response(restApiId=api.id, resourceId=resource, httpMethod=method, statusCode="200",
                                    responseTemplates={"application/json": json.dumps({"statusCode": 200,
                                                                                       "message": message})})


def _build(box: Any) -> Apis:
    echo_arn = create_function(box, "echo", "echo.py")
    echo = RestApi.create(box, "echo")
    echo.proxy_method("/{proxy+}", "GET", echo_arn)
    echo.proxy_method("/{proxy+}", "POST", echo_arn)
    echo.proxy_method("/hardcoded", "GET", echo_arn)
    echo.allow(echo_arn)
    echo.deploy("stage")

    answer_arn = create_function(box, "answer", "response_from_body.py")
    answer = RestApi.create(box, "answer")
    answer.proxy_method("/{proxy+}", "ANY", answer_arn)
    answer.allow(answer_arn)
    answer.deploy("plain")
    answer.client.update_rest_api(restApiId=answer.id, patchOperations=[
        {"op": "add", "path": "/binaryMediaTypes/image~1png"}, {"op": "add", "path": "/binaryMediaTypes/*~1test"}])
    answer.deploy("binary")
    answer.deploy("stage")

    routing = RestApi.create(box, "routing")
    _mock(routing, "/test", "POST", "POST request")
    _mock(routing, "/test/any", "ANY", "ANY request")
    _mock(routing, "/{proxy+}", "OPTIONS", "OPTIONS request")
    routing.deploy("stage")

    order = RestApi.create(box, "order")
    _mock(order, "/part1", "GET", "part1")
    _mock(order, "/{param+}", "GET", "proxy")
    _mock(order, "/part1/hardcoded-value", "GET", "hardcoded-value")
    order.deploy("stage")

    existing = RestApi.create(box, "existing")
    _mock(existing, "/existing", "GET", "exists")
    existing.deploy("stage")
    return Apis(box, echo, answer, routing, order, existing)


@pytest.fixture(scope="module")
def apis():
    from helpers import sandbox as sandbox_module

    box = sandbox_module.start()
    try:
        yield _build(box)
    finally:
        box.stop()

