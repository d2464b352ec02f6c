"""What a handler can reach: only a Lambda runtime's packages, and the sandbox's endpoint for boto3."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.support import invoke_json, make_spec

from helpers.engine import Engine

IMPORTS = """
import importlib, os, sys
def handler(event, context):
    importable = {}
    for name in event["modules"]:
        try:
            importlib.import_module(name)
            importable[name] = True
        except ImportError:
            importable[name] = False
    return {"importable": importable, "path": sys.path, "home": os.path.expanduser("~"),
            "home_entries": os.listdir(os.path.expanduser("~"))}
"""

RUNTIME_PACKAGES = ["boto3", "botocore", "jmespath", "s3transfer", "urllib3", "dateutil", "six"]
NOT_PROVIDED = ["requests", "moto", "pytest", "awslambdaric", "helpers", "bootstrap", "tests.support"]


def test_only_the_runtimes_packages_are_importable(engine):
    modules = RUNTIME_PACKAGES + NOT_PROVIDED + ["packaged"]
    spec = make_spec({"app.py": IMPORTS, "packaged.py": "VALUE = 1\n"}, timeout=20)
    body = invoke_json(engine, spec, {"modules": modules})[1]
    assert body["importable"] == {**{m: True for m in RUNTIME_PACKAGES}, **{m: False for m in NOT_PROVIDED},
                                  "packaged": True}
    assert not any(p.endswith("site-packages") for p in body["path"])
    assert body["home_entries"] == []  # no ~/.aws of the person running the notebook


def test_importing_an_unpackaged_library_is_an_import_module_error(engine):
    spec = make_spec("import requests\ndef handler(event, context):\n    return requests.get('x')\n")
    body = invoke_json(engine, spec)[1]
    assert (body["errorType"], body["errorMessage"]) == (
        "Runtime.ImportModuleError", "Unable to import module 'app': No module named 'requests'")


class _FakeS3(BaseHTTPRequestHandler):
    requests: list[tuple[str, str]] = []

    def do_GET(self):
        _FakeS3.requests.append((self.path, self.headers.get("Authorization", "")))
        body = (b'<?xml version="1.0" encoding="UTF-8"?><ListAllMyBucketsResult '
                b'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>1</ID></Owner><Buckets><Bucket>'
                b'<Name>from-the-sandbox</Name><CreationDate>2026-01-01T00:00:00.000Z</CreationDate>'
                b'</Bucket></Buckets></ListAllMyBucketsResult>')
        self.send_response(200)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_s3():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeS3)
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


def test_boto3_in_a_handler_reaches_the_worker_env_endpoint(fake_s3):
    spec = make_spec("import boto3\ndef handler(event, context):\n"
                     "    return [b['Name'] for b in boto3.client('s3').list_buckets()['Buckets']]\n", timeout=20)
    worker_env = {"AWS_ENDPOINT_URL": fake_s3, "AWS_ACCESS_KEY_ID": "AKIDSANDBOX", "AWS_SECRET_ACCESS_KEY": "x"}
    with Engine(worker_env=worker_env) as engine:
        result, body = invoke_json(engine, spec)
    assert (result.function_error, body) == (None, ["from-the-sandbox"])
    path, authorization = _FakeS3.requests[-1]
    assert path == "/" and "Credential=AKIDSANDBOX/" in authorization
