"""API Gateway on the sandbox: the walkthrough and its mistakes, end to end with boto3, curl and requests."""

from __future__ import annotations

import shutil
import subprocess
import urllib.error
import urllib.request

import boto3
import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from helpers.sandbox import moto_link
from tests.support import HELLO_BODY, RestApi, create_function, walkthrough

MISSING_TOKEN = {"message": "Missing Authentication Token"}
INTERNAL_ERROR = b'{"message": "Internal server error"}'


def assert_aws_ids(response: requests.Response) -> None:
    assert response.headers["x-amzn-RequestId"]
    assert response.headers["x-amz-apigw-id"]


# The walkthrough, step by step, then its "Test the API" step.

def test_walkthrough_answers_curl(sandbox):
    curl = shutil.which("curl")
    if curl is None:
        pytest.skip("no curl binary on this machine")
    api = walkthrough(sandbox)
    out = subprocess.run([curl, "-s", "-i", api.url("/hello")], capture_output=True, timeout=30, check=True)
    head, _, body = out.stdout.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert b"x-amzn-RequestId:" in head and b"x-amz-apigw-id:" in head
    assert body == HELLO_BODY


def test_walkthrough_answers_requests_and_urllib(sandbox):
    api = walkthrough(sandbox)
    response = requests.get(api.url("/hello"), timeout=30)
    assert (response.status_code, response.content) == (200, HELLO_BODY)
    assert response.headers["Content-Type"] == "application/json"
    assert_aws_ids(response)
    with urllib.request.urlopen(api.url("/hello"), timeout=30) as answer:
        assert (answer.status, answer.read()) == (200, HELLO_BODY)
        assert answer.headers["x-amzn-RequestId"] and answer.headers["x-amz-apigw-id"]


def test_the_snapshot_is_what_boto3_reads_back(sandbox):
    api = walkthrough(sandbox)
    stage = api.client.get_stage(restApiId=api.id, stageName="dev")
    snapshot = sandbox.gateway.backend.get_deployment_snapshot(api.id, stage["deploymentId"])
    by_id = lambda items: sorted(items, key=lambda item: item["id"])  # noqa: E731
    assert by_id(snapshot["resources"]) == by_id(api.client.get_resources(restApiId=api.id, embed=["methods"])["items"])


# The walkthrough's common mistakes, answered as AWS answers them.

def test_forgetting_the_permission_is_a_500(sandbox):
    arn = create_function(sandbox, "hello-world-api")
    api = RestApi.create(sandbox)
    api.proxy_method("/hello", "GET", arn)
    api.deploy()
    response = requests.get(api.url("/hello"), timeout=30)
    assert (response.status_code, response.content) == (500, INTERNAL_ERROR)
    assert_aws_ids(response)


def test_a_permission_for_another_path_is_a_500(sandbox):
    arn = create_function(sandbox, "hello-world-api")
    api = RestApi.create(sandbox)
    api.proxy_method("/hello", "GET", arn)
    api.allow(arn, source="*/GET/other")
    api.deploy()
    assert requests.get(api.url("/hello"), timeout=30).status_code == 500


@pytest.mark.parametrize("handler", ["app.bare_string", "app.raises"])
def test_a_malformed_answer_or_a_raised_error_is_a_502(sandbox, handler):
    arn = create_function(sandbox, "hello-world-api", "mistakes.py", handler)
    api = RestApi.create(sandbox)
    api.proxy_method("/hello", "GET", arn)
    api.allow(arn)
    api.deploy()
    response = requests.get(api.url("/hello"), timeout=30)
    assert (response.status_code, response.content) == (502, INTERNAL_ERROR)
    assert response.headers["x-amzn-ErrorType"] == "InternalServerErrorException"


def test_a_function_timeout_is_a_502_and_the_sandbox_keeps_serving(sandbox):
    slow = create_function(sandbox, "slow", "mistakes.py", "app.sleeps", Timeout=1)
    api = walkthrough(sandbox)
    api.proxy_method("/slow", "GET", slow)
    api.allow(slow, statement_id="slow")
    api.deploy()
    response = requests.get(api.url("/slow"), timeout=30)
    assert (response.status_code, response.content) == (502, INTERNAL_ERROR)
    assert requests.get(api.url("/hello"), timeout=30).content == HELLO_BODY


def test_an_integration_past_its_timeout_is_a_504(sandbox):
    sandbox.gateway.backend.max_integration_timeout_s = 0.5  # stands for API Gateway's 29 s
    slow = create_function(sandbox, "slow", "mistakes.py", "app.sleeps", Timeout=10)
    api = RestApi.create(sandbox)
    api.proxy_method("/slow", "GET", slow)
    api.allow(slow)
    api.deploy(variables={"sleep": "2"})
    response = requests.get(api.url("/slow"), timeout=30)
    assert response.status_code == 504
    assert response.json() == {"message": "Endpoint request timed out"}
    # The function still finishes, on a thread the backend joins at stop (no_leaks checks it).


@pytest.mark.parametrize("path, stage", [("/hallo", "dev"), ("/hello", "prod"), ("/", "dev"), ("", "dev"),
                                         ("/hello/extra", "dev"), ("/HELLO", "dev")])
def test_a_wrong_path_or_stage_is_missing_authentication_token(sandbox, path, stage):
    api = walkthrough(sandbox)
    response = requests.get(sandbox.invoke_url(api.id, stage, path), timeout=30)
    assert (response.status_code, response.json()) == (403, MISSING_TOKEN)
    assert response.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
    assert_aws_ids(response)


def test_an_unknown_api_or_an_undefined_method_is_missing_authentication_token(sandbox):
    api = walkthrough(sandbox)
    assert requests.get(sandbox.invoke_url("nosuchapi", "dev", "/hello"), timeout=30).status_code == 403
    assert requests.post(api.url("/hello"), timeout=30).json() == MISSING_TOKEN


def test_changes_are_invisible_until_deployed_again(sandbox):
    api = walkthrough(sandbox)
    echo = create_function(sandbox, "echo", "echo.py")
    api.proxy_method("/echo", "GET", echo)
    api.allow(echo, statement_id="echo")
    assert requests.get(api.url("/echo"), timeout=30).status_code == 403  # not deployed yet
    api.deploy("dev")
    assert requests.get(api.url("/echo"), timeout=30).status_code == 200
    assert requests.get(api.url("/hello"), timeout=30).content == HELLO_BODY


def test_a_stage_never_deployed_is_missing_authentication_token(sandbox):
    api = RestApi.create(sandbox)
    arn = create_function(sandbox, "hello-world-api")
    api.proxy_method("/hello", "GET", arn)
    api.allow(arn)
    assert requests.get(api.url("/hello"), timeout=30).json() == MISSING_TOKEN


def test_update_stage_deployment_id_switches_what_is_served(sandbox):
    api = walkthrough(sandbox)
    first = api.client.get_stage(restApiId=api.id, stageName="dev")["deploymentId"]
    api.client.delete_method(restApiId=api.id, resourceId=api.resource("/hello"), httpMethod="GET")
    api.proxy_method("/hi", "GET", create_function(sandbox, "echo", "echo.py"))
    api.deploy("dev")
    assert requests.get(api.url("/hello"), timeout=30).status_code == 403
    api.client.update_stage(restApiId=api.id, stageName="dev",
                            patchOperations=[{"op": "replace", "path": "/deploymentId", "value": first}])
    assert requests.get(api.url("/hello"), timeout=30).content == HELLO_BODY
    assert requests.get(api.url("/hi"), timeout=30).status_code == 403


def test_a_deployment_made_behind_the_front_door_is_frozen_at_first_use(sandbox):
    api = walkthrough(sandbox)
    # As CloudFormation would: straight into moto, without the CreateDeployment route.
    deployment = moto_link.apigateway_backend(sandbox.account_id, sandbox.region).create_deployment(api.id, "cfn")
    assert requests.get(api.url("/hello", stage="cfn"), timeout=30).content == HELLO_BODY
    assert sandbox.gateway.backend.get_deployment_snapshot(api.id, deployment.id) is not None


# What a deployed API does beyond the walkthrough.

def _echo_api(sandbox, *paths: tuple[str, str]) -> RestApi:
    echo = create_function(sandbox, "echo", "echo.py")
    api = RestApi.create(sandbox, "echo-api")
    for path, method in paths:
        api.proxy_method(path, method, echo)
    api.allow(echo)
    return api


def test_stage_variables_and_the_event_reach_the_function(sandbox):
    api = _echo_api(sandbox, ("/items/{id}", "GET"))
    api.deploy("dev", variables={"table": "books"})
    event = requests.get(api.url("/items/42") + "?a=1&a=2", timeout=30).json()
    assert event["stageVariables"] == {"table": "books"}
    assert event["pathParameters"] == {"id": "42"}
    assert event["resource"] == "/items/{id}" and event["path"] == "/items/42"
    assert event["multiValueQueryStringParameters"] == {"a": ["1", "2"]}
    assert event["requestContext"]["path"] == "/dev/items/42"
    assert event["requestContext"]["accountId"] == sandbox.account_id
    # What the function received through the real sandbox is a valid REST proxy event.
    from aws_lambda_powertools.utilities.parser.models import APIGatewayProxyEventModel

    APIGatewayProxyEventModel(**event)
    assert len(event) == 12


def test_literal_beats_parameter_beats_greedy_proxy_and_any(sandbox):
    api = _echo_api(sandbox, ("/items/{id}", "GET"), ("/items/special", "GET"), ("/{proxy+}", "ANY"))
    api.deploy()
    assert requests.get(api.url("/items/special"), timeout=30).json()["resource"] == "/items/special"
    assert requests.get(api.url("/items/7"), timeout=30).json()["pathParameters"] == {"id": "7"}
    greedy = requests.delete(api.url("/a/b/c/"), timeout=30).json()
    assert (greedy["resource"], greedy["httpMethod"], greedy["pathParameters"]) == (
        "/{proxy+}", "DELETE", {"proxy": "a/b/c"})


def test_an_api_key_and_usage_plan_guard_a_method(sandbox):
    arn = create_function(sandbox, "hello-world-api")
    api = RestApi.create(sandbox)
    api.proxy_method("/hello", "GET", arn, apiKeyRequired=True)
    api.allow(arn)
    api.deploy()
    key = api.client.create_api_key(name="learner", enabled=True)
    plan = api.client.create_usage_plan(name="free", apiStages=[{"apiId": api.id, "stage": "dev"}])
    assert requests.get(api.url("/hello"), timeout=30).json() == {"message": "Forbidden"}
    assert requests.get(api.url("/hello"), headers={"x-api-key": key["value"]}, timeout=30).status_code == 403
    api.client.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    answer = requests.get(api.url("/hello"), headers={"x-api-key": key["value"]}, timeout=30)
    assert (answer.status_code, answer.content) == (200, HELLO_BODY)


def test_a_token_authorizer_deployed_with_boto3(sandbox):
    arn = create_function(sandbox, "hello-world-api")
    authorizer_arn = create_function(sandbox, "token-authorizer", "token_authorizer.py")
    api = RestApi.create(sandbox)
    authorizer = api.client.create_authorizer(
        restApiId=api.id, name="token", type="TOKEN", authorizerUri=f"arn:aws:apigateway:{sandbox.region}:lambda:path/"
        f"2015-03-31/functions/{authorizer_arn}/invocations", identitySource="method.request.header.Authorization")
    api.proxy_method("/hello", "GET", arn, authorizationType="CUSTOM", authorizerId=authorizer["id"])
    api.allow(arn)
    api.allow(authorizer_arn, source=f"authorizers/{authorizer['id']}", statement_id="authorizer")
    api.deploy()
    get = lambda token=None: requests.get(  # noqa: E731
        api.url("/hello"), headers={"Authorization": token} if token else {}, timeout=30)
    assert (get().status_code, get().json()) == (401, {"message": "Unauthorized"})
    assert get("nonsense").status_code == 401
    denied = get("deny")
    assert (denied.status_code, denied.content) == (
        403, b'{"Message":"User is not authorized to access this resource with an explicit deny in an identity-based policy"}')
    assert (get("allow").status_code, get("allow").content) == (200, HELLO_BODY)


def test_stage_throttling_set_with_update_stage(sandbox):
    api = walkthrough(sandbox)
    api.client.update_stage(restApiId=api.id, stageName="dev", patchOperations=[
        {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "0.01"},
        {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": "1"}])
    statuses = [requests.get(api.url("/hello"), timeout=30).status_code for _ in range(3)]
    assert statuses[0] == 200 and 429 in statuses
    throttled = requests.get(api.url("/hello"), timeout=30)
    assert throttled.json() == {"message": "Too Many Requests"}


def test_turning_metrics_on_keeps_the_account_throttle(sandbox):
    # A methodSettings entry made for something else starts from the account's limits
    # (10,000 rps, burst 5,000), as on AWS; moto alone would put 1,000 and 2,000 there.
    api = walkthrough(sandbox)
    stage = api.client.update_stage(restApiId=api.id, stageName="dev", patchOperations=[
        {"op": "replace", "path": "/*/*/metrics/enabled", "value": "true"}])
    settings = stage["methodSettings"]["*/*"]
    assert settings["metricsEnabled"] is True
    assert (settings["throttlingRateLimit"], settings["throttlingBurstLimit"]) == (10000.0, 5000)
    assert requests.get(api.url("/hello"), timeout=30).status_code == 200


def test_a_gateway_response_adds_cors_to_4xx_errors(sandbox):
    api = walkthrough(sandbox)
    api.client.put_gateway_response(restApiId=api.id, responseType="DEFAULT_4XX", responseParameters={
        "gatewayresponse.header.Access-Control-Allow-Origin": "'*'"})
    assert "Access-Control-Allow-Origin" not in requests.get(api.url("/nope"), timeout=30).headers  # not deployed
    api.deploy()
    missing = requests.get(api.url("/nope"), timeout=30)
    assert missing.status_code == 403 and missing.headers["Access-Control-Allow-Origin"] == "*"


def _signed_get(url: str, access_key: str, secret: str, region: str) -> requests.Response:
    request = AWSRequest(method="GET", url=url)
    SigV4Auth(Credentials(access_key, secret), "execute-api", region).add_auth(request)
    return requests.get(url, headers=dict(request.headers), timeout=30)


def test_an_aws_iam_method_wants_a_signature_by_the_sandbox(sandbox):
    echo = create_function(sandbox, "echo", "echo.py")
    api = RestApi.create(sandbox)
    api.proxy_method("/private", "GET", echo, authorizationType="AWS_IAM")
    api.allow(echo)
    api.deploy()
    c = sandbox.credentials
    signed = _signed_get(api.url("/private") + "?q=a%20b&b=2", c.access_key_id, c.secret_access_key, sandbox.region)
    assert signed.status_code == 200
    assert signed.json()["requestContext"]["identity"]["accessKey"] == c.access_key_id
    assert requests.get(api.url("/private"), timeout=30).json() == MISSING_TOKEN
    forged = _signed_get(api.url("/private"), c.access_key_id, "not-the-secret", sandbox.region)
    assert forged.status_code == 403
    stranger = _signed_get(api.url("/private"), "SBOXSOMEONEELSE00000", c.secret_access_key, sandbox.region)
    assert stranger.status_code == 403


def test_api_gateway_metrics_reach_cloudwatch(sandbox):
    api = walkthrough(sandbox)
    requests.get(api.url("/hello"), timeout=30)
    requests.get(api.url("/nope"), timeout=30)
    metrics = sandbox.client("cloudwatch").list_metrics(Namespace="AWS/ApiGateway")["Metrics"]
    names = {m["MetricName"] for m in metrics}
    assert {"Count", "4XXError", "5XXError", "Latency", "IntegrationLatency"} <= names
    assert {"Name": "ApiName", "Value": "hello-world-api"} in metrics[0]["Dimensions"]


# Apps written with Lambda web frameworks, packaged and deployed as a learner would.

def test_a_powertools_rest_resolver_app(sandbox):
    arn = create_function(sandbox, "books", "powertools_app.py",
                          libraries=("aws_lambda_powertools", "typing_extensions"), Timeout=10)
    api = RestApi.create(sandbox, "books-api")
    api.proxy_method("/books", "GET", arn)
    api.proxy_method("/books", "POST", arn)
    api.proxy_method("/books/{book_id}", "GET", arn)
    api.allow(arn)
    api.deploy()
    assert requests.get(api.url("/books"), timeout=30).json() == {"books": ["Dune", "Emma"]}
    assert requests.get(api.url("/books/42"), timeout=30).json() == {"id": "42", "stage": "dev"}
    added = requests.post(api.url("/books"), json={"title": "Kim"}, timeout=30)
    assert (added.status_code, added.json()) == (201, {"added": "Kim"})
    assert requests.get(api.url("/authors"), timeout=30).status_code == 403


def test_a_flask_app_behind_apig_wsgi(sandbox):
    libraries = ("apig_wsgi", "flask", "werkzeug", "jinja2", "markupsafe", "itsdangerous", "click", "blinker")
    arn = create_function(sandbox, "notes", "flask_app.py", libraries=libraries, Timeout=10)
    api = RestApi.create(sandbox, "notes-api")
    api.proxy_method("/{proxy+}", "ANY", arn)
    api.allow(arn)
    api.deploy()
    answer = requests.get(api.url("/notes/7") + "?q=hi", timeout=30)
    assert (answer.status_code, answer.json()) == (200, {"id": 7, "q": "hi"})
    assert requests.get(api.url("/elsewhere"), timeout=30).status_code == 404  # Flask's own 404


def test_create_deployment_gives_the_new_stage_its_description(sandbox):
    apigateway = boto3.client("apigateway")
    api_id = apigateway.create_rest_api(name="described")["id"]
    root_id = apigateway.get_resources(restApiId=api_id)["items"][0]["id"]
    apigateway.put_method(restApiId=api_id, resourceId=root_id, httpMethod="GET", authorizationType="NONE")
    apigateway.put_integration(restApiId=api_id, resourceId=root_id, httpMethod="GET", type="MOCK",
                               requestTemplates={"application/json": '{"statusCode": 200}'})
    apigateway.create_deployment(restApiId=api_id, stageName="dev", stageDescription="Development stage")
    assert apigateway.get_stage(restApiId=api_id, stageName="dev")["description"] == "Development stage"
