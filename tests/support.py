"""What the tests share: fake gateway backends, engine specs and sinks, sandbox builders, checker verdicts, process checks.

Every test imports from here (`from tests.support import ...`); the fixtures
built on these live in the conftest.py of each folder.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import importlib.util
import io
import itertools
import json
import os
import textwrap
import threading
import time
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable
from urllib.parse import unquote_to_bytes

import pytest

if TYPE_CHECKING:  # the root conftest imports this module: it loads helpers only when a test needs them
    from helpers.engine import Engine, FunctionSpec
    from helpers.gateway import GatewayApp

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
HANDLERS = FIXTURES / "gateway_lambdas"
HELLO_WORLD = ROOT / "lambda_src" / "hello_world"
HELLO_BODY = b'"Hello, World! from Lambda!"'
ACCOUNT = "123456789012"
REGION = "us-east-1"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


# ------------------------------------------------------------- processes and ports

def child_pids() -> set[int]:
    """Direct children of this process, read from /proc."""
    me = str(os.getpid())
    children = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[1] == me and fields[0] != "Z":
            children.add(int(entry))
    return children


def listening_ports() -> set[int]:
    """TCP ports this process listens on (from /proc/net/tcp and the process's socket inodes)."""
    inodes = set()
    fd_dir = f"/proc/{os.getpid()}/fd"
    for fd in os.listdir(fd_dir):
        try:
            target = os.readlink(f"{fd_dir}/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            if parts[3] == "0A" and parts[9] in inodes:  # 0A = LISTEN
                ports.add(int(parts[1].rsplit(":", 1)[1], 16))
    return ports


def process_gone(pid: int) -> bool:
    """True when pid no longer runs (absent, or a zombie nobody reaped yet)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (FileNotFoundError, ProcessLookupError):  # the process vanished before or while reading
        return True


# ------------------------------------------------------------- the engine: specs, sinks, invocations

def zip_of(files: dict[str, str | bytes]) -> bytes:
    """A deployment package holding these files (text dedented)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, source in files.items():
            archive.writestr(name, textwrap.dedent(source) if isinstance(source, str) else source)
    return buffer.getvalue()


def make_spec(source: str | dict[str, str], *, name: str = "fn", handler: str = "app.handler", **config) -> FunctionSpec:
    """A spec whose package holds `source` as app.py (or the given files)."""
    from helpers.engine import FunctionSpec

    files = {"app.py": source} if isinstance(source, str) else source
    code = zip_of(files)
    return FunctionSpec(
        function_name=name, function_arn=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}",
        version=config.pop("version", "$LATEST"), handler=handler, runtime=config.pop("runtime", "python3.12"),
        code_zip=code, code_sha256=hashlib.sha256(code).hexdigest(), region=REGION, account_id=ACCOUNT, **config)


class Recorder:
    """Collects what the engine hands to its log and metric sinks."""

    def __init__(self):
        self.lock = threading.Lock()
        self.streams: dict[tuple[str, str], list[tuple[int, str]]] = defaultdict(list)
        self.metrics: list[dict] = []

    def log_sink(self, group, stream, events):
        with self.lock:
            self.streams[(group, stream)].extend(events)

    def metric_sink(self, namespace, data):
        assert namespace == "AWS/Lambda"
        with self.lock:
            self.metrics.extend(data)

    def messages(self, group: str | None = None) -> list[str]:
        with self.lock:
            return [message for (g, _), events in self.streams.items() if group in (None, g) for _, message in events]

    def stream_names(self, group: str) -> list[str]:
        with self.lock:
            return [s for (g, s) in self.streams if g == group]

    def metric_values(self, name: str) -> list[float]:
        with self.lock:
            return [d["Value"] for d in self.metrics if d["MetricName"] == name]


def invoke_json(engine: Engine, spec: FunctionSpec, event=None, **kwargs):
    """Invoke with a JSON event; returns (result, decoded payload)."""
    result = engine.invoke(spec, json.dumps({} if event is None else event).encode(), **kwargs)
    return result, json.loads(result.payload) if result.payload else None


def wait_until(predicate, timeout: float = 10.0, interval: float = 0.02):
    """Poll until predicate() is truthy; returns its value or fails the test."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"condition not met within {timeout} s")


# ------------------------------------------------------------- the gateway: an in-memory backend and requests

class FakeClock:
    """A settable clock: tests move time instead of sleeping."""

    def __init__(self, now: float = 1_795_556_583.0):  # 2026-11-24 21:43:03 UTC
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self.now += seconds


class FunctionTimedOut(Exception):
    """Raised by a fake function to play a Lambda timeout."""


@dataclass
class RawPayload:
    """A fake function's return value sent as these exact bytes (for non-JSON answers)."""

    data: bytes


def lambda_arn(name: str) -> str:
    """The ARN of a function in the fake account."""
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"


def lambda_uri(name: str) -> str:
    """The integration URI API Gateway uses for a function."""
    return f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{lambda_arn(name)}/invocations"


def apigateway_permission(source_arn: str = f"arn:aws:execute-api:{REGION}:{ACCOUNT}:*/*/*/*") -> dict[str, Any]:
    """A resource policy like `lambda add-permission --principal apigateway.amazonaws.com` writes."""
    return {
        "Version": "2012-10-17",
        "Id": "default",
        "Statement": [{
            "Sid": "apigw",
            "Effect": "Allow",
            "Principal": {"Service": "apigateway.amazonaws.com"},
            "Action": "lambda:InvokeFunction",
            "Resource": "*",
            "Condition": {"ArnLike": {"AWS:SourceArn": source_arn}},
        }],
    }


def event_model(kind: str | None) -> Any:
    """The Powertools model an event must satisfy: a proxy event (None), a TOKEN or a REQUEST authorizer event."""
    from aws_lambda_powertools.utilities.parser.models import (
        APIGatewayProxyEventModel,
        ApiGatewayAuthorizerRequest,
        ApiGatewayAuthorizerToken,
    )

    return {None: APIGatewayProxyEventModel, "TOKEN": ApiGatewayAuthorizerToken,
            "REQUEST": ApiGatewayAuthorizerRequest}[kind]


@dataclass
class FakeBackend:
    """GatewayBackend over dicts; "functions" are Python callables taking the event dict."""

    account_id: str = ACCOUNT
    region: str = REGION
    apis: dict[str, dict] = field(default_factory=dict)
    stages: dict[tuple[str, str], dict] = field(default_factory=dict)
    snapshots: dict[tuple[str, str], dict] = field(default_factory=dict)
    functions: dict[str, Callable[[dict], Any]] = field(default_factory=dict)
    policies: dict[str, dict] = field(default_factory=dict)
    api_keys: dict[str, dict] = field(default_factory=dict)
    usage_plans: list[dict] = field(default_factory=list)
    signature: bool | None = None  # what verify_sigv4 answers
    invocations: list[tuple[str, dict]] = field(default_factory=list)
    metrics: list[tuple[str, list[dict]]] = field(default_factory=list)
    logging_role: str | None = None  # the account's CloudWatch Logs role (GetAccount cloudwatchRoleArn)
    log_events: dict[tuple[str, str], list[tuple[int, str]]] = field(default_factory=dict)
    validate_events: bool = True  # check every event against Powertools' models (off for benchmarks)

    def get_rest_api(self, api_id):
        return self.apis.get(api_id)

    def get_stage(self, api_id, stage_name):
        return self.stages.get((api_id, stage_name))

    def get_deployment_snapshot(self, api_id, deployment_id):
        return self.snapshots.get((api_id, deployment_id))

    def invoke_function(self, function_arn, payload, *, timeout_s):
        from helpers.gateway import FunctionNotFound, IntegrationTimedOut, LambdaResult

        function = self.functions.get(function_arn)
        if function is None:
            raise FunctionNotFound(function_arn)
        event = json.loads(payload)
        if self.validate_events:
            event_model(event.get("type")).model_validate(event)
        self.invocations.append((function_arn, event))
        try:
            result = function(event)
        except IntegrationTimedOut:
            raise
        except FunctionTimedOut:
            error = {"errorMessage": "Task timed out after 3.00 seconds", "errorType": "Sandbox.Timedout"}
            return LambdaResult(json.dumps(error).encode(), "Unhandled", timed_out=True)
        except Exception as error:
            body = {"errorMessage": str(error), "errorType": type(error).__name__, "stackTrace": []}
            return LambdaResult(json.dumps(body).encode(), "Unhandled")
        return LambdaResult(result.data if isinstance(result, RawPayload) else json.dumps(result).encode())

    def get_function_policy(self, function_arn):
        return self.policies.get(function_arn)

    def get_api_key_by_value(self, value):
        return self.api_keys.get(value)

    def get_usage_plans_for_key(self, key_id):
        return [p for p in self.usage_plans if key_id in p.get("keyIds", [])]

    def verify_sigv4(self, environ, body):
        return self.signature

    def put_metrics(self, namespace, metric_data):
        self.metrics.append((namespace, metric_data))

    def cloudwatch_role_arn(self):
        return self.logging_role

    def put_log_events(self, group, stream, events):
        self.log_events.setdefault((group, stream), []).extend(events)

    def log_messages(self, group):
        """Every message written to a log group, in order."""
        return [message for (g, _), events in self.log_events.items() if g == group for _, message in events]


def hello_world(event: dict) -> dict:
    """The walkthrough's handler."""
    return {"statusCode": 200, "body": json.dumps("Hello, World! from Lambda!")}


class ApiBuilder:
    """Builds a REST API in the backend, in GetResources(embed=methods) shapes, and deploys it."""

    _ids = itertools.count(1)

    def __init__(self, backend: FakeBackend, api_id: str = "abc123", name: str = "hello-world-api"):
        self.backend = backend
        self.api_id = api_id
        backend.apis[api_id] = {"id": api_id, "name": name, "apiKeySource": "HEADER"}
        self.resources: dict[str, dict] = {"/": {"id": "root00", "path": "/"}}
        self.authorizers: list[dict] = []
        self.gateway_responses: list[dict] = []
        self.binary_media_types: list[str] = []
        self.api_key_source = "HEADER"

    def resource(self, path: str) -> dict:
        """The resource at path, created with its parents."""
        if path not in self.resources:
            parent_path = path.rsplit("/", 1)[0] or "/"
            parent = self.resource(parent_path)
            self.resources[path] = {
                "id": f"res{next(self._ids):03d}",
                "parentId": parent["id"],
                "pathPart": path.rsplit("/", 1)[1],
                "path": path,
            }
        return self.resources[path]

    def method(self, path: str, http_method: str, integration: dict, **settings: Any) -> dict:
        """Put a method with its integration (settings: authorizationType, authorizerId, apiKeyRequired)."""
        method = {
            "httpMethod": http_method,
            "authorizationType": "NONE",
            "apiKeyRequired": False,
            **settings,
            "methodIntegration": integration,
        }
        self.resource(path).setdefault("resourceMethods", {})[http_method] = method
        return method

    def lambda_method(self, path: str, http_method: str, function: Callable = hello_world, *,
                      name: str = "hello", permission: dict | None | str = "default", **settings: Any) -> dict:
        """A method with an AWS_PROXY integration to `function`, which API Gateway may invoke."""
        self.backend.functions[lambda_arn(name)] = function
        if permission == "default":
            permission = apigateway_permission()
        if permission is not None:
            self.backend.policies[lambda_arn(name)] = permission
        integration = {"type": "AWS_PROXY", "httpMethod": "POST", "uri": lambda_uri(name),
                       "passthroughBehavior": "WHEN_NO_MATCH", "timeoutInMillis": 29000}
        return self.method(path, http_method, integration, **settings)

    def authorizer(self, function: Callable, *, type: str = "TOKEN", name: str = "auth",
                   identity_source: str = "method.request.header.Authorization", ttl: int = 300, **extra: Any) -> str:
        """A Lambda authorizer backed by `function`; returns its id."""
        self.backend.functions[lambda_arn(name)] = function
        self.backend.policies[lambda_arn(name)] = apigateway_permission(
            f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{self.api_id}/authorizers/*")
        authorizer_id = f"auth{len(self.authorizers)}"
        self.authorizers.append({"id": authorizer_id, "name": name, "type": type, "authorizerUri": lambda_uri(name),
                                 "identitySource": identity_source, "authorizerResultTtlInSeconds": ttl, **extra})
        return authorizer_id

    def deploy(self, stage: str = "dev", **stage_settings: Any) -> str:
        """Freeze the API into a deployment and point the stage at it; returns the deployment id."""
        deployment_id = f"dep{next(self._ids):03d}"
        self.backend.snapshots[(self.api_id, deployment_id)] = copy.deepcopy({
            "resources": list(self.resources.values()),
            "authorizers": self.authorizers,
            "gatewayResponses": self.gateway_responses,
            "binaryMediaTypes": self.binary_media_types,
            "apiKeySource": self.api_key_source,
        })
        existing = self.backend.stages.get((self.api_id, stage), {})
        self.backend.stages[(self.api_id, stage)] = {
            "stageName": stage, "methodSettings": {}, "variables": {}, **existing, **stage_settings,
            "deploymentId": deployment_id,
        }
        return deployment_id


@dataclass
class Reply:
    """What a client received."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        """The first value of a header (case-insensitive)."""
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def header_values(self, name: str) -> list[str]:
        """Every value of a header, in order."""
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)


def send(app: GatewayApp, method: str, path: str, *, api_id: str = "abc123", stage: str = "dev",
         query: str = "", headers: list[tuple[str, str]] | None = None, body: bytes = b"",
         raw_headers: bool = True, extra_environ: dict | None = None) -> Reply:
    """Call the WSGI app as a server would: raw URI, decoded PATH_INFO, headers as sent."""
    from helpers.gateway import RAW_HEADERS_KEY

    headers = [("Host", "127.0.0.1:8080"), ("User-Agent", "test-client/1.0"), *(headers or [])]
    raw_path = f"/restapis/{api_id}/{stage}/_user_request_{path}"
    environ = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": unquote_to_bytes(raw_path).decode("latin-1"),
        "QUERY_STRING": query,
        "RAW_URI": raw_path + (f"?{query}" if query else ""),
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8080",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
    }
    if body:
        environ["CONTENT_LENGTH"] = str(len(body))
    for name, value in headers:
        key = name.upper().replace("-", "_")
        if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            environ[key] = value
        else:
            key = f"HTTP_{key}"
            environ[key] = f"{environ[key]},{value}" if key in environ else value
    if raw_headers:
        environ[RAW_HEADERS_KEY] = headers
    environ.update(extra_environ or {})
    captured = {}

    def start_response(status, response_headers, exc_info=None):
        captured["status"], captured["headers"] = status, response_headers

    body_out = b"".join(app(environ, start_response))
    return Reply(int(captured["status"].split()[0]), captured["headers"], body_out)


# ------------------------------------------------------------- the sandbox: functions and REST APIs with boto3

def _add_installed(archive: zipfile.ZipFile, module: str) -> None:
    # The worker sees only the standard library, boto3 and the zip, as on AWS: libraries
    # go into the zip, copied from this environment's site-packages.
    spec = importlib.util.find_spec(module)
    origin = Path(spec.origin)
    if origin.name != "__init__.py":
        archive.write(origin, origin.name)
        return
    for path in origin.parent.rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts:
            archive.write(path, str(path.relative_to(origin.parent.parent)))


@functools.lru_cache(maxsize=None)
def code_zip(handler_file: str, libraries: tuple[str, ...] = ()) -> bytes:
    """A deployment package: one handler file from the fixtures (as app.py) and the named installed libraries."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.write(HANDLERS / handler_file, "app.py")
        for module in libraries:
            _add_installed(archive, module)
    return buffer.getvalue()


def create_function(sandbox: Any, name: str, handler_file: str = "hello.py", handler: str = "app.lambda_handler",
                    libraries: tuple[str, ...] = (), **config: Any) -> str:
    """Create a python3.12 function (role included) and return its ARN."""
    iam = sandbox.client("iam")
    try:
        role = iam.get_role(RoleName="hello-world-api-role")["Role"]["Arn"]
    except iam.exceptions.NoSuchEntityException:
        role = iam.create_role(RoleName="hello-world-api-role", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
        iam.attach_role_policy(RoleName="hello-world-api-role",
                               PolicyArn="arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
    created = sandbox.client("lambda").create_function(
        FunctionName=name, Runtime="python3.12", Role=role, Handler=handler,
        Code={"ZipFile": code_zip(handler_file, libraries)}, **config)
    return created["FunctionArn"]


def proxy_integration_uri(sandbox: Any, function_arn: str) -> str:
    """The integration URI the console writes for a Lambda proxy integration."""
    return f"arn:aws:apigateway:{sandbox.region}:lambda:path/2015-03-31/functions/{function_arn}/invocations"


@dataclass
class RestApi:
    """A REST API made through boto3, with helpers for the console's steps."""

    sandbox: Any
    id: str
    root_id: str

    @classmethod
    def create(cls, sandbox: Any, name: str = "hello-world-api") -> "RestApi":
        """CreateRestApi, REGIONAL, as in the walkthrough."""
        apigateway = sandbox.client("apigateway")
        api = apigateway.create_rest_api(name=name, endpointConfiguration={"types": ["REGIONAL"]})
        root = next(r["id"] for r in apigateway.get_resources(restApiId=api["id"])["items"] if r["path"] == "/")
        return cls(sandbox, api["id"], root)

    @property
    def client(self) -> Any:
        """The apigateway client."""
        return self.sandbox.client("apigateway")

    def resource(self, path: str) -> str:
        """The id of the resource at `path`, creating it and its parents."""
        items = {r["path"]: r["id"] for r in self.client.get_resources(restApiId=self.id)["items"]}
        if path in items:
            return items[path]
        parent, _, part = path.rpartition("/")
        return self.client.create_resource(restApiId=self.id, parentId=self.resource(parent or "/"),
                                           pathPart=part)["id"]

    def proxy_method(self, path: str, http_method: str, function_arn: str, **method: Any) -> str:
        """PutMethod + a Lambda proxy PutIntegration; returns the resource id."""
        resource_id = self.resource(path)
        method.setdefault("authorizationType", "NONE")
        self.client.put_method(restApiId=self.id, resourceId=resource_id, httpMethod=http_method, **method)
        self.client.put_integration(restApiId=self.id, resourceId=resource_id, httpMethod=http_method,
                                    type="AWS_PROXY", integrationHttpMethod="POST",
                                    uri=proxy_integration_uri(self.sandbox, function_arn))
        return resource_id

    def allow(self, function_arn: str, source: str = "*/*/*", statement_id: str = "apigateway-invoke") -> None:
        """lambda:AddPermission for API Gateway, scoped to this API and `source` (stage/method/path)."""
        self.sandbox.client("lambda").add_permission(
            FunctionName=function_arn, StatementId=statement_id, Action="lambda:InvokeFunction",
            Principal="apigateway.amazonaws.com",
            SourceArn=f"arn:aws:execute-api:{self.sandbox.region}:{self.sandbox.account_id}:{self.id}/{source}")

    def deploy(self, stage: str = "dev", **kwargs: Any) -> str:
        """CreateDeployment to `stage`; returns the deployment id."""
        return self.client.create_deployment(restApiId=self.id, stageName=stage, **kwargs)["id"]

    def url(self, path: str, stage: str = "dev") -> str:
        """The invoke URL of `path` on `stage`."""
        return self.sandbox.invoke_url(self.id, stage, path)


def walkthrough(sandbox: Any) -> RestApi:
    """The walkthrough's console steps with boto3: function, API, /hello GET, permission, deploy to dev."""
    arn = create_function(sandbox, "hello-world-api")
    api = RestApi.create(sandbox)
    api.proxy_method("/hello", "GET", arn)
    api.allow(arn, source="*/GET/hello")
    api.deploy("dev", stageDescription="Development stage")
    return api


# ------------------------------------------------------------- exercise checkers

def verdict(exercise: Any, namespace: dict[str, Any], capsys: Any) -> str:
    """What `exercise.check(namespace)` printed."""
    exercise.check(namespace)
    return capsys.readouterr().out.strip()


def solved(exercise: Any, **names: Any) -> dict[str, Any]:
    """The names defined by running the exercise's reference solution in a namespace holding `names`."""
    namespace = dict(names)
    exec(exercise.solution_code, namespace)
    return namespace


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
