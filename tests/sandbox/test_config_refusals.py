"""AWS's refusals of bad configuration, through plain boto3: the classic typos get AWS's status, code and words."""

from __future__ import annotations

import json
from datetime import date

import boto3
import botocore.config
import pytest
from botocore.exceptions import ClientError

from helpers.sandbox import config_refusals
from tests.support import TRUST, zip_of

VALIDATION = "1 validation error detected: Value '{}' at '{}' failed to satisfy constraint: {}"
NO_CLIENT_CHECKS = botocore.config.Config(parameter_validation=False, retries={"max_attempts": 0})


def _role() -> str:
    return boto3.client("iam").create_role(RoleName="typo-role", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]


def _create(client, name: str, role: str, **config):
    config.setdefault("Runtime", "python3.12")
    return client.create_function(FunctionName=name, Role=role, Handler="app.handler",
                                  Code={"ZipFile": zip_of({"app.py": "def handler(e, c): return 1"})}, **config)


def _error(call) -> tuple[int, str, str, dict]:
    with pytest.raises(ClientError) as caught:
        call()
    response = caught.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"], response["Error"]["Message"], response


def test_the_classic_typos_of_create_function(sandbox):
    client = boto3.client("lambda", config=NO_CLIENT_CHECKS)
    role = _role()
    create = lambda **config: _create(client, "typo", role, **config)  # noqa: E731

    # Milliseconds for seconds: AWS's own rule for on-demand functions (the 2026 model allows 5,400).
    assert _error(lambda: create(Timeout=10000))[:3] == (
        400, "ValidationException",
        VALIDATION.format(10000, "timeout", "Member must have value less than or equal to 900"))
    assert _error(lambda: create(MemorySize=64))[:3] == (
        400, "ValidationException",
        VALIDATION.format(64, "memorySize", "Member must have value greater than or equal to 128"))
    assert _error(lambda: create(MemorySize=10241))[2] == VALIDATION.format(
        10241, "memorySize", "Member must have value less than or equal to 10240")
    status, code, message, response = _error(lambda: create(Runtime="python2.7"))
    assert (status, code, message) == (
        400, "InvalidParameterValueException",
        "The runtime parameter of python2.7 is no longer supported for creating or updating AWS Lambda functions. "
        "We recommend you use a supported runtime while creating or updating functions.")
    assert response["Type"] == "User"
    # Two mistakes at once: one answer naming both, in the order of the model's members.
    assert _error(lambda: create(Timeout=0, MemorySize=64))[2] == (
        "2 validation errors detected: "
        "Value '0' at 'timeout' failed to satisfy constraint: Member must have value greater than or equal to 1; "
        "Value '64' at 'memorySize' failed to satisfy constraint: Member must have value greater than or equal to 128")
    assert _error(lambda: create(Architectures=["x86_64", "arm64"]))[2] == VALIDATION.format(
        "[x86_64, arm64]", "architectures", "Member must have length less than or equal to 1")
    # What AWS accepts, the sandbox accepts, and nothing was created by the refused calls.
    assert create(Timeout=900, MemorySize=10240)["Timeout"] == 900
    assert [f["FunctionName"] for f in client.list_functions()["Functions"]] == ["typo"]
    # The same rules on update.
    assert _error(lambda: client.update_function_configuration(FunctionName="typo", Timeout=901))[2] == (
        VALIDATION.format(901, "timeout", "Member must have value less than or equal to 900"))
    assert _error(lambda: client.update_function_configuration(FunctionName="typo", Runtime="python3.6"))[1] == (
        "InvalidParameterValueException")


def test_boto3_itself_catches_what_its_model_knows(sandbox):
    # A learner with default boto3 sees the client-side check first, as against AWS.
    with pytest.raises(botocore.exceptions.ParamValidationError, match="valid min value: 128"):
        _create(boto3.client("lambda"), "first", _role(), MemorySize=64)


@pytest.mark.parametrize("runtime, blocked", [("python2.7", True), ("python3.6", True), ("python3.7", True),
                                              ("python3.12", False), ("python3.14", False)])
def test_deprecated_runtimes_by_their_block_dates(runtime, blocked):
    request = config_refusals.ControlRequest("lambda", "CreateFunction", {"Runtime": runtime}, "123456789012", "us-east-1")
    assert (config_refusals.blocked_runtime(request) is not None) == blocked


def test_a_runtime_is_refused_from_its_block_date_on(monkeypatch):
    create, update = config_refusals.BLOCKED_RUNTIMES["python3.9"]
    request = config_refusals.ControlRequest("lambda", "CreateFunction", {"Runtime": "python3.9"}, "1", "us-east-1")
    updating = config_refusals.ControlRequest("lambda", "UpdateFunctionConfiguration", {"Runtime": "python3.9"}, "1",
                                              "us-east-1")
    for today, refused_create, refused_update in ((date(2026, 12, 2), False, False), (create, True, False),
                                                   (update, True, True)):
        monkeypatch.setattr(config_refusals, "_today", lambda today=today: today)
        assert (config_refusals.blocked_runtime(request) is not None) == refused_create, today
        assert (config_refusals.blocked_runtime(updating) is not None) == refused_update, today


def test_reserved_concurrency_must_leave_100_unreserved(sandbox):
    client = boto3.client("lambda")
    role = _role()
    for name in ("a", "b"):
        _create(client, name, role)
    client.put_function_concurrency(FunctionName="a", ReservedConcurrentExecutions=500)
    message = ("Specified ReservedConcurrentExecutions for function decreases account's "
               "UnreservedConcurrentExecution below its minimum value of [100].")
    assert _error(lambda: client.put_function_concurrency(FunctionName="b", ReservedConcurrentExecutions=401))[:3] == (
        400, "InvalidParameterValueException", message)
    assert client.put_function_concurrency(FunctionName="b", ReservedConcurrentExecutions=400)[
        "ReservedConcurrentExecutions"] == 400
    # A function's own reservation is replaced, not added to.
    assert client.put_function_concurrency(FunctionName="a", ReservedConcurrentExecutions=500)[
        "ReservedConcurrentExecutions"] == 500
    # GetAccountSettings shows what is left (its keys as recorded on AWS, test_account_settings).
    settings = client.get_account_settings()
    assert sorted(settings["AccountLimit"]) == ["CodeSizeUnzipped", "CodeSizeZipped", "ConcurrentExecutions",
                                                "TotalCodeSize", "UnreservedConcurrentExecutions"]
    assert (settings["AccountLimit"]["ConcurrentExecutions"], settings["AccountLimit"]["UnreservedConcurrentExecutions"]) == (
        1000, 100)
    assert settings["AccountUsage"]["FunctionCount"] == 2 and settings["AccountUsage"]["TotalCodeSize"] > 0


def test_provisioned_concurrency_comes_out_of_the_reserved_concurrency(sandbox):
    client = boto3.client("lambda")
    _create(client, "p", _role())
    version = client.publish_version(FunctionName="p")["Version"]
    client.put_function_concurrency(FunctionName="p", ReservedConcurrentExecutions=2)
    status, code, message, response = _error(lambda: client.put_provisioned_concurrency_config(
        FunctionName="p", Qualifier=version, ProvisionedConcurrentExecutions=3))
    assert (status, code, message, response["Type"]) == (
        400, "InvalidParameterValueException",
        "Requested Provisioned Concurrency should not be greater than the reservedConcurrentExecution for function",
        "User")
    assert client.put_provisioned_concurrency_config(FunctionName="p", Qualifier=version,
                                                     ProvisionedConcurrentExecutions=2)["RequestedProvisionedConcurrentExecutions"] == 2
    client.delete_provisioned_concurrency_config(FunctionName="p", Qualifier=version)


def test_api_gateway_refusals(sandbox):
    client = boto3.client("apigateway")
    api = client.create_rest_api(name="refusals")["id"]
    root = client.get_resources(restApiId=api)["items"][0]["id"]
    hello = client.create_resource(restApiId=api, parentId=root, pathPart="hello")["id"]
    assert _error(lambda: client.create_resource(restApiId=api, parentId=root, pathPart="hello"))[:3] == (
        409, "ConflictException", "Another resource with the same parent already has this name: hello")
    bad_part = ("Resource's path part only allow a-zA-Z0-9._- and curly braces at the beginning and the end "
                "and an optional plus sign before the closing brace.")
    for part in ("hello world", "{id", "id}", "hello+", "/hello"):
        assert _error(lambda: client.create_resource(restApiId=api, parentId=root, pathPart=part))[:3] == (
            400, "BadRequestException", bad_part), part
    client.create_resource(restApiId=api, parentId=root, pathPart="{proxy+}")
    assert _error(lambda: client.create_resource(restApiId=api, parentId=root, pathPart="{id}"))[2] == (
        "A sibling ({proxy+}) of this resource already has a variable path part -- only one is allowed")
    greedy = [r["id"] for r in client.get_resources(restApiId=api)["items"] if r["path"] == "/{proxy+}"][0]
    assert _error(lambda: client.create_resource(restApiId=api, parentId=greedy, pathPart="x"))[2] == (
        "Cannot create a child of a resource with a greedy path variable: {proxy+}")
    client.create_resource(restApiId=api, parentId=hello, pathPart="hello")  # same name, another parent: fine
    client.create_resource(restApiId=api, parentId=root, pathPart="v1:batch")  # AWS takes a colon

    client.put_method(restApiId=api, resourceId=hello, httpMethod="GET", authorizationType="NONE")
    function_arn = "arn:aws:lambda:us-east-1:123456789012:function:hello"
    integrate = lambda uri: client.put_integration(  # noqa: E731
        restApiId=api, resourceId=hello, httpMethod="GET", type="AWS_PROXY", integrationHttpMethod="POST", uri=uri)
    for uri, message in (
            (function_arn, "AWS ARN for integration must contain path or action"),  # the function's ARN itself
            (f"bad-arn:lambda:path/2015-03-31/functions/{function_arn}/invocations", "Invalid ARN specified in the request"),
            (f"arn:aws:apigateway:us-east-1:lambda:path/random/value/{function_arn}/invocations",
             "Integrations of type 'AWS_PROXY' currently only supports Lambda function and Firehose stream invocations.")):
        assert _error(lambda: integrate(uri))[:3] == (400, "BadRequestException", message), uri
    assert _error(lambda: client.put_integration(restApiId=api, resourceId=hello, httpMethod="GET", type="HTTPS_PROXY",
                                                 uri="https://example.com"))[:3] == (
        400, "ValidationException", "1 validation error detected: Value 'HTTPS_PROXY' at 'putIntegrationInput.type' "
        "failed to satisfy constraint: Member must satisfy enum value set: [HTTP, AWS, MOCK, HTTP_PROXY, AWS_PROXY]")


def test_execution_logging_needs_the_account_role(sandbox):
    client = boto3.client("apigateway")
    api = client.create_rest_api(name="logs")["id"]
    root = client.get_resources(restApiId=api)["items"][0]["id"]
    client.put_method(restApiId=api, resourceId=root, httpMethod="GET", authorizationType="NONE")
    client.put_integration(restApiId=api, resourceId=root, httpMethod="GET", type="MOCK")
    client.create_deployment(restApiId=api, stageName="dev")
    message = "CloudWatch Logs role ARN must be set in account settings to enable logging"
    for path, value in (("/*/*/logging/loglevel", "INFO"), ("/*/*/logging/dataTrace", "true"),
                        ("/~1/GET/logging/loglevel", "ERROR")):
        assert _error(lambda: client.update_stage(restApiId=api, stageName="dev", patchOperations=[
            {"op": "replace", "path": path, "value": value}]))[:3] == (400, "BadRequestException", message), path
    client.update_stage(restApiId=api, stageName="dev", patchOperations=[
        {"op": "replace", "path": "/*/*/logging/loglevel", "value": "OFF"}])  # turning it off needs no role
    role = boto3.client("iam").create_role(RoleName="apigw-logs", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    client.update_account(patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn", "value": role}])
    stage = client.update_stage(restApiId=api, stageName="dev", patchOperations=[
        {"op": "replace", "path": "/*/*/logging/loglevel", "value": "INFO"}])
    assert stage["methodSettings"]["*/*"]["loggingLevel"] == "INFO"


def test_malformed_policy_documents_are_refused_in_iams_words(sandbox):
    # moto's validator gives IAM's answers; this pins them.
    iam = boto3.client("iam")
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)
    no_resource = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject"}]})
    for call in (lambda doc: iam.put_role_policy(RoleName="r", PolicyName="p", PolicyDocument=doc),
                 lambda doc: iam.create_policy(PolicyName="p", PolicyDocument=doc)):
        assert _error(lambda: call(no_resource))[:3] == (400, "MalformedPolicyDocument",
                                                        "Policy statement must contain resources.")
        assert _error(lambda: call("not json"))[:3] == (400, "MalformedPolicyDocument", "Syntax errors in policy.")


def test_trust_policies_are_checked_as_iam_checks_them(sandbox):
    iam = boto3.client("iam")
    with_resource = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole", "Resource": "*"}]})
    for document, message in (("trust.json", "This policy contains invalid Json"),  # the CLI without file://
                              (with_resource, "Has prohibited field Resource")):
        assert _error(lambda: iam.create_role(RoleName="r", AssumeRolePolicyDocument=document))[:3] == (
            400, "MalformedPolicyDocument", message)
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)
    assert _error(lambda: iam.update_assume_role_policy(RoleName="r", PolicyDocument=with_resource))[1] == (
        "MalformedPolicyDocument")


def test_query_and_json_services_answer_in_their_own_protocol(sandbox):
    iam = boto3.client("iam", config=NO_CLIENT_CHECKS)
    assert _error(lambda: iam.create_role(RoleName="r" * 65, AssumeRolePolicyDocument=TRUST))[:3] == (
        400, "ValidationError", VALIDATION.format("r" * 65, "roleName", "Member must have length less than or equal to 64"))
    dynamodb = boto3.client("dynamodb", config=NO_CLIENT_CHECKS)
    assert _error(lambda: dynamodb.create_table(
        TableName="notes", KeySchema=[{"AttributeName": "id", "KeyType": "HASHKEY"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST"))[:3] == (
        400, "ValidationException",
        VALIDATION.format("HASHKEY", "keySchema.1.member.keyType", "Member must satisfy enum value set: [HASH, RANGE]"))
    assert dynamodb.list_tables()["TableNames"] == []
