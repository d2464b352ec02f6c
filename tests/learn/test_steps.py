"""The tutorial steps against the sandbox, with plain boto3 underneath."""

from __future__ import annotations

import json

import boto3

from helpers import steps
from tests.support import HELLO_WORLD


def create_hello_world() -> str:
    role = steps.create_basic_execution_role("hello-world-api-role")
    boto3.client("lambda").create_function(
        FunctionName="hello-world-api", Runtime="python3.12", Role=role, Handler="app.lambda_handler",
        Code={"ZipFile": steps.package_function(HELLO_WORLD)},
    )
    return role


def test_the_role_is_created_once_with_basic_execution(sandbox):
    first = steps.create_basic_execution_role("hello-world-api-role")
    assert steps.create_basic_execution_role("hello-world-api-role") == first
    attached = boto3.client("iam").list_attached_role_policies(RoleName="hello-world-api-role")["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [steps.BASIC_EXECUTION_POLICY]


def test_create_wait_invoke_and_read_the_logs(sandbox):
    create_hello_world()
    assert steps.wait_until_active("hello-world-api")["State"] == "Active"
    boto3.client("lambda").invoke(FunctionName="hello-world-api")
    lines = steps.latest_log_lines("hello-world-api")
    assert lines[0].startswith("INIT_START") and lines[-1].startswith("REPORT")


def test_no_logs_yet_is_an_empty_list(sandbox):
    assert steps.latest_log_lines("never-invoked") == []


def test_invoke_url_for_the_sandbox_and_for_aws(sandbox, monkeypatch):
    assert steps.invoke_url("a1b2c3", "dev", "/hello") == sandbox.invoke_url("a1b2c3", "dev", "/hello")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "https://apigateway.eu-west-1.amazonaws.com")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    assert steps.invoke_url("a1b2c3", "dev", "hello") == "https://a1b2c3.execute-api.eu-west-1.amazonaws.com/dev/hello"


def test_find_rest_api(sandbox):
    api_id = boto3.client("apigateway").create_rest_api(name="hello-world-api")["id"]
    assert steps.find_rest_api("hello-world-api") == api_id
    assert steps.find_rest_api("other") is None


def test_clean_up_removes_every_api_of_a_name_and_the_roles_own_policies(sandbox):
    apigateway, iam = boto3.client("apigateway"), boto3.client("iam")
    for _ in range(2):  # API Gateway accepts a second API with the same name
        apigateway.create_rest_api(name="twice")
    assert len(steps.find_rest_apis("twice")) == 2
    iam.create_role(RoleName="fn-role-a1b2c3d4", Path="/service-role/", AssumeRolePolicyDocument=json.dumps(steps.LAMBDA_TRUST_POLICY))
    own = iam.create_policy(PolicyName="AWSLambdaBasicExecutionRole-1", Path="/service-role/", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": "*"}]}))["Policy"]["Arn"]
    iam.attach_role_policy(RoleName="fn-role-a1b2c3d4", PolicyArn=own)
    iam.attach_role_policy(RoleName="fn-role-a1b2c3d4", PolicyArn=steps.BASIC_EXECUTION_POLICY)
    removed = steps.clean_up(rest_api_names=["twice"], role_names=["fn-role-a1b2c3d4"])
    assert removed == ["REST API twice", "REST API twice", "policy AWSLambdaBasicExecutionRole-1", "role fn-role-a1b2c3d4"]
    assert steps.find_rest_apis("twice") == []
    assert [p["Arn"] for p in iam.list_policies(Scope="Local")["Policies"]] == []
    assert iam.get_policy(PolicyArn=steps.BASIC_EXECUTION_POLICY)["Policy"]["PolicyName"] == "AWSLambdaBasicExecutionRole"


def test_clean_up_removes_everything_and_is_repeatable(sandbox):
    create_hello_world()
    boto3.client("lambda").invoke(FunctionName="hello-world-api")
    boto3.client("apigateway").create_rest_api(name="hello-world-api")
    removed = steps.clean_up(function_names=["hello-world-api"], rest_api_names=["hello-world-api"], role_names=["hello-world-api-role"])
    assert removed == [
        "function hello-world-api", "log group /aws/lambda/hello-world-api", "REST API hello-world-api", "role hello-world-api-role",
    ]
    assert steps.clean_up(function_names=["hello-world-api"], rest_api_names=["hello-world-api"], role_names=["hello-world-api-role"]) == []
    assert boto3.client("lambda").list_functions()["Functions"] == []


def test_deploy_hello_world_api_serves_hello(sandbox):
    import requests

    api_id = steps.deploy_hello_world_api(HELLO_WORLD)
    answer = requests.get(steps.invoke_url(api_id, "dev", "/hello"), timeout=10)
    assert (answer.status_code, answer.text) == (200, '"Hello, World! from Lambda!"')
