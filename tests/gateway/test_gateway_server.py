"""End to end over a real threaded werkzeug server (what moto's server runs on): raw paths, header lines."""

import http.client
import threading

import pytest
from werkzeug.serving import make_server

from helpers.gateway import GatewayApp
from tests.support import ApiBuilder, FakeBackend


@pytest.fixture
def server():
    backend = FakeBackend()
    api = ApiBuilder(backend)
    api.lambda_method("/{proxy+}", "ANY", lambda event: {
        "statusCode": 200,
        "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
        "headers": {"Date": "from-function"},
        "body": event["path"],
    })
    api.deploy()
    httpd = make_server("127.0.0.1", 0, GatewayApp(backend), threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield httpd.server_port, backend
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def request(port, method, path, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", port)
    conn.request(method, f"/restapis/abc123/dev/_user_request_{path}", body=body)
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response, data


def test_raw_path_reaches_the_event(server):
    port, backend = server
    response, body = request(port, "GET", "/a%2Fb/caf%C3%A9?x=1")
    assert (response.status, body) == (200, b"/a%2Fb/caf%C3%A9")
    assert backend.invocations[-1][1]["requestContext"]["domainName"] == f"127.0.0.1:{port}"


def test_cookies_stay_separate_lines_and_date_is_remapped(server):
    port, _ = server
    response, _ = request(port, "GET", "/x")
    assert response.headers.get_all("Set-Cookie") == ["a=1", "b=2"]
    assert response.headers["x-amzn-Remapped-Date"] == "from-function"


def test_posted_body_and_errors(server):
    port, backend = server
    response, _ = request(port, "POST", "/p", body=b'{"a": 1}')
    assert response.status == 200 and backend.invocations[-1][1]["body"] == '{"a": 1}'
    response, body = request(port, "GET", "/")
    assert (response.status, body) == (403, b'{"message":"Missing Authentication Token"}')
