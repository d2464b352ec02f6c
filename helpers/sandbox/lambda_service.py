"""The Lambda data plane on the sandbox: Invoke and provisioned concurrency, run by the engine."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime, timezone
from typing import Any, Callable, Iterable

from ..engine import Engine, EngineError, FunctionSpec
from ..wsgi import json_reply, path_arguments, query_values, read_body, reply, signature_of
from . import invoke_api, moto_link, sqs_event_source
from .config_refusals import ACCOUNT_CONCURRENCY, MINIMUM_UNRESERVED

# The default limits GetAccountSettings reports (the two code sizes as recorded in AWS's refusals).
_ACCOUNT_LIMIT = {"TotalCodeSize": 80530636800, "CodeSizeUnzipped": 262144000, "CodeSizeZipped": 52428800}


class LambdaService:
    """Serves Invoke and the provisioned-concurrency API for one sandbox account, through the engine."""

    def __init__(self, engine: Engine, account_id: str, pass_through: Callable[..., Iterable[bytes]]) -> None:
        self.engine = engine
        self.account_id = account_id
        self._pass_through = pass_through  # moto answers whatever we don't (e.g. an unknown function)
        self._provisioned: dict[tuple[str, str], dict[str, Any]] = {}
        sqs_event_source.install()  # Lambda's SQS poller, in place of moto's one-message delivery

    # Invoke

    def invoke_app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        """WSGI app for POST /2015-03-31/functions/{name}/invocations."""
        name = path_arguments(environ)["name"]
        qualifier = query_values(environ).get("Qualifier")
        region = _region(environ)
        arn_region = name.split(":")[3] if name.startswith("arn:") and name.count(":") >= 6 else region
        if arn_region != region:
            return _error(start_response, 404, "ResourceNotFoundException", {
                "Type": "User", "Message": f"Functions from '{arn_region}' are not reachable in this region ('{region}')"})
        found = moto_link.find_function(self.account_id, region, name, qualifier)
        if found is None or invoke_api.names_no_version(qualifier):
            arn = invoke_api.not_found_arn(name, qualifier, region, self.account_id)
            return _error(start_response, 404, "ResourceNotFoundException",
                          {"Type": "User", "Message": f"Function not found: {arn}"})
        spec = moto_link.function_spec(*found)
        payload = read_body(environ)
        headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")}
        try:
            result = invoke_api.invoke(
                self.engine,
                spec,
                payload,
                invocation_type=headers.get("x-amz-invocation-type", "RequestResponse"),
                log_type=headers.get("x-amz-log-type", "None"),
                client_context=headers.get("x-amz-client-context"),
                invoked_function_arn=invoke_api.invoked_arn(spec, qualifier),
            )
        except EngineError as error:
            return _error(start_response, error.status_code, error.error_type, error.body())
        out = [("Content-Type", "application/json"), ("x-amzn-RequestId", result.request_id),
               ("X-Amz-Executed-Version", result.executed_version)]
        if result.function_error:
            out.append(("X-Amz-Function-Error", result.function_error))
        if result.log_result is not None:
            out.append(("X-Amz-Log-Result", result.log_result))
        return _respond(start_response, result.status_code, out, result.payload)

    def run_for_moto(self, fn: Any, event: str | None) -> tuple[str, bool, str]:
        """Run an invocation moto started itself (S3 notifications, SNS…); moto's hook signature."""
        latest = moto_link.lambda_backend(fn.account_id, fn.region).get_function(fn.function_name, None)
        payload = (event if isinstance(event, str) else json.dumps(event or {})).encode()
        result = invoke_api.invoke(self.engine, moto_link.function_spec(fn, latest), payload, log_type="Tail")
        logs = base64.b64decode(result.log_result or "").decode(errors="replace")
        return result.payload.decode(errors="replace"), result.function_error is not None, logs

    # Provisioned concurrency (moto has no such API; the engine keeps the environments)

    def provisioned_app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        """WSGI app for /2019-09-30/functions/{name}/provisioned-concurrency (Put, Get, Delete, List)."""
        name = path_arguments(environ)["name"]
        query = query_values(environ)
        method = environ["REQUEST_METHOD"]
        region = _region(environ)
        if method == "GET" and query.get("List") == "ALL":
            return self._list(start_response, name, region)
        qualifier = query.get("Qualifier")
        if not qualifier:
            return _error(start_response, 400, "InvalidParameterValueException",
                          {"Type": "User", "message": "Qualifier is required for provisioned concurrency."})
        if qualifier == "$LATEST":
            return _error(start_response, 400, "InvalidParameterValueException",
                          {"Type": "User", "message": "Provisioned Concurrency Configs cannot be applied to unpublished function versions."})
        found = moto_link.find_function(self.account_id, region, name, qualifier)
        if found is None:
            return self._pass_through(environ, start_response)
        spec = moto_link.function_spec(*found)
        key = (spec.function_name, qualifier)
        if method == "PUT":
            # The model's constraints (an integer, at least 1) were checked on the way in (config_refusals).
            requested = json.loads(read_body(environ) or b"{}").get("ProvisionedConcurrentExecutions")
            refusal = self._concurrency_refusal(spec, qualifier, requested, region)
            if refusal is not None:
                return _error(start_response, 400, "InvalidParameterValueException", refusal)
            self._provisioned[key] = {"spec": spec, "qualifier": qualifier, "modified": _now()}
            self.engine.put_provisioned_concurrency(spec, requested)
            return _json(start_response, 202, self._config(key, include_arn=False))
        if key not in self._provisioned:
            return _error(start_response, 404, "ProvisionedConcurrencyConfigNotFoundException",
                          {"Type": "User", "message": "No Provisioned Concurrency Config found for this function"})
        if method == "DELETE":
            self.engine.delete_provisioned_concurrency(self._provisioned.pop(key)["spec"])
            return _respond(start_response, 204, [], b"")
        return _json(start_response, 200, self._config(key, include_arn=False))

    def _concurrency_refusal(self, spec: FunctionSpec, qualifier: str, requested: int,
                             region: str) -> dict[str, str] | None:
        """Lambda's refusal of a provisioned concurrency that its function's or the account's concurrency can't hold.

        Provisioned environments come out of the function's reserved concurrency when it has one,
        otherwise out of the account's unreserved pool, which must keep 100.
        """
        def provisioned(key: tuple[str, str]) -> int:
            return self.engine.provisioned_status(self._provisioned[key]["spec"])["requested"]

        others = [key for key in self._provisioned if key != (spec.function_name, qualifier)]
        own = sum(provisioned(key) for key in others if key[0] == spec.function_name)
        if spec.reserved_concurrency is not None:
            if own + requested > spec.reserved_concurrency:
                return {"Type": "User", "message": "Requested Provisioned Concurrency should not be greater than "
                                                   "the reservedConcurrentExecution for function"}
            return None
        reserved = moto_link.other_reserved_concurrency(self.account_id, region, spec.function_name)
        unreserved = ACCOUNT_CONCURRENCY - reserved - sum(
            provisioned(key) for key in others if self._provisioned[key]["spec"].reserved_concurrency is None)
        if requested > unreserved:
            return {"message": f"Specified ConcurrentExecutions for function is greater than account's unreserved "
                               f"concurrency [{unreserved}]."}
        if unreserved - requested < MINIMUM_UNRESERVED:
            return {"message": "Specified ConcurrentExecutions for function decreases account's "
                               f"UnreservedConcurrentExecution below its minimum value of [{MINIMUM_UNRESERVED}]."}
        return None

    # GetAccountSettings (moto has none): the limits, and what reserved concurrency leaves unreserved.

    def account_settings_app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        """WSGI app for GET /2016-08-19/account-settings/."""
        region = _region(environ)
        functions, code_size = moto_link.account_usage(self.account_id, region)
        unreserved = ACCOUNT_CONCURRENCY - moto_link.other_reserved_concurrency(self.account_id, region, "")
        return _json(start_response, 200, {
            "AccountLimit": {**_ACCOUNT_LIMIT, "ConcurrentExecutions": ACCOUNT_CONCURRENCY,
                             "UnreservedConcurrentExecutions": unreserved},
            "AccountUsage": {"TotalCodeSize": code_size, "FunctionCount": functions},
        })

    def _list(self, start_response: Callable[..., Any], name: str, region: str) -> Iterable[bytes]:
        function_name = name.split(":function:")[-1].split(":")[0]
        configs = [self._config(key, include_arn=True) for key in sorted(self._provisioned) if key[0] == function_name]
        return _json(start_response, 200, {"ProvisionedConcurrencyConfigs": configs})

    def _config(self, key: tuple[str, str], include_arn: bool) -> dict[str, Any]:
        entry = self._provisioned[key]
        status = self.engine.provisioned_status(entry["spec"])
        config = {
            "RequestedProvisionedConcurrentExecutions": status["requested"],
            "AvailableProvisionedConcurrentExecutions": status["available"],
            "AllocatedProvisionedConcurrentExecutions": status["allocated"],
            "Status": status["status"],
            "LastModified": entry["modified"],
        }
        if "status_reason" in status:
            config["StatusReason"] = status["status_reason"]
        if include_arn:
            config = {"FunctionArn": f"{entry['spec'].function_arn}:{entry['qualifier']}", **config}
        return config


def _region(environ: dict[str, Any]) -> str:
    # The signing scope carries the Region the client is configured for.
    signature = signature_of(environ)
    return (signature.region if signature else "") or "us-east-1"


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"


def _respond(start_response: Callable[..., Any], status: int, headers: list[tuple[str, str]], body: bytes) -> list[bytes]:
    if not any(k.lower() == "x-amzn-requestid" for k, _ in headers):
        headers = [*headers, ("x-amzn-RequestId", str(uuid.uuid4()))]
    return reply(start_response, status, body, headers)


def _json(start_response: Callable[..., Any], status: int, document: dict[str, Any]) -> list[bytes]:
    return json_reply(start_response, status, document, [("x-amzn-RequestId", str(uuid.uuid4()))])


def _error(start_response: Callable[..., Any], status: int, error_type: str, body: dict[str, Any]) -> list[bytes]:
    return json_reply(start_response, status, body,
                      [("x-amzn-ErrorType", error_type), ("x-amzn-RequestId", str(uuid.uuid4()))])
