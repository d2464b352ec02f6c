"""The console's Test buttons on the sandbox, through plain boto3: TestInvokeMethod and TestInvokeAuthorizer."""

from __future__ import annotations

import json
import re

import pytest
from botocore.exceptions import ClientError

from tests.support import HELLO_BODY, RestApi, create_function

# `Thu Dec 03 10:15:02 UTC 2026 : ` (recorded on AWS).
STAMP = r"[A-Z][a-z]{2} [A-Z][a-z]{2} \d{2} \d{2}:\d{2}:\d{2} UTC \d{4} : "


def log_lines(answer: dict) -> list[str]:
    """The execution log's lines without their timestamps (after checking each has one)."""
    title, *lines, last = answer["log"].split("\n")
    assert title == f"Execution log for request {request_id_of(answer)}"
    assert last == ""
    for line in lines:
        assert re.match(STAMP, line), line
    return [re.sub("^" + STAMP, "", line) for line in lines]


def request_id_of(answer: dict) -> str:
    return re.match(r"Execution log for request (\S+)", answer["log"]).group(1)


def hello_api(sandbox, *, permission: bool, handler_file: str = "hello.py", handler: str = "app.lambda_handler",
              name: str = "hello-world-api") -> tuple[RestApi, str, str]:
    """The walkthrough's API, never deployed: (api, resource id of /hello, function ARN)."""
    arn = create_function(sandbox, name, handler_file, handler)
    api = RestApi.create(sandbox)
    resource_id = api.proxy_method("/hello", "GET", arn)
    if permission:
        api.allow(arn, source="*/GET/hello")
    return api, resource_id, arn


def test_the_test_button_runs_a_method_never_deployed(sandbox):
    api, resource_id, arn = hello_api(sandbox, permission=True)
    answer = api.client.test_invoke_method(restApiId=api.id, resourceId=resource_id, httpMethod="GET",
                                           pathWithQueryString="/hello?name=Ada", headers={"Accept": "*/*"})
    assert answer["status"] == 200
    assert answer["body"].encode() == HELLO_BODY
    assert answer["headers"]["Content-Type"] == "application/json"
    assert answer["multiValueHeaders"]["Content-Type"] == ["application/json"]
    assert answer["headers"]["X-Amzn-Trace-Id"].startswith("Root=1-")
    assert isinstance(answer["latency"], int) and answer["latency"] >= 0
    rid = request_id_of(answer)
    uri = f"https://lambda.{sandbox.region}.amazonaws.com/2015-03-31/functions/{arn}/invocations"
    lines = log_lines(answer)
    assert lines[:7] == [
        f"Starting execution for request: {rid}",
        "HTTP Method: GET, Resource Path: /hello",
        "Method request path: {}",
        "Method request query string: {name=Ada}",
        "Method request headers: {Accept=*/*}",
        "Method request body before transformations: ",
        f"Endpoint request URI: {uri}",
    ]
    assert lines[7].startswith("Endpoint request headers: {x-amzn-lambda-integration-tag=" + rid)
    assert lines[8].startswith("Endpoint request body after transformations: {")
    event = json.loads(lines[8].split(": ", 1)[1])
    assert event["requestContext"]["stage"] == "test-invoke-stage"
    assert event["requestContext"]["identity"]["sourceIp"] == "test-invoke-source-ip"
    assert event["queryStringParameters"] == {"name": "Ada"}
    assert lines[9] == f"Sending request to {uri}"
    assert re.fullmatch(r"Received response\. Status: 200, Integration latency: \d+ ms", lines[10])
    assert lines[11].startswith("Endpoint response headers: {Date=")
    assert lines[12] == 'Endpoint response body before transformations: {"statusCode": 200, "body": ' \
                        '"\\"Hello, World! from Lambda!\\""}'
    assert lines[13] == 'Method response body after transformations: "Hello, World! from Lambda!"'
    assert lines[14].startswith("Method response headers: {Content-Type=application/json, X-Amzn-Trace-Id=Root=1-")
    assert lines[15:] == ["Successfully completed execution", "Method completed with status: 200"]
    # The Test button is not a deployment: the API still has no stage.
    assert api.client.get_stages(restApiId=api.id)["item"] == []


def test_the_test_button_without_the_invoke_permission(sandbox):
    api, resource_id, _ = hello_api(sandbox, permission=False)
    answer = api.client.test_invoke_method(restApiId=api.id, resourceId=resource_id, httpMethod="GET")
    assert answer["status"] == 500
    assert json.loads(answer["body"]) == {"message": "Internal server error"}
    assert answer["headers"] == {"x-amzn-ErrorType": "InternalServerErrorException"}
    assert log_lines(answer)[-3:] == [
        "Method request body before transformations: ",
        "Execution failed due to configuration error: Invalid permissions on Lambda function",
        "Method completed with status: 500",
    ]


@pytest.mark.parametrize("handler, tail", [
    ("app.bare_string", [
        re.escape('Endpoint response body before transformations: "Hello, World! from Lambda!"'),
        re.escape("Execution failed due to configuration error: Malformed Lambda proxy response"),
    ]),
    ("app.raises", [
        r"Endpoint response body before transformations: \{.*\}",
        r"Lambda execution failed with status 200 due to customer function error: something went wrong\. "
        r"Lambda request id: [0-9a-f-]{36}",
    ]),
])
def test_the_test_button_shows_a_function_s_mistake(sandbox, handler, tail):
    api, resource_id, _ = hello_api(sandbox, permission=True, handler_file="mistakes.py", handler=handler,
                                    name=handler.split(".")[1].replace("_", "-"))
    answer = api.client.test_invoke_method(restApiId=api.id, resourceId=resource_id, httpMethod="GET")
    assert answer["status"] == 502
    *lines, completed = log_lines(answer)[-3:]
    for pattern, line in zip(tail, lines):
        assert re.fullmatch(pattern, line), line
    assert completed == "Method completed with status: 502"


def test_the_test_button_path_parameters_and_body(sandbox):
    arn = create_function(sandbox, "echo", "echo.py")
    api = RestApi.create(sandbox)
    resource_id = api.proxy_method("/items/{id}", "POST", arn)
    api.allow(arn)
    answer = api.client.test_invoke_method(restApiId=api.id, resourceId=resource_id, httpMethod="POST",
                                           pathWithQueryString="/items/42", body='{"a": 1}',
                                           stageVariables={"color": "blue"})
    event = json.loads(answer["body"])
    assert event["pathParameters"] == {"id": "42"}
    assert event["body"] == '{"a": 1}'
    assert event["stageVariables"] == {"color": "blue"}
    assert event["headers"] is None
    assert event["requestContext"]["path"] == "/items/42"
    assert event["requestContext"]["domainName"] == "testPrefix.testDomainName"
    assert "Method request path: {id=42}" in log_lines(answer)


@pytest.mark.parametrize("target, message", [
    ({"resourceId": "nope00", "httpMethod": "GET"}, "Invalid Resource identifier specified"),
    ({"httpMethod": "DELETE"}, "Invalid Method identifier specified"),
    ({"restApiId": "nope00", "httpMethod": "GET"}, "Invalid Resource identifier specified"),
])
def test_the_test_button_on_something_missing(sandbox, target, message):
    api, resource_id, _ = hello_api(sandbox, permission=True)
    with pytest.raises(ClientError) as raised:
        api.client.test_invoke_method(**{"restApiId": api.id, "resourceId": resource_id, **target})
    error = raised.value.response
    assert (error["Error"]["Code"], error["Error"]["Message"]) == ("NotFoundException", message)
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_the_authorizer_test_button(sandbox):
    arn = create_function(sandbox, "token-authorizer", "token_authorizer.py")
    api = RestApi.create(sandbox)
    api.allow(arn, source="authorizers/*")
    authorizer = api.client.create_authorizer(
        restApiId=api.id, name="token", type="TOKEN", identitySource="method.request.header.Authorization",
        authorizerUri=f"arn:aws:apigateway:{sandbox.region}:lambda:path/2015-03-31/functions/{arn}/invocations")
    allowed = api.client.test_invoke_authorizer(restApiId=api.id, authorizerId=authorizer["id"],
                                                headers={"Authorization": "allow"})
    assert allowed["clientStatus"] == 0
    assert allowed["principalId"] == "learner"
    assert json.loads(allowed["policy"])["Statement"][0]["Effect"] == "Allow"
    lines = log_lines(allowed)
    assert lines[0] == f"Starting authorizer: {authorizer['id']} for request: {request_id_of(allowed)}"
    body = next(line for line in lines if line.startswith("Endpoint request body after transformations: "))
    event = json.loads(body.split(": ", 1)[1])
    assert event["methodArn"] == f"arn:aws:execute-api:{sandbox.region}:{sandbox.account_id}:{api.id}" \
                                 "/ESTestInvoke-stage/GET/"
    assert lines[-2:] == ["Using valid authorizer policy for principal: learner",
                          "Successfully completed authorizer execution"]
    missing = api.client.test_invoke_authorizer(restApiId=api.id, authorizerId=authorizer["id"], headers={})
    assert missing["clientStatus"] == 401
    assert log_lines(missing)[-1] == f"Unauthorized request: {request_id_of(missing)}"
    with pytest.raises(ClientError) as raised:
        api.client.test_invoke_authorizer(restApiId=api.id, authorizerId="nope00")
    assert raised.value.response["Error"]["Message"] == "Invalid Authorizer identifier specified"


# Replayed from TestInvokeMethod responses recorded against AWS (a MOCK integration answering
# {"pets": "all the pets"}): every line after the timestamp, and the headers.
@pytest.mark.parametrize("method, path_with_query, body, request_lines", [
    ("GET", None, "", ["HTTP Method: GET, Resource Path: /pets", "Method request path: {}",
                       "Method request query string: {}"]),
    ("GET", "/random/test", "", ["HTTP Method: GET, Resource Path: /random/test", "Method request path: {}",
                                 "Method request query string: {}"]),
    ("GET", "/pets?foo=bar", "", ["HTTP Method: GET, Resource Path: /pets", "Method request path: {}",
                                  "Method request query string: {foo=bar}"]),
    ("POST", "/pets", '{"foo": "bar"}', ["HTTP Method: POST, Resource Path: /pets", "Method request path: {}",
                                         "Method request query string: {}"]),
])
def test_the_test_button_matches_aws_recordings(sandbox, method, path_with_query, body, request_lines):
    api = RestApi.create(sandbox, name="aws lambda api")
    pets = api.resource("/pets")
    client = api.client
    client.put_method(restApiId=api.id, resourceId=pets, httpMethod=method, authorizationType="NONE")
    client.put_method_response(restApiId=api.id, resourceId=pets, httpMethod=method, statusCode="200")
    client.put_integration(restApiId=api.id, resourceId=pets, httpMethod=method, type="MOCK",
                           requestTemplates={"application/json": json.dumps({"statusCode": 200})})
    client.put_integration_response(restApiId=api.id, resourceId=pets, httpMethod=method, statusCode="200",
                                    responseTemplates={"application/json": json.dumps({"pets": "all the pets"})})
    extra = {} if path_with_query is None else {"pathWithQueryString": path_with_query}
    answer = client.test_invoke_method(restApiId=api.id, resourceId=pets, httpMethod=method, body=body, **extra)
    assert (answer["status"], json.loads(answer["body"])) == (200, {"pets": "all the pets"})
    assert answer["headers"] == {"Content-Type": "application/json"}
    assert answer["multiValueHeaders"] == {"Content-Type": ["application/json"]}
    assert log_lines(answer) == [
        f"Starting execution for request: {request_id_of(answer)}",
        *request_lines,
        "Method request headers: {}",
        f"Method request body before transformations: {body}",
        'Method response body after transformations: {"pets": "all the pets"}',
        "Method response headers: {Content-Type=application/json}",
        "Successfully completed execution",
        "Method completed with status: 200",
    ]
