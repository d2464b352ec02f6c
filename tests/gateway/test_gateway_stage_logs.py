"""aws-behaviour.md §5: a stage's execution log and access log, written through the backend's CloudWatch Logs."""

import json
import re

import pytest

from tests.support import REGION, ACCOUNT, send

ROLE = f"arn:aws:iam::{ACCOUNT}:role/apigateway-cloudwatch"
EXECUTION_GROUP = "API-Gateway-Execution-Logs_abc123/dev"
ACCESS_GROUP = "hello-access"
ACCESS_ARN = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{ACCESS_GROUP}"
# The console's presets (API Gateway developer guide, "Access logging for REST APIs").
CLF = ('$context.identity.sourceIp $context.identity.caller $context.identity.user [$context.requestTime] '
       '"$context.httpMethod $context.resourcePath $context.protocol" $context.status $context.responseLength '
       '$context.requestId $context.extendedRequestId')
JSON_FORMAT = ('{ "requestId":"$context.requestId", "extendedRequestId":"$context.extendedRequestId", '
               '"ip": "$context.identity.sourceIp", "caller":"$context.identity.caller", '
               '"user":"$context.identity.user", "requestTime":"$context.requestTime", '
               '"httpMethod":"$context.httpMethod", "resourcePath":"$context.resourcePath", '
               '"status":"$context.status", "protocol":"$context.protocol", '
               '"responseLength":"$context.responseLength", "integrationStatus":"$context.integrationStatus", '
               '"integrationLatency":"$context.integrationLatency", "errorMessage":"$context.error.message", '
               '"responseType":"$context.error.responseType", "principalId":"$context.authorizer.principalId" }')


def logging(level, data_trace=False, **stage):
    return {"methodSettings": {"*/*": {"loggingLevel": level, "dataTraceEnabled": data_trace}}, **stage}


def execution_lines(backend, reply):
    """The execution-log messages of one request, each checked for its `(<request id>) ` prefix."""
    request_id = reply.header("x-amzn-RequestId")
    messages = [m for m in backend.log_messages(EXECUTION_GROUP) if m.startswith(f"({request_id}) ")]
    return [m.split(") ", 1)[1] for m in messages]


def test_info_logs_every_request_without_its_data(api, app, backend):
    backend.logging_role = ROLE
    api.lambda_method("/hello", "GET")
    api.deploy(**logging("INFO"))
    reply = send(app, "GET", "/hello", query="name=Ada")
    lines = execution_lines(backend, reply)
    request_id = reply.header("x-amzn-RequestId")
    assert lines[:5] == [
        f"Extended Request Id: {reply.header('x-amz-apigw-id')}",
        f"Verifying Usage Plan for request: {request_id}. API Key:  API Stage: abc123/dev",
        "API Key authorized because method 'GET /hello' does not require API Key. "
        "Request will not contribute to throttle or quota limits",
        "Usage Plan check succeeded for API Key  and API Stage abc123/dev",
        f"Starting execution for request: {request_id}",
    ]
    assert "HTTP Method: GET, Resource Path: /hello" in lines
    assert lines[-2:] == ["Successfully completed execution", "Method completed with status: 200"]
    assert not [line for line in lines if "body" in line or "headers:" in line or "query string" in line]
    # One stream, named like AWS's: 32 hex digits.
    (stream,) = [s for g, s in backend.log_events if g == EXECUTION_GROUP]
    assert re.fullmatch(r"[0-9a-f]{32}", stream)


def test_data_trace_adds_the_request_and_response(api, app, backend):
    backend.logging_role = ROLE
    api.lambda_method("/hello", "POST")
    api.deploy(**logging("INFO", data_trace=True))
    lines = execution_lines(backend, send(app, "POST", "/hello", query="name=Ada", body=b'{"a": 1}'))
    assert "Method request query string: {name=Ada}" in lines
    assert 'Method request body before transformations: {"a": 1}' in lines
    assert 'Method response body after transformations: "Hello, World! from Lambda!"' in lines
    assert any(line.startswith("Endpoint request body after transformations: {") for line in lines)


def test_error_level_logs_only_failures(api, app, backend):
    backend.logging_role = ROLE
    api.lambda_method("/hello", "GET")
    api.lambda_method("/locked", "GET", name="locked", permission=None)
    api.deploy(**logging("ERROR"))
    assert execution_lines(backend, send(app, "GET", "/hello")) == []
    assert execution_lines(backend, send(app, "GET", "/locked")) == [
        "Execution failed due to configuration error: Invalid permissions on Lambda function",
        "Method completed with status: 500",
    ]


def test_nothing_is_logged_without_the_account_role(api, app, backend):
    api.lambda_method("/hello", "GET")
    api.deploy(**logging("INFO", data_trace=True, accessLogSettings={"destinationArn": ACCESS_ARN, "format": CLF}))
    send(app, "GET", "/hello")
    assert backend.log_events == {}


def test_an_authorizer_s_lines(api, app, backend):
    backend.logging_role = ROLE

    def authorizer(event):
        if event["authorizationToken"] != "allow":
            raise Exception("Unauthorized")
        return {"principalId": "learner", "policyDocument": {"Version": "2012-10-17", "Statement": [
            {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": event["methodArn"]}]}}

    auth = api.authorizer(authorizer, ttl=0)
    api.lambda_method("/hello", "GET", authorizationType="CUSTOM", authorizerId=auth)
    api.deploy(**logging("INFO"))
    reply = send(app, "GET", "/hello", headers=[("Authorization", "allow")])
    lines = execution_lines(backend, reply)
    assert lines[1] == f"Starting authorizer: {auth} for request: {reply.header('x-amzn-RequestId')}"
    assert "Using valid authorizer policy for principal: learner" in lines
    assert "Successfully completed authorizer execution" in lines
    refused = send(app, "GET", "/hello", headers=[("Authorization", "nope")])
    assert refused.status == 401
    assert execution_lines(backend, refused)[-1] == f"Unauthorized request: {refused.header('x-amzn-RequestId')}"


def test_access_log_in_the_clf_preset(api, app, backend, clock):
    backend.logging_role = ROLE
    api.lambda_method("/hello", "GET")
    api.deploy(accessLogSettings={"destinationArn": ACCESS_ARN, "format": CLF})
    reply = send(app, "GET", "/hello")
    (line,) = backend.log_messages(ACCESS_GROUP)
    assert line == (f'127.0.0.1 - - [24/Nov/2026:21:43:03 +0000] "GET /hello HTTP/1.1" 200 {len(reply.body)} '
                    f'{reply.header("x-amzn-RequestId")} {reply.header("x-amz-apigw-id")}')


def test_access_log_in_json(api, app, backend):
    backend.logging_role = ROLE
    api.lambda_method("/hello", "GET")
    api.deploy(accessLogSettings={"destinationArn": ACCESS_ARN + ":*", "format": JSON_FORMAT})
    ok = send(app, "GET", "/hello")
    missing = send(app, "GET", "/nope")
    first, second = (json.loads(line) for line in backend.log_messages(ACCESS_GROUP))
    assert first["requestId"] == ok.header("x-amzn-RequestId")
    assert (first["status"], first["integrationStatus"], first["responseType"]) == ("200", "200", "-")
    assert first["integrationLatency"].isdigit() and first["principalId"] == "-"
    assert (second["status"], second["resourcePath"], second["integrationStatus"]) == ("403", "-", "-")
    assert second["errorMessage"] == "Missing Authentication Token"
    assert second["responseType"] == "MISSING_AUTHENTICATION_TOKEN"
    assert second["responseLength"] == str(len(missing.body))


@pytest.mark.parametrize("destination, group", [
    ("arn:aws:logs:us-east-1:123456789012:log-group:my-group", "my-group"),
    ("arn:aws:logs:us-east-1:123456789012:log-group:/aws/api/access:*", "/aws/api/access"),
])
def test_access_log_destination_names_its_group(destination, group):
    from helpers.gateway.stage_logs import log_group_name

    assert log_group_name(destination) == group
