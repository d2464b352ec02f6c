"""The API key step: a method with apiKeyRequired needs an enabled key in a usage plan for this stage."""

from __future__ import annotations

from typing import Any

from .backend import GatewayBackend
from .context import InvocationContext
from .errors import Forbidden


class ApiKeyCheck:
    """Find the request's API key and the usage plan that admits it to this API stage."""

    def __init__(self, backend: GatewayBackend):
        self._backend = backend

    def __call__(self, ctx: InvocationContext) -> None:
        if not ctx.route.method.get("apiKeyRequired"):
            return
        if ctx.deployment.api_key_source == "AUTHORIZER":
            value = ctx.usage_identifier_key
        else:
            value = ctx.request.header("x-api-key")
        key = self._backend.get_api_key_by_value(value) if value else None
        if key is None or not key.get("enabled"):
            raise Forbidden("API key missing, unknown or disabled")
        plan = self._plan_for_stage(key["id"], ctx.request.api_id, ctx.request.stage)
        if plan is None:
            raise Forbidden("API key is not in a usage plan for this stage")
        ctx.api_key = key
        ctx.usage_plan = plan

    def _plan_for_stage(self, key_id: str, api_id: str, stage: str) -> dict[str, Any] | None:
        for plan in self._backend.get_usage_plans_for_key(key_id):
            for api_stage in plan.get("apiStages") or []:
                if api_stage.get("apiId") == api_id and api_stage.get("stage") == stage:
                    return plan
        return None
