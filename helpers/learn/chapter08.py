"""Chapter 08 exercises: a least-privilege execution role, the SourceArn that lets the API in again, a usage plan for a new key."""

from __future__ import annotations

import json

import boto3
import requests

from ..gateway.policies import ALLOW, MalformedPolicy, evaluate
from ..steps import invoke_url
from .chapter03 import _EXECUTE_API
from .diagnosis import explain
from .exercise import Exercise, Incorrect

FUNCTION = "greeter"
ROLE = "greeter-role"
TABLE = "greetings"
INLINE_POLICY = "read-greetings"
PERMISSION_ID = "apigateway-get-hello"


def _table_arn(name: str) -> str:
    client = boto3.client("sts")
    return f"arn:aws:dynamodb:{client.meta.region_name}:{client.get_caller_identity()['Account']}:table/{name}"


def _as_policy(document: object) -> dict:
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError as error:
            raise Incorrect(f"that string is not JSON ({error}); a policy document is a dict or its JSON.") from None
    if not isinstance(document, dict) or "Statement" not in document:
        raise Incorrect('a policy document is a dict with "Version": "2012-10-17" and a "Statement" list.')
    statements = document["Statement"]
    for statement in statements if isinstance(statements, list) else [statements]:
        if isinstance(statement, dict) and not ({"Action", "NotAction"} & statement.keys() and {"Resource", "NotResource"} & statement.keys()):
            raise Incorrect(f"IAM would refuse that document (MalformedPolicyDocument): each statement needs an Effect, "
                            f"an Action and a Resource; {statement} lacks one.")
    return document


def _allows(policy: dict, action: str, resource: str) -> bool:
    try:
        return evaluate([policy], action, resource, {}) == ALLOW
    except MalformedPolicy as error:
        raise Incorrect(f"IAM would refuse that document (MalformedPolicyDocument): {error}.") from None


def _check_least_privilege(greeter_policy: object) -> str:
    policy = _as_policy(greeter_policy)
    table = _table_arn(TABLE)
    if not _allows(policy, "dynamodb:GetItem", table):
        raise Incorrect(f"with this policy the handler's GetItem is still refused: allow the Action dynamodb:GetItem "
                        f"on the Resource {table} (the table's ARN, not its name).")
    if _allows(policy, "s3:GetObject", "arn:aws:s3:::any-bucket/any-key"):
        raise Incorrect("it works, but it also opens other services (S3 here): name only dynamodb:GetItem.")
    if _allows(policy, "dynamodb:GetItem", _table_arn("payroll")):
        raise Incorrect("it works, but it lets the function read every table in the account, e.g. table/payroll: "
                        f"replace Resource \"*\" (or a wildcard) with {table}.")
    extra = [a for a in ("dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:Scan", "dynamodb:DeleteTable") if _allows(policy, a, table)]
    if extra:
        raise Incorrect(f"it works, but it also allows {', '.join(extra)} on the table; the handler only reads one item: "
                        "Action dynamodb:GetItem.")
    iam = boto3.client("iam")
    try:
        iam.put_role_policy(RoleName=ROLE, PolicyName=INLINE_POLICY, PolicyDocument=json.dumps(policy))
    except iam.exceptions.ClientError as error:
        raise Incorrect(f"IAM refused the policy: {error.response['Error']['Message']}") from None
    answer = boto3.client("lambda").invoke(FunctionName=FUNCTION, Payload=b"{}")
    payload = json.loads(answer["Payload"].read())
    if answer.get("FunctionError"):
        raise Incorrect(f"the function still fails with your policy: {payload.get('errorMessage')}")
    return f"the role may read one table and nothing else; the function answers {payload['body']}."


def _check_source_arn(source_arn: object, api_id: str) -> str:
    if not isinstance(source_arn, str):
        raise Incorrect("the SourceArn is a string.")
    match = _EXECUTE_API.match(source_arn)
    if not match:
        raise Incorrect("the form is arn:aws:execute-api:<region>:<account id>:<api id>/<stage>/<method>/<path>.")
    if match["api"] != api_id:
        raise Incorrect(f"that ARN names API {match['api']!r}; yours is api_id = {api_id!r}.")
    stage, _, method_path = match["rest"].partition("/")
    method, _, path = method_path.partition("/")
    if path.startswith("/"):
        raise Incorrect("the path part has no leading slash: …/dev/GET/hello.")
    lambda_client = boto3.client("lambda")
    try:
        lambda_client.remove_permission(FunctionName=FUNCTION, StatementId=PERMISSION_ID)
    except lambda_client.exceptions.ResourceNotFoundException:
        pass  # already removed, e.g. by an earlier attempt
    lambda_client.add_permission(FunctionName=FUNCTION, StatementId=PERMISSION_ID, Action="lambda:InvokeFunction",
                                 Principal="apigateway.amazonaws.com", SourceArn=source_arn,
                                 SourceAccount=match["account"])
    answer = requests.get(invoke_url(api_id, "dev", "/hello"), timeout=10)
    if answer.status_code != 200:
        raise Incorrect(f"{explain(answer)} Your SourceArn allows stage {stage!r}, method {method!r}, path {path!r}; "
                        "the call comes from stage 'dev', method 'GET', path 'hello'.")
    broad = [f"{part} {value!r}" for part, value in (("stage", stage), ("method", method), ("path", path)) if "*" in value]
    if broad:
        raise Incorrect(f"the API answers 200, but the wildcard in {', '.join(broad)} lets more than dev's GET /hello "
                        "invoke the function: name each part.")
    return f"the API answers {answer.status_code} {answer.text}, and only dev's GET /hello may invoke the function."


def _check_usage_plan(globex_plan_id: object, globex_key: dict, api_id: str) -> str:
    apigateway = boto3.client("apigateway")
    if not isinstance(globex_plan_id, str):
        raise Incorrect("globex_plan_id is the id string of a usage plan: create_usage_plan(...)['id'].")
    try:
        plan = apigateway.get_usage_plan(usagePlanId=globex_plan_id)
    except apigateway.exceptions.NotFoundException:
        raise Incorrect(f"there is no usage plan {globex_plan_id!r}: use the id create_usage_plan returned.") from None
    stages = {(s.get("apiId"), s.get("stage")) for s in plan.get("apiStages") or []}
    if (api_id, "dev") not in stages:
        raise Incorrect(f"the plan does not list this API's dev stage: apiStages=[{{'apiId': api_id, 'stage': 'dev'}}].")
    if len(stages) > 1:
        raise Incorrect(f"the plan admits the key to more than stage dev: {sorted(stages)}.")
    quota = plan.get("quota") or {}
    if (quota.get("limit"), quota.get("period")) != (100, "DAY"):
        raise Incorrect(f"the plan's quota is {quota.get('limit')} per {quota.get('period')}; Globex bought 100 per DAY.")
    keys = {k["id"] for k in apigateway.get_usage_plan_keys(usagePlanId=globex_plan_id)["items"]}
    if globex_key["id"] not in keys:
        raise Incorrect("the key is not in the plan yet: create_usage_plan_key(usagePlanId=..., keyId=globex_key['id'], keyType='API_KEY').")
    url = invoke_url(api_id, "dev", "/partner")
    with_key = requests.get(url, headers={"x-api-key": globex_key["value"]}, timeout=10)
    if with_key.status_code != 200:
        raise Incorrect(f"with Globex's key: {explain(with_key)}")
    without = requests.get(url, timeout=10)
    if without.status_code != 403:
        raise Incorrect(f"without a key the API answers {without.status_code}; it should stay 403 Forbidden.")
    return f"Globex's key gets 200 {with_key.text}, no key still gets 403 {without.text}."


q1 = Exercise(
    "q1", ("greeter_policy",), _check_least_privilege,
    "one statement: Effect Allow, Action dynamodb:GetItem, Resource arn:aws:dynamodb:<region>:<account id>:table/greetings.",
    '''greeter_policy = {
    "Version": "2012-10-17",
    "Statement": [{
        "Effect": "Allow",
        "Action": "dynamodb:GetItem",
        "Resource": f"arn:aws:dynamodb:{region}:{account_id}:table/greetings",
    }],
}''',
)
q2 = Exercise(
    "q2", ("source_arn", "api_id"), _check_source_arn,
    "the execute-api ARN of one method on one stage: arn:aws:execute-api:<region>:<account id>:<api id>/dev/GET/hello.",
    'source_arn = f"arn:aws:execute-api:{region}:{account_id}:{api_id}/dev/GET/hello"',
)
q3 = Exercise(
    "q3", ("globex_plan_id", "globex_key", "api_id"), _check_usage_plan,
    "a new plan (create_usage_plan with apiStages and quota), then create_usage_plan_key for Globex's key.",
    '''globex_plan_id = apigateway.create_usage_plan(
    name="partners-globex", apiStages=[{"apiId": api_id, "stage": "dev"}], quota={"limit": 100, "period": "DAY"},
)["id"]
apigateway.create_usage_plan_key(usagePlanId=globex_plan_id, keyId=globex_key["id"], keyType="API_KEY")''',
)
