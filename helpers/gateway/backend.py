"""The gateway's only view of the rest of the sandbox: API configuration, Lambda and metrics."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class LambdaResult:
    """What a synchronous Lambda invocation returned."""

    payload: bytes
    function_error: str | None = None  # "Unhandled" for a raised error, a timeout or a crash
    timed_out: bool = False
    request_id: str | None = None  # Lambda's request id for the invocation
    executed_version: str | None = None


class IntegrationTimedOut(Exception):
    """The function was still running when the integration timeout passed."""


class FunctionNotFound(Exception):
    """The integration names a function that does not exist."""


class GatewayBackend(Protocol):
    """Control-plane reads and Lambda calls, in the shapes boto3 returns."""

    account_id: str
    region: str

    def get_rest_api(self, api_id: str) -> dict[str, Any] | None:
        """GetRestApi shape, or None for an unknown API."""

    def get_stage(self, api_id: str, stage_name: str) -> dict[str, Any] | None:
        """GetStage shape (deploymentId, variables, methodSettings), or None."""

    def get_deployment_snapshot(self, api_id: str, deployment_id: str) -> dict[str, Any] | None:
        """The API as frozen by CreateDeployment: resources (with methods), authorizers,
        gatewayResponses, binaryMediaTypes, apiKeySource."""

    def invoke_function(self, function_arn: str, payload: bytes, *, timeout_s: float) -> LambdaResult:
        """Run the function synchronously; raise IntegrationTimedOut or FunctionNotFound."""

    def get_function_policy(self, function_arn: str) -> dict[str, Any] | None:
        """The function's resource-based policy document, or None when it has none.

        A changed policy must come back as a new object: the gateway keeps its decision for an object.
        """

    def get_api_key_by_value(self, value: str) -> dict[str, Any] | None:
        """GetApiKey shape (id, value, enabled) for the key with this value, or None."""

    def get_usage_plans_for_key(self, key_id: str) -> list[dict[str, Any]]:
        """GetUsagePlans(keyId=...) items: id, apiStages, throttle, quota."""

    def verify_sigv4(self, environ: dict[str, Any], body: bytes) -> bool | None:
        """True if signed with the sandbox's credentials, False if signed otherwise, None if unsigned.

        `body` is passed because the gateway has already read wsgi.input and SigV4 signs the payload.
        """

    def put_metrics(self, namespace: str, metric_data: list[dict[str, Any]]) -> None:
        """CloudWatch PutMetricData."""

    def get_api_snapshot(self, api_id: str) -> dict[str, Any] | None:
        """The API as it is saved now (what TestInvokeMethod runs), in get_deployment_snapshot's shape."""

    def cloudwatch_role_arn(self) -> str | None:
        """The account's CloudWatch Logs role (GetAccount cloudwatchRoleArn); API Gateway logs nothing without it."""

    def put_log_events(self, group: str, stream: str, events: list[tuple[int, str]]) -> None:
        """CloudWatch Logs PutLogEvents of (epoch ms, message) pairs; the group and stream are created if needed."""
