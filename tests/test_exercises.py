"""Every chapter's checkers: the reference solution is Correct, each typical wrong answer gets its own message."""

from __future__ import annotations

import json

import boto3
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
        (10_000, 256, "Incorrect: Timeout is in seconds, not milliseconds"),
        (30, 256, "Incorrect: the function's Timeout is 30 s"),
        (10, 512, "Incorrect: the function has 512 MB"),
    ],
)
def test_chapter02_configuration_checker(hello_world_api, timeout, memory, expected, capsys):
    config = hello_world_api.update_function_configuration(FunctionName="hello-world-api", Timeout=timeout, MemorySize=memory)
    assert verdict(chapter02.q2, {"config": config}, capsys).startswith(expected)


def test_chapter02_configuration_reference_solution(hello_world_api, capsys):
    assert verdict(chapter02.q2, solved(chapter02.q2, lambda_client=hello_world_api), capsys).startswith("Correct")


def test_chapter02_a_call_on_another_function_is_pointed_out(hello_world_api, capsys):
    config = {"FunctionName": "other"}
    assert verdict(chapter02.q2, {"config": config}, capsys) == "Incorrect: that changed 'other'; change 'hello-world-api'."
