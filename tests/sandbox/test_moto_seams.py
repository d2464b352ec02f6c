"""Where the sandbox joins moto's internals: each test calls a seam and checks its effect, so a moto
upgrade that moves one fails loudly here.

Requests go through moto's own server application in this process (boto3 → moto's WSGI app, no
socket), in an account of the test's own that is forgotten afterwards.
"""

from __future__ import annotations

import io
import json
import random
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import boto3
import moto
import pytest
from packaging.version import Version

from helpers.sandbox import moto_link
from tests.support import REGION, TRUST, zip_of

CODE = zip_of({"app.py": "def handler(event, context):\n    return 1\n"})


def test_moto_is_in_the_tested_range():
    assert Version("5.2.5") <= Version(moto.__version__) < Version("5.3"), (
        f"moto {moto.__version__} is outside the tested range; check every seam below, then widen the pin"
    )


class _Body(io.BytesIO):
    def stream(self, **_):
        yield self.getvalue()


@pytest.fixture
def account():
    """An account of this test's own in moto, forgotten afterwards."""
    account_id = str(random.randrange(10**11, 10**12))
    yield account_id
    moto_link.forget_account(account_id)


@pytest.fixture
def moto_client(account):
    """moto_client(service): a boto3 client whose requests go to moto's server application, as the front door sends them."""
    from botocore.awsrequest import AWSResponse
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from werkzeug.test import Client

    server = Client(DomainDispatcherApplication(create_backend_app))

    def send(request, **_):
        url = urlsplit(request.url)
        headers = {k: v.decode() if isinstance(v, bytes) else v for k, v in request.headers.items()}
        answer = server.open(url.path, method=request.method, query_string=url.query, data=request.body or b"",
                             headers={**headers, "x-moto-account-id": account})
        return AWSResponse(request.url, answer.status_code, dict(answer.headers), _Body(answer.data))

    def make(service):
        client = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                       region_name=REGION).client(service, endpoint_url="http://127.0.0.1:1")
        client.meta.events.register("before-send", send)
        return client

    return make


def _function(moto_client, name="seam", **config):
    role = moto_client("iam").create_role(RoleName=f"{name}-role", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    return moto_client("lambda").create_function(FunctionName=name, Runtime="python3.12", Role=role,
                                                 Handler="app.handler", Code={"ZipFile": CODE}, **config)


def test_the_server_application_serves_the_account_the_header_names(moto_client, account):
    # The front door hands moto's server app every control-plane request, with x-moto-account-id.
    from moto.logs.models import logs_backends

    moto_client("logs").create_log_group(logGroupName="/seam")
    assert moto_link.log_group_exists(account, REGION, "/seam")
    assert "/seam" not in logs_backends["123456789012"][REGION].groups
    assert moto_client("sts").get_caller_identity()["Account"] == account


def test_the_managed_policies_switch_loads_aws_policies_into_a_new_account(moto_client):
    # The sandbox turns this switch on, so AWSLambdaBasicExecutionRole exists as in every AWS account.
    from moto.settings import default_user_config

    iam_config = default_user_config.setdefault("iam", {})
    before = iam_config.get("load_aws_managed_policies")
    iam_config["load_aws_managed_policies"] = True
    try:
        policy = moto_client("iam").get_policy(
            PolicyArn="arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")["Policy"]
    finally:
        iam_config["load_aws_managed_policies"] = before
    assert policy["PolicyName"] == "AWSLambdaBasicExecutionRole"


def test_the_invocation_hook_runs_what_moto_invokes(moto_client, account):
    # moto's Invoke (and its event sources) call LambdaFunction._invoke_lambda; the sandbox routes it to the engine.
    _function(moto_client)
    calls = []

    def run(fn, event):
        calls.append((fn.function_name, json.loads(event) if isinstance(event, str) else event))
        return json.dumps({"ran": fn.function_name}), False, "log"

    moto_link.route_invocations(account, run)
    try:
        answer = moto_client("lambda").invoke(FunctionName="seam", Payload=b'{"x": 1}')
    finally:
        moto_link.route_invocations(account, None)
    assert json.loads(answer["Payload"].read()) == {"ran": "seam"}
    assert calls == [("seam", {"x": 1})]


def test_a_function_record_becomes_the_engines_spec(moto_client, account):
    moto_link.keep_logging_config()
    _function(moto_client, MemorySize=256, Timeout=7, Environment={"Variables": {"A": "1"}},
              Architectures=["arm64"], LoggingConfig={"LogFormat": "JSON"})
    moto_client("lambda").put_function_concurrency(FunctionName="seam", ReservedConcurrentExecutions=3)
    fn, latest = moto_link.find_function(account, REGION, "seam", None)
    spec = moto_link.function_spec(fn, latest)
    assert (spec.function_name, spec.function_arn, spec.version) == (
        "seam", f"arn:aws:lambda:{REGION}:{account}:function:seam", "$LATEST")
    assert (spec.handler, spec.runtime, spec.code_zip, spec.role) == (
        "app.handler", "python3.12", CODE, f"arn:aws:iam::{account}:role/seam-role")
    assert (spec.memory_size, spec.timeout, spec.environment, spec.architecture) == (256, 7, {"A": "1"}, "arm64")
    assert (spec.reserved_concurrency, spec.log_format, spec.application_log_level) == (3, "JSON", "INFO")
    assert spec.log_group == "/aws/lambda/seam" and len(spec.code_sha256) == 44
    assert moto_link.find_function(account, REGION, "gone", None) is None
    assert moto_link.reserved_concurrency(account, REGION, "seam") == 3
    assert moto_link.other_reserved_concurrency(account, REGION, "another") == 3
    assert moto_link.other_reserved_concurrency(account, REGION, "seam") == 0
    assert moto_link.account_usage(account, REGION) == (1, len(CODE))


def test_logging_config_is_kept_returned_and_updated(moto_client):
    # moto 5.2 drops LoggingConfig; the sandbox wraps moto's function model to keep it.
    moto_link.keep_logging_config()
    created = _function(moto_client, LoggingConfig={"LogFormat": "JSON", "ApplicationLogLevel": "DEBUG"})
    assert created["LoggingConfig"] == {"LogFormat": "JSON", "ApplicationLogLevel": "DEBUG",
                                        "SystemLogLevel": "INFO", "LogGroup": "/aws/lambda/seam"}
    lambda_ = moto_client("lambda")
    lambda_.update_function_configuration(FunctionName="seam", LoggingConfig={"LogFormat": "Text"})
    assert lambda_.get_function_configuration(FunctionName="seam")["LoggingConfig"] == {
        "LogFormat": "Text", "LogGroup": "/aws/lambda/seam"}


def test_the_resource_policy_add_permission_wrote(moto_client, account):
    _function(moto_client)
    fn, _ = moto_link.find_function(account, REGION, "seam", None)
    assert moto_link.function_policy(fn) is None
    moto_client("lambda").add_permission(FunctionName="seam", StatementId="apigw", Action="lambda:InvokeFunction",
                                         Principal="apigateway.amazonaws.com")
    policy = moto_link.function_policy(fn)
    assert [(s["Sid"], s["Action"]) for s in policy["Statement"]] == [("apigw", "lambda:InvokeFunction")]


def test_log_and_metric_sinks_write_what_cloudwatch_reads(moto_client, account):
    at = datetime.now(timezone.utc).replace(microsecond=0)
    moto_link.log_sink(account, REGION)("/aws/lambda/seam", "stream", [(int(at.timestamp() * 1000), "line")])
    events = moto_client("logs").get_log_events(logGroupName="/aws/lambda/seam", logStreamName="stream")["events"]
    assert [e["message"] for e in events] == ["line"]
    moto_link.metric_sink(account, REGION)("Seam", [{"MetricName": "M", "Dimensions": [], "Timestamp": at,
                                                     "Value": 2.0, "Unit": "Count"}])
    points = moto_client("cloudwatch").get_metric_statistics(
        Namespace="Seam", MetricName="M", StartTime=at - timedelta(minutes=1), EndTime=at + timedelta(minutes=1),
        Period=120, Statistics=["Sum"])["Datapoints"]
    assert [p["Sum"] for p in points] == [2.0]


def test_forget_account_drops_its_resources_and_frees_its_bucket_names(moto_client, account):
    from moto.awslambda.models import lambda_backends
    from moto.s3.models import s3_backends

    _function(moto_client)
    moto_client("s3").create_bucket(Bucket=f"seam-{account}")
    assert moto_link.s3_object_exists(account, REGION, f"seam-{account}", "k") is False
    moto_link.forget_account(account)
    assert account not in lambda_backends and f"seam-{account}" not in s3_backends.bucket_accounts
    assert moto_link.find_function(account, REGION, "seam", None) is None


def _api(moto_client):
    apigateway = moto_client("apigateway")
    api = apigateway.create_rest_api(name="seams")
    root = apigateway.get_resources(restApiId=api["id"])["items"][0]["id"]
    child = apigateway.create_resource(restApiId=api["id"], parentId=root, pathPart="hello")["id"]
    apigateway.put_method(restApiId=api["id"], resourceId=child, httpMethod="GET", authorizationType="NONE")
    apigateway.put_integration(restApiId=api["id"], resourceId=child, httpMethod="GET", type="MOCK")
    return apigateway, api["id"], root, child


def test_the_gateway_reads_apis_stages_and_deployments_as_boto3_shows_them(moto_client, account):
    apigateway, api_id, root, child = _api(moto_client)
    deployment = apigateway.create_deployment(restApiId=api_id, stageName="dev")["id"]
    assert moto_link.rest_api(account, REGION, api_id)["name"] == "seams"
    assert moto_link.rest_api(account, REGION, "gone") is None
    assert moto_link.deployment_exists(account, REGION, api_id, deployment)
    assert not moto_link.deployment_exists(account, REGION, api_id, "gone")
    assert moto_link.stage(account, REGION, api_id, "dev")["deploymentId"] == deployment
    assert moto_link.stage(account, REGION, api_id, "gone") is None
    moto_link.describe_stage(account, REGION, api_id, "dev", "Development stage")
    moto_link.describe_stage(account, REGION, api_id, "dev", "not this one")
    assert apigateway.get_stage(restApiId=api_id, stageName="dev")["description"] == "Development stage"
    snapshot = moto_link.api_snapshot(account, REGION, api_id)
    by_path = {r["path"]: r for r in snapshot["resources"]}
    assert set(by_path) == {"/", "/hello"} and "GET" in by_path["/hello"]["resourceMethods"]
    assert (snapshot["authorizers"], snapshot["apiKeySource"]) == ([], "HEADER")
    assert moto_link.child_path_parts(account, REGION, api_id, root) == ["hello"]
    assert moto_link.child_path_parts(account, REGION, api_id, "gone") is None
    assert (moto_link.path_part(account, REGION, api_id, child), moto_link.path_part(account, REGION, api_id, root)) == (
        "hello", "/")
    moto_link.set_binary_media_types(account, REGION, api_id, ["image/png"])
    assert apigateway.get_rest_api(restApiId=api_id)["binaryMediaTypes"] == ["image/png"]


def test_api_keys_and_their_usage_plans(moto_client, account):
    apigateway = moto_client("apigateway")
    key = apigateway.create_api_key(name="k", enabled=True, value="a" * 30)
    plan = apigateway.create_usage_plan(name="p", throttle={"rateLimit": 1.0, "burstLimit": 2})
    apigateway.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    found = moto_link.api_key_by_value(account, REGION, "a" * 30)
    assert (found["id"], found["enabled"]) == (key["id"], True)
    assert moto_link.api_key_by_value(account, REGION, "b" * 30) is None
    assert [p["id"] for p in moto_link.usage_plans_for_key(account, REGION, key["id"])] == [plan["id"]]


def test_new_method_settings_start_from_the_account_throttle(moto_client):
    # The sandbox installs the account's limits (10,000 rps, burst 5,000) once per process.
    moto_link.use_account_throttle_defaults(10000.0, 5000)
    apigateway, api_id, _, _ = _api(moto_client)
    apigateway.create_deployment(restApiId=api_id, stageName="dev")
    stage = apigateway.update_stage(restApiId=api_id, stageName="dev", patchOperations=[
        {"op": "replace", "path": "/*/*/metrics/enabled", "value": "true"}])
    settings = stage["methodSettings"]["*/*"]
    assert (settings["metricsEnabled"], settings["throttlingRateLimit"], settings["throttlingBurstLimit"]) == (
        True, 10000.0, 5000)


def test_rest_api_patches_apply_binary_media_types_and_remove_the_description(moto_client):
    moto_link.use_aws_rest_api_patches()
    apigateway = moto_client("apigateway")
    api_id = apigateway.create_rest_api(name="seams", description="d", binaryMediaTypes=["image/gif"])["id"]

    def patch(*operations):
        return apigateway.update_rest_api(restApiId=api_id, patchOperations=list(operations))

    patch({"op": "add", "path": "/binaryMediaTypes/image~1png"})
    patch({"op": "replace", "path": "/binaryMediaTypes/image~1gif", "value": "image/jpeg"})
    answer = patch({"op": "remove", "path": "/description"})
    assert answer["binaryMediaTypes"] == ["image/png", "image/jpeg"] and "description" not in answer


def test_execution_role_seams():
    # ExecutionRoles issues sessions through moto's STS (so GetCallerIdentity names the assumed role)
    # and reads a role's policies and the log groups from moto's records: each is called and checked here.
    import json

    from moto.iam.models import iam_backends
    from moto.logs.models import logs_backends
    from moto.sts.models import sts_backends

    account, region = "210987654321", "us-east-1"
    iam = iam_backends[account]["aws"]
    try:
        role = iam.create_role("seam-role", json.dumps({"Statement": []}), "/", None, "", [], None)
        document = '{"Version": "2012-10-17", "Statement": [{"Effect": "%s", "Action": "s3:*", "Resource": "*"}]}'
        iam.put_role_policy("seam-role", "inline", document % "Allow")
        managed = iam.create_policy("", "/", document % "Deny", "managed", [])
        iam.attach_role_policy(managed.arn, "seam-role")
        key, secret, token = moto_link.assume_role(account, region, role.arn, "seam-function")
        assert key.startswith("ASIA") and secret and token
        _, arn, owner = sts_backends[account]["aws"].get_caller_identity(key, region)
        assert (arn, owner) == (f"arn:aws:sts::{account}:assumed-role/seam-role/seam-function", account)
        found = moto_link.role(account, region, role.arn)
        assert found is role and moto_link.role(account, region, role.arn + "-gone") is None
        assert json.loads(found.assume_role_policy_document) == {"Statement": []}  # the trust policy, as sent
        assert [json.loads(d)["Statement"][0]["Effect"] for d in moto_link.role_policy_documents(found)] == ["Allow", "Deny"]
        assert not moto_link.log_group_exists(account, region, "/aws/lambda/seam")
        logs_backends[account][region].ensure_log_group("/aws/lambda/seam")
        assert moto_link.log_group_exists(account, region, "/aws/lambda/seam")
        from moto.s3.models import s3_backends

        assert moto_link.s3_object_exists(account, region, "seam-bucket", "k") is None
        s3_backends[account]["aws"].create_bucket("seam-bucket", region)
        assert moto_link.s3_object_exists(account, region, "seam-bucket", "k") is False
        s3_backends[account]["aws"].put_object("seam-bucket", "k", b"v")
        assert moto_link.s3_object_exists(account, region, "seam-bucket", "k") is True
    finally:
        moto_link.forget_account(account)


def _environ(method: str, path: str, body: bytes, **headers: str) -> dict:
    from werkzeug.test import EnvironBuilder

    return EnvironBuilder(method=method, path=path, data=body, headers=headers).get_environ()


def test_request_parsing_seam():
    # config_refusals reads control-plane requests with moto's model-driven router and parser.
    create = b'{"FunctionName": "f", "Timeout": 10000}'
    parsed = moto_link.parse_request("lambda", _environ("POST", "/2015-03-31/functions", create,
                                                        **{"Content-Type": "application/json"}), create)
    assert (parsed.operation.name, parsed.protocol) == ("CreateFunction", "rest-json")
    assert parsed.params == {"FunctionName": "f", "Timeout": 10000}
    assert parsed.operation.input_shape.members["Timeout"].metadata["min"] == 1
    labels = moto_link.parse_request("apigateway", _environ("POST", "/restapis/abc/resources/root", b'{"pathPart": "x"}',
                                                            **{"Content-Type": "application/json"}), b'{"pathPart": "x"}')
    assert labels.params == {"restApiId": "abc", "parentId": "root", "pathPart": "x"}
    assert labels.operation.input_shape.members["restApiId"].serialization["location"] == "uri"
    form = b"Action=CreateRole&Version=2010-05-08&RoleName=r&AssumeRolePolicyDocument=%7B%7D&Tags.member.1.Key=k"
    query = moto_link.parse_request("iam", _environ("POST", "/", form, **{
        "Content-Type": "application/x-www-form-urlencoded"}), form)
    assert (query.operation.name, query.protocol, query.params["RoleName"]) == ("CreateRole", "query", "r")
    assert query.params["Tags"][0]["Key"] == "k"
    # What the model can't read is left to moto: a list for a body, a path no operation has.
    assert moto_link.parse_request("lambda", _environ("POST", "/2015-03-31/functions", b"[]", **{
        "Content-Type": "application/json"}), b"[]") is None
    assert moto_link.parse_request("lambda", _environ("GET", "/no/such/path", b""), b"") is None


def test_account_cloudwatch_role_seam():
    # moto_link.cloudwatch_role_arn reads the role UpdateAccount /cloudwatchRoleArn stored.
    from moto.apigateway.models import apigateway_backends

    backend = apigateway_backends["123456789012"]["eu-west-3"]
    try:
        assert moto_link.cloudwatch_role_arn("123456789012", "eu-west-3") is None
        role = "arn:aws:iam::123456789012:role/apigateway-logs"
        backend.update_account([{"op": "replace", "path": "/cloudwatchRoleArn", "value": role}])
        assert moto_link.cloudwatch_role_arn("123456789012", "eu-west-3") == role
    finally:
        apigateway_backends["123456789012"].pop("eu-west-3", None)


def test_test_invoke_is_not_moto_s():
    # The sandbox serves TestInvokeMethod/TestInvokeAuthorizer itself; moto 5.2 has neither (a crash, not a 404).
    from moto.apigateway.responses import APIGatewayResponse

    assert not hasattr(APIGatewayResponse, "test_invoke_method")
    assert not hasattr(APIGatewayResponse, "test_invoke_authorizer")


def test_alarms_evaluated_by_the_sandbox_keep_moto_s_state_and_their_history(moto_client, account):
    # alarms.py reads moto's alarms and their metric's statistic, sets their state and serves DescribeAlarmHistory.
    moto_link.serve_alarm_history()
    cloudwatch = moto_client("cloudwatch")
    cloudwatch.put_metric_alarm(AlarmName="errors", Namespace="AWS/Lambda", MetricName="Errors", Statistic="Sum",
                                Period=60, EvaluationPeriods=1, Threshold=1.0,
                                ComparisonOperator="GreaterThanOrEqualToThreshold")
    [alarm] = moto_link.metric_alarms(account, REGION)
    moto_link.start_alarm_in(alarm, "INSUFFICIENT_DATA")
    end = datetime.now(timezone.utc).replace(tzinfo=None, second=0, microsecond=0)
    start = end - timedelta(minutes=1)
    assert moto_link.statistic(account, REGION, alarm, start, end) is None
    moto_link.metric_sink(account, REGION)("AWS/Lambda", [
        {"MetricName": "Errors", "Dimensions": [], "Timestamp": start + timedelta(seconds=s), "Value": 1.0}
        for s in (5, 10)])
    assert moto_link.statistic(account, REGION, alarm, start, end) == (2.0, 2.0)
    moto_link.change_alarm_state(alarm, "ALARM", "Threshold Crossed", '{"version": "1.0"}', end)
    assert cloudwatch.describe_alarms(AlarmNames=["errors"])["MetricAlarms"][0]["StateValue"] == "ALARM"
    [item] = cloudwatch.describe_alarm_history(AlarmName="errors")["AlarmHistoryItems"]
    assert item["HistorySummary"] == "Alarm updated from INSUFFICIENT_DATA to ALARM"
    assert json.loads(item["HistoryData"])["newState"]["stateValue"] == "ALARM"
