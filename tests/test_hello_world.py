"""Unit tests of the walkthrough's handler, with a sample API Gateway proxy event."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from aws_lambda_powertools.utilities.parser.models import APIGatewayProxyEventModel

APP = Path(__file__).resolve().parent.parent / "lambda_src" / "hello_world" / "app.py"

SAMPLE_EVENT = {
    "resource": "/hello",
    "path": "/hello",
    "httpMethod": "GET",
    "headers": {"Host": "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com", "User-Agent": "curl/8.5.0", "accept": "*/*"},
    "multiValueHeaders": {
        "Host": ["a1b2c3d4e5.execute-api.us-east-1.amazonaws.com"],
        "User-Agent": ["curl/8.5.0"],
        "accept": ["*/*"],
    },
    "queryStringParameters": None,
    "multiValueQueryStringParameters": None,
    "pathParameters": None,
    "stageVariables": None,
    "requestContext": {
        "accountId": "123456789012",
        "apiId": "a1b2c3d4e5",
        "deploymentId": "abc123",
        "domainName": "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com",
        "domainPrefix": "a1b2c3d4e5",
        "extendedRequestId": "K1xJdFq3oAMEbXw=",
        "httpMethod": "GET",
        "identity": {
            "accessKey": None, "accountId": None, "caller": None, "cognitoAuthenticationProvider": None,
            "cognitoAuthenticationType": None, "cognitoIdentityId": None, "cognitoIdentityPoolId": None,
            "principalOrgId": None, "sourceIp": "203.0.113.7", "user": None, "userAgent": "curl/8.5.0", "userArn": None,
        },
        "path": "/dev/hello",
        "protocol": "HTTP/1.1",
        "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
        "requestTime": "24/Nov/2026:21:43:03 +0000",
        "requestTimeEpoch": 1795556583000,
        "resourceId": "r4nd0m",
        "resourcePath": "/hello",
        "stage": "dev",
    },
    "body": None,
    "isBase64Encoded": False,
}


def load_handler():
    spec = importlib.util.spec_from_file_location("hello_world_app", APP)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.lambda_handler


def test_the_sample_event_is_a_valid_proxy_event():
    APIGatewayProxyEventModel(**SAMPLE_EVENT)


def test_get_hello_answers_hello_world():
    response = load_handler()(SAMPLE_EVENT, None)
    assert response["statusCode"] == 200
    assert json.loads(response["body"]) == "Hello, World! from Lambda!"
    assert response["body"] == '"Hello, World! from Lambda!"'


def test_the_response_is_a_valid_proxy_response():
    response = load_handler()(SAMPLE_EVENT, None)
    assert set(response) <= {"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"}
    assert isinstance(response["body"], str)
    json.dumps(response)


def load_named_handler():
    spec = importlib.util.spec_from_file_location("hello_name_app", APP.parent.parent / "hello_name" / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.lambda_handler


def test_hello_name_greets_the_name_in_the_query():
    event = {**SAMPLE_EVENT, "queryStringParameters": {"name": "Ada"}, "multiValueQueryStringParameters": {"name": ["Ada"]}}
    assert json.loads(load_named_handler()(event, None)["body"]) == "Hello, Ada! from Lambda!"


def test_hello_name_without_a_query_greets_the_world():
    assert json.loads(load_named_handler()(SAMPLE_EVENT, None)["body"]) == "Hello, World! from Lambda!"
