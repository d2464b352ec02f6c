"""Lambda through the sandbox: plain boto3 deploys and invokes, the engine runs the code, CloudWatch sees it."""

from __future__ import annotations

import base64
import json
import time

import boto3
import botocore.exceptions
import pytest

from tests.support import TRUST, child_pids, wait_until, zip_of

BASIC_EXECUTION = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
HELLO = """\
import json

def lambda_handler(event, context):
    print("event:", json.dumps(event))
    return {"statusCode": 200, "body": json.dumps("Hello, World! from Lambda!")}
"""


def deploy(name: str, code: str = HELLO, **config) -> str:
    iam = boto3.client("iam")
    try:
        role = iam.get_role(RoleName="lab-role")["Role"]["Arn"]
    except iam.exceptions.NoSuchEntityException:
        role = iam.create_role(RoleName="lab-role", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
        # As the console's "basic Lambda permissions": without them a function's logs never arrive.
        iam.attach_role_policy(RoleName="lab-role", PolicyArn=BASIC_EXECUTION)
    config.setdefault("Runtime", "python3.12")
    config.setdefault("Handler", "app.lambda_handler")
    boto3.client("lambda").create_function(FunctionName=name, Role=role, Code={"ZipFile": zip_of({"app.py": code})}, **config)
    return name


def log_messages(name: str) -> list[str]:
    logs = boto3.client("logs")
    try:
        return [e["message"] for e in logs.filter_log_events(logGroupName=f"/aws/lambda/{name}")["events"]]
    except logs.exceptions.ResourceNotFoundException:  # no invocation has logged yet
        return []


def test_invoke_runs_the_handler(sandbox):
    deploy("hello-world-api")
    response = boto3.client("lambda").invoke(FunctionName="hello-world-api", Payload=b'{"who": "Ada"}')
    assert response["StatusCode"] == 200
    assert response["ExecutedVersion"] == "$LATEST"
    assert "FunctionError" not in response and "LogResult" not in response
    assert json.loads(response["Payload"].read()) == {"statusCode": 200, "body": '"Hello, World! from Lambda!"'}


def test_log_result_only_with_tail_and_the_report_line(sandbox):
    deploy("hello-world-api")
    client = boto3.client("lambda")
    tail = base64.b64decode(client.invoke(FunctionName="hello-world-api", LogType="Tail")["LogResult"]).decode()
    lines = tail.splitlines()
    assert lines[0].startswith("START RequestId: ") and lines[0].endswith(" Version: $LATEST")
    assert lines[1] == "event: {}"
    assert lines[2].startswith("END RequestId: ")
    assert lines[3].startswith("REPORT RequestId: ") and "Init Duration: " in lines[3]
    warm = base64.b64decode(client.invoke(FunctionName="hello-world-api", LogType="Tail")["LogResult"]).decode()
    assert "Init Duration" not in warm


def test_logs_reach_cloudwatch_with_one_stream_per_environment(sandbox):
    deploy("hello-world-api")
    client = boto3.client("lambda")
    client.invoke(FunctionName="hello-world-api")
    client.invoke(FunctionName="hello-world-api")
    messages = log_messages("hello-world-api")
    assert [m.split(" ")[0] for m in messages if not m.startswith("event")][:1] == ["INIT_START"]
    reports = [m for m in messages if m.startswith("REPORT")]
    assert len(reports) == 2 and sum("Init Duration" in r for r in reports) == 1
    streams = boto3.client("logs").describe_log_streams(logGroupName="/aws/lambda/hello-world-api")["logStreams"]
    assert len(streams) == 1 and "/[$LATEST]" in streams[0]["logStreamName"]


def test_a_handler_error_is_unhandled_with_the_runtime_payload(sandbox):
    deploy("broken", "def lambda_handler(event, context):\n    raise ValueError('bad value')\n")
    response = boto3.client("lambda").invoke(FunctionName="broken")
    assert response["StatusCode"] == 200 and response["FunctionError"] == "Unhandled"
    payload = json.loads(response["Payload"].read())
    assert payload["errorType"] == "ValueError" and payload["errorMessage"] == "bad value"
    assert payload["requestId"] == response["ResponseMetadata"]["RequestId"]


def test_event_and_dry_run(sandbox):
    deploy("hello-world-api")
    client = boto3.client("lambda")
    assert client.invoke(FunctionName="hello-world-api", InvocationType="DryRun")["StatusCode"] == 204
    assert client.invoke(FunctionName="hello-world-api", InvocationType="Event", Payload=b'{"async": true}')["StatusCode"] == 202
    wait_until(lambda: any(m.startswith("REPORT") for m in log_messages("hello-world-api")), timeout=20)
    assert 'event: {"async": true}' in log_messages("hello-world-api")


def test_versions_and_aliases_run_the_code_they_point_to(sandbox):
    deploy("versioned", "def lambda_handler(e, c):\n    return 'one'\n")
    client = boto3.client("lambda")
    version = client.publish_version(FunctionName="versioned")["Version"]
    client.create_alias(FunctionName="versioned", Name="live", FunctionVersion=version)
    client.update_function_code(FunctionName="versioned", ZipFile=zip_of({"app.py": "def lambda_handler(e, c):\n    return 'two'\n"}))
    latest = client.invoke(FunctionName="versioned")
    pinned = client.invoke(FunctionName="versioned", Qualifier="live")
    assert json.loads(latest["Payload"].read()) == "two" and latest["ExecutedVersion"] == "$LATEST"
    assert json.loads(pinned["Payload"].read()) == "one" and pinned["ExecutedVersion"] == version


def test_a_code_update_retires_the_old_environment(sandbox):
    deploy("changing", "def lambda_handler(e, c):\n    return 1\n")
    client = boto3.client("lambda")
    client.invoke(FunctionName="changing")
    client.update_function_code(FunctionName="changing", ZipFile=zip_of({"app.py": "def lambda_handler(e, c):\n    return 2\n"}))
    response = client.invoke(FunctionName="changing", LogType="Tail")
    assert json.loads(response["Payload"].read()) == 2
    assert "Init Duration" in base64.b64decode(response["LogResult"]).decode()


def test_a_function_deleted_and_created_again_starts_cold(sandbox):
    client = boto3.client("lambda")
    deploy("again")
    client.invoke(FunctionName="again")
    warm = client.invoke(FunctionName="again", LogType="Tail")
    assert "Init Duration" not in base64.b64decode(warm["LogResult"]).decode()
    client.delete_function(FunctionName="again")
    deploy("again")  # the same name and the same code: still a new function
    fresh = client.invoke(FunctionName="again", LogType="Tail")
    assert "Init Duration" in base64.b64decode(fresh["LogResult"]).decode()


def test_the_handler_reaches_the_sandbox_with_boto3(sandbox):
    boto3.client("s3").create_bucket(Bucket="lab-bucket")
    deploy("lister", "import boto3\ndef lambda_handler(e, c):\n    return [b['Name'] for b in boto3.client('s3').list_buckets()['Buckets']]\n")
    # The function's own calls are signed with its role's credentials: the role needs the permission.
    boto3.client("iam").put_role_policy(RoleName="lab-role", PolicyName="list-buckets", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}]}))
    assert json.loads(boto3.client("lambda").invoke(FunctionName="lister")["Payload"].read()) == ["lab-bucket"]


def test_reserved_concurrency_zero_throttles(sandbox):
    deploy("throttled")
    client = boto3.client("lambda", config=botocore.config.Config(retries={"max_attempts": 1}))
    client.put_function_concurrency(FunctionName="throttled", ReservedConcurrentExecutions=0)
    with pytest.raises(client.exceptions.TooManyRequestsException) as caught:
        client.invoke(FunctionName="throttled")
    error = caught.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert error["Error"]["Message"] == "Rate Exceeded."
    assert error["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"


def test_provisioned_concurrency_needs_a_version_and_removes_cold_starts(sandbox):
    deploy("warm")
    client = boto3.client("lambda")
    with pytest.raises(client.exceptions.InvalidParameterValueException, match="unpublished function versions"):
        client.put_provisioned_concurrency_config(FunctionName="warm", Qualifier="$LATEST", ProvisionedConcurrentExecutions=1)
    version = client.publish_version(FunctionName="warm")["Version"]
    put = client.put_provisioned_concurrency_config(FunctionName="warm", Qualifier=version, ProvisionedConcurrentExecutions=1)
    assert put["ResponseMetadata"]["HTTPStatusCode"] == 202 and put["RequestedProvisionedConcurrentExecutions"] == 1
    wait_until(lambda: client.get_provisioned_concurrency_config(FunctionName="warm", Qualifier=version)["Status"] == "READY", timeout=20)
    tail = base64.b64decode(client.invoke(FunctionName="warm", Qualifier=version, LogType="Tail")["LogResult"]).decode()
    assert "Init Duration" not in tail
    listed = client.list_provisioned_concurrency_configs(FunctionName="warm")["ProvisionedConcurrencyConfigs"]
    assert [c["FunctionArn"].rsplit(":", 1)[1] for c in listed] == [version]
    client.delete_provisioned_concurrency_config(FunctionName="warm", Qualifier=version)
    with pytest.raises(client.exceptions.ProvisionedConcurrencyConfigNotFoundException):
        client.get_provisioned_concurrency_config(FunctionName="warm", Qualifier=version)


def test_metrics_reach_cloudwatch(sandbox):
    deploy("measured")
    boto3.client("lambda").invoke(FunctionName="measured")
    metrics = boto3.client("cloudwatch").list_metrics(Namespace="AWS/Lambda")["Metrics"]
    names = {m["MetricName"] for m in metrics if {"Name": "FunctionName", "Value": "measured"} in m["Dimensions"]}
    assert {"Invocations", "Duration", "Errors"} <= names


def test_a_payload_over_6_mb_is_refused(sandbox):
    deploy("hello-world-api")
    client = boto3.client("lambda")
    # AWS answers with RequestEntityTooLargeException, a code botocore's model
    # doesn't name, so it surfaces as a plain ClientError.
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        client.invoke(FunctionName="hello-world-api", Payload=json.dumps({"x": "a" * (6 * 1024 * 1024)}).encode())
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413
    assert caught.value.response["Error"]["Code"] == "RequestEntityTooLargeException"
    assert boto3.client("lambda").invoke(FunctionName="hello-world-api")["StatusCode"] == 200


def test_an_unknown_function_is_resource_not_found(sandbox):
    client = boto3.client("lambda")
    with pytest.raises(client.exceptions.ResourceNotFoundException, match="Function not found"):
        client.invoke(FunctionName="nope")


def test_s3_notifications_run_through_the_engine(sandbox):
    deploy("on-upload", "def lambda_handler(event, context):\n    print('key:', event['Records'][0]['s3']['object']['key'])\n")
    client = boto3.client("lambda")
    arn = client.get_function(FunctionName="on-upload")["Configuration"]["FunctionArn"]
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="uploads")
    s3.put_bucket_notification_configuration(
        Bucket="uploads",
        NotificationConfiguration={"LambdaFunctionConfigurations": [{"LambdaFunctionArn": arn, "Events": ["s3:ObjectCreated:*"]}]},
    )
    s3.put_object(Bucket="uploads", Key="photo.jpg", Body=b"...")
    wait_until(lambda: "key: photo.jpg" in log_messages("on-upload"), timeout=20)


def test_stop_leaves_no_worker_process(no_leaks):
    from helpers import sandbox as sandbox_module

    before = child_pids()
    with sandbox_module.start():
        deploy("hello-world-api")
        boto3.client("lambda").invoke(FunctionName="hello-world-api")
        assert child_pids() - before, "the invocation ran in a worker process"
    assert child_pids() <= before


REQUESTS_HANDLER = """\
import requests

def lambda_handler(event, context):
    prepared = requests.Request("GET", "https://example.com/hello", params={"name": event["name"]}).prepare()
    return {"url": prepared.url, "library": requests.__name__}
"""


def deploy_package(name: str, package: bytes) -> None:
    iam = boto3.client("iam")
    role = iam.create_role(RoleName=f"{name}-role", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    iam.attach_role_policy(RoleName=f"{name}-role", PolicyArn=BASIC_EXECUTION)
    boto3.client("lambda").create_function(
        FunctionName=name, Role=role, Runtime="python3.12", Handler="app.lambda_handler", Code={"ZipFile": package}
    )


def test_a_library_left_out_of_the_package_is_an_import_error(sandbox, tmp_path):
    from helpers.deployment_package import build_deployment_package

    (tmp_path / "app.py").write_text(REQUESTS_HANDLER)
    deploy_package("forgot-requests", build_deployment_package(tmp_path))
    response = boto3.client("lambda").invoke(FunctionName="forgot-requests", Payload=b'{"name": "Ada"}')
    assert response["FunctionError"] == "Unhandled"
    payload = json.loads(response["Payload"].read())
    assert payload["errorType"] == "Runtime.ImportModuleError"
    assert payload["errorMessage"] == "Unable to import module 'app': No module named 'requests'"
    assert payload["requestId"] == ""


def test_real_libraries_packaged_as_a_learner_would_run_unchanged(sandbox, tmp_path):
    from helpers.deployment_package import build_deployment_package

    (tmp_path / "app.py").write_text(REQUESTS_HANDLER)
    package = build_deployment_package(tmp_path, requirements=["requests"])
    assert build_deployment_package(tmp_path, requirements=["requests"]) == package, "packages are reproducible"
    deploy_package("with-requests", package)
    result = json.loads(boto3.client("lambda").invoke(FunctionName="with-requests", Payload=b'{"name": "Ada"}')["Payload"].read())
    assert result == {"url": "https://example.com/hello?name=Ada", "library": "requests"}


POWERTOOLS_HANDLER = """\
from aws_lambda_powertools import Logger

logger = Logger(service="orders")

@logger.inject_lambda_context
def lambda_handler(event, context):
    logger.info("order received", extra={"order_id": event["id"]})
    return {"ok": True}
"""


def test_powertools_structured_logs_reach_cloudwatch(sandbox, tmp_path):
    from helpers.deployment_package import build_deployment_package

    (tmp_path / "app.py").write_text(POWERTOOLS_HANDLER)
    deploy_package("orders", build_deployment_package(tmp_path, requirements=["aws-lambda-powertools"]))
    response = boto3.client("lambda").invoke(FunctionName="orders", Payload=b'{"id": "o-1"}')
    assert json.loads(response["Payload"].read()) == {"ok": True}
    records = [json.loads(m) for m in log_messages("orders") if m.startswith("{")]
    assert records and records[0]["message"] == "order received" and records[0]["order_id"] == "o-1"
    assert records[0]["function_name"] == "orders" and records[0]["cold_start"] is True
