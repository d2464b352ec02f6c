"""The sandbox's joins with moto's internals: function records, CloudWatch backends, the invocation hook.

Every name used here is checked by tests/test_moto_seams.py, so a moto upgrade
that moves one fails loudly there rather than quietly here.
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable

from ..engine import FunctionSpec

# moto's backends are not thread-safe for writes; the engine writes logs and
# metrics from its own threads while HTTP threads serve reads.
_write_lock = threading.Lock()


def lambda_backend(account_id: str, region: str) -> Any:
    """moto's Lambda backend for one account and Region."""
    from moto.awslambda.models import lambda_backends

    return lambda_backends[account_id][region]


def find_function(account_id: str, region: str, name_or_arn: str, qualifier: str | None) -> tuple[Any, Any] | None:
    """(the version or alias target, the $LATEST record) of a function, or None if there is none."""
    from moto.awslambda.exceptions import UnknownFunctionException

    backend = lambda_backend(account_id, region)
    try:
        target = backend.get_function(name_or_arn, qualifier)
        latest = backend.get_function(target.function_name, None)
    except UnknownFunctionException:
        return None
    return target, latest


def function_spec(fn: Any, latest: Any) -> FunctionSpec:
    """The engine's view of a moto function version."""
    unqualified = latest.function_arn.split(":function:")[0] + f":function:{fn.function_name}"
    return FunctionSpec(
        function_name=fn.function_name,
        function_arn=unqualified,
        version=str(fn.version),
        handler=fn.handler or "",
        runtime=fn.run_time or "",
        code_zip=fn.code_bytes or b"",
        code_sha256=fn.code_sha_256 or "",
        region=fn.region,
        account_id=fn.account_id,
        memory_size=int(fn.memory_size),
        timeout=int(fn.timeout),
        environment=dict(fn.environment_vars or {}),
        architecture=(fn.architectures or ["x86_64"])[0],
        # Reserved concurrency is a function-level setting, kept on $LATEST.
        reserved_concurrency=latest.reserved_concurrency,
        role=fn.role or "",
        created=fn.last_modified,  # set when moto creates the function or publishes the version
    )


def assume_role(account_id: str, region: str, role_arn: str, session_name: str) -> tuple[str, str, str]:
    """Temporary credentials of a role (access key id, secret, session token), known to moto's STS.

    Through moto's own STS, so that GetCallerIdentity with them names the assumed role.
    """
    from moto.sts.models import sts_backends
    from moto.utilities.utils import get_partition

    session = sts_backends[account_id][get_partition(region)].assume_role(
        region_name=region, role_session_name=session_name, role_arn=role_arn, policy="",
        duration=_LAMBDA_SESSION_SECONDS, external_id="")
    return session.access_key_id, session.secret_access_key, session.session_token


_LAMBDA_SESSION_SECONDS = 12 * 3600  # the longest a role session lasts; an environment lives less


def role(account_id: str, region: str, role_arn: str) -> Any | None:
    """moto's record of a role, or None if the account has no role with this ARN."""
    from moto.iam.exceptions import NotFoundException
    from moto.iam.models import iam_backends
    from moto.utilities.utils import get_partition

    try:
        return iam_backends[account_id][get_partition(region)].get_role_by_arn(role_arn)
    except NotFoundException:
        return None


def role_policy_documents(found: Any) -> list[str]:
    """The JSON text of a role's identity policies: inline, then attached (customer and AWS managed)."""
    documents = list(found.policies.values())
    for policy in list(found.managed_policies.values()):
        documents += [version.document for version in policy.versions if version.is_default]
    return documents


def log_group_exists(account_id: str, region: str, group: str) -> bool:
    """Whether the sandbox's CloudWatch Logs has this log group."""
    from moto.logs.models import logs_backends

    return group in logs_backends[account_id][region].groups


def s3_object_exists(account_id: str, region: str, bucket: str, key: str) -> bool | None:
    """Whether the account's bucket holds the key (None if there is no such bucket of the account's)."""
    from moto.s3.models import s3_backends
    from moto.utilities.utils import get_partition

    backend = s3_backends[account_id][get_partition(region)]
    if bucket not in backend.buckets:
        return None
    return backend.get_object(bucket, key) is not None


def log_sink(account_id: str, region: str) -> Callable[[str, str, list[tuple[int, str]]], None]:
    """Write log events into the sandbox's CloudWatch Logs."""
    from moto.logs.models import logs_backends

    def write(group: str, stream: str, events: list[tuple[int, str]]) -> None:
        backend = logs_backends[account_id][region]
        with _write_lock:
            backend.ensure_log_group(group)
            backend.ensure_log_stream(group, stream)
            backend.put_log_events(group, stream, [{"timestamp": ts, "message": msg} for ts, msg in events])

    return write


def metric_sink(account_id: str, region: str) -> Callable[[str, list[dict]], None]:
    """Write metric data into the sandbox's CloudWatch metrics."""
    from moto.cloudwatch.models import cloudwatch_backends

    def write(namespace: str, metric_data: list[dict]) -> None:
        # moto compares timestamps with the naive UTC datetimes its API parses; an aware one
        # would make every GetMetricStatistics over these metrics fail.
        data = [{**datum, "Timestamp": _naive_utc(datum["Timestamp"])} if "Timestamp" in datum else datum
                for datum in metric_data]
        with _write_lock:
            cloudwatch_backends[account_id][region].put_metric_data(namespace, data)

    return write


def _naive_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is None else moment.astimezone(timezone.utc).replace(tzinfo=None)


# The invocation hook: moto calls LambdaFunction._invoke_lambda for every
# invocation it starts itself (S3 notifications, SNS, SQS event sources…).
_engines: dict[str, Callable[[Any, str | None], tuple[str, bool, str]]] = {}
_hook_lock = threading.Lock()
_original_invoke: Any = None


def route_invocations(account_id: str, run: Callable[[Any, str | None], tuple[str, bool, str]] | None) -> None:
    """Send moto's own invocations of `account_id`'s functions to `run` (None: stop sending)."""
    global _original_invoke
    from moto.awslambda.models import LambdaFunction

    with _hook_lock:
        if run is None:
            _engines.pop(account_id, None)
            return
        _engines[account_id] = run
        if _original_invoke is None:
            _original_invoke = LambdaFunction._invoke_lambda

            def _invoke_lambda(self: Any, event: str | None = None) -> tuple[str, bool, str]:
                target = _engines.get(self.account_id)
                if target is None:
                    return _original_invoke(self, event)
                return target(self, event)

            LambdaFunction._invoke_lambda = _invoke_lambda


_original_method_settings: Any = None


def use_account_throttle_defaults(rate_limit: float, burst_limit: int) -> None:
    """Start every new stage method setting from the account's throttle limits, as API Gateway does.

    moto fills a new methodSettings entry (even one made just to turn metrics on) with a 1,000 rps
    rate and a 2,000 burst; API Gateway shows, and applies, the account's limits there.
    """
    global _original_method_settings
    from moto.apigateway.models import Stage

    with _hook_lock:
        if _original_method_settings is not None:
            return
        _original_method_settings = Stage._get_default_method_settings

        def _get_default_method_settings(self: Any) -> dict[str, Any]:
            return {**_original_method_settings(self), "throttlingRateLimit": rate_limit,
                    "throttlingBurstLimit": burst_limit}

        Stage._get_default_method_settings = _get_default_method_settings


def forget_account(account_id: str) -> None:
    """Drop every resource of a stopped sandbox's account, S3's global bucket names included."""
    from moto.core.base_backend import BackendDict, backend_lock
    from moto.s3.models import s3_backends

    # A learner who stops a sandbox and starts another in the same kernel
    # expects a fresh account, and bucket names to be free again.
    with backend_lock:
        services = list(BackendDict._instances)
    for backends in services:
        accounts = backends.pop(account_id, None)
        # reset() releases what some backends hold (S3's temporary files, Batch's job threads); IAM
        # holds nothing, and its reset() would load every AWS managed policy again (~0.3 s a stop).
        if accounts is not None and backends.service_name != "iam":
            accounts.reset()
    for name, (_, owner) in list(s3_backends.bucket_accounts.items()):
        if owner == account_id:
            s3_backends.bucket_accounts.pop(name, None)


# API Gateway: what the gateway reads, in the shapes boto3 returns.


def _without_nulls(value: Any) -> Any:
    # moto's to_json writes null for unset members; boto3 (and so every
    # learner) never sees those keys at all.
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def apigateway_backend(account_id: str, region: str) -> Any:
    """moto's API Gateway backend for one account and Region."""
    from moto.apigateway.models import apigateway_backends

    return apigateway_backends[account_id][region]


def rest_api(account_id: str, region: str, api_id: str) -> dict[str, Any] | None:
    """GetRestApi shape, or None for an unknown API."""
    api = apigateway_backend(account_id, region).apis.get(api_id)
    return None if api is None else _without_nulls(api.to_dict())


def stage(account_id: str, region: str, api_id: str, stage_name: str) -> dict[str, Any] | None:
    """GetStage shape, or None for an unknown API or stage."""
    api = apigateway_backend(account_id, region).apis.get(api_id)
    found = None if api is None else api.stages.get(stage_name)
    return None if found is None else _without_nulls(found.to_json())


def deployment_exists(account_id: str, region: str, api_id: str, deployment_id: str) -> bool:
    """Whether moto knows this deployment of this API."""
    api = apigateway_backend(account_id, region).apis.get(api_id)
    return api is not None and deployment_id in api.deployments


def describe_stage(account_id: str, region: str, api_id: str, stage_name: str, description: str) -> None:
    """Set a stage's description, if the stage is new and has none."""
    stage = apigateway_backend(account_id, region).get_stage(api_id, stage_name)
    if not stage.description:
        stage.description = description


def api_snapshot(account_id: str, region: str, api_id: str) -> dict[str, Any] | None:
    """The API as it is now: GetResources(embed=methods) items, authorizers, gateway responses, settings."""
    api = apigateway_backend(account_id, region).apis.get(api_id)
    if api is None:
        return None
    # list() first: a control-plane request on another thread may add items meanwhile.
    return _without_nulls({
        "resources": [r.to_dict() for r in list(api.resources.values())],
        "authorizers": [a.to_json() for a in list(api.authorizers.values())],
        "gatewayResponses": [g.to_json() for g in list(api.gateway_responses.values())],
        "binaryMediaTypes": list(api.binaryMediaTypes),
        "apiKeySource": api.api_key_source,
    })


def cloudwatch_role_arn(account_id: str, region: str) -> str | None:
    """GetAccount's cloudwatchRoleArn: the role API Gateway writes CloudWatch logs with, or None."""
    return apigateway_backend(account_id, region).get_account().cloudwatch_role_arn or None


def api_key_by_value(account_id: str, region: str, value: str) -> dict[str, Any] | None:
    """GetApiKey(includeValue=True) shape of the key with this value, or None."""
    for key in list(apigateway_backend(account_id, region).keys.values()):
        if key.value == value:
            return _without_nulls(key.to_json())
    return None


def usage_plans_for_key(account_id: str, region: str, key_id: str) -> list[dict[str, Any]]:
    """GetUsagePlans(keyId=...) items."""
    plans = apigateway_backend(account_id, region).get_usage_plans(api_key_id=key_id)
    return [_without_nulls(plan.to_json()) for plan in plans]


def function_policy(fn: Any) -> dict[str, Any] | None:
    """A function version's resource-based policy document (what add_permission wrote), or None."""
    statements = list(fn.policy.statements)
    if not statements:
        return None
    return {"Version": "2012-10-17", "Id": "default", "Statement": statements}


# Control-plane requests as moto reads them, for the refusals moto does not make.


@dataclass(frozen=True)
class ParsedRequest:
    """A control-plane request read with the service's model: its operation, protocol and parameters."""

    operation: Any  # botocore OperationModel (moto's subclass)
    protocol: str  # json, rest-json, query…
    params: dict[str, Any]


def parse_request(service: str, environ: dict[str, Any], body: bytes) -> ParsedRequest | None:
    """Read a request with moto's model-driven router and parser; None if it names no operation of `service`."""
    from moto.core.parse import PROTOCOL_PARSERS
    from moto.core.request import Request, determine_request_protocol
    from moto.core.routing import get_service_router
    from moto.core.utils import get_service_model
    from werkzeug.exceptions import HTTPException

    request = Request({**environ, "wsgi.input": io.BytesIO(body)})
    try:
        operation, uri_params = get_service_router(service).match(request)
    except HTTPException:
        return None
    protocol = determine_request_protocol(get_service_model(service), request.content_type)
    parser = PROTOCOL_PARSERS.get(protocol)
    if parser is None:  # e.g. CloudWatch's rpc-v2-cbor: no parser in moto, so nothing to check here
        return None
    try:
        # Only the query protocol reads parameters from a form body; the rest need the query string alone.
        values = request.values if protocol == "query" else request.args
        params = parser(operation).parse({"method": request.method, "values": values,
                                          "headers": request.headers, "body": body, "url_path": request.path,
                                          "url_params": uri_params})
    except Exception:  # noqa: BLE001 - a body the parser can't read is moto's to answer, not a sandbox failure
        return None
    return ParsedRequest(operation, protocol, params)


def _function_groups(account_id: str, region: str) -> list[dict[str, Any]]:
    # moto's own listing deep-copies every function, code included; its storage is read as it is.
    return list(lambda_backend(account_id, region)._lambdas._functions.values())


def other_reserved_concurrency(account_id: str, region: str, function_name: str) -> int:
    """The reserved concurrency of every function of the Region but `function_name` (a name or ARN), summed."""
    name = function_name.split(":function:")[-1].split(":")[0]
    return sum(int(group["latest"].reserved_concurrency or 0) for group in _function_groups(account_id, region)
               if group["latest"].function_name != name)


def account_usage(account_id: str, region: str) -> tuple[int, int]:
    """(function count, total code size in bytes of every function version) in a Region."""
    groups = _function_groups(account_id, region)
    code = sum(int(fn.code_size or 0) for group in groups for fn in [group["latest"], *group["versions"]])
    return len(groups), code


def reserved_concurrency(account_id: str, region: str, function_name: str) -> int | None:
    """A function's reserved concurrency, or None (none set, or no such function)."""
    found = find_function(account_id, region, function_name, None)
    return None if found is None or found[1].reserved_concurrency is None else int(found[1].reserved_concurrency)


def child_path_parts(account_id: str, region: str, api_id: str, parent_id: str) -> list[str] | None:
    """The path parts of a resource's children, or None if the API or the resource is unknown."""
    api = apigateway_backend(account_id, region).apis.get(api_id)
    if api is None or parent_id not in api.resources:
        return None
    return [r.path_part for r in list(api.resources.values()) if r.parent_id == parent_id]


def path_part(account_id: str, region: str, api_id: str, resource_id: str) -> str | None:
    """A resource's own path part ("" for the root), or None if unknown."""
    api = apigateway_backend(account_id, region).apis.get(api_id)
    resource = None if api is None else api.resources.get(resource_id)
    return None if resource is None else (resource.path_part or "")


_original_patch_rest_api: Any = None


def use_aws_rest_api_patches() -> None:
    """Apply UpdateRestApi's /binaryMediaTypes/<type> and remove /description as API Gateway does.

    The media type is the path's last segment with "/" escaped as "~1" (RFC 6901): add appends it,
    remove drops it, replace drops it and appends the operation's value (recorded on AWS: the new type
    goes last); moto reads the value instead. A removed description is gone (moto leaves "").
    """
    global _original_patch_rest_api
    from moto.apigateway.models import RestAPI

    with _hook_lock:
        if _original_patch_rest_api is not None:
            return
        _original_patch_rest_api = RestAPI.apply_patch_operations

        def apply_patch_operations(self: Any, patch_operations: list[dict[str, Any]]) -> None:
            others = []
            for op in patch_operations:
                path = op.get("path") or ""
                if path == "/description" and op.get("op") == "remove":
                    self.description = None
                    continue
                if not path.startswith("/binaryMediaTypes/"):
                    others.append(op)
                    continue
                media_type = path[len("/binaryMediaTypes/"):].replace("~1", "/").replace("~0", "~")
                if op.get("op") in ("remove", "replace") and media_type in self.binaryMediaTypes:
                    self.binaryMediaTypes.remove(media_type)
                if op.get("op") == "add":
                    self.binaryMediaTypes.append(media_type)
                elif op.get("op") == "replace" and op.get("value"):
                    self.binaryMediaTypes.append(op["value"])
            _original_patch_rest_api(self, others)

        RestAPI.apply_patch_operations = apply_patch_operations


def set_binary_media_types(account_id: str, region: str, api_id: str, media_types: list[str]) -> None:
    """Give a new API the binaryMediaTypes of its CreateRestApi request (moto drops them)."""
    api = apigateway_backend(account_id, region).apis.get(api_id)
    if api is not None:
        api.binaryMediaTypes = list(media_types)
