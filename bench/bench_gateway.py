"""Benchmark: the walkthrough's API served by a real sandbox vs a bare http.server calling the same handler.

Run: python bench/bench_gateway.py [--requests N] [--clients C] [--rounds R]

The sandbox side is the whole path a learner's curl takes: the sandbox's loopback server, the
front door, the gateway (stage, snapshot routing, permission check, proxy event, metrics) and
the Lambda engine running the handler in a warm worker process. It is deployed with plain boto3
(function, REST API, /hello GET, permission, deployment) and warmed before measuring. The
baseline is http.server answering with the same handler's result, called in-process. Each
server runs in its own child process so the client threads do not share a GIL with it; both
use HTTP/1.1 keep-alive with Nagle off. Measured in one run, in alternating rounds: warm
GET /hello latency (one keep-alive client, p50/p99) and throughput (C keep-alive clients in
threads, http.client); after each round, the first request once a configuration change has
retired every execution environment (a cold start through the gateway, reported on its own).
A third server shows the floor of running functions in processes at all: the baseline, but the
handler runs in a worker process one loopback round trip away (JSON event out, JSON result back).
"""

from __future__ import annotations

import argparse
import http.client
import importlib.util
import json
import multiprocessing
import socket
import statistics
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support import HANDLERS, HELLO_BODY, walkthrough  # noqa: E402


def _walkthrough_handler():
    spec = importlib.util.spec_from_file_location("hello_handler", HANDLERS / "hello.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.lambda_handler


class BaselineHandler(BaseHTTPRequestHandler):
    """The floor: http.server answering with the handler's result, nothing else."""

    protocol_version = "HTTP/1.1"
    lambda_handler = staticmethod(_walkthrough_handler())

    def setup(self) -> None:
        # Nagle off, as the sandbox's server does: otherwise a small answer waits for a delayed ACK.
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().setup()

    def do_GET(self) -> None:
        self.answer(self.lambda_handler({"path": self.path}, None))

    def answer(self, result: dict) -> None:
        """Send a proxy result (statusCode, body) as the HTTP answer."""
        body = result["body"].encode()
        self.send_response(result["statusCode"])
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args) -> None:
        pass


def serve_baseline(pipe) -> None:
    """Child process: the bare server."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaselineHandler)
    server.daemon_threads = True
    pipe.send((server.server_address[1], "/hello"))
    server.serve_forever()


def _send_framed(sock: socket.socket, data: bytes) -> None:
    sock.sendall(len(data).to_bytes(4, "big") + data)


def _receive_framed(sock: socket.socket) -> bytes | None:
    data = b""
    while len(data) < 4 or len(data) < 4 + int.from_bytes(data[:4], "big"):
        chunk = sock.recv(1 << 16)
        if not chunk:
            return None
        data += chunk
    return data[4:]


def hop_worker(port: int) -> None:
    """Grandchild process: decodes each event, calls the handler, answers with its JSON result."""
    handler = _walkthrough_handler()
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    while (event := _receive_framed(sock)) is not None:
        _send_framed(sock, json.dumps(handler(json.loads(event), None)).encode())


class HopHandler(BaselineHandler):
    """The same answer, but the handler runs in a worker process one loopback round trip away.

    What any design that runs functions in their own processes pays at least: an event in JSON
    to another process and its result back, with nothing else (no gateway, no Runtime API, no logs).
    """

    EVENT = json.dumps({"path": "/hello", "headers": {"Accept": "*/*", "User-Agent": "bench"}, "pad": "x" * 1500}).encode()

    def setup(self) -> None:
        super().setup()
        listener = socket.create_server(("127.0.0.1", 0))
        # A process of its own (the server is a daemonic process, which may not fork helpers).
        self.worker = subprocess.Popen([sys.executable, __file__, "--hop-worker", str(listener.getsockname()[1])])
        self.channel, _ = listener.accept()
        listener.close()
        self.channel.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def finish(self) -> None:
        super().finish()
        self.channel.close()
        self.worker.wait(timeout=5)

    def do_GET(self) -> None:
        _send_framed(self.channel, self.EVENT)
        self.answer(json.loads(_receive_framed(self.channel)))


def serve_hop(pipe) -> None:
    """Child process: the bare server with one process hop per request."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), HopHandler)
    server.daemon_threads = True
    pipe.send((server.server_address[1], "/hello"))
    server.serve_forever()


def serve_sandbox(pipe) -> None:
    """Child process: a sandbox with the walkthrough deployed through boto3, until told to stop."""
    from helpers import sandbox as sandbox_module

    sandbox = sandbox_module.start()
    try:
        api = walkthrough(sandbox)
        url = urlsplit(api.url("/hello"))
        pipe.send((url.port, url.path))
        rounds = 0
        while pipe.recv() == "retire":
            # A configuration change retires every environment: the next request is a cold start.
            rounds += 1
            sandbox.client("lambda").update_function_configuration(
                FunctionName="hello-world-api", Environment={"Variables": {"ROUND": str(rounds)}})
            pipe.send("retired")
    finally:
        sandbox.stop()


def get(conn: http.client.HTTPConnection, path: str) -> None:
    conn.request("GET", path)
    response = conn.getresponse()
    body = response.read()
    if response.status != 200 or body != HELLO_BODY:
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
    """Requests per second with `clients` keep-alive connections in threads, after a concurrent warm-up."""
    connections = [http.client.HTTPConnection("127.0.0.1", port) for _ in range(clients)]
    warmed = threading.Barrier(clients + 1)
    start = threading.Barrier(clients + 1)

    def run(conn):
        # Concurrent warm-up first: the sandbox needs one warm environment per concurrent client.
        for _ in range(50):
            get(conn, path)
        warmed.wait()
        start.wait()
        for _ in range(per_client):
            get(conn, path)

    threads = [threading.Thread(target=run, args=(c,)) for c in connections]
    for thread in threads:
        thread.start()
    warmed.wait()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    for conn in connections:
        conn.close()
    return clients * per_client / elapsed


def cold_request(server: "ServerProcess") -> float:
    """Milliseconds for the first request after every execution environment was retired (a cold start)."""
    server.retire()
    conn = http.client.HTTPConnection("127.0.0.1", server.port)
    started = time.perf_counter()
    get(conn, server.path)
    elapsed = (time.perf_counter() - started) * 1000
    conn.close()
    return elapsed


class ServerProcess:
    """One server in a child process, for as long as the `with` block lasts."""

    def __init__(self, target):
        self._pipe, child_end = multiprocessing.Pipe()
        self._process = multiprocessing.Process(target=target, args=(child_end,), daemon=True)
        self._process.start()
        self.port, self.path = self._pipe.recv()

    def retire(self) -> None:
        """Ask the sandbox to retire its execution environments (sandbox only)."""
        self._pipe.send("retire")
        self._pipe.recv()

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc) -> None:
        self._pipe.send("stop")  # the sandbox stops itself cleanly; the baseline ignores this
        self._process.join(timeout=30)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join()


def measure(server: ServerProcess, requests: int, clients: int) -> dict[str, float]:
    """Latency percentiles and throughput of one server."""
    p50, p99 = latency(server.port, server.path, requests)
    return {"p50": p50, "p99": p99, "rps": throughput(server.port, server.path, clients, requests // clients)}


def median_of(rounds: list[dict[str, float]]) -> dict[str, float]:
    """The median of each figure over the rounds."""
    return {key: statistics.median(r[key] for r in rounds) for key in rounds[0]}


def main() -> None:
    if sys.argv[1:2] == ["--hop-worker"]:
        hop_worker(int(sys.argv[2]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per measurement")
    parser.add_argument("--clients", type=int, default=8, help="concurrent keep-alive clients")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds; medians are reported")
    args = parser.parse_args()
    baseline_rounds, hop_rounds, gateway_rounds, cold = [], [], [], []
    # The servers stay up and are measured in alternating rounds, so a change in the
    # machine's load during the run hits them alike.
    with ServerProcess(serve_baseline) as baseline_server, ServerProcess(serve_hop) as hop_server, \
            ServerProcess(serve_sandbox) as sandbox_server:
        for _ in range(args.rounds):
            baseline_rounds.append(measure(baseline_server, args.requests, args.clients))
            hop_rounds.append(measure(hop_server, args.requests, args.clients))
            gateway_rounds.append(measure(sandbox_server, args.requests, args.clients))
            cold.append(cold_request(sandbox_server))
    baseline, hop, gateway = median_of(baseline_rounds), median_of(hop_rounds), median_of(gateway_rounds)
    print(f"{'median of ' + str(args.rounds):28}{'p50 µs':>10}{'p99 µs':>10}{'req/s':>10}")
    for name, result in (("baseline http.server", baseline), ("  + one process hop", hop),
                         ("gateway on a sandbox", gateway)):
        print(f"{name:28}{result['p50']:10.0f}{result['p99']:10.0f}{result['rps']:10.0f}")
    print(f"latency p50 ratio {gateway['p50'] / baseline['p50']:.2f}x (goal <= 3), "
          f"p99 ratio {gateway['p99'] / baseline['p99']:.2f}x, "
          f"throughput ratio {gateway['rps'] / baseline['rps']:.2f} (goal >= 0.33)")
    print(f"against one process hop: latency {gateway['p50'] / hop['p50']:.2f}x, "
          f"throughput {gateway['rps'] / hop['rps']:.2f}")
    print(f"first request after the environments were retired (cold start through the gateway): "
          f"median {statistics.median(cold):.1f} ms over {len(cold)}")


if __name__ == "__main__":
    main()
