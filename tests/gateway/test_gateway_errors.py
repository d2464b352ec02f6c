"""aws-behaviour.md §1: every error API Gateway answers itself, one row each, byte for byte."""

import re

import pytest

from tests.support import FunctionTimedOut, RawPayload, send

from helpers.gateway import IntegrationTimedOut

MISSING_TOKEN = (403, b'{"message":"Missing Authentication Token"}', "MissingAuthenticationTokenException")
LAMBDA_502 = (502, b'{"message": "Internal server error"}', "InternalServerErrorException")


def _raise(error):
    def function(event):
        raise error
    return function


def no_resource(api, app, clock):
    api.lambda_method("/hello", "GET")
    api.deploy()
    return send(app, "GET", "/nope")


def method_not_defined(api, app, clock):
    api.lambda_method("/hello", "GET")
    api.deploy()
    return send(app, "POST", "/hello")


def stage_not_deployed(api, app, clock):
    api.lambda_method("/hello", "GET")
    api.deploy("dev")
    return send(app, "GET", "/hello", stage="prod")


def unknown_api(api, app, clock):
    api.lambda_method("/hello", "GET")
    api.deploy()
    return send(app, "GET", "/hello", api_id="nosuchapi")


def handler_raised(api, app, clock):
    api.lambda_method("/hello", "GET", _raise(ValueError("bad value")))
    api.deploy()
    return send(app, "GET", "/hello")


def handler_timed_out(api, app, clock):
    api.lambda_method("/hello", "GET", _raise(FunctionTimedOut()))
    api.deploy()
    return send(app, "GET", "/hello")


def malformed_proxy_response(api, app, clock):
    api.lambda_method("/hello", "GET", lambda event: RawPayload(b'"just a string"'))
    api.deploy()
    return send(app, "GET", "/hello")


def missing_invoke_permission(api, app, clock):
    api.lambda_method("/hello", "GET", permission=None)
    api.deploy()
    return send(app, "GET", "/hello")


def integration_past_29s(api, app, clock):
    api.lambda_method("/hello", "GET", _raise(IntegrationTimedOut()))
    api.deploy()
    return send(app, "GET", "/hello")


def api_key_missing(api, app, clock):
    api.lambda_method("/hello", "GET", apiKeyRequired=True)
    api.deploy()
    return send(app, "GET", "/hello")


def identity_source_missing(api, app, clock):
    authorizer = api.authorizer(lambda event: {})
    api.lambda_method("/hello", "GET", authorizationType="CUSTOM", authorizerId=authorizer)
    api.deploy()
    return send(app, "GET", "/hello")


def authorizer_says_unauthorized(api, app, clock):
    authorizer = api.authorizer(_raise(Exception("Unauthorized")))
    api.lambda_method("/hello", "GET", authorizationType="CUSTOM", authorizerId=authorizer)
    api.deploy()
    return send(app, "GET", "/hello", headers=[("Authorization", "token")])


def _policy(effect):
    return {"principalId": "user", "policyDocument": {"Version": "2012-10-17", "Statement": [
        {"Action": "execute-api:Invoke", "Effect": effect, "Resource": "*"}]}}


def authorizer_denies(api, app, clock):
    authorizer = api.authorizer(lambda event: _policy("Deny"))
    api.lambda_method("/hello", "GET", authorizationType="CUSTOM", authorizerId=authorizer)
    api.deploy()
    return send(app, "GET", "/hello", headers=[("Authorization", "token")])


def authorizer_allows_nothing_here(api, app, clock):
    authorizer = api.authorizer(lambda event: {"principalId": "user", "policyDocument": {
        "Version": "2012-10-17", "Statement": [
            {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": "arn:aws:execute-api:*:*:*/*/POST/*"}]}})
    api.lambda_method("/hello", "GET", authorizationType="CUSTOM", authorizerId=authorizer)
    api.deploy()
    return send(app, "GET", "/hello", headers=[("Authorization", "token")])


def authorizer_crashed(api, app, clock):
    authorizer = api.authorizer(_raise(KeyError("oops")))
    api.lambda_method("/hello", "GET", authorizationType="CUSTOM", authorizerId=authorizer)
    api.deploy()
    return send(app, "GET", "/hello", headers=[("Authorization", "token")])


def stage_throttled(api, app, clock):
    api.lambda_method("/hello", "GET")
    api.deploy(methodSettings={"*/*": {"throttlingRateLimit": 1.0, "throttlingBurstLimit": 1}})
    send(app, "GET", "/hello")
    return send(app, "GET", "/hello")


def quota_exceeded(api, app, clock):
    api.lambda_method("/hello", "GET", apiKeyRequired=True)
    api.deploy()
    api.backend.api_keys["k" * 20] = {"id": "key1", "value": "k" * 20, "enabled": True}
    api.backend.usage_plans.append({"id": "plan1", "keyIds": ["key1"], "apiStages": [{"apiId": "abc123", "stage": "dev"}],
                                    "quota": {"limit": 1, "period": "DAY", "offset": 0}})
    send(app, "GET", "/hello", headers=[("x-api-key", "k" * 20)])
    return send(app, "GET", "/hello", headers=[("x-api-key", "k" * 20)])


def payload_over_10mb(api, app, clock):
    api.lambda_method("/hello", "POST")
    api.deploy()
    return send(app, "POST", "/hello", body=b"x" * (10 * 1024 * 1024 + 1))


ROWS = [
    (no_resource, *MISSING_TOKEN),
    (method_not_defined, *MISSING_TOKEN),
    (stage_not_deployed, *MISSING_TOKEN),
    (unknown_api, *MISSING_TOKEN),
    (handler_raised, *LAMBDA_502),
    (handler_timed_out, *LAMBDA_502),
    (malformed_proxy_response, *LAMBDA_502),
    (missing_invoke_permission, 500, b'{"message": "Internal server error"}', "InternalServerErrorException"),
    (integration_past_29s, 504, b'{"message": "Endpoint request timed out"}', "IntegrationTimeoutException"),
    (api_key_missing, 403, b'{"message":"Forbidden"}', "ForbiddenException"),
    (identity_source_missing, 401, b'{"message":"Unauthorized"}', "UnauthorizedException"),
    (authorizer_says_unauthorized, 401, b'{"message":"Unauthorized"}', "UnauthorizedException"),
    (authorizer_denies, 403,
     b'{"Message":"User is not authorized to access this resource with an explicit deny in an identity-based policy"}',
     "AccessDeniedException"),
    (authorizer_allows_nothing_here, 403, b'{"Message":"User is not authorized to access this resource"}',
     "AccessDeniedException"),
    (authorizer_crashed, 500, b'{"message":null}', "AuthorizerConfigurationException"),
    (stage_throttled, 429, b'{"message":"Too Many Requests"}', "TooManyRequestsException"),
    (quota_exceeded, 429, b'{"message":"Limit Exceeded"}', "LimitExceededException"),
    (payload_over_10mb, 413, b'{"message":"Request Too Long"}', "RequestTooLargeException"),
]

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


@pytest.mark.parametrize("scenario, status, body, error_type", ROWS, ids=[row[0].__name__ for row in ROWS])
def test_error_row(api, app, clock, scenario, status, body, error_type):
    reply = scenario(api, app, clock)
    assert (reply.status, reply.body, reply.header("x-amzn-ErrorType")) == (status, body, error_type)
    assert reply.header("Content-Type") == "application/json"
    assert UUID.fullmatch(reply.header("x-amzn-RequestId"))
    assert re.fullmatch(r"[A-Za-z0-9_-]{15}=", reply.header("x-amz-apigw-id"))
    assert reply.header("Content-Length") == str(len(body))


def test_error_request_id_is_fresh_per_request(api, app):
    api.deploy()
    ids = {send(app, "GET", "/x").header("x-amzn-RequestId") for _ in range(3)}
    assert len(ids) == 3


def test_success_request_id_matches_event(api, app, last_event):
    api.lambda_method("/hello", "GET")
    api.deploy()
    reply = send(app, "GET", "/hello")
    event = last_event()
    assert reply.header("x-amzn-RequestId") == event["requestContext"]["requestId"]
    assert reply.header("x-amz-apigw-id") == event["requestContext"]["extendedRequestId"]
    assert reply.header("x-amzn-ErrorType") is None


@pytest.mark.parametrize("integration_type", ["HTTP", "HTTP_PROXY", "AWS"])
def test_unsupported_integration_is_a_clear_500(api, app, integration_type):
    api.method("/hello", "GET", {"type": integration_type, "httpMethod": "GET", "uri": "https://example.com"})
    api.deploy()
    reply = send(app, "GET", "/hello")
    assert reply.status == 500
    assert reply.header("x-amzn-ErrorType") == "InternalServerErrorException"
    assert integration_type in reply.json()["message"]


def test_lambda_integration_must_use_post(api, app):
    api.lambda_method("/hello", "GET")["methodIntegration"]["httpMethod"] = "GET"
    api.deploy()
    reply = send(app, "GET", "/hello")
    assert (reply.status, reply.body) == (500, b'{"message": "Internal server error"}')


def test_missing_function_is_a_500(api, app, backend):
    api.lambda_method("/hello", "GET")
    backend.functions.clear()
    api.deploy()
    assert send(app, "GET", "/hello").status == 500
