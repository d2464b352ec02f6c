"""aws-behaviour.md §1/§2: mapping a Lambda proxy response to HTTP, and the malformed ones that are a 502."""

import base64

import pytest

from tests.support import RawPayload, send


@pytest.fixture
def reply_for(api, app):
    """Deploy GET /r returning `result` and return what the client gets."""

    def get(result, *, accept=None, binary_types=()):
        api.binary_media_types = list(binary_types)
        api.lambda_method("/r", "GET", lambda event: result)
        api.deploy()
        return send(app, "GET", "/r", headers=[("Accept", accept)] if accept else [])

    return get


@pytest.mark.parametrize("result", [
    RawPayload(b'"a bare string"'),
    RawPayload(b"not json"),
    RawPayload(b"[1, 2]"),
    {"statusCode": 200, "body": "x", "extra": 1},
    {"statusCode": 200, "multiValueHeaders": {"X-A": "not a list"}},
    {"statusCode": 200, "multiValueHeaders": ["X-A"]},
    {"statusCode": "two hundred"},
    {"statusCode": " 200"},
    {"statusCode": 12},
    {"statusCode": True},
    {"statusCode": 200.5},
    {"body": {"forgot": "json.dumps"}},
    {"headers": "X-A: 1"},
    {"headers": {"X-A": {"nested": 1}}},
    {"headers": {"X-A": "line\r\nX-Injected: 1"}},
    {"headers": {"bad name": "v"}},
    {"isBase64Encoded": "maybe"},
], ids=lambda r: repr(r)[:40])
def test_malformed_response_is_502(reply_for, result):
    reply = reply_for(result)
    assert (reply.status, reply.body) == (502, b'{"message": "Internal server error"}')
    assert reply.header("x-amzn-ErrorType") == "InternalServerErrorException"


@pytest.mark.parametrize("result, status, body", [
    ({}, 200, b""),
    ({"body": "hi"}, 200, b"hi"),
    ({"statusCode": 201, "headers": None, "body": None}, 201, b""),
    ({"statusCode": "201", "body": "made"}, 201, b"made"),
    ({"statusCode": 404, "body": "nope"}, 404, b"nope"),
    ({"statusCode": 200, "body": "caf\u00e9"}, 200, "caf\u00e9".encode()),
])
def test_accepted_responses(reply_for, result, status, body):
    reply = reply_for(result)
    assert (reply.status, reply.body) == (status, body)
    assert reply.header("x-amzn-ErrorType") is None


def test_walkthrough_handler_says_hello(reply_for):
    from tests.support import hello_world
    reply = reply_for(hello_world({}))
    assert reply.body == b'"Hello, World! from Lambda!"'
    assert reply.header("Content-Type") == "application/json"


def test_content_type_default_and_override(reply_for):
    assert reply_for({"body": "x"}).header("Content-Type") == "application/json"
    reply = reply_for({"body": "<p>", "headers": {"content-type": "text/html"}})
    assert reply.header_values("Content-Type") == ["text/html"]


def test_boolean_and_number_header_values(reply_for):
    reply = reply_for({"headers": {"X-Flag": True, "X-Off": False, "X-Num": 3}})
    assert (reply.header("X-Flag"), reply.header("X-Off"), reply.header("X-Num")) == ("true", "false", "3")


def test_multi_value_headers_each_on_its_own_line(reply_for):
    reply = reply_for({"multiValueHeaders": {"Set-Cookie": ["a=1; Path=/", "b=2; Expires=Wed, 21 Oct 2026 07:28:00 GMT"]}})
    assert reply.header_values("Set-Cookie") == ["a=1; Path=/", "b=2; Expires=Wed, 21 Oct 2026 07:28:00 GMT"]


def test_multi_values_come_before_the_single_value(reply_for):
    reply = reply_for({"headers": {"X-Both": "single"}, "multiValueHeaders": {"X-Both": ["m1", "m2"]}})
    assert reply.header_values("X-Both") == ["m1", "m2", "single"]


@pytest.mark.parametrize("name", ["Connection", "Content-Length", "Date", "Server"])
def test_owned_headers_are_remapped(reply_for, name):
    reply = reply_for({"headers": {name: "from-function"}, "body": "abc"})
    assert reply.header(f"x-amzn-Remapped-{name}") == "from-function"
    assert reply.header("Content-Length") == "3"


def test_response_carries_trace_id(reply_for):
    assert reply_for({}).header("X-Amzn-Trace-Id").startswith("Root=1-")


PNG = b"\x89PNG\r\n\x1a\n\x00\xff"
B64 = {"isBase64Encoded": True, "body": base64.b64encode(PNG).decode(), "headers": {"Content-Type": "image/png"}}


@pytest.mark.parametrize("accept, binary_types, decoded", [
    ("image/png", ["image/png"], True),
    ("image/png,text/html", ["image/*"], True),
    ("text/html,image/png", ["image/png"], False),  # only the first Accept entry counts
    ("*/*", ["image/png"], False),  # */* is not a match for a specific binary type
    ("image/png", [], False),
    (None, ["image/png"], False),
])
def test_base64_body_decoded_only_for_binary_accept(reply_for, accept, binary_types, decoded):
    reply = reply_for(B64, accept=accept, binary_types=binary_types)
    assert reply.status == 200
    assert reply.body == (PNG if decoded else B64["body"].encode())


def test_undecodable_base64_is_a_500(reply_for):
    reply = reply_for({"isBase64Encoded": True, "body": "###"}, accept="image/png", binary_types=["image/png"])
    assert reply.status == 500
