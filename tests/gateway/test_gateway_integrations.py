"""The invoke-permission check, MOCK integrations (the console's Enable CORS), gateway responses and metrics."""

import pytest

from tests.support import ACCOUNT, REGION, apigateway_permission, lambda_arn, send

SOURCE = f"arn:aws:execute-api:{REGION}:{ACCOUNT}:abc123"


@pytest.mark.parametrize("policy, status", [
    (apigateway_permission(f"{SOURCE}/*/GET/items/{{id}}"), 200),
    (apigateway_permission(f"{SOURCE}/dev/GET/items/*"), 200),
    (apigateway_permission(f"{SOURCE}/*/*/*"), 200),
    (apigateway_permission(f"{SOURCE}/d?v/GET/items/{{id}}"), 200),
    (apigateway_permission(f"{SOURCE}/prod/GET/items/{{id}}"), 500),
    (apigateway_permission(f"{SOURCE}/*/POST/items/{{id}}"), 500),
    (apigateway_permission(f"{SOURCE}/*/GET/items/7"), 500),  # the resource template, not the request path
    (apigateway_permission(f"arn:aws:execute-api:{REGION}:999999999999:abc123/*"), 500),
    ({"Statement": [{"Effect": "Allow", "Principal": {"Service": "apigateway.amazonaws.com"},
                     "Action": "lambda:*"}]}, 200),  # no condition: any API may call
    ({"Statement": [{"Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"},
                     "Action": "lambda:InvokeFunction"}]}, 500),
    ({"Statement": [{"Effect": "Allow", "Principal": {"Service": "apigateway.amazonaws.com"},
                     "Action": "lambda:GetFunction"}]}, 500),
    ({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "lambda:InvokeFunction",
                     "Condition": {"StringEquals": {"AWS:SourceAccount": ACCOUNT}}}]}, 200),
    ({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "lambda:InvokeFunction",
                     "Condition": {"IpAddress": {"aws:SourceIp": "1.2.3.4"}}}]}, 500),
    ({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "lambda:InvokeFunction"},
                    {"Effect": "Deny", "Principal": "*", "Action": "lambda:InvokeFunction"}]}, 500),
    ({"Statement": "garbage"}, 500),
    (None, 500),
])
def test_invoke_permission(api, app, policy, status):
    api.lambda_method("/items/{id}", "GET", permission=policy)
    api.deploy()
    assert send(app, "GET", "/items/7").status == status


def test_integration_credentials_skip_the_resource_policy(api, app):
    api.lambda_method("/r", "GET", permission=None)["methodIntegration"]["credentials"] = "arn:aws:iam::1:role/apigw"
    api.deploy()
    assert send(app, "GET", "/r").status == 200


def test_stage_variable_in_function_uri(api, app, backend):
    api.lambda_method("/r", "GET", name="fn-blue")
    api.resource("/r")["resourceMethods"]["GET"]["methodIntegration"]["uri"] = (
        f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{lambda_arn('${stageVariables.fn}')}/invocations")
    api.deploy(variables={"fn": "fn-blue"})
    assert send(app, "GET", "/r").status == 200
    assert backend.invocations[-1][0] == lambda_arn("fn-blue")


def cors_options(api):
    """What the console's "Enable CORS" puts on a resource."""
    api.method("/items", "OPTIONS", {
        "type": "MOCK",
        "requestTemplates": {"application/json": '{"statusCode": 200}'},
        "passthroughBehavior": "WHEN_NO_MATCH",
        "integrationResponses": {"200": {
            "statusCode": "200",
            "responseParameters": {
                "method.response.header.Access-Control-Allow-Headers": "'Content-Type,X-Amz-Date,Authorization,X-Api-Key'",
                "method.response.header.Access-Control-Allow-Methods": "'GET,OPTIONS'",
                "method.response.header.Access-Control-Allow-Origin": "'*'",
            },
            "responseTemplates": {"application/json": ""},
        }},
    })


def test_enable_cors_options_method(api, app):
    cors_options(api)
    api.deploy()
    reply = send(app, "OPTIONS", "/items", headers=[("Origin", "http://localhost:8888")])
    assert (reply.status, reply.body) == (200, b"")
    assert reply.header("Access-Control-Allow-Origin") == "*"
    assert reply.header("Access-Control-Allow-Methods") == "GET,OPTIONS"
    assert reply.header("Content-Type") == "application/json"


@pytest.mark.parametrize("template, status", [('{"statusCode": 404}', 404), (None, 200), ("not json", 500)])
def test_mock_status_selection(api, app, template, status):
    api.method("/m", "GET", {
        "type": "MOCK",
        "requestTemplates": {"application/json": template} if template else {},
        "integrationResponses": {
            "200": {"statusCode": "200", "responseTemplates": {"application/json": '{"id": "$context.requestId"}'}},
            "404": {"statusCode": "404", "selectionPattern": "4\\d\\d"},
        },
    })
    api.deploy()
    reply = send(app, "GET", "/m")
    assert reply.status == status
    if status == 200:
        assert reply.json() == {"id": reply.header("x-amzn-RequestId")}


def test_mock_without_matching_integration_response_is_500(api, app):
    api.method("/m", "GET", {"type": "MOCK", "requestTemplates": {"application/json": '{"statusCode": 500}'},
                             "integrationResponses": {"200": {"statusCode": "200", "selectionPattern": "2\\d\\d"}}})
    api.deploy()
    assert send(app, "GET", "/m").status == 500


def test_default_4xx_customisation_adds_cors_to_errors(api, app):
    api.gateway_responses.append({
        "responseType": "DEFAULT_4XX",
        "responseParameters": {"gatewayresponse.header.Access-Control-Allow-Origin": "'*'"},
        "responseTemplates": {"application/json": '{"message":$context.error.messageString}'},
    })
    api.lambda_method("/hello", "GET")
    api.deploy()
    missing = send(app, "GET", "/nope")
    assert (missing.status, missing.body) == (403, b'{"message":"Missing Authentication Token"}')
    assert missing.header("Access-Control-Allow-Origin") == "*"
    assert missing.header("x-amzn-ErrorType") == "MissingAuthenticationTokenException"


def test_specific_type_beats_default_and_sets_status(api, app):
    api.gateway_responses += [
        {"responseType": "DEFAULT_4XX", "responseParameters": {"gatewayresponse.header.X-Which": "'default'"}},
        {"responseType": "MISSING_AUTHENTICATION_TOKEN", "statusCode": "404",
         "responseParameters": {"gatewayresponse.header.X-Which": "'specific'",
                                "gatewayresponse.header.X-Path": "method.request.header.X-Trace"},
         "responseTemplates": {"application/json":
                               '{"error": "$context.error.message", "type": "$context.error.responseType", "id": "${context.requestId}"}'}},
    ]
    api.deploy()
    reply = send(app, "GET", "/nope", headers=[("X-Trace", "t-1")])
    assert reply.status == 404
    assert (reply.header("X-Which"), reply.header("X-Path")) == ("specific", "t-1")
    assert reply.json() == {"error": "Missing Authentication Token", "type": "MISSING_AUTHENTICATION_TOKEN",
                            "id": reply.header("x-amzn-RequestId")}


def test_default_5xx_applies_to_lambda_errors_and_keeps_default_body(api, app):
    def broken(event):
        raise RuntimeError("boom")
    api.gateway_responses.append({"responseType": "DEFAULT_5XX",
                                  "responseParameters": {"gatewayresponse.header.Access-Control-Allow-Origin": "'*'"}})
    api.lambda_method("/hello", "GET", broken)
    api.deploy()
    reply = send(app, "GET", "/hello")
    assert (reply.status, reply.body) == (502, b'{"message": "Internal server error"}')
    assert reply.header("Access-Control-Allow-Origin") == "*"


def test_aws_default_gateway_responses_are_not_customisations(api, app):
    api.gateway_responses.append({"responseType": "DEFAULT_4XX", "defaultResponse": True, "statusCode": "400",
                                  "responseTemplates": {"application/json": "{}"}})
    api.deploy()
    assert send(app, "GET", "/nope").status == 403


def test_customisation_needs_redeploy(api, app):
    api.deploy()
    api.gateway_responses.append({"responseType": "DEFAULT_4XX", "statusCode": "418"})
    assert send(app, "GET", "/nope").status == 403
    api.deploy()
    assert send(app, "GET", "/nope").status == 418


def _metric(backend, name):
    return [d for _, data in backend.metrics for d in data if d["MetricName"] == name]


def test_metrics(api, app, backend):
    api.lambda_method("/hello", "GET")
    api.deploy()
    send(app, "GET", "/hello")
    send(app, "GET", "/nope")
    namespaces = {ns for ns, _ in backend.metrics}
    assert namespaces == {"AWS/ApiGateway"}
    assert [d["Value"] for d in _metric(backend, "Count")] == [1, 1]
    assert [d["Value"] for d in _metric(backend, "4XXError")] == [0, 1]
    assert [d["Value"] for d in _metric(backend, "5XXError")] == [0, 0]
    assert len(_metric(backend, "Latency")) == 2 and len(_metric(backend, "IntegrationLatency")) == 1
    assert _metric(backend, "Count")[0]["Dimensions"] == [{"Name": "ApiName", "Value": "hello-world-api"},
                                                          {"Name": "Stage", "Value": "dev"}]
    assert _metric(backend, "Latency")[0]["Unit"] == "Milliseconds"


def test_no_metrics_for_unknown_api(app, backend):
    send(app, "GET", "/x", api_id="none")
    assert backend.metrics == []


def test_metrics_failure_does_not_break_the_response(api, app, backend):
    def broken(namespace, data):
        raise RuntimeError("cloudwatch down")
    backend.put_metrics = broken
    api.lambda_method("/hello", "GET")
    api.deploy()
    assert send(app, "GET", "/hello").status == 200


def test_broken_customisation_falls_back_to_the_default(api, app):
    api.gateway_responses.append({"responseType": "DEFAULT_4XX", "responseParameters": {"gatewayresponse.header.X": 5},
                                  "responseTemplates": {"application/json": None}})
    api.deploy()
    reply = send(app, "GET", "/nope")
    assert (reply.status, reply.body) == (403, b'{"message":"Missing Authentication Token"}')


def test_integration_failure_customisation_applies_to_lambda_errors(api, app):
    api.gateway_responses.append({"responseType": "INTEGRATION_FAILURE", "statusCode": "503"})
    api.lambda_method("/hello", "GET", lambda event: "not a proxy response")
    api.deploy()
    assert send(app, "GET", "/hello").status == 503


def test_a_permission_decision_is_kept_only_for_the_policy_object_it_was_made_for():
    from helpers.gateway.lambda_calls import may_invoke

    class Backend:
        account_id = "123456789012"
        policy = None

        def get_function_policy(self, arn):
            return self.policy

    arn = "arn:aws:lambda:us-east-1:123456789012:function:fn"
    source = "arn:aws:execute-api:us-east-1:123456789012:abc/dev/GET/hello"
    allow = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "apigateway.amazonaws.com"}, "Action": "lambda:InvokeFunction",
        "Resource": arn, "Condition": {"ArnLike": {"AWS:SourceArn": "arn:aws:execute-api:us-east-1:123456789012:abc/*"}}}]}
    backend = Backend()
    assert not may_invoke(backend, arn, source_arn=source)
    backend.policy = allow
    assert may_invoke(backend, arn, source_arn=source)
    assert not may_invoke(backend, arn, source_arn=source.replace("abc", "xyz"))
    backend.policy = {**allow, "Statement": [{**allow["Statement"][0], "Effect": "Deny"}]}  # a new object
    assert not may_invoke(backend, arn, source_arn=source)
