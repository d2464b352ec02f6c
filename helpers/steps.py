"""The walkthrough's console steps as small boto3 functions; they work the same against real AWS."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Iterable

import boto3

from .deployment_package import build_deployment_package

BASIC_EXECUTION_POLICY = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
LAMBDA_TRUST_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


def create_basic_execution_role(role_name: str) -> str:
    """Create (or reuse) a role Lambda can assume, with AWSLambdaBasicExecutionRole (iam.create_role, iam.attach_role_policy); returns its ARN."""
    iam = boto3.client("iam")
    try:
        arn = iam.create_role(
            RoleName=role_name,
            AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST_POLICY),
            Description="Lets Lambda write the function's logs to CloudWatch",
        )["Role"]["Arn"]
    except iam.exceptions.EntityAlreadyExistsException:
        arn = iam.get_role(RoleName=role_name)["Role"]["Arn"]
    iam.attach_role_policy(RoleName=role_name, PolicyArn=BASIC_EXECUTION_POLICY)
    return arn


def package_function(folder: str | Path, requirements: Iterable[str] = ()) -> bytes:
    """Zip a function's folder, plus installed libraries it needs, into a deployment package (no AWS call)."""
    return build_deployment_package(folder, requirements=requirements)


def wait_until_active(function_name: str) -> dict:
    """Wait until a function's State is Active (lambda.get_function, via the function_active_v2 waiter); returns its configuration."""
    client = boto3.client("lambda")
    client.get_waiter("function_active_v2").wait(FunctionName=function_name, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    return client.get_function_configuration(FunctionName=function_name)


def find_rest_api(name: str) -> str | None:
    """The id of the REST API called `name`, or None (apigateway.get_rest_apis)."""
    return next(iter(find_rest_apis(name)), None)


def find_rest_apis(name: str) -> list[str]:
    """The ids of every REST API called `name`: API Gateway accepts several with one name (apigateway.get_rest_apis)."""
    pages = boto3.client("apigateway").get_paginator("get_rest_apis").paginate()
    return [api["id"] for page in pages for api in page["items"] if api["name"] == name]


def invoke_url(rest_api_id: str, stage: str, path: str = "/") -> str:
    """The URL that serves `path` of a deployed stage: AWS's execute-api URL, or its sandbox equivalent (no AWS call)."""
    client = boto3.client("apigateway")
    endpoint, region = client.meta.endpoint_url.rstrip("/"), client.meta.region_name
    path = path if path.startswith("/") else "/" + path
    if endpoint.endswith(".amazonaws.com"):
        return f"https://{rest_api_id}.execute-api.{region}.amazonaws.com/{stage}{path}"
    # Local AWS emulators (this sandbox, LocalStack) serve stages under this path.
    return f"{endpoint}/restapis/{rest_api_id}/{stage}/_user_request_{path}"


def deploy_hello_world_api(
    folder: str | Path, *, name: str = "hello-world-api", stage: str = "dev", role_name: str = "hello-world-api-role"
) -> str:
    """Build chapters 02–03 end to end (iam, lambda.create_function/add_permission, apigateway.create_rest_api/create_resource/put_method/put_integration/create_deployment); returns the API id."""
    lam, apigw = boto3.client("lambda"), boto3.client("apigateway")
    lam.create_function(
        FunctionName=name, Runtime="python3.12", Handler="app.lambda_handler",
        Role=create_basic_execution_role(role_name), Code={"ZipFile": package_function(folder)},
    )
    wait_until_active(name)
    api_id = apigw.create_rest_api(name=name, endpointConfiguration={"types": ["REGIONAL"]})["id"]
    add_get_route(api_id, "hello", name)
    apigw.create_deployment(restApiId=api_id, stageName=stage, stageDescription="Development stage")
    return api_id


def add_get_route(rest_api_id: str, path_part: str, function_name: str) -> str:
    """Add GET /<path_part> with a Lambda proxy integration and its invoke permission, not deployed (apigateway.create_resource/put_method/put_integration, lambda.add_permission); returns the resource id."""
    lam, apigw = boto3.client("lambda"), boto3.client("apigateway")
    function_arn = lam.get_function_configuration(FunctionName=function_name)["FunctionArn"]
    region, account_id = apigw.meta.region_name, function_arn.split(":")[4]
    root_id = next(r["id"] for r in apigw.get_resources(restApiId=rest_api_id)["items"] if r["path"] == "/")
    resource_id = apigw.create_resource(restApiId=rest_api_id, parentId=root_id, pathPart=path_part)["id"]
    apigw.put_method(restApiId=rest_api_id, resourceId=resource_id, httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(
        restApiId=rest_api_id, resourceId=resource_id, httpMethod="GET", type="AWS_PROXY", integrationHttpMethod="POST",
        uri=f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{function_arn}/invocations",
    )
    lam.add_permission(
        FunctionName=function_name, StatementId=f"apigateway-get-{path_part}", Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:{region}:{account_id}:{rest_api_id}/*/GET/{path_part}",
    )
    return resource_id


def latest_log_lines(function_name: str, *, limit: int = 50, wait: float = 0.0) -> list[str]:
    """The newest log lines of a function's most recent log stream (logs.describe_log_streams, logs.get_log_events)."""
    logs = boto3.client("logs")
    group = f"/aws/lambda/{function_name}"
    deadline = time.monotonic() + wait
    while True:
        try:
            streams = logs.describe_log_streams(logGroupName=group, orderBy="LastEventTime", descending=True, limit=1)["logStreams"]
        except logs.exceptions.ResourceNotFoundException:
            streams = []
        if streams:
            events = logs.get_log_events(logGroupName=group, logStreamName=streams[0]["logStreamName"], limit=limit)["events"]
            return [event["message"].rstrip("\n") for event in events]
        if time.monotonic() >= deadline:
            return []
        time.sleep(0.1)


def clean_up(*, function_names: Iterable[str] = (), rest_api_names: Iterable[str] = (), role_names: Iterable[str] = ()) -> list[str]:
    """Delete what a chapter created: functions and their log groups, REST APIs, roles and their own policies (lambda, logs, apigateway, iam); returns what went."""
    removed: list[str] = []
    lam, logs, apigw, iam = (boto3.client(s) for s in ("lambda", "logs", "apigateway", "iam"))
    for name in function_names:
        try:
            lam.delete_function(FunctionName=name)
            removed.append(f"function {name}")
        except lam.exceptions.ResourceNotFoundException:
            pass
        try:
            logs.delete_log_group(logGroupName=f"/aws/lambda/{name}")
            removed.append(f"log group /aws/lambda/{name}")
        except logs.exceptions.ResourceNotFoundException:
            pass
    for name in rest_api_names:
        for api_id in find_rest_apis(name):
            apigw.delete_rest_api(restApiId=api_id)
            removed.append(f"REST API {name}")
    for name in role_names:
        try:
            for policy in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]:
                iam.detach_role_policy(RoleName=name, PolicyArn=policy["PolicyArn"])
                if not policy["PolicyArn"].startswith("arn:aws:iam::aws:"):  # the account's own, made for this role
                    iam.delete_policy(PolicyArn=policy["PolicyArn"])
                    removed.append(f"policy {policy['PolicyName']}")
            for policy_name in iam.list_role_policies(RoleName=name)["PolicyNames"]:
                iam.delete_role_policy(RoleName=name, PolicyName=policy_name)
            iam.delete_role(RoleName=name)
            removed.append(f"role {name}")
        except iam.exceptions.NoSuchEntityException:
            pass
    return removed
