"""aws-behaviour.md §2: the Lambda proxy event, rule by rule (every event checked by Powertools' model)."""

import base64

import pytest

from tests.support import ACCOUNT, send

from helpers.gateway.proxy_event import domain_prefix

KEYS = ["resource", "path", "httpMethod", "headers", "multiValueHeaders", "queryStringParameters",
        "multiValueQueryStringParameters", "pathParameters", "stageVariables", "requestContext", "body",
        "isBase64Encoded"]


@pytest.fixture
def event_of(api, app, last_event):
    """Send a request to GET/POST /items/{id} and return the event the function saw."""
    api.lambda_method("/items/{id}", "ANY")
    api.lambda_method("/", "GET", name="root")

    def get(method="GET", path="/items/7", stage_settings=None, **kwargs):
        api.deploy(**(stage_settings or {}))
        assert send(app, method, path, **kwargs).status == 200
        return last_event()

    return get


def test_exactly_the_twelve_keys_in_order(event_of):
    assert list(event_of()) == KEYS


def test_empty_parts_are_null(event_of):
    event = event_of(path="/")
    assert [event[k] for k in ["body", "pathParameters", "queryStringParameters",
                               "multiValueQueryStringParameters", "stageVariables"]] == [None] * 5
    assert event["isBase64Encoded"] is False


def test_headers_keep_client_casing_except_authorization_and_user_agent(event_of):
    event = event_of(headers=[("x-lower", "a"), ("X-MiXeD", "b"), ("authorization", "t"), ("user-agent", "u"),
                              ("content-type", "text/plain")], body=b"hi", method="POST")
    headers = event["headers"]
    assert headers["x-lower"] == "a" and headers["X-MiXeD"] == "b" and headers["content-type"] == "text/plain"
    assert headers["Authorization"] == "t" and headers["User-Agent"] == "u"
    assert "authorization" not in headers and "user-agent" not in headers


def test_content_length_and_connection_are_dropped(event_of):
    event = event_of(method="POST", body=b"x", headers=[("Content-Length", "1"), ("Connection", "keep-alive")])
    names = {n.lower() for n in event["headers"]} | {n.lower() for n in event["multiValueHeaders"]}
    assert "content-length" not in names and "connection" not in names


def test_repeated_headers_last_wins_and_multi_keeps_all(event_of):
    event = event_of(headers=[("X-Rep", "1"), ("X-Rep", "2"), ("x-rep", "3")])
    assert event["headers"]["X-Rep"] == "3"
    assert event["multiValueHeaders"]["X-Rep"] == ["1", "2", "3"]


def test_api_gateway_adds_forwarding_and_trace_headers(event_of):
    headers = event_of()["headers"]
    assert headers["X-Forwarded-For"] == "127.0.0.1"
    assert headers["X-Amzn-Trace-Id"].startswith("Root=1-")


def test_without_raw_headers_names_are_title_cased(event_of):
    event = event_of(headers=[("x-api-thing", "v")], raw_headers=False)
    assert event["headers"]["X-Api-Thing"] == "v"


@pytest.mark.parametrize("query, single, multi", [
    ("a=1&a=2", {"a": "2"}, {"a": ["1", "2"]}),
    ("q=a+b", {"q": "a b"}, {"q": ["a b"]}),
    ("q=a%2Bb", {"q": "a+b"}, {"q": ["a+b"]}),
    ("q=%E2%9C%93&flag", {"q": "\u2713", "flag": ""}, {"q": ["\u2713"], "flag": [""]}),
    ("bad=%zz", {"bad": "%zz"}, {"bad": ["%zz"]}),
])
def test_query_parsing(event_of, query, single, multi):
    event = event_of(query=query)
    assert event["queryStringParameters"] == single
    assert event["multiValueQueryStringParameters"] == multi


@pytest.mark.parametrize("path, id_value", [("/items/a%20b", "a%20b"), ("/items/x%2Fy/", "x%2Fy"), ("/items/%zz", "%zz")])
def test_path_and_parameters_are_not_decoded(event_of, path, id_value):
    event = event_of(path=path)
    assert event["path"] == path
    assert event["pathParameters"] == {"id": id_value}
    assert event["requestContext"]["path"] == f"/dev{path}"


def test_request_context(event_of, clock):
    event = event_of(headers=[("User-Agent", "curl/8.5")])
    context = event["requestContext"]
    assert list(context)[:3] == ["resourceId", "resourcePath", "httpMethod"]
    assert context["resourcePath"] == "/items/{id}" and context["httpMethod"] == "GET"
    assert context["path"] == "/dev/items/7" and context["stage"] == "dev"
    assert context["accountId"] == ACCOUNT and context["apiId"] == "abc123"
    assert context["protocol"] == "HTTP/1.1"
    assert context["requestTime"] == "24/Nov/2026:21:43:03 +0000"
    assert context["requestTimeEpoch"] == 1_795_556_583_000
    assert isinstance(context["requestTimeEpoch"], int)
    assert context["domainName"] == "127.0.0.1:8080" and context["domainPrefix"] == "abc123"
    assert context["deploymentId"].startswith("dep")
    assert "authorizer" not in context
    identity = context["identity"]
    assert identity["sourceIp"] == "127.0.0.1" and identity["userAgent"] == "curl/8.5"
    assert {k for k, v in identity.items() if v is not None} == {"sourceIp", "userAgent"}
    assert "apiKey" not in identity


def test_request_ids_are_fresh(event_of):
    assert event_of()["requestContext"]["requestId"] != event_of()["requestContext"]["requestId"]


@pytest.mark.parametrize("host, prefix", [
    ("abc123.execute-api.us-east-1.amazonaws.com", "abc123"),
    ("localhost:4566", "abc123"),
    ("[::1]:8080", "abc123"),
    ("api.example.com", "api"),
])
def test_domain_prefix(host, prefix):
    assert domain_prefix(host, "abc123") == prefix


def test_stage_variables(event_of):
    event = event_of(stage_settings={"variables": {"env": "dev"}})
    assert event["stageVariables"] == {"env": "dev"}


def test_text_body_as_is(event_of):
    event = event_of(method="POST", body='{"a": "é"}'.encode(), headers=[("Content-Type", "application/json")])
    assert event["body"] == '{"a": "é"}' and event["isBase64Encoded"] is False


@pytest.mark.parametrize("binary_types, content_type, encoded", [
    ([], "image/png", False),
    (["image/png"], "image/png", True),
    (["image/*"], "image/jpeg; charset=x", True),
    (["*/*"], "application/json", True),
    (["image~1png"], "image/png", True),
    (["image/png"], "application/octet-stream", False),
])
def test_body_base64_only_for_binary_media_types(api, event_of, binary_types, content_type, encoded):
    api.binary_media_types = binary_types
    payload = b"\x89PNG\r\n\x00\xff"
    event = event_of(method="POST", body=payload, headers=[("Content-Type", content_type)])
    assert event["isBase64Encoded"] is encoded
    if encoded:
        assert base64.b64decode(event["body"]) == payload
    else:
        assert event["body"] == payload.decode("utf-8", errors="replace")
