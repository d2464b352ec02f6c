"""Every chapter's checkers: the reference solution is Correct, each typical wrong answer gets its own message."""

from __future__ import annotations

import importlib.util
import json
import shutil
from json import dumps  # noqa: F401 - a name a learner's handler may lean on by mistake
from pathlib import Path

import boto3
import botocore.exceptions
import nbformat
import pytest
import requests

from helpers.cost import monthly_cost
from helpers.learn import ____, chapter01, chapter02
from helpers.steps import create_basic_execution_role, package_function
from tests.support import HELLO_WORLD, ROOT, solved as solved_with, verdict


def solved(exercise, **extra) -> dict:
    return solved_with(exercise, json=json, monthly_cost=monthly_cost, **extra)


@pytest.mark.parametrize(
    ("exercise", "answer", "expected"),
    [
        (chapter01.q2, {"response": "not found"}, "Incorrect: with the proxy integration a bare string"),
        (chapter01.q2, {"response": {"statusCode": 404, "body": {"error": "not found"}}}, "Incorrect: body must be a string"),
        (chapter01.q2, {"response": {"status": 404, "body": "{}"}}, "Incorrect: API Gateway answers 502 for an unknown key such as 'status'"),
        (chapter01.q2, {"response": {"body": json.dumps({"error": "not found"})}}, "Incorrect: without statusCode"),
        (chapter01.q2, {"response": {"statusCode": 200, "body": json.dumps({"error": "not found"})}}, "Incorrect: statusCode is 200"),
        (chapter01.q2, {"response": {"statusCode": 404, "body": "not found"}}, "Incorrect: the body 'not found' is not JSON"),
        (chapter01.q3, {"monthly_cost_usd": monthly_cost(5_000_000, 200, 512, "x86_64").total}, "Incorrect: that is the bill with x86_64 instead of arm64"),
        (chapter01.q3, {"monthly_cost_usd": monthly_cost(5_000_000, 200, 512, "arm64").lambda_total}, "Incorrect: that is the bill with the Lambda part only"),
        (chapter01.q3, {"monthly_cost_usd": 1000}, "Incorrect: $1000.00 is not it"),
        (chapter02.q2, {"handler": "handle"}, "Incorrect: 'handle' names no module: write '<module>.<function name>'."),
        (chapter02.q2, {"handler": "handlers.greet:handle"}, "Incorrect: a Python handler joins module and function with a dot, not ':'"),
        (chapter02.q2, {"handler": "greet/handle"}, "Incorrect: a Python handler joins module and function with a dot, not '/'"),
        (chapter02.q2, {"handler": "greet:handle"}, "Incorrect: a Python handler joins module and function with a dot, not ':': 'module.function'."),
        (chapter02.q2, {"handler": "handlers.greet.py.handle"}, "Incorrect: leave out '.py'"),
        (chapter02.q2, {"handler": "handlers/greet.handle"}, "Incorrect: 'handlers/greet' is a path; a module inside a folder is written with dots"),
        (chapter02.q2, {"handler": "greet.handle"}, "Incorrect: greet.py is in the folder handlers/, not at the zip's root"),
        (chapter02.q2, {"handler": "app.lambda_handler"}, "Incorrect: the zip has no module 'app' (its file is handlers/greet.py)"),
        (chapter02.q2, {"handler": "handlers.greet.lambda_handler"}, "Incorrect: greet.py has no function 'lambda_handler' (it defines handle)"),
        (chapter02.q3, {"config": ____}, "Not attempted"),
        (chapter02.q3, {"config": None}, "Incorrect: store the response of lambda_client.update_function_configuration"),
    ],
)
def test_wrong_answers_get_their_own_message(exercise, answer, expected, capsys):
    assert verdict(exercise, answer, capsys).startswith(expected)


@pytest.mark.parametrize("exercise", [chapter01.q2, chapter01.q3, chapter02.q2])
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
    assert verdict(chapter02.q3, {"config": config}, capsys).startswith(expected)


def log_policy(*statements) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action, resource) -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        (lambda a, g: "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole", "Incorrect: that is a policy's ARN"),
        (lambda a, g: [allow("logs:*", "*")], 'Incorrect: a policy is a dict: {"Version": "2012-10-17"'),
        (lambda a, g: {"Statement": [allow("logs:*", "*")]}, 'Incorrect: add "Version": "2012-10-17"'),
        (lambda a, g: log_policy({"Effect": "Allow", "Action": "logs:*"}), "Incorrect: each statement is a dict with Effect, Action and Resource."),
        (lambda a, g: log_policy(allow("*", "*")), "Incorrect: that allows every action (even s3:GetObject on any bucket)"),
        (lambda a, g: log_policy(allow("logs:*", f"{g}:*")), "Incorrect: that also lets the function delete log groups (logs:DeleteLogGroup)"),
        (lambda a, g: log_policy(allow(["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"], "*")),
         "Incorrect: that lets the function write into other functions' log groups too"),
        (lambda a, g: log_policy(allow(["logs:CreateLogStream", "logs:PutLogEvents"], f"{g}:*")), "Incorrect: allow logs:CreateLogGroup"),
        (lambda a, g: log_policy(allow("logs:CreateLogGroup", f"{a}:*"), allow(["logs:CreateLogStream", "logs:PutLogEvents"], g)),
         "Incorrect: logs:CreateLogStream acts on the log streams inside the group: end the ARN with :*"),
        (lambda a, g: log_policy(allow("logs:CreateLogGroup", f"{a}:*"), allow("logs:CreateLogStream", f"{g}:*")),
         "Incorrect: allow logs:PutLogEvents on"),
        (lambda a, g: log_policy(allow("logs:CreateLogGroup", f"{a}:*"), allow(["logs:CreateLogStream", "logs:PutLogEvents"], f"{g}:*"),
                                 {"Effect": "Deny", "Action": "logs:PutLogEvents", "Resource": "*"}), "Incorrect: allow logs:PutLogEvents on"),
        (lambda a, g: log_policy(allow("logs:CreateLogGroup", f"{a}:*"), allow(["logs:createlogstream", "logs:PutLogEvents"], [f"{g}:*"])),
         "Correct"),
    ],
)
def test_chapter02_log_policy_checker(sandbox, policy, expected, capsys):
    account = boto3.client("sts").get_caller_identity()["Account"]
    scope = f"arn:aws:logs:us-east-1:{account}"
    answer = policy(scope, f"{scope}:log-group:/aws/lambda/hello-world-api")
    assert verdict(chapter02.q1, {"log_policy": answer}, capsys).startswith(expected)


def test_chapter02_log_policy_reference_solution(sandbox, capsys):
    account = boto3.client("sts").get_caller_identity()["Account"]
    assert verdict(chapter02.q1, solved(chapter02.q1, region="us-east-1", account_id=account), capsys).startswith("Correct")


def test_chapter02_milliseconds_are_refused_by_lambda_itself(hello_world_api, capsys):
    # As on AWS, Timeout=10000 never reaches the function: the call fails, `config` stays unset.
    with pytest.raises(botocore.exceptions.ClientError, match=r"Value '10000' at 'timeout' failed to satisfy "
                       r"constraint: Member must have value less than or equal to 900"):
        hello_world_api.update_function_configuration(FunctionName="hello-world-api", Timeout=10_000, MemorySize=256)
    assert verdict(chapter02.q3, {}, capsys).startswith("Not attempted")


def test_chapter02_configuration_reference_solution(hello_world_api, capsys):
    assert verdict(chapter02.q3, solved(chapter02.q3, lambda_client=hello_world_api), capsys).startswith("Correct")


def test_chapter02_a_call_on_another_function_is_pointed_out(hello_world_api, capsys):
    config = {"FunctionName": "other"}
    assert verdict(chapter02.q3, {"config": config}, capsys) == "Incorrect: that changed 'other'; change 'hello-world-api'."


from helpers.learn import chapter03, chapter04  # noqa: E402
from helpers.deployment_package import zip_files  # noqa: E402
from helpers.learn.handler_code import module_source, run_unit_tests  # noqa: E402
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
        ("/*/POST//orders", "Incorrect: the path part is '/orders'; it is the resource path without its leading slash"),
        ("/*/POST/orders/*", "Incorrect: 'orders/*' covers the paths below /orders (such as /orders/42) but not /orders itself"),
        ("/*/POST/*", "Incorrect: the path part '*' also covers other paths than /orders"),
        ("/*/POST/order", "Incorrect: the path part is 'order'; the method is on the resource /orders"),
        ("/dev/POST/orders", "Incorrect: that only allows stage 'dev'"),
        ("/*", "Incorrect: after the API id come three parts"),
    ],
)
def test_chapter03_source_arn_checker(deployed, suffix, expected, capsys):
    assert verdict(chapter03.q1, {"source_arn": arn_prefix(deployed) + suffix, "api_id": deployed}, capsys).startswith(expected)


@pytest.mark.parametrize(
    ("prediction", "expected"),
    [
        (____, "Not attempted: fill in `pong_status`"),
        (403, "Correct: API Gateway answered 403 {\"message\":\"Missing Authentication Token\"}"),
        ("403", "Correct"),
        (404, "Incorrect: 404 is what most web servers, and API Gateway's HTTP APIs, answer; this REST API answered 403"),
        (200, "Incorrect: there is no /pong resource, so no integration runs"),
        (500, "Incorrect: API Gateway answered 403 {\"message\":\"Missing Authentication Token\"}, not 500."),
        ("four hundred", "Incorrect: give the status code as a number"),
        (True, "Incorrect: give the status code as a number"),
    ],
)
def test_chapter01_prediction_checker_calls_the_api(deployed, prediction, expected, capsys):
    assert verdict(chapter01.q1, {"pong_status": prediction, "api_id": deployed}, capsys).startswith(expected)


def test_chapter01_prediction_reference_solution(deployed, capsys):
    assert verdict(chapter01.q1, solved(chapter01.q1, api_id=deployed), capsys).startswith("Correct")


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


def test_chapter03_a_url_that_cannot_be_called_is_the_learners_mistake(deployed, capsys):
    boto3.client("apigateway").create_deployment(restApiId=deployed, stageName="test")
    unreachable = "http://127.0.0.1:9/restapis/x/test/_user_request_/hello"
    assert verdict(chapter03.q2, {"test_url": unreachable, "api_id": deployed}, capsys) == (
        f"Incorrect: {unreachable} cannot be called (ConnectionError); build it with invoke_url(api_id, stage, path), "
        "and check that this notebook's sandbox is running."
    )


def test_chapter03_forgotten_permission_is_named(deployed, capsys):
    apigateway = boto3.client("apigateway")
    apigateway.create_deployment(restApiId=deployed, stageName="test")
    boto3.client("lambda").remove_permission(FunctionName="hello-world-api", StatementId="apigateway-get-hello")
    message = verdict(chapter03.q2, {"test_url": invoke_url(deployed, "test", "/hello"), "api_id": deployed}, capsys)
    assert message.startswith("Incorrect: API Gateway answered 500")
    assert "lambda.add_permission statement is missing" in message


def notebook_file(name: str) -> str:
    """The text chapter 04 writes into `name` (its unit tests), taken from the notebook itself."""
    chapter = nbformat.read(ROOT / "notebooks" / "04_test_the_api.ipynb", as_version=4)
    marker = f'Path(work_dir, "{name}").write_text(\'\'\''
    cell = next(c.source for c in chapter.cells if marker in c.source)
    return cell.split(marker, 1)[1].split("\'\'\')", 1)[0]


@pytest.fixture
def work_dir(tmp_path):
    shutil.copy(HELLO_WORLD / "app.py", tmp_path)
    for name in ("test_app.py", "test_name.py"):
        (tmp_path / name).write_text(notebook_file(name))
    return str(tmp_path)


def body_is_a_dict(event, context):
    return {"statusCode": 200, "body": {"message": "Hello, World! from Lambda!"}}


def bare_string(event, context):
    return "Hello, World! from Lambda!"


def server_error(event, context):
    return {"statusCode": 500, "body": json.dumps("Hello, World! from Lambda!")}


def raises(event, context):
    return {"statusCode": 200, "body": json.dumps(greeting)}  # noqa: F821 - the learner's typo


# `dumps` is imported in this file, not in the app.py the checker writes.
def needs_a_notebook_name(event, context):
    return {"statusCode": 200, "body": dumps("Hello, World! from Lambda!")}


@pytest.mark.parametrize(
    ("handler", "expected"),
    [
        (body_is_a_dict, "Incorrect: the body is a dict; it must be a string (json.dumps it), or API Gateway answers 502."),
        (bare_string, "Incorrect: return a proxy response"),
        (server_error, "Incorrect: statusCode is 500"),
        (raises, "Incorrect: your handler (for GET /hello) raised NameError: name 'greeting' is not defined"),
        (needs_a_notebook_name, "Incorrect: with your handler as app.py, the unit tests fail:\nFAILED test_get_hello_says_hello_world\n"
                                "    return {\"statusCode\": 200, \"body\": dumps(\"Hello, World! from Lambda!\")}\n"
                                "E   NameError: name 'dumps' is not defined"),
        ("not a function", "Incorrect: define a function"),
    ],
)
def test_chapter04_fixed_handler_checker(deployed, work_dir, handler, expected, capsys):
    url = invoke_url(deployed, "dev", "/hello")
    assert verdict(chapter04.q1, {"fixed_handler": handler, "work_dir": work_dir, "url": url}, capsys).startswith(expected)


def learner_module(tmp_path, source: str):
    """Import a solution as if written in a cell: a file, so its source can be read and deployed."""
    path = tmp_path / "learner_cell.py"
    path.write_text("import json\n\n" + source + "\n")
    spec = importlib.util.spec_from_file_location("learner_cell", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_chapter04_fixed_handler_is_deployed_and_called(deployed, work_dir, tmp_path, capsys):
    url = invoke_url(deployed, "dev", "/hello")
    fixed = learner_module(tmp_path, chapter04.q1.solution_code).fixed_handler
    boto3.client("lambda").update_function_code(FunctionName="hello-world-api", ZipFile=zip_files({"app.py": module_source(body_is_a_dict)}))
    assert requests.get(url, timeout=10).status_code == 502
    assert verdict(chapter04.q1, {"fixed_handler": fixed, "work_dir": work_dir, "url": url}, capsys).startswith("Correct")
    assert requests.get(url, timeout=10).text == '"Hello, World! from Lambda!"'
    assert "def fixed_handler" in (Path(work_dir) / "app.py").read_text()


def default_dict_on_none(event, context):
    name = event.get("queryStringParameters", {}).get("name") or "World"
    return {"statusCode": 200, "body": json.dumps(f"Hello, {name}! from Lambda!")}


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
        (default_dict_on_none, "Incorrect: your handler (for GET /hello) raised AttributeError: 'NoneType' object has no attribute 'get'"
                               " — queryStringParameters is None when the URL has no query string"),
        (crashes_without_query, "Incorrect: your handler (for GET /hello) raised TypeError: 'NoneType' object is not subscriptable"
                                " — queryStringParameters is None when the URL has no query string"),
        (key_error, "Incorrect: your handler (for GET /hello) raised KeyError: 'name' — use .get()"),
        (dict_body, "Incorrect: the body is a dict; it must be a string"),
        (forgets_default, "Incorrect: without a name it says 'Hello, None! from Lambda!'"),
        (wrong_format, "Incorrect: for ?name=Ada it says 'Hi Ada'"),
        ("not a function", "Incorrect: define a function"),
    ],
)
def test_chapter04_named_handler_checker(deployed, work_dir, handler, expected, capsys):
    url = invoke_url(deployed, "dev", "/hello")
    assert verdict(chapter04.q2, {"lambda_handler": handler, "work_dir": work_dir, "url": url}, capsys).startswith(expected)


def test_chapter04_named_handler_is_tested_deployed_and_called(deployed, work_dir, tmp_path, capsys):
    url = invoke_url(deployed, "dev", "/hello")
    handler = learner_module(tmp_path, chapter04.q2.solution_code).lambda_handler
    assert verdict(chapter04.q2, {"lambda_handler": handler, "work_dir": work_dir, "url": url}, capsys).startswith("Correct")
    assert requests.get(url, params={"name": "Ada"}, timeout=10).text == '"Hello, Ada! from Lambda!"'


def test_the_unit_tests_show_the_failing_assertion(work_dir):
    run = run_unit_tests(work_dir)
    assert not run.passed
    assert run.failures == {"test_greets_by_name": [
        '    assert json.loads(response["body"]) == "Hello, Ada! from Lambda!"',
        "E   AssertionError: assert 'Hello, World! from Lambda!' == 'Hello, Ada! from Lambda!'",
        "E",
        "E     - Hello, Ada! from Lambda!",
        "E     ?        ^ -",
        "E     + Hello, World! from Lambda!",
        "E     ?        ^^^^",
    ]}
    assert run.summary.startswith("1 failed, 2 passed")
    assert run_unit_tests(work_dir, "test_app.py").passed
