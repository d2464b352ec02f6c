"""CloudFormation on the sandbox: a SAM template becomes a working API; updates and deletes reach every resource."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys

import boto3
import pytest
import requests

from helpers.steps import invoke_url
from tests.support import ROOT

SAM_API = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      InlineCode: |
        def lambda_handler(event, context):
            return {"statusCode": 200, "body": "%s"}
      Handler: index.lambda_handler
      Runtime: python3.12
      Events:
        Get:
          Type: Api
          Properties:
            Path: /items/{id}
            Method: get
Outputs:
  Api:
    Value: !Ref ServerlessRestApi
"""
CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]


def _api_id(cf, stack):
    return cf.describe_stacks(StackName=stack)["Stacks"][0]["Outputs"][0]["OutputValue"]


def test_a_sam_template_becomes_a_working_api(sandbox):
    cf = boto3.client("cloudformation")
    cf.create_stack(StackName="s", TemplateBody=SAM_API % "one", Capabilities=CAPABILITIES)
    assert cf.describe_stacks(StackName="s")["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    types = sorted(r["ResourceType"] for r in cf.list_stack_resources(StackName="s")["StackResourceSummaries"])
    assert types == ["AWS::ApiGateway::Deployment", "AWS::ApiGateway::RestApi", "AWS::ApiGateway::Stage",
                     "AWS::IAM::Role", "AWS::Lambda::Function", "AWS::Lambda::Permission"]
    api_id = _api_id(cf, "s")
    # SAM's Swagger 2.0 deployment also makes the stage named "Stage", as on AWS.
    stages = {s["stageName"] for s in boto3.client("apigateway").get_stages(restApiId=api_id)["item"]}
    assert stages == {"Prod", "Stage"}
    answer = requests.get(invoke_url(api_id, "Prod", "/items/42"), timeout=10)
    assert (answer.status_code, answer.text) == (200, "one")
    # SAM's role gets the basic execution policy through ManagedPolicyArns.
    role = boto3.client("iam").list_roles()["Roles"][0]["RoleName"]
    attached = boto3.client("iam").list_attached_role_policies(RoleName=role)["AttachedPolicies"]
    assert [p["PolicyName"] for p in attached] == ["AWSLambdaBasicExecutionRole"]
    # An inline policy written as a mapping reads back as a document, as from AWS.
    cf.create_stack(StackName="p", Capabilities=CAPABILITIES, TemplateBody=SAM_API.replace(
        "      Events:", "      Policies:\n        - Statement:\n            - {Effect: Allow, Action: sqs:SendMessage, Resource: '*'}\n      Events:", 1))
    role = next(r["RoleName"] for r in boto3.client("iam").list_roles()["Roles"] if r["RoleName"].startswith("p-"))
    document = boto3.client("iam").get_role_policy(RoleName=role, PolicyName="FnRolePolicy0")["PolicyDocument"]
    assert document == {"Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}]}
    # The original template is what GetTemplate returns, as on AWS (TemplateStage Original).
    assert "AWS::Serverless::Function" in cf.get_template(StackName="s")["TemplateBody"]


def test_an_update_of_inline_code_reaches_the_function(sandbox):
    cf = boto3.client("cloudformation")
    cf.create_stack(StackName="s", TemplateBody=SAM_API % "one", Capabilities=CAPABILITIES)
    cf.update_stack(StackName="s", TemplateBody=(SAM_API % "two").replace("Runtime: python3.12", "Runtime: python3.12\n      MemorySize: 256"),
                    Capabilities=CAPABILITIES)
    assert cf.describe_stacks(StackName="s")["Stacks"][0]["StackStatus"] == "UPDATE_COMPLETE"
    function = boto3.client("lambda").list_functions()["Functions"][0]
    assert function["MemorySize"] == 256
    answer = requests.get(invoke_url(_api_id(cf, "s"), "Prod", "/items/1"), timeout=10)
    assert answer.text == "two"


def test_deleting_the_stack_removes_api_function_and_role(sandbox):
    cf = boto3.client("cloudformation")
    cf.create_stack(StackName="s", TemplateBody=SAM_API % "one", Capabilities=CAPABILITIES)
    cf.delete_stack(StackName="s")
    assert boto3.client("apigateway").get_rest_apis()["items"] == []
    assert boto3.client("lambda").list_functions()["Functions"] == []
    assert boto3.client("iam").list_roles()["Roles"] == []


def test_a_plain_rest_api_still_needs_its_name(sandbox):
    cf = boto3.client("cloudformation")
    template = '{"Resources": {"Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Name": "plain"}}}}'
    cf.create_stack(StackName="p", TemplateBody=template)
    assert [a["name"] for a in boto3.client("apigateway").get_rest_apis()["items"]] == ["plain"]


# The moto seams helpers/sandbox/cloudformation.py joins.

def test_stack_template_parsing_seam():
    from moto.cloudformation.models import Stack

    assert "self._parse_template()" in inspect.getsource(Stack.__init__)
    assert "self._parse_template()" in inspect.getsource(Stack.update)
    assert "self.template_dict = " in inspect.getsource(Stack._parse_template)


def test_model_map_seam():
    # The sandbox's AWS::ApiGateway::Stage model reaches moto's cached model map once the caches are cleared.
    from moto.cloudformation import parsing

    from helpers.sandbox import cloudformation

    cloudformation.install()
    assert parsing.get_model_map()["AWS::ApiGateway::Stage"] is cloudformation.ApiStage
    assert parsing.get_name_type_map()["AWS::ApiGateway::Stage"] == "StageName"


@pytest.mark.parametrize("name", ["create_rest_api", "put_rest_api", "create_stage", "get_stage"])
def test_apigateway_backend_seam(name):
    from moto.apigateway.models import APIGatewayBackend

    assert callable(getattr(APIGatewayBackend, name))


def test_lambda_cloudformation_update_seam():
    from moto.awslambda.models import LambdaFunction

    params = list(inspect.signature(LambdaFunction.update_from_cloudformation_json).parameters)
    assert params == ["original_resource", "new_resource_name", "cloudformation_json", "account_id", "region_name"]
    assert callable(LambdaFunction._create_zipfile_from_plaintext_code)


def test_iam_role_cloudformation_seam():
    from moto.iam.models import IAMBackend, Role

    for name in ("create_from_cloudformation_json", "delete_from_cloudformation_json"):
        assert list(inspect.signature(getattr(Role, name)).parameters)[:4] == [
            "resource_name", "cloudformation_json", "account_id", "region_name"]
    assert "self.managed_policies" in inspect.getsource(Role.__init__)
    assert list(inspect.signature(IAMBackend.attach_role_policy).parameters) == ["self", "policy_arn", "role_name"]
    assert list(inspect.signature(IAMBackend.detach_role_policy).parameters) == ["self", "policy_arn", "role_name"]


@pytest.mark.parametrize(("capabilities", "missing"), [
    ([], "CAPABILITY_AUTO_EXPAND"),
    (["CAPABILITY_IAM"], "CAPABILITY_AUTO_EXPAND"),
    (["CAPABILITY_AUTO_EXPAND"], "CAPABILITY_IAM"),
])
def test_a_sam_template_needs_its_capabilities_acknowledged(sandbox, capabilities, missing):
    cf = boto3.client("cloudformation")
    with pytest.raises(cf.exceptions.InsufficientCapabilitiesException, match=rf"^.*: Requires capabilities : \[{missing}\]$"):
        cf.create_stack(StackName="s", TemplateBody=SAM_API % "one", Capabilities=capabilities)
    assert cf.list_stacks()["StackSummaries"] == []  # refused before anything was made


def test_a_named_role_needs_capability_named_iam(sandbox):
    cf = boto3.client("cloudformation")
    template = SAM_API.replace("      Handler:", "      Role: !GetAtt R.Arn\n      Handler:").replace("Resources:", """Resources:
  R:
    Type: AWS::IAM::Role
    Properties:
      RoleName: named
      AssumeRolePolicyDocument: {Version: "2012-10-17", Statement: []}""")
    with pytest.raises(cf.exceptions.InsufficientCapabilitiesException, match=r"\[CAPABILITY_NAMED_IAM\]"):
        cf.create_stack(StackName="s", TemplateBody=template % "one", Capabilities=CAPABILITIES)
    cf.create_stack(StackName="s", TemplateBody=template % "one", Capabilities=["CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"])
    with pytest.raises(cf.exceptions.InsufficientCapabilitiesException, match=r"\[CAPABILITY_NAMED_IAM\]"):
        cf.update_stack(StackName="s", TemplateBody=template % "two", Capabilities=CAPABILITIES)


def test_cloudformation_request_seam():
    from moto.cloudformation.exceptions import CloudFormationError
    from moto.cloudformation.responses import CloudFormationResponse

    for action in ("create_stack", "update_stack"):
        source = inspect.getsource(getattr(CloudFormationResponse, action))
        assert 'self._get_param("TemplateBody")' in source, action
    assert issubclass(CloudFormationError, Exception)


def test_moto_cloudformation_is_imported_on_the_first_stack_request_not_at_start():
    # moto's CloudFormation imports EC2 and Auto Scaling: most of a second a learner would wait at every start.
    code = (
        "import json, sys, boto3\n"
        "from helpers import sandbox\n"
        "box = sandbox.start()\n"
        "at_start = 'moto.cloudformation.models' in sys.modules\n"
        "boto3.client('cloudformation').list_stacks()\n"
        "from moto.cloudformation.responses import CloudFormationResponse\n"
        "print(json.dumps([at_start, hasattr(CloudFormationResponse.create_stack, '__wrapped__')]))\n"
        "box.stop()\n"
    )
    root = str(ROOT)
    done = subprocess.run([sys.executable, "-c", f"import sys; sys.path.insert(0, {root!r})\n{code}"],
                          capture_output=True, text=True, check=True, timeout=120)
    assert json.loads(done.stdout.splitlines()[-1]) == [False, True]  # then taught the capability check
