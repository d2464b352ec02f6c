"""Malformed requests get AWS-style errors, never tracebacks; the app is thread-safe and serves on."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from werkzeug.test import Client

from helpers.gateway.request import raw_path
from tests.support import send


@pytest.fixture
def hello(api, app):
    api.lambda_method("/hello", "GET")
    api.lambda_method("/{proxy+}", "ANY", name="proxy")
    api.deploy()
    return app


@pytest.mark.parametrize("kwargs, status", [
    ({"method": "GET", "path": "/%zz%"}, 200),
    ({"method": "GET", "path": "/%ff%fe"}, 200),
    ({"method": "BREW", "path": "/hello"}, 403),
    ({"method": "", "path": "/hello"}, 403),
    ({"method": "GET", "path": "/hello", "headers": [("X-Big", "x" * 100_000)]}, 200),
    ({"method": "GET", "path": "/hello", "query": "a=%zz&&=&b=%ff"}, 200),
    ({"method": "POST", "path": "/hello", "extra_environ": {"CONTENT_LENGTH": "12abc"}}, 400),
    ({"method": "POST", "path": "/p", "body": b"\xff\xfe\x00"}, 200),
])
def test_malformed_requests(hello, kwargs, status):
    reply = send(hello, **kwargs)
    assert reply.status == status
    assert reply.header("x-amzn-RequestId")


def test_not_an_execute_api_path(app):
    reply = app({"REQUEST_METHOD": "GET", "PATH_INFO": "/somewhere/else"}, lambda *a: None)
    assert b"".join(reply) == b'{"message":"Missing Authentication Token"}'


def test_gateway_bug_is_a_500_and_the_app_keeps_serving(hello, backend):
    good_stage = backend.get_stage
    backend.get_stage = lambda api_id, name: 1 / 0
    reply = send(hello, "GET", "/hello")
    assert (reply.status, reply.body) == (500, b'{"message": "Internal server error"}')
    backend.get_stage = good_stage
    assert send(hello, "GET", "/hello").status == 200


@pytest.mark.parametrize("environ, expected", [
    ({"PATH_INFO": "/a/x/y", "RAW_URI": "/a/x%2Fy?q=1"}, "/a/x%2Fy"),
    ({"PATH_INFO": "/a/x/y", "REQUEST_URI": "http://h:1/a/x%2Fy"}, "/a/x%2Fy"),
    ({"PATH_INFO": "/rewritten/x", "RAW_URI": "/original/x"}, "/rewritten/x"),
    ({"PATH_INFO": "/a/caf\u00c3\u00a9 b"}, "/a/caf%C3%A9%20b"),
    ({"SCRIPT_NAME": "/mount", "PATH_INFO": "/a", "RAW_URI": "/mount/a"}, "/mount/a"),
])
def test_raw_path_choice(environ, expected):
    assert raw_path(environ) == expected


def test_werkzeug_test_client(hello, last_event):
    response = Client(hello).get("/restapis/abc123/dev/_user_request_/x%2Fy", query_string="q=a+b",
                                 headers=[("X-Rep", "1"), ("X-Rep", "2")])
    assert response.status_code == 200
    event = last_event()
    assert event["path"] == "/x%2Fy" and event["queryStringParameters"] == {"q": "a b"}
    # Without the raw-headers key the server has already joined the repeats.
    assert event["multiValueHeaders"]["X-Rep"] == ["1, 2"]


def test_concurrent_requests_share_one_bucket_exactly(api, app):
    api.lambda_method("/hello", "GET")
    api.deploy(methodSettings={"*/*": {"throttlingRateLimit": 0.0, "throttlingBurstLimit": 50}})
    barrier = threading.Barrier(8)

    def worker(_):
        barrier.wait()
        return [send(app, "GET", "/hello").status for _ in range(25)]

    with ThreadPoolExecutor(8) as pool:
        statuses = [s for batch in pool.map(worker, range(8)) for s in batch]
    assert statuses.count(200) == 50 and statuses.count(429) == 150
