"""The sandbox's HTTP server: keep-alive, chunked and 100-continue uploads, bad requests, a clean stop."""

from __future__ import annotations

import http.client
import json
import shutil
import socket
import subprocess
import urllib.request

import boto3
import pytest
import requests

from helpers.sandbox.server import RAW_HEADERS_KEY


def echo(environ, start_response):
    body = environ["wsgi.input"].read()
    document = {
        "method": environ["REQUEST_METHOD"],
        "path": environ["PATH_INFO"],
        "raw": environ["RAW_URI"],
        "query": environ["QUERY_STRING"],
        "length": len(body),
        "body": body.decode(errors="replace")[:50],
        "headers": [list(h) for h in environ[RAW_HEADERS_KEY]],
        "x_twice": environ.get("HTTP_X_TWICE"),
        "remote_port": environ["REMOTE_PORT"],
    }
    payload = json.dumps(document).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [payload]


@pytest.fixture
def server(serve):
    return serve(echo)


def request(server, method, path, body=None, headers=None, conn=None):
    conn = conn or http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    return conn, response, response.read()


def test_keep_alive_serves_many_requests_on_one_connection(server):
    conn = None
    for i in range(5):
        conn, response, body = request(server, "GET", f"/n/{i}", conn=conn)
        assert response.status == 200 and json.loads(body)["path"] == f"/n/{i}"
        assert response.getheader("Connection") is None and response.getheader("Date")
    conn.close()


def test_the_raw_path_and_headers_are_kept(server):
    _, _, body = request(server, "GET", "/a%2Fb/%7Bx%7D?q=1+2", headers={"X-Twice": "1", "x-Mixed-Case": "v"})
    document = json.loads(body)
    assert document["path"] == "/a/b/{x}" and document["raw"] == "/a%2Fb/%7Bx%7D?q=1+2"
    assert document["query"] == "q=1+2"
    assert ["x-Mixed-Case", "v"] in document["headers"]


def test_a_chunked_body_is_read_whole(server):
    def chunks():
        yield b"hello "
        yield b"world"

    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request("POST", "/up", body=chunks(), encode_chunked=True, headers={"Transfer-Encoding": "chunked"})
    body = conn.getresponse().read()
    conn.close()
    assert json.loads(body)["body"] == "hello world" and json.loads(body)["length"] == 11


def test_a_malformed_request_gets_400_and_the_server_keeps_serving(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as raw:
        raw.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n")
        assert raw.recv(100).startswith(b"HTTP/1.1 400")
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as raw:
        raw.sendall(b"PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999999\r\n\r\n")
        assert raw.recv(100).startswith(b"HTTP/1.1 413")
    _, response, _ = request(server, "GET", "/still-here")
    assert response.status == 200


def test_s3_uploads_with_expect_100_continue(sandbox):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="uploads")
    data = b"x" * (2 * 1024 * 1024)
    s3.put_object(Bucket="uploads", Key="big.bin", Body=data)
    assert s3.get_object(Bucket="uploads", Key="big.bin")["Body"].read() == data
    assert s3.head_object(Bucket="uploads", Key="big.bin")["ContentLength"] == len(data)
    s3.upload_fileobj(__import__("io").BytesIO(data), "uploads", "multi.bin")
    assert s3.head_object(Bucket="uploads", Key="multi.bin")["ContentLength"] == len(data)


def test_requests_keeps_one_connection_for_many_calls(server):
    with requests.Session() as session:
        url = f"http://127.0.0.1:{server.port}"
        answers = [session.get(f"{url}/a").json(), session.post(f"{url}/b", data=b"x" * 5000).json(),
                   session.put(f"{url}/c", data=iter([b"chunk", b"ed"])).json()]  # a generator goes chunked
    assert len({a["remote_port"] for a in answers}) == 1
    assert [a["length"] for a in answers] == [0, 5000, 7] and answers[2]["body"] == "chunked"


def test_urllib_gets_its_connection_closed(server):
    with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/u?x=1", data=b"posted", timeout=10) as response:
        document = json.loads(response.read())
        assert response.headers["Connection"] == "close"
    assert document["method"] == "POST" and document["query"] == "x=1" and document["body"] == "posted"


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
@pytest.mark.parametrize("extra", [[], ["-H", "Transfer-Encoding: chunked"]], ids=["length", "chunked"])
def test_curl_uploads_a_large_body(server, extra):
    data = b"y" * (3 * 1024 * 1024)  # large enough that curl asks for 100-continue first
    result = subprocess.run(["curl", "-sS", "--max-time", "20", "-X", "PUT", "--data-binary", "@-", *extra,
                             f"http://127.0.0.1:{server.port}/curl"], input=data, capture_output=True, check=True)
    assert json.loads(result.stdout)["length"] == len(data)
