"""Benchmark: the gateway on a threaded WSGI server vs a bare http.server calling the same handler.

Run: python bench/bench_gateway.py [--requests N] [--clients C] [--rounds R] [--server werkzeug]

Both servers run the walkthrough's hello-world handler in-process, on 127.0.0.1, with
HTTP/1.1 keep-alive and TCP_NODELAY on accepted sockets, each in its own child process so
the client threads do not share a GIL with the servers. Measured in one run, in alternating
rounds: warm GET /hello latency (one keep-alive client, p50/p99) and throughput (C keep-alive
clients in threads, http.client).
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import multiprocessing
import socket
import statistics
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote_to_bytes

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "gateway")]

from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler  # noqa: E402

from gateway_fakes import ApiBuilder, FakeBackend, hello_world  # noqa: E402
from helpers.gateway import RAW_HEADERS_KEY, GatewayApp  # noqa: E402

GATEWAY_PATH = "/restapis/abc123/dev/_user_request_/hello"
# Bodies up to API Gateway's limit are read before the app runs; a larger one is left to the app.
MAX_BUFFERED_BODY = 10 * 1024 * 1024


class NoDelayMixin:
    """Nagle off on accepted sockets: otherwise a small response can wait ~40 ms for a delayed ACK."""

    def setup(self) -> None:
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().setup()


class WSGIHandler(NoDelayMixin, BaseHTTPRequestHandler):
    """A lean WSGI bridge on http.server: HTTP/1.1 keep-alive, raw URI and raw headers in the environ.

    werkzeug's development server costs about 2.5x http.server per request on its own (see
    --server werkzeug); this keeps the parsing of http.server and adds only the environ.
    Request bodies must come with Content-Length (no chunked uploads).
    """

    protocol_version = "HTTP/1.1"
    app = None  # set on a subclass per server

    def handle_one_request(self) -> None:
        self.raw_requestline = self.rfile.readline(65537)
        if len(self.raw_requestline) > 65536:
            self.send_error(414)
            return
        if not self.raw_requestline:
            self.close_connection = True
            return
        if self.parse_request():
            self.run_app()

    def run_app(self) -> None:
        path, _, query = self.path.partition("?")
        length_text = self.headers.get("Content-Length") or "0"
        if not length_text.isdigit():
            self.send_error(400, "Bad Content-Length")
            return
        length = int(length_text)
        body_stream = io.BytesIO(self.rfile.read(length)) if length <= MAX_BUFFERED_BODY else self.rfile
        environ = {
            "REQUEST_METHOD": self.command,
            "SCRIPT_NAME": "",
            "PATH_INFO": unquote_to_bytes(path).decode("latin-1"),
            "RAW_URI": self.path,
            "QUERY_STRING": query,
            "SERVER_NAME": self.server.server_address[0],
            "SERVER_PORT": str(self.server.server_address[1]),
            "SERVER_PROTOCOL": self.request_version,
            "REMOTE_ADDR": self.client_address[0],
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": body_stream,
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            RAW_HEADERS_KEY: self.headers.items(),
        }
        for name, value in self.headers.items():
            key = name.upper().replace("-", "_")
            if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                key = "HTTP_" + key
            environ[key] = f"{environ[key]},{value}" if key in environ else value
        started = []

        def start_response(status, headers, exc_info=None):
            started[:] = [status, headers]

        body = b"".join(self.app(environ, start_response))
        status, headers = started
        head = [f"{self.protocol_version} {status}\r\n"]
        head += [f"{name}: {value}\r\n" for name, value in headers]
        if body_stream is self.rfile:
            # An oversized body the app refused is still on the wire; end the connection.
            self.close_connection = True
            head.append("Connection: close\r\n")
        head.append("\r\n")
        self.wfile.write("".join(head).encode("latin-1") + body)

    def log_message(self, format, *args) -> None:
        pass


class QuietWerkzeugHandler(NoDelayMixin, WSGIRequestHandler):
    """werkzeug's handler (what moto's server uses) with no access log and the raw headers added."""

    # Keep-alive needs HTTP/1.1 (werkzeug only sets it on handlers it picks itself).
    protocol_version = "HTTP/1.1"

    def make_environ(self):
        environ = super().make_environ()
        environ[RAW_HEADERS_KEY] = list(self.headers.items())
        return environ

    def log_request(self, code="-", size="-") -> None:
        pass


def gateway_app() -> GatewayApp:
    """GatewayApp over the fake backend, with GET /hello wired to hello_world."""
    backend = FakeBackend(validate_events=False)
    backend.put_metrics = lambda namespace, data: None
    api = ApiBuilder(backend)
    api.lambda_method("/hello", "GET", hello_world)
    api.deploy("dev")
    return GatewayApp(backend)


def make_gateway_server(server: str):
    """The gateway on the lean http.server bridge or on werkzeug's threaded server."""
    if server == "werkzeug":
        httpd = ThreadedWSGIServer("127.0.0.1", 0, gateway_app(), handler=QuietWerkzeugHandler)
    else:
        handler = type("GatewayHandler", (WSGIHandler,), {"app": staticmethod(gateway_app())})
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    return httpd


class BaselineHandler(NoDelayMixin, BaseHTTPRequestHandler):
    """The floor: http.server answering with the handler's result, nothing else."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        result = hello_world({"path": self.path})
        body = result["body"].encode()
        self.send_response(result["statusCode"])
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args) -> None:
        pass


def make_baseline_server() -> ThreadingHTTPServer:
    """A bare ThreadingHTTPServer calling hello_world."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaselineHandler)
    server.daemon_threads = True
    return server


def serve(kind: str, port_pipe) -> None:
    """Child process: start one server, report its port, serve until killed."""
    server = make_baseline_server() if kind == "baseline" else make_gateway_server(kind)
    port_pipe.send(server.server_address[1])
    server.serve_forever()


def get(conn: http.client.HTTPConnection, path: str) -> None:
    conn.request("GET", path)
    response = conn.getresponse()
    body = response.read()
    if response.status != 200 or json.loads(body) != "Hello, World! from Lambda!":
        raise RuntimeError(f"unexpected answer {response.status} {body[:100]!r}")


def latency(port: int, path: str, count: int) -> tuple[float, float]:
    """p50 and p99 in microseconds for sequential requests on one warm keep-alive connection."""
    conn = http.client.HTTPConnection("127.0.0.1", port)
    for _ in range(200):
        get(conn, path)
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        get(conn, path)
        samples.append((time.perf_counter() - started) * 1e6)
    conn.close()
    cuts = statistics.quantiles(samples, n=100)
    return cuts[49], cuts[98]


def throughput(port: int, path: str, clients: int, per_client: int) -> float:
    """Requests per second with `clients` keep-alive connections in threads."""
    connections = [http.client.HTTPConnection("127.0.0.1", port) for _ in range(clients)]
    for conn in connections:
        get(conn, path)
    start = threading.Barrier(clients + 1)

    def run(conn):
        start.wait()
        for _ in range(per_client):
            get(conn, path)

    threads = [threading.Thread(target=run, args=(c,)) for c in connections]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    for conn in connections:
        conn.close()
    return clients * per_client / elapsed


class ServerProcess:
    """One server in a child process, for as long as the `with` block lasts."""

    def __init__(self, kind: str):
        receive, send = multiprocessing.Pipe(duplex=False)
        self._process = multiprocessing.Process(target=serve, args=(kind, send), daemon=True)
        self._process.start()
        self.port = receive.recv()

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc) -> None:
        self._process.terminate()
        self._process.join()


def measure(port: int, path: str, requests: int, clients: int) -> dict[str, float]:
    """Latency percentiles and throughput of one server."""
    p50, p99 = latency(port, path, requests)
    return {"p50": p50, "p99": p99, "rps": throughput(port, path, clients, requests // clients)}


def median_of(rounds: list[dict[str, float]]) -> dict[str, float]:
    """The median of each figure over the rounds."""
    return {key: statistics.median(r[key] for r in rounds) for key in rounds[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per measurement")
    parser.add_argument("--clients", type=int, default=8, help="concurrent keep-alive clients")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds; medians are reported")
    parser.add_argument("--server", choices=["http.server", "werkzeug"], default="http.server",
                        help="the WSGI server under the gateway")
    args = parser.parse_args()
    baseline_rounds, gateway_rounds = [], []
    # Both servers stay up and are measured in alternating rounds, so a change in the
    # machine's load during the run hits both alike.
    with ServerProcess("baseline") as baseline_server, ServerProcess(args.server) as gateway_server:
        for _ in range(args.rounds):
            baseline_rounds.append(measure(baseline_server.port, "/hello", args.requests, args.clients))
            gateway_rounds.append(measure(gateway_server.port, GATEWAY_PATH, args.requests, args.clients))
    baseline, gateway = median_of(baseline_rounds), median_of(gateway_rounds)
    print(f"{'median of ' + str(args.rounds):22}{'p50 µs':>10}{'p99 µs':>10}{'req/s':>10}")
    for name, result in (("baseline http.server", baseline), (f"gateway on {args.server}", gateway)):
        print(f"{name:22}{result['p50']:10.0f}{result['p99']:10.0f}{result['rps']:10.0f}")
    print(f"latency p50 ratio {gateway['p50'] / baseline['p50']:.2f}x (goal <= 3), "
          f"p99 ratio {gateway['p99'] / baseline['p99']:.2f}x, "
          f"throughput ratio {gateway['rps'] / baseline['rps']:.2f} (goal >= 0.33)")


if __name__ == "__main__":
    main()
