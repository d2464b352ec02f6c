"""What a signed request asks IAM for: its operation, the IAM actions it needs and the resources they act on.

The operation is read as the service's own protocol carries it (the X-Amz-Target header, the Action
parameter, the CBOR path, or a REST path matched against botocore's service model); the actions and
resource ARNs follow the Service Authorization Reference for the services a Lambda function commonly
calls. An operation the sandbox has no resource rule for is evaluated on resource "*".
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qs, unquote

from ..wsgi import raw_path

# The IAM service prefix, where it differs from the signing name.
_PREFIXES = {"monitoring": "cloudwatch"}
# Operations whose IAM action has another name (by prefix); the rest are named as the operation.
_ACTIONS = {
    "lambda": {"Invoke": "InvokeFunction", "InvokeWithResponseStream": "InvokeFunction"},
    "s3": {
        "ListObjects": "ListBucket", "ListObjectsV2": "ListBucket", "HeadBucket": "ListBucket",
        "HeadObject": "GetObject", "ListBuckets": "ListAllMyBuckets", "DeleteObjects": "DeleteObject",
        "CopyObject": "PutObject", "CreateMultipartUpload": "PutObject", "UploadPart": "PutObject",
        "CompleteMultipartUpload": "PutObject", "AbortMultipartUpload": "AbortMultipartUpload",
        "ListObjectVersions": "ListBucketVersions", "ListMultipartUploads": "ListBucketMultipartUploads",
        "PutBucketNotificationConfiguration": "PutBucketNotification",
        "GetBucketNotificationConfiguration": "GetBucketNotification",
        "PutBucketLifecycleConfiguration": "PutLifecycleConfiguration",
        "GetBucketLifecycleConfiguration": "GetLifecycleConfiguration",
        "PutBucketEncryption": "PutEncryptionConfiguration", "GetBucketEncryption": "GetEncryptionConfiguration",
    },
    "sqs": {"SendMessageBatch": "SendMessage", "DeleteMessageBatch": "DeleteMessage",
            "ChangeMessageVisibilityBatch": "ChangeMessageVisibility"},
}
_CBOR_PATH = re.compile(r"^/service/[^/]+/operation/(?P<operation>[^/]+)$")


@dataclass(frozen=True)
class Request:
    """A signed request as IAM sees it: the service, its wire protocol, the operation and its parameters."""

    prefix: str  # dynamodb, s3, cloudwatch…
    protocol: str  # json, query, cbor, rest-json, rest-xml
    operation: str  # GetItem, GetObject… ("" if unknown)
    params: dict[str, Any]
    region: str
    account_id: str
    method: str = ""
    path: str = ""  # as sent, without the query

    def actions(self) -> list[tuple[str, str]]:
        """The (action, resource ARN) pairs the request needs, each allowed, in the order IAM checks them."""
        if self.prefix == "apigateway":  # its actions are the HTTP methods, its resources the paths
            return [(f"apigateway:{self.method}", f"arn:aws:apigateway:{self.region}::{self.path}")]
        if not self.operation:
            return []
        action = f"{self.prefix}:{_ACTIONS.get(self.prefix, {}).get(self.operation, self.operation)}"
        rule = _RESOURCES.get(self.prefix)
        try:
            resources = (rule(self) if rule else []) or ["*"]
        except (TypeError, AttributeError, KeyError, IndexError):
            resources = ["*"]  # parameters of the wrong shape: the service refuses the request itself

        return [(action, resource) for resource in resources]

    def arn(self, service: str, resource: str, *, regional: bool = True) -> str:
        """An ARN in this account (and Region, unless the service is global)."""
        return f"arn:aws:{service}:{self.region if regional else ''}:{self.account_id}:{resource}"


def read_request(environ: dict[str, Any], body: bytes, signing_name: str, region: str, account_id: str) -> Request:
    """The service, protocol, operation and parameters of a request signed for `signing_name`."""
    prefix = _PREFIXES.get(signing_name, signing_name)
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    content_type = environ.get("CONTENT_TYPE", "")
    path = environ.get("PATH_INFO", "")
    query = _flat(parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True))
    if target:
        return Request(prefix, "json", target.rpartition(".")[2], _json_object(body), region, account_id)
    if content_type.startswith("application/x-www-form-urlencoded") or "Action" in query:
        params = {**query, **_flat(parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True))}
        return Request(prefix, "query", params.get("Action", ""), params, region, account_id)
    cbor = _CBOR_PATH.match(path)
    if cbor:
        return Request(prefix, "cbor", cbor["operation"], {}, region, account_id)
    protocol = "rest-xml" if prefix == "s3" else "rest-json"
    method, sent_path = environ["REQUEST_METHOD"], raw_path(environ).partition("?")[0]
    operation, path_params = _rest_operation(signing_name, method, sent_path, query)
    params = {**query, **path_params}
    if protocol == "rest-json" and body[:1] == b"{":
        params = {**_json_object(body), **params}
    return Request(prefix, protocol, operation, params, region, account_id, method, sent_path)


def _flat(values: dict[str, list[str]]) -> dict[str, str]:
    return {key: items[0] for key, items in values.items()}


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        value = json.loads(body or b"{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


# REST services: the operation is the one whose HTTP method and requestUri match.

_MODEL_NAMES = {"monitoring": "cloudwatch", "execute-api": "apigateway"}


@lru_cache(maxsize=None)
def _rest_routes(signing_name: str) -> list[tuple[str, re.Pattern[str], tuple[tuple[str, str | None], ...], int, str]]:
    from botocore.exceptions import UnknownServiceError
    from botocore.loaders import Loader

    try:
        model = Loader().load_service_model(_MODEL_NAMES.get(signing_name, signing_name), "service-2")
    except UnknownServiceError:
        return []
    routes = []
    for name, operation in model["operations"].items():
        http = operation.get("http", {})
        template, _, literal_query = http.get("requestUri", "/").partition("?")
        pattern = re.sub(r"\\\{(\w+)(\\\+)?\\\}",
                         lambda m: f"(?P<{m[1]}>.+)" if m[2] else f"(?P<{m[1]}>[^/]+)", re.escape(template))
        required = tuple((k, v if sep else None) for k, sep, v in
                         (part.partition("=") for part in literal_query.split("&") if part))
        routes.append((http.get("method", "POST"), re.compile(pattern.rstrip("/") + "/?"), required,
                       len(re.sub(r"\{[^}]*\}", "", template)), name))
    return routes


def _rest_operation(signing_name: str, method: str, path: str, query: dict[str, str]) -> tuple[str, dict[str, str]]:
    best: tuple[int, int] | None = None
    found = ("", {})
    for route_method, pattern, required, literal, name in _rest_routes(signing_name):
        if route_method != method:
            continue
        match = pattern.fullmatch(path)
        if match is None or any(k not in query or (v is not None and query[k] != v) for k, v in required):
            continue
        # The most specific route wins: the most query literals (?list-type=2), then the longest literal path.
        rank = (len(required), literal)
        if best is None or rank > best:
            best, found = rank, (name, {k: unquote(v) for k, v in match.groupdict().items()})
    return found


# Resources, per service prefix.


def _dynamodb(r: Request) -> list[str]:
    tables = [*r.params.get("RequestItems", {}).keys()]  # BatchGetItem, BatchWriteItem
    for item in r.params.get("TransactItems", []):  # TransactGetItems, TransactWriteItems
        tables += [op["TableName"] for op in item.values() if isinstance(op, dict) and "TableName" in op]
    if not tables and r.params.get("TableName"):
        table = f"table/{r.params['TableName']}"
        return [r.arn("dynamodb", table + (f"/index/{r.params['IndexName']}" if r.params.get("IndexName") else ""))]
    return [r.arn("dynamodb", f"table/{table}") for table in dict.fromkeys(tables)]


def _s3(r: Request) -> list[str]:
    bucket = r.params.get("Bucket")
    if not bucket:
        return []
    key = r.params.get("Key")
    return [f"arn:aws:s3:::{bucket}/{key}" if key is not None else f"arn:aws:s3:::{bucket}"]


def _lambda(r: Request) -> list[str]:
    name = r.params.get("FunctionName")
    if not name:
        return []
    # A name, a partial ARN (123456789012:function:name) or an ARN, any of them with a :qualifier.
    name = name.split(":function:", 1)[1] if ":function:" in name else name
    qualifier = r.params.get("Qualifier")
    if qualifier and ":" not in name:
        name = f"{name}:{qualifier}"
    return [r.arn("lambda", f"function:{name}")]


def _logs(r: Request) -> list[str]:
    if r.operation == "DescribeLogGroups":
        return [r.arn("logs", "log-group::log-stream:")]
    group = r.params.get("logGroupName") or r.params.get("logGroupIdentifier", "")
    if group.startswith("arn:"):
        group = group.split(":log-group:", 1)[1].removesuffix(":*")
    if not group:
        return []
    return [r.arn("logs", f"log-group:{group}:log-stream:{r.params.get('logStreamName') or ''}")]


def _sqs(r: Request) -> list[str]:
    name = r.params.get("QueueUrl", "").rstrip("/").rpartition("/")[2] or r.params.get("QueueName")
    return [r.arn("sqs", name)] if name else []


def _sns(r: Request) -> list[str]:
    if r.params.get("TopicArn") or r.params.get("TargetArn"):
        return [r.params.get("TopicArn") or r.params["TargetArn"]]
    if r.params.get("PhoneNumber"):
        return [r.params["PhoneNumber"]]
    if r.params.get("SubscriptionArn", "").count(":") >= 6:
        return [r.params["SubscriptionArn"].rpartition(":")[0]]
    return [r.arn("sns", r.params["Name"])] if r.operation == "CreateTopic" and r.params.get("Name") else []


def _iam(r: Request) -> list[str]:
    for parameter, kind in (("RoleName", "role"), ("UserName", "user"), ("GroupName", "group"),
                            ("InstanceProfileName", "instance-profile")):
        if r.params.get(parameter):
            return [r.arn("iam", f"{kind}/{r.params[parameter]}", regional=False)]
    if r.params.get("PolicyArn"):
        return [r.params["PolicyArn"]]
    if r.operation == "CreatePolicy" and r.params.get("PolicyName"):
        return [r.arn("iam", f"policy/{r.params['PolicyName']}", regional=False)]
    return []


def _sts(r: Request) -> list[str]:
    return [r.params["RoleArn"]] if r.params.get("RoleArn") else []


def _ssm(r: Request) -> list[str]:
    names = [r.params["Name"]] if r.params.get("Name") else r.params.get("Names", [])
    return [r.arn("ssm", "parameter/" + name.lstrip("/")) for name in names]


def _events(r: Request) -> list[str]:
    if r.operation == "PutEvents":
        buses = {entry.get("EventBusName") or "default" for entry in r.params.get("Entries", [])}
        return [bus if bus.startswith("arn:") else r.arn("events", f"event-bus/{bus}") for bus in sorted(buses)]
    return [r.arn("events", f"rule/{r.params['Name']}")] if r.params.get("Name") else []


def _states(r: Request) -> list[str]:
    arn = r.params.get("stateMachineArn") or r.params.get("executionArn")
    return [arn] if arn else []


def _kinesis(r: Request) -> list[str]:
    if r.params.get("StreamARN"):
        return [r.params["StreamARN"]]
    return [r.arn("kinesis", f"stream/{r.params['StreamName']}")] if r.params.get("StreamName") else []


_RESOURCES = {"dynamodb": _dynamodb, "s3": _s3, "lambda": _lambda, "logs": _logs, "sqs": _sqs, "sns": _sns,
              "iam": _iam, "sts": _sts, "ssm": _ssm, "events": _events, "states": _states, "kinesis": _kinesis}
