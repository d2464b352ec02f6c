"""API Gateway: what the gateway reads, in the shapes boto3 returns, and where moto differs from API Gateway."""

from __future__ import annotations

import threading
from typing import Any

# The patches below are installed once per process.
_hook_lock = threading.Lock()


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


def child_path_parts(account_id: str, region: str, api_id: str, parent_id: str) -> list[str] | None:
    """The path parts of a resource's children, or None if the API or the resource is unknown."""
    api = apigateway_backend(account_id, region).apis.get(api_id)
    if api is None or parent_id not in api.resources:
        return None
    return [r.path_part for r in list(api.resources.values()) if r.parent_id == parent_id]


def path_part(account_id: str, region: str, api_id: str, resource_id: str) -> str | None:
    """A resource's own path part (moto gives the root "/"), or None if unknown."""
    api = apigateway_backend(account_id, region).apis.get(api_id)
    resource = None if api is None else api.resources.get(resource_id)
    return None if resource is None else (resource.path_part or "")


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
