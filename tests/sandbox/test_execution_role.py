"""The execution role, enforced: a function's own AWS calls carry its role's credentials and get IAM's answers."""

from __future__ import annotations

import io
import json
import zipfile

import boto3
import botocore.exceptions
import pytest

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
BASIC_EXECUTION = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
# One handler for every case: it makes the boto3 call the event names and reports what AWS answered.
CALLER = """\
import json
import os
import boto3
from botocore.exceptions import ClientError

def lambda_handler(event, context):
    if event.get("raise"):
        raise ValueError(event["raise"])
    client = boto3.client(event["service"])
    try:
        result = getattr(client, event["method"])(**event.get("kwargs", {}))
    except ClientError as error:
        return {"status": error.response["ResponseMetadata"]["HTTPStatusCode"], **error.response["Error"]}
    result.pop("ResponseMetadata", None)
    return {"status": 200, "result": json.loads(json.dumps(result, default=str)), "key": os.environ["AWS_ACCESS_KEY_ID"],
            "token": bool(os.environ.get("AWS_SESSION_TOKEN"))}
"""


def statement(action: str, resource: str = "*", effect: str = "Allow", **extra) -> dict:
    return {"Version": "2012-10-17", "Statement": [{"Effect": effect, "Action": action, "Resource": resource, **extra}]}


def deploy(name: str, role_name: str, *, logs: bool = True) -> None:
    iam = boto3.client("iam")
    role = iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    if logs:
        iam.attach_role_policy(RoleName=role_name, PolicyArn=BASIC_EXECUTION)
    boto3.client("lambda").create_function(FunctionName=name, Role=role, Runtime="python3.12",
                                           Handler="app.lambda_handler", Code={"ZipFile": zip_of_caller()})


def call(name: str, service: str, method: str, **kwargs) -> dict:
    payload = json.dumps({"service": service, "method": method, "kwargs": kwargs}).encode()
    return json.loads(boto3.client("lambda").invoke(FunctionName=name, Payload=payload)["Payload"].read())


def denied(sandbox, role: str, function: str, action: str, resource: str) -> str:
    return (f"User: arn:aws:sts::{sandbox.account_id}:assumed-role/{role}/{function} is not authorized to perform: "
            f"{action} on resource: {resource} because no identity-based policy allows the {action} action")


def test_the_function_runs_as_its_role(sandbox):
    deploy("whoami", "whoami-role")
    answer = call("whoami", "sts", "get_caller_identity")
    assert answer["result"]["Arn"] == f"arn:aws:sts::{sandbox.account_id}:assumed-role/whoami-role/whoami"
    assert answer["result"]["Account"] == sandbox.account_id
    role_id = boto3.client("iam").get_role(RoleName="whoami-role")["Role"]["RoleId"]
    assert role_id.startswith("AROA") and answer["result"]["UserId"] == f"{role_id}:whoami"
    assert answer["key"].startswith("ASIA") and answer["token"]
    assert answer["key"] != sandbox.credentials.access_key_id


def test_a_missing_permission_is_refused_then_granted(sandbox):
    dynamodb = boto3.client("dynamodb")
    dynamodb.create_table(TableName="notes", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                          AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                          BillingMode="PAY_PER_REQUEST")
    dynamodb.put_item(TableName="notes", Item={"id": {"S": "1"}, "text": {"S": "hello"}})
    deploy("reader", "reader-role")
    key = {"id": {"S": "1"}}
    answer = call("reader", "dynamodb", "get_item", TableName="notes", Key=key)
    table = f"arn:aws:dynamodb:us-east-1:{sandbox.account_id}:table/notes"
    assert answer == {"status": 400, "Code": "AccessDeniedException",
                      "Message": denied(sandbox, "reader-role", "reader", "dynamodb:GetItem", table)}
    boto3.client("iam").put_role_policy(RoleName="reader-role", PolicyName="read-notes",
                                        PolicyDocument=json.dumps(statement("dynamodb:GetItem", table)))
    assert call("reader", "dynamodb", "get_item", TableName="notes", Key=key)["result"]["Item"]["text"] == {"S": "hello"}
    # Not more than granted: another action on the same table is still refused.
    answer = call("reader", "dynamodb", "put_item", TableName="notes", Item=key)
    assert answer["Message"] == denied(sandbox, "reader-role", "reader", "dynamodb:PutItem", table)


def test_an_explicit_deny_wins_over_an_allow(sandbox):
    deploy("careful", "careful-role")
    iam = boto3.client("iam")
    policy = iam.create_policy(PolicyName="all-dynamodb", PolicyDocument=json.dumps(statement("dynamodb:*")))
    iam.attach_role_policy(RoleName="careful-role", PolicyArn=policy["Policy"]["Arn"])
    assert call("careful", "dynamodb", "list_tables")["status"] == 200
    iam.put_role_policy(RoleName="careful-role", PolicyName="no-listing",
                        PolicyDocument=json.dumps(statement("dynamodb:List*", effect="Deny")))
    answer = call("careful", "dynamodb", "list_tables")
    assert answer["Message"] == (f"User: arn:aws:sts::{sandbox.account_id}:assumed-role/careful-role/careful is not "
                                 "authorized to perform: dynamodb:ListTables on resource: * with an explicit deny "
                                 "in an identity-based policy")


def test_s3_refuses_in_its_own_protocol(sandbox):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="lab-bucket")
    s3.put_object(Bucket="lab-bucket", Key="notes/today.txt", Body=b"hello")
    deploy("fetcher", "fetcher-role")
    answer = call("fetcher", "s3", "get_object", Bucket="lab-bucket", Key="notes/today.txt")
    assert answer == {"status": 403, "Code": "AccessDenied", "Message": denied(
        sandbox, "fetcher-role", "fetcher", "s3:GetObject", '"arn:aws:s3:::lab-bucket/notes/today.txt"')}
    boto3.client("iam").put_role_policy(RoleName="fetcher-role", PolicyName="read", PolicyDocument=json.dumps(
        statement("s3:GetObject", "arn:aws:s3:::lab-bucket/notes/*")))
    assert call("fetcher", "s3", "head_object", Bucket="lab-bucket", Key="notes/today.txt")["result"]["ContentLength"] == 5
    assert call("fetcher", "s3", "list_objects_v2", Bucket="lab-bucket")["Message"] == denied(
        sandbox, "fetcher-role", "fetcher", "s3:ListBucket", '"arn:aws:s3:::lab-bucket"')
    # A missing key is a 404 only for a role that may list the bucket: to others S3 says 403.
    missing = call("fetcher", "s3", "get_object", Bucket="lab-bucket", Key="notes/tomorrow.txt")
    assert (missing["status"], missing["Code"]) == (403, "AccessDenied")
    assert missing["Message"] == denied(sandbox, "fetcher-role", "fetcher", "s3:ListBucket", '"arn:aws:s3:::lab-bucket"')
    boto3.client("iam").put_role_policy(RoleName="fetcher-role", PolicyName="list", PolicyDocument=json.dumps(
        statement("s3:ListBucket", "arn:aws:s3:::lab-bucket")))
    missing = call("fetcher", "s3", "get_object", Bucket="lab-bucket", Key="notes/tomorrow.txt")
    assert (missing["status"], missing["Code"]) == (404, "NoSuchKey")


def test_each_service_refuses_in_its_own_protocol_and_words(sandbox):
    deploy("caller", "caller-role")
    account, user = sandbox.account_id, f"arn:aws:sts::{sandbox.account_id}:assumed-role/caller-role/caller"
    topic = boto3.client("sns").create_topic(Name="alerts")["TopicArn"]
    queue = boto3.client("sqs").create_queue(QueueName="jobs")["QueueUrl"]
    answer = call("caller", "sns", "publish", TopicArn=topic, Message="hi")
    assert (answer["status"], answer["Code"]) == (403, "AuthorizationError")
    assert answer["Message"] == denied(sandbox, "caller-role", "caller", "SNS:Publish", topic)
    answer = call("caller", "sqs", "send_message", QueueUrl=queue, MessageBody="hi")
    assert (answer["status"], answer["Code"]) == (403, "AccessDenied")
    assert answer["Message"] == denied(sandbox, "caller-role", "caller", "sqs:sendmessage",
                                       f"arn:aws:sqs:us-east-1:{account}:jobs")
    answer = call("caller", "iam", "get_role", RoleName="caller-role")
    assert (answer["status"], answer["Code"]) == (403, "AccessDenied")
    assert answer["Message"] == denied(sandbox, "caller-role", "caller", "iam:GetRole",
                                       f"arn:aws:iam::{account}:role/caller-role")
    answer = call("caller", "lambda", "get_function", FunctionName="caller")
    assert (answer["status"], answer["Code"]) == (403, "AccessDeniedException")
    assert answer["Message"] == denied(sandbox, "caller-role", "caller", "lambda:GetFunction",
                                       f"arn:aws:lambda:us-east-1:{account}:function:caller")
    # The basic execution role allows the logs actions on every resource: reading is another matter.
    answer = call("caller", "logs", "describe_log_groups")
    assert (answer["status"], answer["Code"]) == (400, "AccessDeniedException")
    assert answer["Message"] == denied(sandbox, "caller-role", "caller", "logs:DescribeLogGroups",
                                       f"arn:aws:logs:us-east-1:{account}:log-group::log-stream:")
    assert user in answer["Message"]


def test_conditions_see_the_request_context(sandbox):
    deploy("tagged", "tagged-role")
    function_arn = f"arn:aws:lambda:us-east-1:{sandbox.account_id}:function:tagged"
    boto3.client("iam").put_role_policy(RoleName="tagged-role", PolicyName="only-from-this-function",
                                        PolicyDocument=json.dumps(statement(
                                            "sqs:ListQueues", Condition={"ArnLike": {"lambda:SourceFunctionArn": function_arn},
                                                                         "StringEquals": {"aws:RequestedRegion": "us-east-1"}})))
    assert call("tagged", "sqs", "list_queues")["status"] == 200
    boto3.client("iam").put_role_policy(RoleName="tagged-role", PolicyName="only-from-this-function",
                                        PolicyDocument=json.dumps(statement(
                                            "sqs:ListQueues", Condition={"StringEquals": {"aws:RequestedRegion": "eu-west-1"}})))
    assert call("tagged", "sqs", "list_queues")["status"] == 403


def log_streams(name: str) -> list[str]:
    logs = boto3.client("logs")
    try:
        return [s["logStreamName"] for s in logs.describe_log_streams(logGroupName=f"/aws/lambda/{name}")["logStreams"]]
    except logs.exceptions.ResourceNotFoundException:
        return []


def log_messages(name: str) -> list[str]:
    return [e["message"] for e in boto3.client("logs").filter_log_events(logGroupName=f"/aws/lambda/{name}")["events"]]


def test_a_role_that_may_not_write_logs_runs_but_loses_its_logs(sandbox):
    deploy("silent", "silent-role", logs=False)
    client = boto3.client("lambda")
    first = client.invoke(FunctionName="silent", Payload=json.dumps({"raise": "first"}).encode())
    assert first["FunctionError"] == "Unhandled"  # it ran
    assert json.loads(first["Payload"].read())["errorMessage"] == "first"
    assert log_streams("silent") == []
    assert boto3.client("logs").describe_log_groups(logGroupNamePrefix="/aws/lambda/silent")["logGroups"] == []
    boto3.client("iam").attach_role_policy(RoleName="silent-role", PolicyArn=BASIC_EXECUTION)
    second = client.invoke(FunctionName="silent", Payload=json.dumps({"raise": "second"}).encode())
    request_id = second["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]
    assert len(log_streams("silent")) == 1
    messages = log_messages("silent")
    assert messages[0] == f"START RequestId: {request_id} Version: $LATEST"
    assert any(m.startswith("[ERROR] ValueError: second") for m in messages)
    assert not any("first" in m for m in messages)


def test_logs_need_the_function_s_own_log_group(sandbox):
    # As the console's role: CreateLogGroup on the account, the rest on the function's own group only.
    deploy("scoped", "scoped-role", logs=False)
    group = f"arn:aws:logs:us-east-1:{sandbox.account_id}:log-group:/aws/lambda/other:*"
    boto3.client("iam").put_role_policy(RoleName="scoped-role", PolicyName="logs", PolicyDocument=json.dumps(
        statement(["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"], group)))
    boto3.client("lambda").invoke(FunctionName="scoped", Payload=b'{"raise": "x"}')
    assert log_streams("scoped") == []
    boto3.client("iam").put_role_policy(RoleName="scoped-role", PolicyName="logs", PolicyDocument=json.dumps(
        statement(["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"], group.replace("other", "scoped"))))
    boto3.client("lambda").invoke(FunctionName="scoped", Payload=b'{"raise": "x"}')
    assert len(log_streams("scoped")) == 1


def test_tracebacks_name_var_task_in_the_payload_and_the_log(sandbox):
    deploy("fails", "fails-role")
    response = boto3.client("lambda").invoke(FunctionName="fails", Payload=b'{"raise": "boom"}')
    trace = json.loads(response["Payload"].read())["stackTrace"]
    assert trace == ['  File "/var/task/app.py", line 8, in lambda_handler\n    raise ValueError(event["raise"])\n']
    error = next(m for m in log_messages("fails") if m.startswith("[ERROR]"))
    assert error.split("\n") == ["[ERROR] ValueError: boom", "Traceback (most recent call last):",
                                 '\u00a0\u00a0File "/var/task/app.py", line 8, in lambda_handler',
                                 '\u00a0\u00a0\u00a0\u00a0raise ValueError(event["raise"])']


def test_a_forged_session_token_is_refused(sandbox):
    deploy("victim", "victim-role")
    key = call("victim", "sts", "get_caller_identity")["key"]
    forged = boto3.client("sts", aws_access_key_id=key, aws_secret_access_key="guessed", aws_session_token="forged",
                          endpoint_url=sandbox.endpoint_url, region_name="us-east-1")
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        forged.get_caller_identity()
    assert caught.value.response["Error"]["Code"] == "InvalidClientTokenId"
    assert caught.value.response["Error"]["Message"] == "The security token included in the request is invalid."


def test_a_role_lambda_cannot_assume_is_refused_at_create_and_update(sandbox):
    iam, client = boto3.client("iam"), boto3.client("lambda")
    ec2_trust = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
    ec2_role = iam.create_role(RoleName="ec2-role", AssumeRolePolicyDocument=ec2_trust)["Role"]["Arn"]
    code = {"ZipFile": zip_of_caller()}
    with pytest.raises(client.exceptions.InvalidParameterValueException) as caught:
        client.create_function(FunctionName="wrong-role", Role=ec2_role, Runtime="python3.12",
                               Handler="app.lambda_handler", Code=code)
    assert caught.value.response["Error"]["Message"] == "The role defined for the function cannot be assumed by Lambda."
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    # A trust policy that names Lambda under a condition on the account is assumable.
    guarded = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole",
         "Condition": {"StringEquals": {"aws:SourceAccount": sandbox.account_id}}}]})
    role = iam.create_role(RoleName="guarded-role", AssumeRolePolicyDocument=guarded)["Role"]["Arn"]
    client.create_function(FunctionName="right-role", Role=role, Runtime="python3.12",
                           Handler="app.lambda_handler", Code=code)
    with pytest.raises(client.exceptions.InvalidParameterValueException, match="cannot be assumed by Lambda"):
        client.update_function_configuration(FunctionName="right-role", Role=ec2_role)
    assert client.get_function_configuration(FunctionName="right-role")["Role"] == role


def zip_of_caller() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", CALLER)
    return buffer.getvalue()
