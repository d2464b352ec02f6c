"""The sandbox's HTTP server, over real sockets: keep-alive, bodies, 100-continue, refusals, a clean stop."""

from __future__ import annotations

import http.client
import io
import json
import re
import shutil
import socket
import subprocess
import threading
import time
import urllib.request
from email.utils import formatdate, parsedate_to_datetime

import boto3
import pytest
import requests

from helpers.sandbox import server as server_module
from helpers.sandbox.server import RAW_HEADERS_KEY, LoopbackServer

ENVIRON_KEYS = ("REQUEST_METHOD", "PATH_INFO", "RAW_URI", "REQUEST_URI", "QUERY_STRING", "SERVER_PROTOCOL",
                "SERVER_NAME", "SERVER_PORT", "REMOTE_ADDR", "REMOTE_PORT", "CONTENT_TYPE", "CONTENT_LENGTH")


def echo(environ, start_response):
    """Answers with what the tests look at in the environ, or misbehaves on request."""
    body = environ["wsgi.input"].read()
    if environ["PATH_INFO"] == "/sized":  # the app sets Content-Length itself
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "42")])
        return [b"x" * 42]
    if environ["PATH_INFO"] == "/fail":
        raise RuntimeError("the app broke (expected by the test)")
    document = {key: environ.get(key) for key in ENVIRON_KEYS}
    document["http"] = {key: value for key, value in environ.items() if key.startswith("HTTP_")}
    document["headers"] = [list(pair) for pair in environ[RAW_HEADERS_KEY]]
    document["body"] = body.decode("latin-1")
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps(document).encode()]


@pytest.fixture
def server(serve):
    return serve(echo)


class Response:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    @property
    def environ(self) -> dict:
        return json.loads(self.body)


class RawClient:
    """A client that writes bytes as given and reads responses one by one."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.file = self.sock.makefile("rb")

    def send(self, data: bytes, piece: int = 0) -> None:
        """Send data, in pieces of `piece` bytes a moment apart when given."""
        try:
            if not piece:
                self.sock.sendall(data)
                return
            for start in range(0, len(data), piece):
                self.sock.sendall(data[start:start + piece])
                time.sleep(0.0005)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered early and closed; the answer is still there to read

    def response(self, head: bool = False) -> Response:
        """The next response; `head` for one to a HEAD request (no body)."""
        status_line = self.file.readline()
        assert status_line.startswith(b"HTTP/1.1 "), status_line
        headers = {}
        while (line := self.file.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.lower()] = value.strip()
        body = b"" if head else self.file.read(int(headers.get("content-length", 0)))
        return Response(int(status_line.split()[1]), headers, body)

    def closed_by_server(self) -> bool:
        """Whether the server ended the connection (rather than keeping it open)."""
        try:
            return self.file.read(1) == b""
        except socket.timeout:
            return False

    def close(self) -> None:
        self.file.close()
        self.sock.close()


@pytest.fixture
def client(server):
    clients = []

    def connect() -> RawClient:
        clients.append(RawClient(server.port))
        return clients[-1]

    yield connect
    for c in clients:
        c.close()


def get(path: str = "/", version: str = "HTTP/1.1", headers: str = "") -> bytes:
    return f"GET {path} {version}\r\nHost: sandbox\r\n{headers}\r\n".encode("latin-1")


def post(head: str, body: bytes = b"") -> bytes:
    return f"POST / HTTP/1.1\r\nHost: sandbox\r\n{head}\r\n".encode("latin-1") + body


CHUNKED = post("Transfer-Encoding: chunked\r\n")

REFUSED = [
    ("four words in the request line", b"GET / x HTTP/1.1\r\nHost: s\r\n\r\n", 400),
    ("binary noise", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 400),
    ("HTTP/2", b"GET / HTTP/2.0\r\nHost: s\r\n\r\n", 505),
    ("request line too long", get("/" + "a" * 70_000), 414),
    ("request line too long, never ended", b"GET /" + b"a" * 200_000, 414),
    ("header without a colon", get(headers="X-Broken\r\n"), 400),
    ("space before the colon", get(headers="X-Space : v\r\n"), 400),
    ("stray CR", get(headers="X-CR: a\rb\r\n"), 400),
    ("too many headers", get(headers="".join(f"X-{i}: v\r\n" for i in range(101))), 431),
    ("header section too large", get(headers="X-Big: " + "v" * 70_000 + "\r\n"), 431),
    ("Content-Length not a number", post("Content-Length: nope\r\n"), 400),
    ("negative Content-Length", post("Content-Length: -1\r\n"), 400),
    ("conflicting Content-Lengths", post("Content-Length: 1\r\nContent-Length: 2\r\n", b"xy"), 400),
    ("body too large", post("Content-Length: 999999999999\r\n"), 413),
    # Two ways to frame one body: a proxy and this server could split the stream differently.
    ("Content-Length and chunked", post("Content-Length: 3\r\nTransfer-Encoding: chunked\r\n", b"0\r\n\r\n"), 400),
    ("chunked and Content-Length", post("Transfer-Encoding: chunked\r\nContent-Length: 3\r\n", b"0\r\n\r\n"), 400),
    ("a coding other than chunked", post("Transfer-Encoding: gzip\r\n", b"hi"), 501),
    ("chunked after another coding", post("Transfer-Encoding: gzip, chunked\r\n", b"0\r\n\r\n"), 501),
    ("Transfer-Encoding twice", post("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"), 501),
    ("chunk size not hex", CHUNKED + b"zz\r\n", 400),
    ("chunk longer than its size", CHUNKED + b"5\r\nhello!\r\n0\r\n\r\n", 400),
]


@pytest.mark.parametrize("request_bytes, status", [case[1:] for case in REFUSED], ids=[case[0] for case in REFUSED])
def test_an_unreadable_request_is_refused_with_a_body_and_closed(client, request_bytes, status):
    raw = client()
    raw.send(request_bytes)
    response = raw.response()
    assert response.status == status
    assert response.headers["connection"] == "close" and response.body.startswith(str(status).encode())
    assert raw.closed_by_server()
    follow_up = client()
    follow_up.send(get("/still-serving"))
    assert follow_up.response().status == 200


def test_a_chunked_body_over_the_limit_is_413(client, monkeypatch):
    monkeypatch.setattr(server_module, "MAX_BODY", 10)
    raw = client()
    raw.send(CHUNKED + b"8\r\n12345678\r\n8\r\n12345678\r\n0\r\n\r\n")
    assert raw.response().status == 413 and raw.closed_by_server()


def test_a_refused_upload_still_gets_its_answer(server, monkeypatch):
    """A client that sends its whole body without waiting reads the 413, not a reset in the middle of sending."""
    monkeypatch.setattr(server_module, "MAX_BODY", 1000)
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    conn.request("PUT", "/", body=b"x" * 4_000_000)
    assert conn.getresponse().status == 413
    conn.close()


ENVIRONS = [
    ("a plain path and query", get("/a/b?x=1&y=%20"),
     {"PATH_INFO": "/a/b", "RAW_URI": "/a/b?x=1&y=%20", "REQUEST_URI": "/a/b?x=1&y=%20", "QUERY_STRING": "x=1&y=%20"}),
    ("an encoded path is decoded, the raw one kept", get("/a%2Fb/%7Bx%7D/%C3%A9"),
     {"PATH_INFO": "/a/b/{x}/\u00c3\u00a9", "RAW_URI": "/a%2Fb/%7Bx%7D/%C3%A9"}),
    ("an absolute-form target", get("http://example.com/p%20q?x=1"),
     {"PATH_INFO": "/p q", "RAW_URI": "http://example.com/p%20q?x=1", "QUERY_STRING": "x=1"}),
    ("an absolute-form target without a path", get("http://example.com"), {"PATH_INFO": "/"}),
    ("a leading // is one /, as http.server had it", get("//twice"), {"PATH_INFO": "/twice", "RAW_URI": "/twice"}),
    ("the protocol", get(version="HTTP/1.0"), {"SERVER_PROTOCOL": "HTTP/1.0"}),
    ("other methods", b"DELETE /x HTTP/1.1\r\nHost: s\r\n\r\n", {"REQUEST_METHOD": "DELETE", "CONTENT_LENGTH": "0"}),
    ("Content-Type is CONTENT_TYPE", post("Content-Type: text/plain\r\nContent-Length: 2\r\n", b"hi"),
     {"CONTENT_TYPE": "text/plain", "CONTENT_LENGTH": "2", "body": "hi"}),
    ("no Content-Type, no CONTENT_TYPE", get(), {"CONTENT_TYPE": None, "CONTENT_LENGTH": "0"}),
    ("repeated headers are joined with commas", get(headers="X-Twice: 1\r\nx-twice: 2\r\n"),
     {"http": {"HTTP_X_TWICE": "1,2", "HTTP_HOST": "sandbox"}}),
    ("values lose surrounding blanks, not inner ones", get(headers="X-Pad: \t a  b \t\r\nX-Empty:\r\n"),
     {"http": {"HTTP_X_PAD": "a  b", "HTTP_X_EMPTY": "", "HTTP_HOST": "sandbox"}}),
    ("raw headers keep case, order and repeats",
     get(headers="x-Mixed-Case: v\r\nX-Twice: 1\r\nX-TWICE: 2\r\nContent-Length: 0\r\n"),
     {"headers": [["Host", "sandbox"], ["x-Mixed-Case", "v"], ["X-Twice", "1"], ["X-TWICE", "2"],
                  ["Content-Length", "0"]]}),
    ("bare LF line ends", b"GET /lf HTTP/1.1\nHost: s\nX-A: 1\n\n",
     {"PATH_INFO": "/lf", "http": {"HTTP_HOST": "s", "HTTP_X_A": "1"}}),
    ("a chunked body: extensions dropped, trailers read past",
     CHUNKED + b"5;name=value\r\nhello\r\n6\r\n world\r\nA\r\n, 10 bytes\r\n0\r\nX-Checksum: abc\r\n\r\n",
     {"body": "hello world, 10 bytes", "CONTENT_LENGTH": "21", "http": {"HTTP_HOST": "sandbox"}}),
    ("the same Content-Length twice is one", post("Content-Length: 2\r\nContent-Length: 2\r\n", b"hi"),
     {"body": "hi", "CONTENT_LENGTH": "2"}),
    ("aws-chunked is only a header here", post("Content-Encoding: aws-chunked\r\nContent-Length: 5\r\n", b"0\r\n\r\n"),
     {"body": "0\r\n\r\n", "http": {"HTTP_CONTENT_ENCODING": "aws-chunked", "HTTP_HOST": "sandbox"}}),
]


@pytest.mark.parametrize("request_bytes, expected", [case[1:] for case in ENVIRONS], ids=[case[0] for case in ENVIRONS])
@pytest.mark.parametrize("piece", [0, 3], ids=["one send", "in small pieces"])
def test_the_environ(client, request_bytes, expected, piece):
    raw = client()
    raw.send(request_bytes, piece)
    response = raw.response()
    assert response.status == 200, response.body
    environ = response.environ
    for key, value in expected.items():
        assert environ[key] == value, key


def test_the_connection_is_described_in_the_environ(server, client):
    raw = client()
    raw.send(get())
    environ = raw.response().environ
    assert environ["REMOTE_ADDR"] == "127.0.0.1" and environ["REMOTE_PORT"] == str(raw.sock.getsockname()[1])
    assert environ["SERVER_NAME"] == "127.0.0.1" and environ["SERVER_PORT"] == str(server.port)


CONNECTIONS = [
    # (what the client sends, the Connection header answered, whether the server keeps the connection)
    ("HTTP/1.1 keeps the connection", "HTTP/1.1", "", None, True),
    ("HTTP/1.1 with Connection: close", "HTTP/1.1", "Connection: close\r\n", "close", False),
    ("Connection tokens are case-insensitive", "HTTP/1.1", "Connection: Upgrade, CLOSE\r\n", "close", False),
    ("HTTP/1.0 closes", "HTTP/1.0", "", "close", False),
]


@pytest.mark.parametrize("version, headers, answered, kept", [c[1:] for c in CONNECTIONS],
                         ids=[c[0] for c in CONNECTIONS])
def test_keep_alive_and_close(client, version, headers, answered, kept):
    raw = client()
    raw.send(get("/first", version, headers))
    response = raw.response()
    assert response.status == 200 and response.headers.get("connection") == answered
    if kept:
        raw.send(get("/second", version, headers))
        assert raw.response().environ["PATH_INFO"] == "/second"
    else:
        assert raw.closed_by_server()


def test_pipelined_requests_are_answered_in_order(client):
    raw = client()
    raw.send(get("/one") + post("Content-Length: 3\r\n", b"abc")
             + b"HEAD /sized HTTP/1.1\r\nHost: s\r\n\r\n"
             + CHUNKED + b"1\r\nz\r\n0\r\n\r\n"
             + get("/five", headers="Connection: close\r\n"))
    assert raw.response().environ["PATH_INFO"] == "/one"
    assert raw.response().environ["body"] == "abc"
    assert raw.response(head=True).headers["content-length"] == "42"
    assert raw.response().environ["body"] == "z"
    assert raw.response().environ["PATH_INFO"] == "/five"
    assert raw.closed_by_server()


def test_a_body_split_across_many_sends(client):
    body = bytes(range(256)) * 8
    raw = client()
    raw.send(post(f"Content-Length: {len(body)}\r\n", body), piece=7)
    assert raw.response().environ["body"].encode("latin-1") == body


@pytest.mark.parametrize("head, body, expected", [
    (post("Content-Length: 5\r\nExpect: 100-continue\r\n"), b"hello", "hello"),
    (post("Transfer-Encoding: chunked\r\nExpect: 100-Continue\r\n"), b"2\r\nok\r\n0\r\n\r\n", "ok"),
], ids=["Content-Length", "chunked"])
def test_100_continue_is_answered_before_the_body_is_read(client, head, body, expected):
    raw = client()
    raw.send(head)
    assert raw.file.readline() == b"HTTP/1.1 100 Continue\r\n" and raw.file.readline() == b"\r\n"
    raw.send(body)
    assert raw.response().environ["body"] == expected


@pytest.mark.parametrize("head", [
    b"PUT / HTTP/1.1\r\nHost: s\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n",  # no body to wait for
    b"PUT / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n",  # HTTP/1.0 has no 100
    b"GET / HTTP/1.1\r\nHost: s\r\nExpect: 100-continue\r\n\r\n",
], ids=["empty body", "HTTP/1.0", "no body"])
def test_no_100_continue_without_a_body_to_wait_for(client, head):
    raw = client()
    raw.send(head)
    assert raw.response().status == 200


def test_an_upload_too_large_is_refused_before_100_continue(client):
    raw = client()
    raw.send(b"PUT / HTTP/1.1\r\nHost: s\r\nContent-Length: 999999999999\r\nExpect: 100-continue\r\n\r\n")
    assert raw.response().status == 413


def test_head_keeps_the_apps_content_length_and_sends_no_body(client):
    raw = client()
    raw.send(b"HEAD /sized HTTP/1.1\r\nHost: s\r\n\r\n" + b"HEAD /echo HTTP/1.1\r\nHost: s\r\n\r\n" + get("/after"))
    assert raw.response(head=True).headers["content-length"] == "42"
    assert int(raw.response(head=True).headers["content-length"]) > 0  # the size the GET body would have
    assert raw.response().environ["PATH_INFO"] == "/after"


def test_every_answer_has_a_current_date(client):
    raw = client()
    raw.send(get())
    date = raw.response().headers["date"]
    assert re.fullmatch(r"\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT", date)
    now = parsedate_to_datetime(formatdate(usegmt=True))
    assert abs((parsedate_to_datetime(date) - now).total_seconds()) <= 2


def test_an_app_that_fails_gets_a_500_and_the_server_keeps_serving(client):
    raw = client()
    raw.send(get("/fail"))
    response = raw.response()
    assert response.status == 500 and response.headers["connection"] == "close"
    assert raw.closed_by_server()
    again = client()
    again.send(get())
    assert again.response().status == 200


def test_stop_ends_idle_and_half_sent_connections(no_leaks):
    srv = LoopbackServer(echo)
    srv.start("test-server")
    idle, half = RawClient(srv.port), RawClient(srv.port)
    idle.send(get())
    assert idle.response().status == 200
    half.send(post("Content-Length: 10\r\n", b"abc"))
    time.sleep(0.05)  # let the server start reading the body
    stopper = threading.Thread(target=srv.stop)
    began = time.monotonic()
    stopper.start()
    stopper.join(5)
    assert not stopper.is_alive() and time.monotonic() - began < 2
    assert idle.closed_by_server() and half.closed_by_server()
    idle.close()
    half.close()


# Real clients.

def test_s3_uploads_with_expect_100_continue(sandbox):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="uploads")
    data = b"x" * (2 * 1024 * 1024)
    s3.put_object(Bucket="uploads", Key="big.bin", Body=data)
    assert s3.get_object(Bucket="uploads", Key="big.bin")["Body"].read() == data
    assert s3.head_object(Bucket="uploads", Key="big.bin")["ContentLength"] == len(data)
    s3.upload_fileobj(io.BytesIO(data), "uploads", "multi.bin")
    assert s3.head_object(Bucket="uploads", Key="multi.bin")["ContentLength"] == len(data)


def test_requests_keeps_one_connection_for_many_calls(server):
    with requests.Session() as session:
        url = f"http://127.0.0.1:{server.port}"
        answers = [session.get(f"{url}/a").json(), session.post(f"{url}/b", data=b"x" * 5000).json(),
                   session.put(f"{url}/c", data=iter([b"chunk", b"ed"])).json()]  # a generator goes chunked
    assert len({a["REMOTE_PORT"] for a in answers}) == 1
    assert [a["CONTENT_LENGTH"] for a in answers] == ["0", "5000", "7"] and answers[2]["body"] == "chunked"


def test_urllib_gets_its_connection_closed(server):
    with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/u?x=1", data=b"posted", timeout=10) as response:
        document = json.loads(response.read())
        assert response.headers["Connection"] == "close"
    assert document["REQUEST_METHOD"] == "POST" and document["QUERY_STRING"] == "x=1" and document["body"] == "posted"


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
@pytest.mark.parametrize("extra", [[], ["-H", "Transfer-Encoding: chunked"]], ids=["length", "chunked"])
def test_curl_uploads_a_large_body(server, extra):
    data = b"y" * (3 * 1024 * 1024)  # large enough that curl asks for 100-continue first
    result = subprocess.run(["curl", "-sS", "--max-time", "20", "-X", "PUT", "--data-binary", "@-", *extra,
                             f"http://127.0.0.1:{server.port}/curl"], input=data, capture_output=True, check=True)
    assert json.loads(result.stdout)["CONTENT_LENGTH"] == str(len(data))
