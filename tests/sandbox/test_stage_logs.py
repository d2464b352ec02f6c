"""A stage's execution and access logs on the sandbox, read back with plain boto3 as on AWS."""

from __future__ import annotations

import json

import requests

from tests.support import walkthrough

JSON_FORMAT = ('{ "requestId":"$context.requestId", "ip": "$context.identity.sourceIp", '
               '"caller":"$context.identity.caller", "requestTime":"$context.requestTime", '
               '"httpMethod":"$context.httpMethod", "resourcePath":"$context.resourcePath", '
               '"status":"$context.status", "protocol":"$context.protocol", '
               '"responseLength":"$context.responseLength" }')
APIGATEWAY_TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "apigateway.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
CLF = ('$context.identity.sourceIp $context.identity.caller $context.identity.user [$context.requestTime] '
       '"$context.httpMethod $context.resourcePath $context.protocol" $context.status $context.responseLength '
       '$context.requestId $context.extendedRequestId')


def set_account_role(sandbox) -> None:
    """The console's one-time step: a role API Gateway may write CloudWatch Logs with, in the account settings."""
    iam = sandbox.client("iam")
    role = iam.create_role(RoleName="apigateway-cloudwatch", AssumeRolePolicyDocument=APIGATEWAY_TRUST)["Role"]["Arn"]
    sandbox.client("apigateway").update_account(
        patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn", "value": role}])


def messages(sandbox, group: str) -> list[str]:
    events = sandbox.client("logs").filter_log_events(logGroupName=group)["events"]
    return [event["message"] for event in sorted(events, key=lambda e: e["timestamp"])]


def test_execution_logging_writes_the_stage_log_group(sandbox):
    api = walkthrough(sandbox)
    set_account_role(sandbox)
    api.client.update_stage(restApiId=api.id, stageName="dev", patchOperations=[
        {"op": "replace", "path": "/*/*/logging/loglevel", "value": "INFO"},
        {"op": "replace", "path": "/*/*/logging/dataTrace", "value": "true"},
    ])
    response = requests.get(api.url("/hello"), timeout=30)
    request_id = response.headers["x-amzn-RequestId"]
    group = f"API-Gateway-Execution-Logs_{api.id}/dev"
    lines = messages(sandbox, group)
    assert lines and all(line.startswith(f"({request_id}) ") for line in lines)
    texts = [line.split(") ", 1)[1] for line in lines]
    assert texts[0] == f"Extended Request Id: {response.headers['x-amz-apigw-id']}"
    assert "HTTP Method: GET, Resource Path: /hello" in texts
    assert 'Method response body after transformations: "Hello, World! from Lambda!"' in texts
    assert texts[-1] == "Method completed with status: 200"
    assert sandbox.client("logs").describe_log_groups(logGroupNamePrefix="API-Gateway-Execution-Logs_")[
        "logGroups"][0]["logGroupName"] == group


def test_access_logs_in_json_and_clf(sandbox):
    api = walkthrough(sandbox)
    set_account_role(sandbox)
    logs = sandbox.client("logs")
    for group in ("hello-access-json", "hello-access-clf"):
        logs.create_log_group(logGroupName=group)
    api.deploy("prod")
    arn = f"arn:aws:logs:{sandbox.region}:{sandbox.account_id}:log-group:"
    for stage, group, form in (("dev", "hello-access-json", JSON_FORMAT), ("prod", "hello-access-clf", CLF)):
        api.client.update_stage(restApiId=api.id, stageName=stage, patchOperations=[
            {"op": "replace", "path": "/accessLogSettings/destinationArn", "value": arn + group},
            {"op": "replace", "path": "/accessLogSettings/format", "value": form},
        ])
    dev = requests.get(api.url("/hello"), timeout=30)
    prod = requests.get(api.url("/hello", stage="prod"), timeout=30)
    (line,) = messages(sandbox, "hello-access-json")
    entry = json.loads(line)
    assert entry["requestId"] == dev.headers["x-amzn-RequestId"]
    assert (entry["ip"], entry["caller"], entry["httpMethod"], entry["resourcePath"]) == ("127.0.0.1", "-", "GET",
                                                                                          "/hello")
    assert (entry["status"], entry["protocol"], entry["responseLength"]) == ("200", "HTTP/1.1", str(len(dev.content)))
    (clf,) = messages(sandbox, "hello-access-clf")
    assert clf.startswith("127.0.0.1 - - [")
    assert clf.endswith(f'] "GET /hello HTTP/1.1" 200 {len(prod.content)} '
                        f'{prod.headers["x-amzn-RequestId"]} {prod.headers["x-amz-apigw-id"]}')
