"""Every chapter's checkers: the reference solution is Correct, each typical wrong answer gets its own message."""

from __future__ import annotations

import json

import boto3
import botocore.exceptions
import pytest

from helpers.cost import monthly_cost
from helpers.learn import ____, chapter01, chapter02
from helpers.steps import create_basic_execution_role, package_function
from tests.test_steps import HELLO_WORLD


def verdict(exercise, namespace, capsys) -> str:
    exercise.check(namespace)
    return capsys.readouterr().out.strip()


def solved(exercise, **extra) -> dict:
    namespace = {"json": json, "monthly_cost": monthly_cost, **extra}
    exec(exercise.solution_code, namespace)
    return namespace


@pytest.mark.parametrize(
    ("exercise", "answer", "expected"),
    [
        (chapter01.q1, {"logs_policy": ____}, "Not attempted"),
        (chapter01.q1, {"logs_policy": "arn:aws:iam::aws:policy/AdministratorAccess"}, "Incorrect: it works, but it lets the function do anything"),
        (chapter01.q1, {"logs_policy": "arn:aws:iam::aws:policy/CloudWatchLogsFullAccess"}, "Incorrect: it also lets the function read and delete"),
        (chapter01.q1, {"logs_policy": "AWSLambdaBasicExecutionRole"}, "Incorrect: right policy, but give its full ARN"),
        (chapter01.q1, {"logs_policy": "arn:aws:iam::aws:policy/ReadOnlyAccess"}, "Incorrect: 'arn:aws:iam::aws:policy/ReadOnlyAccess' is not"),
        (chapter01.q2, {"response": "not found"}, "Incorrect: with the proxy integration a bare string"),
        (chapter01.q2, {"response": {"statusCode": 404, "body": {"error": "not found"}}}, "Incorrect: body must be a string"),
        (chapter01.q2, {"response": {"status": 404, "body": "{}"}}, "Incorrect: API Gateway answers 502 for an unknown key such as 'status'"),
        (chapter01.q2, {"response": {"body": json.dumps({"error": "not found"})}}, "Incorrect: without statusCode"),
        (chapter01.q2, {"response": {"statusCode": 200, "body": json.dumps({"error": "not found"})}}, "Incorrect: statusCode is 200"),
        (chapter01.q2, {"response": {"statusCode": 404, "body": "not found"}}, "Incorrect: the body 'not found' is not JSON"),
        (chapter01.q3, {"monthly_cost_usd": monthly_cost(5_000_000, 200, 512, "x86_64").total}, "Incorrect: that is the bill with x86_64 instead of arm64"),
        (chapter01.q3, {"monthly_cost_usd": monthly_cost(5_000_000, 200, 512, "arm64").lambda_total}, "Incorrect: that is the bill with the Lambda part only"),
        (chapter01.q3, {"monthly_cost_usd": 1000}, "Incorrect: $1000.00 is not it"),
        (chapter02.q1, {"handler": "lambda_handler"}, "Incorrect: 'lambda_handler' names a function but no module"),
        (chapter02.q1, {"handler": "app.py.lambda_handler"}, "Incorrect: leave out '.py'"),
        (chapter02.q1, {"handler": "hello_world.app.lambda_handler"}, "Incorrect: the zip holds the folder's contents"),
        (chapter02.q1, {"handler": "main.lambda_handler"}, "Incorrect: there is no main.py"),
        (chapter02.q1, {"handler": "app.handler"}, "Incorrect: app.py has no function 'handler'"),
        (chapter02.q2, {"config": ____}, "Not attempted"),
        (chapter02.q2, {"config": None}, "Incorrect: store the response of lambda_client.update_function_configuration"),
    ],
)
def test_wrong_answers_get_their_own_message(exercise, answer, expected, capsys):
    assert verdict(exercise, answer, capsys).startswith(expected)


@pytest.mark.parametrize("exercise", [chapter01.q1, chapter01.q2, chapter01.q3, chapter02.q1])
def test_reference_solutions_are_correct(exercise, capsys):
    assert verdict(exercise, solved(exercise), capsys).startswith("Correct")


@pytest.fixture
def hello_world_api(sandbox):
    role = create_basic_execution_role("hello-world-api-role")
    client = boto3.client("lambda")
    client.create_function(FunctionName="hello-world-api", Runtime="python3.12", Role=role, Handler="app.lambda_handler",
                           Code={"ZipFile": package_function(HELLO_WORLD)})
    return client


@pytest.mark.parametrize(
    ("timeout", "memory", "expected"),
    [
        (10, 256, "Correct"),
        (30, 256, "Incorrect: the function's Timeout is 30 s"),
        (10, 512, "Incorrect: the function has 512 MB"),
    ],
)
def test_chapter02_configuration_checker(hello_world_api, timeout, memory, expected, capsys):
    config = hello_world_api.update_function_configuration(FunctionName="hello-world-api", Timeout=timeout, MemorySize=memory)
    assert verdict(chapter02.q2, {"config": config}, capsys).startswith(expected)


def test_chapter02_milliseconds_are_refused_by_lambda_itself(hello_world_api, capsys):
    # As on AWS, Timeout=10000 never reaches the function: the call fails, `config` stays unset.
    with pytest.raises(botocore.exceptions.ClientError, match=r"Value '10000' at 'timeout' failed to satisfy "
                       r"constraint: Member must have value less than or equal to 900"):
        hello_world_api.update_function_configuration(FunctionName="hello-world-api", Timeout=10_000, MemorySize=256)
    assert verdict(chapter02.q2, {}, capsys).startswith("Not attempted")


def test_chapter02_configuration_reference_solution(hello_world_api, capsys):
    assert verdict(chapter02.q2, solved(chapter02.q2, lambda_client=hello_world_api), capsys).startswith("Correct")


def test_chapter02_a_call_on_another_function_is_pointed_out(hello_world_api, capsys):
    config = {"FunctionName": "other"}
    assert verdict(chapter02.q2, {"config": config}, capsys) == "Incorrect: that changed 'other'; change 'hello-world-api'."


from helpers.learn import chapter03, chapter04  # noqa: E402
from helpers.steps import deploy_hello_world_api, invoke_url  # noqa: E402


@pytest.fixture
def deployed(sandbox):
    """The walkthrough's API on stage dev; returns its id."""
    return deploy_hello_world_api(HELLO_WORLD)


def arn_prefix(api_id: str) -> str:
    account = boto3.client("sts").get_caller_identity()["Account"]
    return f"arn:aws:execute-api:us-east-1:{account}:{api_id}"


@pytest.mark.parametrize(
    ("suffix", "expected"),
    [
        ("/*/POST/orders", "Correct"),
        ("/*/GET/orders", "Incorrect: the method part is 'GET'"),
        ("/*/POST//orders", "Incorrect: the path part is '/orders'"),
        ("/dev/POST/orders", "Incorrect: that only allows stage 'dev'"),
        ("/*", "Incorrect: after the API id come three parts"),
    ],
)
def test_chapter03_source_arn_checker(deployed, suffix, expected, capsys):
    assert verdict(chapter03.q1, {"source_arn": arn_prefix(deployed) + suffix, "api_id": deployed}, capsys).startswith(expected)


def test_chapter03_source_arn_common_confusions(deployed, capsys):
    apigw_arn = f"arn:aws:apigateway:us-east-1::/restapis/{deployed}/*/POST/orders"
    assert verdict(chapter03.q1, {"source_arn": apigw_arn, "api_id": deployed}, capsys).startswith("Incorrect: arn:aws:apigateway")
    other_api = arn_prefix("zzzzzzzzzz") + "/*/POST/orders"
    assert "names API 'zzzzzzzzzz'" in verdict(chapter03.q1, {"source_arn": other_api, "api_id": deployed}, capsys)
    wrong_region = arn_prefix(deployed).replace("us-east-1", "eu-west-1") + "/*/POST/orders"
    assert "the Region is 'eu-west-1'" in verdict(chapter03.q1, {"source_arn": wrong_region, "api_id": deployed}, capsys)


def test_chapter03_source_arn_reference_solution(deployed, capsys):
    account = boto3.client("sts").get_caller_identity()["Account"]
    namespace = solved(chapter03.q1, region="us-east-1", account_id=account, api_id=deployed)
    assert verdict(chapter03.q1, namespace, capsys).startswith("Correct")


def test_chapter03_test_stage_checker(deployed, capsys):
    apigateway = boto3.client("apigateway")
    test_url = invoke_url(deployed, "test", "/hello")
    assert verdict(chapter03.q2, {"test_url": test_url, "api_id": deployed}, capsys).startswith(
        "Incorrect: there is no stage 'test' yet"
    )
    namespace = solved(chapter03.q2, apigateway=apigateway, invoke_url=invoke_url, api_id=deployed)
    assert verdict(chapter03.q2, namespace, capsys).startswith("Correct")
    dev_url = invoke_url(deployed, "dev", "/hello")
    assert verdict(chapter03.q2, {"test_url": dev_url, "api_id": deployed}, capsys).startswith("Incorrect: that URL is for the dev stage")
    no_path = invoke_url(deployed, "test", "/")
    assert verdict(chapter03.q2, {"test_url": no_path, "api_id": deployed}, capsys).startswith(
        "Incorrect: you forgot to append the resource path /hello"
    )


def test_chapter03_forgotten_permission_is_named(deployed, capsys):
    apigateway = boto3.client("apigateway")
    apigateway.create_deployment(restApiId=deployed, stageName="test")
    boto3.client("lambda").remove_permission(FunctionName="hello-world-api", StatementId="apigateway-get-hello")
    message = verdict(chapter03.q2, {"test_url": invoke_url(deployed, "test", "/hello"), "api_id": deployed}, capsys)
    assert message.startswith("Incorrect: API Gateway answered 500")
    assert "lambda.add_permission statement is missing" in message


@pytest.mark.parametrize(
    ("stage", "path", "expected"),
    [
        ("dev", "/hello", "Correct"),
        ("prod", "/hello", "Incorrect: the stage in the URL is wrong: this API has only dev"),
        ("dev", "/", "Incorrect: you forgot to append the resource path /hello"),
        ("dev", "/Hello", "Incorrect: paths are case-sensitive"),
        ("dev", "/goodbye", "Incorrect: API Gateway answered 403"),
    ],
)
def test_chapter04_url_checker(deployed, stage, path, expected, capsys):
    url = invoke_url(deployed, stage, path)
    assert verdict(chapter04.q1, {"hello_url": url, "api_id": deployed}, capsys).startswith(expected)


def test_chapter04_url_reference_solution(deployed, capsys):
    namespace = solved(chapter04.q1, invoke_url=invoke_url, api_id=deployed)
    assert verdict(chapter04.q1, namespace, capsys).startswith("Correct")


def crashes_without_query(event, context):
    return {"statusCode": 200, "body": json.dumps(f"Hello, {event['queryStringParameters']['name']}! from Lambda!")}


def key_error(event, context):
    return {"statusCode": 200, "body": json.dumps(f"Hello, {(event['queryStringParameters'] or {})['name']}! from Lambda!")}


def dict_body(event, context):
    return {"statusCode": 200, "body": {"greeting": "Hello, Ada! from Lambda!"}}


def forgets_default(event, context):
    name = (event.get("queryStringParameters") or {}).get("name")
    return {"statusCode": 200, "body": json.dumps(f"Hello, {name}! from Lambda!")}


def wrong_format(event, context):
    return {"statusCode": 200, "body": json.dumps("Hi Ada")}


@pytest.mark.parametrize(
    ("handler", "expected"),
    [
        (crashes_without_query, "Incorrect: your handler raised TypeError ('NoneType' object is not subscriptable) for a request without a query string"),
        (key_error, "Incorrect: your handler raised KeyError 'name'"),
        (dict_body, "Incorrect: the body must be a string"),
        (forgets_default, "Incorrect: without a name it says 'Hello, None! from Lambda!'"),
        (wrong_format, "Incorrect: for ?name=Ada it says 'Hi Ada'"),
        ("not a function", "Incorrect: define a function lambda_handler"),
    ],
)
def test_chapter04_named_handler_checker(handler, expected, capsys):
    assert verdict(chapter04.q2, {"lambda_handler": handler}, capsys).startswith(expected)


def test_chapter04_named_handler_reference_solution(capsys):
    assert verdict(chapter04.q2, solved(chapter04.q2), capsys).startswith("Correct")
