"""Chapter 08: its checkers (reference and typical wrong answers, against a sandbox) and its two Lambda functions."""

from __future__ import annotations

import importlib.util
import json

import boto3
import pytest

from helpers.learn import ____, chapter08
from helpers.steps import LAMBDA_TRUST_POLICY, add_get_route, package_function, wait_until_active
from tests.support import ROOT, solved, verdict

LAMBDA_SRC = ROOT / "lambda_src"
LOGS_ONLY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"], "Resource": "*"}]}


@pytest.fixture
def chapter(sandbox):
    """The chapter's starting point: the greetings table, greeter with a logs-only role, GET /hello on dev."""
    dynamodb, iam = boto3.client("dynamodb"), boto3.client("iam")
    dynamodb.create_table(TableName="greetings", BillingMode="PAY_PER_REQUEST",
                          KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                          AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])
    dynamodb.put_item(TableName="greetings", Item={"id": {"S": "hello"}, "text": {"S": "Hello, {name}! from Lambda!"}})
    role = iam.create_role(RoleName=chapter08.ROLE, AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST_POLICY))["Role"]["Arn"]
    iam.put_role_policy(RoleName=chapter08.ROLE, PolicyName="write-own-logs", PolicyDocument=json.dumps(LOGS_ONLY))
    boto3.client("lambda").create_function(
        FunctionName=chapter08.FUNCTION, Runtime="python3.12", Handler="app.lambda_handler", Role=role,
        Code={"ZipFile": package_function(LAMBDA_SRC / "greeting_from_table")}, Environment={"Variables": {"TABLE_NAME": "greetings"}})
    wait_until_active(chapter08.FUNCTION)
    apigateway = boto3.client("apigateway")
    api_id = apigateway.create_rest_api(name="secure-api")["id"]
    add_get_route(api_id, "hello", chapter08.FUNCTION)
    apigateway.create_deployment(restApiId=api_id, stageName="dev")
    return {"region": "us-east-1", "account_id": sandbox.account_id, "api_id": api_id}


def test_least_privilege_checker(chapter, capsys):
    table = f"arn:aws:dynamodb:us-east-1:{chapter['account_id']}:table/greetings"

    def policy(action, resource=table):
        return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}]}

    cases = [
        (____, "Not attempted"),
        ("{not json", "Incorrect: that string is not JSON"),
        (["dynamodb:GetItem"], "Incorrect: a policy document is a dict"),
        (policy("dynamodb:GetItem", "greetings"), "Incorrect: with this policy the handler's GetItem is still refused"),
        (policy("dynamodb:GetItem", table.replace("greetings", "greeting")), "Incorrect: with this policy the handler's GetItem is still refused"),
        (policy("dynamodb:Query"), "Incorrect: with this policy the handler's GetItem is still refused"),
        (policy("*", "*"), "Incorrect: it works, but it also opens other services"),
        (policy("dynamodb:GetItem", "*"), "Incorrect: it works, but it lets the function read every table"),
        (policy("dynamodb:GetItem", "arn:aws:dynamodb:*:*:table/*"), "Incorrect: it works, but it lets the function read every table"),
        (policy("dynamodb:*"), "Incorrect: it works, but it also allows dynamodb:PutItem, dynamodb:DeleteItem, dynamodb:Scan, dynamodb:DeleteTable"),
        (policy(["dynamodb:GetItem", "dynamodb:Scan"]), "Incorrect: it works, but it also allows dynamodb:Scan on the table"),
        ({"Version": "2012-10-17", "Statement": [{"Effect": "Permit", "Action": "dynamodb:GetItem", "Resource": table}]},
         "Incorrect: IAM would refuse that document (MalformedPolicyDocument)"),
        ({"Statement": None}, "Incorrect: IAM would refuse that document (MalformedPolicyDocument): bad statement None"),
        ({"Statement": [{"Effect": "Allow", "Action": "dynamodb:GetItem"}]}, "Incorrect: IAM would refuse that document (MalformedPolicyDocument): each statement needs"),
    ]
    for answer, expected in cases:
        said = verdict(chapter08.q1, {"greeter_policy": answer}, capsys)
        assert said.startswith(expected), (answer, said)
    # Before a right answer, no wrong one above reached the role: the function is still refused.
    refused = boto3.client("lambda").invoke(FunctionName=chapter08.FUNCTION, Payload=b"{}")
    assert refused.get("FunctionError") == "Unhandled"
    reference = solved(chapter08.q1, **chapter)
    assert verdict(chapter08.q1, reference, capsys) == (
        'Correct: the role may read one table and nothing else; the function answers "Hello, World! from Lambda!".')
    as_json = {"greeter_policy": json.dumps(reference["greeter_policy"])}
    assert verdict(chapter08.q1, as_json, capsys).startswith("Correct")


def test_source_arn_checker(chapter, capsys):
    arn = f"arn:aws:execute-api:us-east-1:{chapter['account_id']}:{chapter['api_id']}"
    api_id = chapter["api_id"]
    # By exercise 2 the role may read the table (exercise 1), so a wrong SourceArn is the only fault left.
    boto3.client("iam").put_role_policy(RoleName=chapter08.ROLE, PolicyName=chapter08.INLINE_POLICY,
                                        PolicyDocument=json.dumps(solved(chapter08.q1, **chapter)["greeter_policy"]))
    cases = [
        (____, "Not attempted"),
        (42, "Incorrect: the SourceArn is a string"),
        (f"arn:aws:apigateway:us-east-1::/restapis/{api_id}", "Incorrect: the form is arn:aws:execute-api"),
        (f"arn:aws:execute-api:us-east-1:{chapter['account_id']}:abcdefghij/dev/GET/hello", "Incorrect: that ARN names API 'abcdefghij'"),
        (f"{arn}/dev/GET//hello", "Incorrect: the path part has no leading slash"),
        (f"{arn}/prod/GET/hello", "Incorrect: API Gateway answered 500"),
        (f"{arn}/dev/POST/hello", "Incorrect: API Gateway answered 500"),
        (f"{arn}/*/GET/hello", "Incorrect: the API answers 200, but the wildcard in stage '*'"),
        (f"{arn}/*", "Incorrect: the API answers 200, but the wildcard in stage '*'"),
        (f"{arn}/dev/*/*", "Incorrect: the API answers 200, but the wildcard in method '*', path '*'"),
    ]
    for answer, expected in cases:
        said = verdict(chapter08.q2, {"source_arn": answer, "api_id": api_id}, capsys)
        assert said.startswith(expected), (answer, said)
    said = verdict(chapter08.q2, solved(chapter08.q2, **chapter), capsys)
    assert said == 'Correct: the API answers 200 "Hello, World! from Lambda!", and only dev\'s GET /hello may invoke the function.'
    statements = json.loads(boto3.client("lambda").get_policy(FunctionName=chapter08.FUNCTION)["Policy"])["Statement"]
    assert [s["Condition"]["ArnLike"]["AWS:SourceArn"] for s in statements] == [f"{arn}/dev/GET/hello"]
    assert statements[0]["Condition"]["StringEquals"]["AWS:SourceAccount"] == chapter["account_id"]


def load_handler(folder: str):
    spec = importlib.util.spec_from_file_location(f"{folder}_app", LAMBDA_SRC / folder / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.lambda_handler


METHOD_ARN = "arn:aws:execute-api:us-east-1:123456789012:abcdefghij/dev/GET/me/settings"


def test_the_authorizer_allows_denies_and_refuses(monkeypatch):
    authorize = load_handler("token_authorizer")
    allowed = authorize({"type": "TOKEN", "authorizationToken": "Bearer allow-alice", "methodArn": METHOD_ARN}, None)
    assert allowed["principalId"] == "alice" and allowed["context"] == {"user": "alice", "plan": "gold"}
    assert allowed["policyDocument"]["Statement"] == [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": METHOD_ARN}]
    denied = authorize({"type": "REQUEST", "headers": {"X-User-Token": "deny-mallory"}, "methodArn": METHOD_ARN}, None)
    assert denied["policyDocument"]["Statement"][0]["Effect"] == "Deny"
    with pytest.raises(Exception, match="^Unauthorized$"):
        authorize({"type": "REQUEST", "headers": None, "methodArn": METHOD_ARN}, None)
    monkeypatch.setenv("POLICY_SCOPE", "stage")
    scoped = authorize({"type": "TOKEN", "authorizationToken": "Bearer allow-bob", "methodArn": METHOD_ARN}, None)
    assert scoped["policyDocument"]["Statement"][0]["Resource"] == "arn:aws:execute-api:us-east-1:123456789012:abcdefghij/dev/*"


@pytest.fixture
def partner_route(chapter):
    """GET /partner with apiKeyRequired on dev, a 5-a-day plan for another partner, and Globex's key in no plan."""
    apigateway, api_id = boto3.client("apigateway"), chapter["api_id"]
    boto3.client("iam").put_role_policy(RoleName=chapter08.ROLE, PolicyName=chapter08.INLINE_POLICY,
                                        PolicyDocument=json.dumps(solved(chapter08.q1, **chapter)["greeter_policy"]))
    root = next(r["id"] for r in apigateway.get_resources(restApiId=api_id)["items"] if r["path"] == "/")
    partner = apigateway.create_resource(restApiId=api_id, parentId=root, pathPart="partner")["id"]
    apigateway.put_method(restApiId=api_id, resourceId=partner, httpMethod="GET", authorizationType="NONE", apiKeyRequired=True)
    function_arn = boto3.client("lambda").get_function_configuration(FunctionName=chapter08.FUNCTION)["FunctionArn"]
    apigateway.put_integration(restApiId=api_id, resourceId=partner, httpMethod="GET", type="AWS_PROXY", integrationHttpMethod="POST",
                               uri=f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{function_arn}/invocations")
    boto3.client("lambda").add_permission(FunctionName=chapter08.FUNCTION, StatementId="partner", Action="lambda:InvokeFunction",
                                          Principal="apigateway.amazonaws.com",
                                          SourceArn=f"arn:aws:execute-api:us-east-1:{chapter['account_id']}:{api_id}/dev/GET/partner")
    apigateway.create_deployment(restApiId=api_id, stageName="dev")
    apigateway.create_deployment(restApiId=api_id, stageName="prod")
    basic = apigateway.create_usage_plan(name="partners-basic", apiStages=[{"apiId": api_id, "stage": "dev"}],
                                         quota={"limit": 5, "period": "DAY"})["id"]
    return {**chapter, "apigateway": apigateway, "basic_plan": basic,
            "globex_key": apigateway.create_api_key(name="partner-globex", enabled=True)}


def test_usage_plan_checker(partner_route, capsys):
    apigateway, api_id, key = partner_route["apigateway"], partner_route["api_id"], partner_route["globex_key"]

    def plan(name, stages=("dev",), quota=None):
        return apigateway.create_usage_plan(name=name, apiStages=[{"apiId": api_id, "stage": s} for s in stages],
                                            **({"quota": quota} if quota else {}))["id"]

    def check(plan_id):
        return verdict(chapter08.q3, {"globex_plan_id": plan_id, "globex_key": key, "api_id": api_id}, capsys)

    assert check(____).startswith("Not attempted")
    assert check(apigateway.create_usage_plan).startswith("Incorrect: globex_plan_id is the id string")
    assert check("nosuchplan").startswith("Incorrect: there is no usage plan 'nosuchplan'")
    assert check(plan("wrong-stage", ("prod",), {"limit": 100, "period": "DAY"})).startswith(
        "Incorrect: the plan does not list this API's dev stage")
    assert check(plan("two-stages", ("dev", "prod"), {"limit": 100, "period": "DAY"})).startswith(
        "Incorrect: the plan admits the key to more than stage dev")
    assert check(plan("no-quota")).startswith("Incorrect: the plan's quota is None per None")
    # The typical shortcut: put Globex's key in the first partner's plan.
    apigateway.create_usage_plan_key(usagePlanId=partner_route["basic_plan"], keyId=key["id"], keyType="API_KEY")
    assert check(partner_route["basic_plan"]).startswith("Incorrect: the plan's quota is 5 per DAY; Globex bought 100 per DAY")
    apigateway.delete_usage_plan_key(usagePlanId=partner_route["basic_plan"], keyId=key["id"])
    right_but_empty = plan("globex-empty", quota={"limit": 100, "period": "DAY"})
    assert check(right_but_empty).startswith("Incorrect: the key is not in the plan yet")
    apigateway.update_api_key(apiKey=key["id"], patchOperations=[{"op": "replace", "path": "/enabled", "value": "false"}])
    apigateway.create_usage_plan_key(usagePlanId=right_but_empty, keyId=key["id"], keyType="API_KEY")
    assert check(right_but_empty).startswith("Incorrect: with Globex's key: API Gateway answered 403")
    apigateway.update_api_key(apiKey=key["id"], patchOperations=[{"op": "replace", "path": "/enabled", "value": "true"}])
    apigateway.delete_usage_plan_key(usagePlanId=right_but_empty, keyId=key["id"])
    reference = solved(chapter08.q3, apigateway=apigateway, api_id=api_id, globex_key=key)
    said = check(reference["globex_plan_id"])
    assert said == ('Correct: Globex\'s key gets 200 "Hello, World! from Lambda!", '
                    'no key still gets 403 {"message":"Forbidden"}.'), said
