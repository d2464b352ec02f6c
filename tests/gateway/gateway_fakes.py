"""An in-memory GatewayBackend and helpers to build APIs and send requests, for tests and the benchmark."""

from __future__ import annotations

import copy
import io
import itertools
import json
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import unquote_to_bytes

from aws_lambda_powertools.utilities.parser.models import (
    APIGatewayProxyEventModel,
    ApiGatewayAuthorizerRequest,
    ApiGatewayAuthorizerToken,
)

from helpers.gateway import FunctionNotFound, GatewayApp, IntegrationTimedOut, LambdaResult, RAW_HEADERS_KEY

ACCOUNT = "123456789012"
REGION = "us-east-1"


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


# The model each kind of event must satisfy: proxy events, TOKEN and REQUEST authorizer events.
EVENT_MODELS = {None: APIGatewayProxyEventModel, "TOKEN": ApiGatewayAuthorizerToken,
                "REQUEST": ApiGatewayAuthorizerRequest}


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
        function = self.functions.get(function_arn)
        if function is None:
            raise FunctionNotFound(function_arn)
        event = json.loads(payload)
        if self.validate_events:
            EVENT_MODELS[event.get("type")].model_validate(event)
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
