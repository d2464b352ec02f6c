"""CloudFormation on the sandbox as on AWS: SAM templates transformed, REST APIs built from their Body, stages.

moto's CloudFormation has no transforms, builds an AWS::ApiGateway::RestApi
from its Name only, knows no AWS::ApiGateway::Stage, ignores a role's
ManagedPolicyArns and fails to update a function's inline code; a SAM template
needs all of these. The transform is AWS's own (the `aws-sam-translator`
library that `sam` and CloudFormation's AWS::Serverless transform run). Every
moto name used here is checked by tests/sandbox/test_sandbox_cloudformation.py.
"""

from __future__ import annotations

import base64
import copy
import functools
import importlib
import json
from typing import Any

SAM_TRANSFORM = "AWS::Serverless-2016-10-31"


@functools.cache  # patches moto once per process; sandboxes start one at a time
def install() -> None:
    """Teach moto's CloudFormation the SAM transform, RestApi Body and AWS::ApiGateway::Stage (once per process)."""
    from moto.apigateway.models import RestAPI
    from moto.awslambda.models import LambdaFunction
    from moto.cloudformation import parsing
    from moto.cloudformation.models import Stack
    from moto.cloudformation.responses import CloudFormationResponse
    from moto.iam.models import Role

    original_parse = Stack._parse_template

    def _parse_template(self: Any) -> None:
        original_parse(self)
        if _declares_sam(self.template_dict):
            self.template_dict = transform_sam(self.template_dict, self.stack_id, self.name,
                                               getattr(self, "parameters", None) or {})

    Stack._parse_template = _parse_template
    CloudFormationResponse.create_stack = _capabilities_checked(CloudFormationResponse.create_stack)
    CloudFormationResponse.update_stack = _capabilities_checked(CloudFormationResponse.update_stack)
    RestAPI.create_from_cloudformation_json = classmethod(_rest_api_from_cloudformation)
    RestAPI.delete = _delete_rest_api
    Role.create_from_cloudformation_json = classmethod(
        _with_managed_policies(Role.create_from_cloudformation_json.__func__))
    Role.delete_from_cloudformation_json = classmethod(
        _managed_policies_detached(Role.delete_from_cloudformation_json.__func__))
    LambdaFunction.update_from_cloudformation_json = classmethod(
        _inline_code_zipped(LambdaFunction.update_from_cloudformation_json.__func__))
    # The model map is built once from CloudFormationModel's subclasses; ApiStage is one now.
    _ = ApiStage
    parsing.get_model_list.cache_clear()
    parsing.get_model_map.cache_clear()
    parsing.get_name_type_map.cache_clear()


# IAM resources whose name the template sets need CAPABILITY_NAMED_IAM, not just CAPABILITY_IAM.
_IAM_NAMES = {"AWS::IAM::Role": "RoleName", "AWS::IAM::User": "UserName", "AWS::IAM::Group": "GroupName",
              "AWS::IAM::ManagedPolicy": "ManagedPolicyName", "AWS::IAM::InstanceProfile": "InstanceProfileName"}


def _capabilities_checked(action: Any) -> Any:
    # CloudFormation refuses, before it creates anything, a template whose transforms or IAM
    # resources the caller has not acknowledged; moto never looks at Capabilities.
    @functools.wraps(action)
    def checked(response: Any) -> Any:
        from moto.cloudformation.models import Stack

        body = response._get_param("TemplateBody")
        if body:
            stack_id = f"arn:aws:cloudformation:{response.region}:{response.current_account}:stack/check/0"
            missing = missing_capability(Stack.parse_template(body), set(response._get_param("Capabilities", [])), stack_id)
            if missing:
                raise InsufficientCapabilities(missing)
        return action(response)

    return checked


def missing_capability(template: dict[str, Any], granted: set[str], stack_id: str) -> str | None:
    """The first capability CloudFormation would ask for before creating this template, or None."""
    if _declares_sam(template):
        if "CAPABILITY_AUTO_EXPAND" not in granted:
            return "CAPABILITY_AUTO_EXPAND"
        template = transform_sam(template, stack_id, "check", {})
    resources = [r for r in (template.get("Resources") or {}).values() if isinstance(r, dict)]
    iam = [r for r in resources if str(r.get("Type", "")).startswith("AWS::IAM::")]
    if any(_IAM_NAMES.get(r["Type"]) in (r.get("Properties") or {}) for r in iam):
        return None if "CAPABILITY_NAMED_IAM" in granted else "CAPABILITY_NAMED_IAM"
    if iam and not granted & {"CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"}:
        return "CAPABILITY_IAM"
    return None


def _declares_sam(template: Any) -> bool:
    declared = template.get("Transform") if isinstance(template, dict) else None
    return declared == SAM_TRANSFORM or (isinstance(declared, list) and SAM_TRANSFORM in declared)


def transform_sam(template: dict[str, Any], stack_id: str, stack_name: str, parameters: dict[str, Any]) -> dict[str, Any]:
    """The template after AWS::Serverless-2016-10-31, as CloudFormation runs it (samtranslator)."""
    from samtranslator.internal.managed_policies import get_bundled_managed_policy_map
    from samtranslator.metrics.metrics import DummyMetricsPublisher, Metrics
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    _, partition, _, region, account_id, *_ = stack_id.split(":")
    values = {**parameters, "AWS::Region": region, "AWS::AccountId": account_id, "AWS::Partition": partition,
              "AWS::StackName": stack_name, "AWS::StackId": stack_id}
    # The translator counts what it sees; without a publish() it warns when collected.
    metrics = Metrics("ServerlessTransform", DummyMetricsPublisher())
    try:
        return Translator(None, Parser(), metrics=metrics).translate(
            copy.deepcopy(template), parameter_values=values,
            get_managed_policy_map=lambda: get_bundled_managed_policy_map(partition) or {},
        )
    finally:
        metrics.publish()


def _rest_api_from_cloudformation(cls: Any, resource_name: str, cloudformation_json: dict[str, Any],
                                  account_id: str, region_name: str, **kwargs: Any) -> Any:
    from moto.apigateway.models import apigateway_backends

    properties = cloudformation_json["Properties"]
    body = properties.get("Body") or {}
    backend = apigateway_backends[account_id][region_name]
    api = backend.create_rest_api(
        name=properties.get("Name") or body.get("info", {}).get("title") or resource_name,
        description=properties.get("Description", ""),
        endpoint_configuration=properties.get("EndpointConfiguration"),
    )
    if body.get("paths"):
        # moto imports OpenAPI 3 only; the paths and x-amazon-apigateway-integration
        # parts it reads are the same in the Swagger 2.0 that SAM writes.
        paths = {path: {method: _with_upper_case_type(operation) for method, operation in item.items()}
                 for path, item in body["paths"].items()}
        backend.put_rest_api(api.id, {**body, "paths": paths, "swagger": None, "openapi": "3.0.1"}, fail_on_warnings=False)
    return api


def _with_upper_case_type(operation: dict[str, Any]) -> dict[str, Any]:
    # API Gateway reads an integration's type in any case ("aws_proxy" in SAM's Swagger) and stores it upper case.
    integration = operation.get("x-amazon-apigateway-integration")
    if not integration or "type" not in integration:
        return operation
    return {**operation, "x-amazon-apigateway-integration": {**integration, "type": integration["type"].upper()}}


def _with_managed_policies(create: Any) -> Any:
    # moto ignores an AWS::IAM::Role's ManagedPolicyArns (SAM puts AWSLambdaBasicExecutionRole there),
    # and keeps an inline policy given as a mapping as its Python repr (GetRolePolicy then returns that).
    def create_from_cloudformation_json(cls: Any, resource_name: str, cloudformation_json: dict[str, Any],
                                        account_id: str, region_name: str, **kwargs: Any) -> Any:
        from moto.iam.models import iam_backends
        from moto.utilities.utils import get_partition

        cloudformation_json = copy.deepcopy(cloudformation_json)
        for policy in cloudformation_json["Properties"].get("Policies", []):
            if not isinstance(policy["PolicyDocument"], str):
                policy["PolicyDocument"] = json.dumps(policy["PolicyDocument"])
        role = create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        backend = iam_backends[account_id][get_partition(region_name)]
        for policy_arn in cloudformation_json["Properties"].get("ManagedPolicyArns", []):
            backend.attach_role_policy(policy_arn, role.name)
        return role

    return create_from_cloudformation_json


def _managed_policies_detached(delete: Any) -> Any:
    # IAM refuses to delete a role with attached policies; CloudFormation detaches them first.
    def delete_from_cloudformation_json(cls: Any, resource_name: str, cloudformation_json: dict[str, Any],
                                        account_id: str, region_name: str) -> None:
        from moto.iam.models import iam_backends
        from moto.utilities.utils import get_partition

        backend = iam_backends[account_id][get_partition(region_name)]
        for role in list(backend.roles.values()):
            if role.name == resource_name:
                for policy_arn in list(role.managed_policies):
                    backend.detach_role_policy(policy_arn, resource_name)
        delete(cls, resource_name, cloudformation_json, account_id, region_name)

    return delete_from_cloudformation_json


def _inline_code_zipped(update: Any) -> Any:
    # An update with inline code (Code.ZipFile, SAM's InlineCode) gave moto the source text where it
    # expects a base64 zip, and the update failed; moto's create path zips it first, so do that here too.
    def update_from_cloudformation_json(cls: Any, original_resource: Any, new_resource_name: str,
                                        cloudformation_json: dict[str, Any], account_id: str, region_name: str) -> Any:
        code = cloudformation_json["Properties"].get("Code", {})
        if isinstance(code.get("ZipFile"), str):
            zipped = base64.b64encode(cls._create_zipfile_from_plaintext_code(code["ZipFile"]))
            cloudformation_json = copy.deepcopy(cloudformation_json)
            cloudformation_json["Properties"]["Code"]["ZipFile"] = zipped
        return update(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name)

    return update_from_cloudformation_json


def _delete_rest_api(self: Any, account_id: str, region_name: str) -> None:
    from moto.apigateway.models import apigateway_backends

    apigateway_backends[account_id][region_name].apis.pop(self.id, None)


def _moto_class(module: str, name: str) -> type:
    # Subclasses of moto's classes are defined when this module is imported, on a sandbox's first start.
    return getattr(importlib.import_module(module), name)


class InsufficientCapabilities(_moto_class("moto.cloudformation.exceptions", "CloudFormationError")):  # type: ignore[misc]
    """InsufficientCapabilitiesException: the template needs a capability the call did not acknowledge."""

    code = "InsufficientCapabilitiesException"

    def __init__(self, capability: str) -> None:
        super().__init__(f"Requires capabilities : [{capability}]")


class ApiStage(_moto_class("moto.core.common_models", "CloudFormationModel")):  # type: ignore[misc]
    """AWS::ApiGateway::Stage: a named stage pointing at a deployment."""

    def __init__(self, api_id: str, stage_name: str) -> None:
        self.api_id = api_id
        self.stage_name = stage_name

    @staticmethod
    def cloudformation_name_type() -> str:
        return "StageName"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ApiGateway::Stage"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return False

    @property
    def physical_resource_id(self) -> str:
        return self.stage_name

    @classmethod
    def create_from_cloudformation_json(cls, resource_name: str, cloudformation_json: dict[str, Any],  # type: ignore[override]
                                        account_id: str, region_name: str, **kwargs: Any) -> "ApiStage":
        from moto.apigateway.models import apigateway_backends

        p = cloudformation_json["Properties"]
        apigateway_backends[account_id][region_name].create_stage(
            p["RestApiId"], p["StageName"], _deployment_id(p["DeploymentId"]), variables=p.get("Variables"),
            description=p.get("Description", ""), tags=p.get("Tags") and {t["Key"]: t["Value"] for t in p["Tags"]},
        )
        return cls(p["RestApiId"], p["StageName"])

    @classmethod
    def update_from_cloudformation_json(cls, original_resource: Any, new_resource_name: str,  # type: ignore[override]
                                        cloudformation_json: dict[str, Any], account_id: str, region_name: str) -> "ApiStage":
        from moto.apigateway.models import apigateway_backends

        p = cloudformation_json["Properties"]
        stage = apigateway_backends[account_id][region_name].get_stage(p["RestApiId"], p["StageName"])
        stage.deployment_id = _deployment_id(p["DeploymentId"])
        return original_resource

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name: str, cloudformation_json: dict[str, Any],  # type: ignore[override]
                                        account_id: str, region_name: str) -> None:
        pass  # deleting the RestApi deletes its stages

    def delete(self, account_id: str, region_name: str) -> None:
        from moto.apigateway.models import apigateway_backends

        api = apigateway_backends[account_id][region_name].apis.get(self.api_id)
        if api is not None:
            api.stages.pop(self.stage_name, None)


def _deployment_id(ref: Any) -> str:
    # moto resolves a Ref to an AWS::ApiGateway::Deployment to the deployment itself, not its id.
    return ref if isinstance(ref, str) else ref.id
