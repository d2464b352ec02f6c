"""The gateway joined to the sandbox: API configuration from moto, Lambda through the engine, metrics to CloudWatch."""

from __future__ import annotations

import json
import logging
import threading
from typing import Any, Callable, Iterable

from ..engine import Engine, EngineError, FunctionSpec
from ..gateway import FunctionNotFound, GatewayApp, IntegrationTimedOut, LambdaResult
from ..gateway.errors import ApiConfigurationError
from ..gateway.testinvoke import NotFound
from ..gateway.throttling import ACCOUNT_BURST_LIMIT, ACCOUNT_RATE_LIMIT
from ..wsgi import json_reply, path_arguments, read_body, signature_of
from . import moto_link, sigv4
from .credentials import Credentials
from .read_cache import ReadCache
from .telemetry import Telemetry

log = logging.getLogger(__name__)

# API Gateway's integration timeout for REST APIs (raisable on AWS by a quota request only).
MAX_INTEGRATION_TIMEOUT_S = 29.0


class MotoGatewayBackend:
    """GatewayBackend over moto's API Gateway, Lambda and CloudWatch backends of one sandbox account."""

    def __init__(self, engine: Engine, credentials: Credentials, region: str, moto_app: Callable[..., Iterable[bytes]],
                 *, telemetry: Telemetry, generation: Callable[[], int],
                 max_integration_timeout_s: float = MAX_INTEGRATION_TIMEOUT_S) -> None:
        self.account_id = credentials.account_id
        self.region = region
        self.max_integration_timeout_s = max_integration_timeout_s  # tests lower it instead of waiting 29 s
        self._engine = engine
        self._credentials = credentials
        self.moto_app = moto_app
        self._telemetry = telemetry
        # Every request reads the API, the stage and the function from moto; those reads cost
        # more than the rest of the gateway, and change only when the control plane writes.
        self._reads = ReadCache(generation)
        self._snapshots: dict[tuple[str, str], dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._late_invocations: set[threading.Thread] = set()

    # Control-plane reads.

    def get_rest_api(self, api_id: str) -> dict[str, Any] | None:
        """GetRestApi shape, or None."""
        return self._reads.get(("api", api_id), lambda: moto_link.rest_api(self.account_id, self.region, api_id))

    def get_stage(self, api_id: str, stage_name: str) -> dict[str, Any] | None:
        """GetStage shape, or None."""
        return self._reads.get(("stage", api_id, stage_name),
                               lambda: moto_link.stage(self.account_id, self.region, api_id, stage_name))

    def get_deployment_snapshot(self, api_id: str, deployment_id: str) -> dict[str, Any] | None:
        """The API as CreateDeployment froze it."""
        with self._lock:
            snapshot = self._snapshots.get((api_id, deployment_id))
        if snapshot is not None:
            return snapshot
        # A deployment made without the sandbox's CreateDeployment route (CloudFormation,
        # a direct moto call) was never frozen; the best we can do is freeze it at first use.
        if not moto_link.deployment_exists(self.account_id, self.region, api_id, deployment_id):
            return None
        return self._freeze(api_id, deployment_id)

    def _freeze(self, api_id: str, deployment_id: str) -> dict[str, Any] | None:
        snapshot = moto_link.api_snapshot(self.account_id, self.region, api_id)
        if snapshot is None:
            return None
        with self._lock:
            return self._snapshots.setdefault((api_id, deployment_id), snapshot)

    def get_api_key_by_value(self, value: str) -> dict[str, Any] | None:
        """GetApiKey shape of the key with this value, or None."""
        return self._reads.get(("key", value), lambda: moto_link.api_key_by_value(self.account_id, self.region, value))

    def get_usage_plans_for_key(self, key_id: str) -> list[dict[str, Any]]:
        """GetUsagePlans(keyId=...) items."""
        return self._reads.get(("plans", key_id),
                               lambda: moto_link.usage_plans_for_key(self.account_id, self.region, key_id))

    def get_function_policy(self, function_arn: str) -> dict[str, Any] | None:
        """What lambda:AddPermission wrote for this function (or alias/version), or None."""
        def read() -> dict[str, Any] | None:
            found = moto_link.find_function(self.account_id, self.region, function_arn, None)
            return None if found is None else moto_link.function_policy(found[0])

        return self._reads.get(("policy", function_arn), read)

    def _function_spec(self, function_arn: str) -> FunctionSpec | None:
        def read() -> FunctionSpec | None:
            found = moto_link.find_function(self.account_id, self.region, function_arn, None)
            return None if found is None else moto_link.function_spec(*found)

        # One spec object per configuration also keeps the engine's identity hash computed once.
        return self._reads.get(("spec", function_arn), read)

    # Lambda.

    def invoke_function(self, function_arn: str, payload: bytes, *, timeout_s: float) -> LambdaResult:
        """Run the function through the engine; IntegrationTimedOut when it outlives `timeout_s`."""
        spec = self._function_spec(function_arn)
        if spec is None:
            raise FunctionNotFound(function_arn)
        invoked_arn = function_arn if function_arn.startswith("arn:") else spec.invoked_arn
        limit = min(timeout_s, self.max_integration_timeout_s)
        if spec.timeout < limit:
            # The engine ends the function at its own timeout, before the integration's.
            return self._run(spec, payload, invoked_arn)
        return self._run_with_deadline(spec, payload, invoked_arn, limit)

    def _run(self, spec: Any, payload: bytes, invoked_arn: str) -> LambdaResult:
        try:
            # The gateway wrote this JSON itself: the Invoke API's parse-to-validate is not needed.
            result = self._engine.invoke(spec, payload, invoked_function_arn=invoked_arn)
        except EngineError as error:
            # Throttled, stopped engine, unsupported runtime: Lambda refused the call itself.
            raise ApiConfigurationError(f"Lambda refused the invocation: {error.error_type}") from None
        timed_out = result.function_error is not None and _error_type(result.payload) == "Sandbox.Timedout"
        return LambdaResult(result.payload, result.function_error, timed_out=timed_out,
                            request_id=result.request_id, executed_version=result.executed_version)

    def _run_with_deadline(self, spec: Any, payload: bytes, invoked_arn: str, limit: float) -> LambdaResult:
        outcome: dict[str, Any] = {}
        done = threading.Event()

        def run() -> None:
            try:
                outcome["result"] = self._run(spec, payload, invoked_arn)
            except BaseException as error:  # noqa: BLE001 - handed to the waiting request
                outcome["error"] = error
            finally:
                done.set()
                with self._lock:
                    self._late_invocations.discard(threading.current_thread())

        # The function keeps running after API Gateway gave up on it, as on AWS; the
        # thread is ours, so stop() joins it.
        thread = threading.Thread(target=run, name=f"gateway-invoke-{spec.function_name}", daemon=True)
        with self._lock:
            self._late_invocations.add(thread)
        thread.start()
        if not done.wait(limit):
            raise IntegrationTimedOut(f"{spec.function_name} still running after {limit:g} s")
        if "error" in outcome:
            raise outcome["error"]
        return outcome["result"]

    # Identity and metrics.

    def verify_sigv4(self, environ: dict[str, Any], body: bytes) -> bool | None:
        """True if signed with the sandbox's own key, False if signed otherwise, None if unsigned."""
        c = self._credentials
        return sigv4.verify(environ, body, c.access_key_id, c.secret_access_key)

    def put_metrics(self, namespace: str, metric_data: list[dict[str, Any]]) -> None:
        """CloudWatch PutMetricData into the sandbox."""
        self._telemetry.put_metric_data(namespace, metric_data)

    def put_log_events(self, group: str, stream: str, events: list[tuple[int, str]]) -> None:
        """Queue log events for the sandbox's CloudWatch Logs (written off the request path)."""
        self._telemetry.put_log_events(group, stream, events)

    def cloudwatch_role_arn(self) -> str | None:
        """The account's CloudWatch Logs role for API Gateway, or None."""
        return self._reads.get(("account",), lambda: moto_link.cloudwatch_role_arn(self.account_id, self.region))

    def get_api_snapshot(self, api_id: str) -> dict[str, Any] | None:
        """The API as saved now (what the console's Test button runs)."""
        return moto_link.api_snapshot(self.account_id, self.region, api_id)

    # CreateDeployment, where the snapshot is taken.

    def create_deployment_app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        """WSGI app for POST /restapis/{id}/deployments: moto creates it, then the API is frozen under its id."""
        request_body, status, headers, body = self._through_moto(environ)
        start_response(status, headers)
        if status.startswith("2") and _request_region(environ, self.region) == self.region:
            api_id = path_arguments(environ)["api"]
            try:
                deployment_id = json.loads(body)["id"]
            except (ValueError, KeyError, TypeError):
                log.warning("CreateDeployment answer without an id; %s will be frozen at first use", api_id)
            else:
                self._freeze(api_id, deployment_id)
                _describe_new_stage(self.account_id, self.region, api_id, request_body)
        return [body]

    def create_rest_api_app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        """WSGI app for POST /restapis: moto creates the API; its binaryMediaTypes are kept, as AWS keeps them."""
        request_body, status, headers, body = self._through_moto(environ)
        try:
            media_types = json.loads(request_body or b"{}").get("binaryMediaTypes")
            created = json.loads(body) if status.startswith("2") else None
        except (ValueError, AttributeError):
            media_types = created = None
        if media_types and isinstance(created, dict) and "id" in created:
            moto_link.set_binary_media_types(self.account_id, _request_region(environ, self.region), created["id"],
                                             media_types)
            body = json.dumps({**created, "binaryMediaTypes": list(media_types)}).encode()
            headers = [(k, str(len(body)) if k.lower() == "content-length" else v) for k, v in headers]
        # moto answers 200; API Gateway's CreateRestApi (and import) answer 201 Created.
        start_response("201 Created" if status.startswith("2") else status, headers)
        return [body]

    def _through_moto(self, environ: dict[str, Any]) -> tuple[bytes, str, list[tuple[str, str]], bytes]:
        """(request body, status, headers, body) of moto's answer to this request."""
        captured: list[Any] = ["500 Internal Server Error", []]

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured[:] = [status, headers]
            return lambda data: None

        request_body = read_body(environ)
        result = self.moto_app(environ, capture)
        try:
            body = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        return request_body, captured[0], list(captured[1]), body

    def stop(self) -> None:
        """Join invocations still running after their integration timed out (the engine ends them)."""
        with self._lock:
            threads = list(self._late_invocations)
        for thread in threads:
            thread.join()
        with self._lock:
            self._snapshots.clear()


def _describe_new_stage(account_id: str, region: str, api_id: str, request_body: bytes) -> None:
    # moto ignores CreateDeployment's stageDescription; AWS gives the new
    # stage that description (the console's "Stage description" field).
    try:
        request = json.loads(request_body or b"{}")
    except ValueError:
        return
    if request.get("stageName") and request.get("stageDescription"):
        moto_link.describe_stage(account_id, region, api_id, request["stageName"], request["stageDescription"])


def _error_type(payload: bytes) -> str | None:
    try:
        document = json.loads(payload)
    except ValueError:
        return None
    return document.get("errorType") if isinstance(document, dict) else None


def _request_region(environ: dict[str, Any], default: str) -> str:
    # boto3 signs with the Region it is configured for; that is the Region it created the deployment in.
    signature = signature_of(environ)
    return signature.region if signature and signature.scope.count("/") else default


class SandboxGateway:
    """The gateway as mounted on a sandbox: the WSGI app and the backend it reads."""

    def __init__(self, backend: MotoGatewayBackend) -> None:
        self.backend = backend
        self.app = GatewayApp(backend)

    def test_invoke_app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        """WSGI app for TestInvokeMethod and TestInvokeAuthorizer, run by the gateway on the saved API."""
        if _request_region(environ, self.backend.region) != self.backend.region:
            return self.backend.moto_app(environ, start_response)
        args = path_arguments(environ)
        try:
            request = json.loads(read_body(environ) or b"{}")
            if not isinstance(request, dict):
                raise ValueError("not a JSON object")
            if "authorizer" in args:
                answer = self.app.gateway.test_invoke_authorizer(args["api"], args["authorizer"], request)
            else:
                answer = self.app.gateway.test_invoke_method(args["api"], args["resource"], args["method"], request)
        except NotFound as error:
            return json_reply(start_response, 404, {"message": str(error)}, [("x-amzn-ErrorType", "NotFoundException")])
        except ValueError:
            return json_reply(start_response, 400, {"message": "Invalid request body"},
                              [("x-amzn-ErrorType", "BadRequestException")])
        return json_reply(start_response, 200, answer)

    def stop(self) -> None:
        """Stop what the backend owns."""
        self.backend.stop()


def sandbox_gateway(engine: Engine, credentials: Credentials, region: str, moto_app: Callable[..., Iterable[bytes]],
                    *, telemetry: Telemetry, generation: Callable[[], int]) -> SandboxGateway:
    """The gateway over one sandbox account's moto backends, with moto taught API Gateway's answers."""
    moto_link.use_account_throttle_defaults(ACCOUNT_RATE_LIMIT, ACCOUNT_BURST_LIMIT)
    moto_link.use_aws_rest_api_patches()
    backend = MotoGatewayBackend(engine, credentials, region, moto_app, telemetry=telemetry, generation=generation)
    return SandboxGateway(backend)
