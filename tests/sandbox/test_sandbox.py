"""The sandbox: boto3 without an endpoint argument, isolation, refusals, a clean stop."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import threading
import urllib.request

import boto3
import botocore.exceptions
import pytest

from helpers import sandbox as sandbox_module
from helpers.sandbox.credentials import Credentials

TRUST_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)
BASIC_EXECUTION = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"


def test_plain_boto3_reaches_the_sandbox(sandbox):
    identity = boto3.client("sts").get_caller_identity()
    assert identity["Account"] == sandbox.account_id
    assert boto3.client("lambda").list_functions()["Functions"] == []
    assert boto3.client("s3").meta.endpoint_url == sandbox.endpoint_url


def test_aws_managed_policies_attach_as_in_aws(sandbox):
    iam = boto3.client("iam")
    iam.create_role(RoleName="hello-world-api-role", AssumeRolePolicyDocument=TRUST_POLICY)
    iam.attach_role_policy(RoleName="hello-world-api-role", PolicyArn=BASIC_EXECUTION)
    attached = iam.list_attached_role_policies(RoleName="hello-world-api-role")["AttachedPolicies"]
    assert attached == [{"PolicyName": "AWSLambdaBasicExecutionRole", "PolicyArn": BASIC_EXECUTION}]
    document = iam.get_policy_version(PolicyArn=BASIC_EXECUTION, VersionId="v1")["PolicyVersion"]["Document"]
    assert "logs:PutLogEvents" in json.dumps(document)


def test_environment_is_restored_exactly(no_leaks, monkeypatch, tmp_path):
    monkeypatch.setenv("AWS_PROFILE", "production")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAREALKEY000000000")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "real-secret")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "real-token")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "https://s3.example.com")
    monkeypatch.setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    before = dict(os.environ)
    box = sandbox_module.start("eu-west-1")
    try:
        for hidden in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL_S3", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"):
            assert hidden not in os.environ
        assert os.environ["AWS_ENDPOINT_URL"] == box.endpoint_url
        assert os.environ["AWS_ACCESS_KEY_ID"] == box.credentials.access_key_id
        assert os.environ["AWS_CONFIG_FILE"] == os.devnull
        s3 = boto3.client("s3")
        assert s3.meta.endpoint_url == box.endpoint_url
        assert s3.meta.region_name == "eu-west-1"
        s3.create_bucket(Bucket="lab-bucket", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["lab-bucket"]
    finally:
        box.stop()
    assert dict(os.environ) == before


def test_real_credentials_never_reach_the_sandbox_requests(sandbox):
    # The key in the environment is the sandbox's, not whatever was there before.
    creds = boto3.session.Session().get_credentials()
    assert creds.access_key == sandbox.credentials.access_key_id
    assert creds.token is None


@pytest.mark.parametrize(
    ("service", "call", "code", "status"),
    [
        ("lambda", lambda c: c.list_functions(), "UnrecognizedClientException", 403),
        ("apigateway", lambda c: c.get_rest_apis(), "UnrecognizedClientException", 403),
        ("logs", lambda c: c.describe_log_groups(), "UnrecognizedClientException", 403),
        ("cloudwatch", lambda c: c.list_metrics(), "UnrecognizedClientException", 403),
        ("iam", lambda c: c.list_roles(), "InvalidClientTokenId", 403),
        ("sts", lambda c: c.get_caller_identity(), "InvalidClientTokenId", 403),
        ("s3", lambda c: c.list_buckets(), "InvalidAccessKeyId", 403),
        ("ec2", lambda c: c.describe_vpcs(), "AuthFailure", 401),
    ],
)
def test_a_foreign_key_is_refused(sandbox, service, call, code, status):
    foreign = Credentials.generate()
    client = boto3.client(
        service, aws_access_key_id=foreign.access_key_id, aws_secret_access_key=foreign.secret_access_key
    )
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        call(client)
    assert caught.value.response["Error"]["Code"] == code
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == status


def test_another_sandboxs_key_is_refused(no_leaks):
    with sandbox_module.start() as first, sandbox_module.start() as second:
        client = second.client(
            "lambda",
            aws_access_key_id=first.credentials.access_key_id,
            aws_secret_access_key=first.credentials.secret_access_key,
        )
        with pytest.raises(botocore.exceptions.ClientError) as caught:
            client.list_functions()
        assert caught.value.response["Error"]["Code"] == "UnrecognizedClientException"


def test_unsigned_requests_are_refused(sandbox):
    for path in ("/2015-03-31/functions/", "/moto-api/reset"):
        request = urllib.request.Request(sandbox.endpoint_url + path, method="GET" if "functions" in path else "POST")
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(request, timeout=5)
        assert caught.value.code == 403
        assert json.loads(caught.value.read())["message"] == "Missing Authentication Token"


def test_two_sandboxes_in_one_process_are_isolated(no_leaks):
    with sandbox_module.start() as first, sandbox_module.start() as second:
        assert first.endpoint_url != second.endpoint_url
        assert first.account_id != second.account_id
        first.client("s3").create_bucket(Bucket="only-in-first")
        assert second.client("s3").list_buckets()["Buckets"] == []
        assert [b["Name"] for b in first.client("s3").list_buckets()["Buckets"]] == ["only-in-first"]
        # The newest running sandbox owns the environment.
        assert os.environ["AWS_ENDPOINT_URL"] == second.endpoint_url
        second.stop()
        assert os.environ["AWS_ENDPOINT_URL"] == first.endpoint_url
    assert "AWS_ENDPOINT_URL" not in os.environ or os.environ["AWS_ENDPOINT_URL"] not in (
        first.endpoint_url,
        second.endpoint_url,
    )


def test_sandboxes_stopped_out_of_order_restore_the_environment(no_leaks):
    before = dict(os.environ)
    first = sandbox_module.start()
    second = sandbox_module.start()
    first.stop()
    assert os.environ["AWS_ENDPOINT_URL"] == second.endpoint_url
    second.stop()
    assert dict(os.environ) == before


def test_stop_is_idempotent_and_closes_the_port(no_leaks):
    box = sandbox_module.start()
    port = int(box.endpoint_url.rsplit(":", 1)[1])
    box.stop()
    box.stop()
    assert not box.running
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1)


def test_an_idle_keep_alive_connection_does_not_block_stop(no_leaks):
    box = sandbox_module.start()
    client = box.client("lambda")
    client.list_functions()  # leaves a pooled keep-alive connection open
    raw = socket.create_connection(("127.0.0.1", int(box.endpoint_url.rsplit(":", 1)[1])))
    stopper = threading.Thread(target=box.stop)
    try:
        stopper.start()
        stopper.join(timeout=30)
        assert not stopper.is_alive(), "stop() is blocked by an idle connection"
    finally:
        raw.close()
        stopper.join()


def test_it_listens_on_loopback_only(sandbox):
    assert sandbox.endpoint_url.startswith("http://127.0.0.1:")
    assert sandbox._server.server_address[0] == "127.0.0.1"


def test_invoke_url_is_the_execute_api_path(sandbox):
    base = sandbox.endpoint_url
    assert sandbox.invoke_url("a1b2c3", "dev", "/hello") == f"{base}/restapis/a1b2c3/dev/_user_request_/hello"
    assert sandbox.invoke_url("a1b2c3", "dev", "hello") == f"{base}/restapis/a1b2c3/dev/_user_request_/hello"
    assert sandbox.invoke_url("a1b2c3", "dev") == f"{base}/restapis/a1b2c3/dev/_user_request_/"


def test_a_bad_region_is_a_clear_error():
    with pytest.raises(ValueError, match="not an AWS Region"):
        sandbox_module.start("moon-1")


def test_interpreter_exit_stops_a_forgotten_sandbox(tmp_path):
    script = textwrap.dedent(
        """
        import threading
        from helpers import sandbox
        box = sandbox.start()
        print(box.endpoint_url.rsplit(":", 1)[1], flush=True)
        # no stop(): atexit must end the server
        """
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)
    port = int(out.stdout.strip())
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1)


def test_a_data_plane_route_is_served_before_moto(sandbox):
    def hello(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"data plane"]

    # Unsigned, so moto's side of the front door would refuse it (invoke URLs are the gateway's now).
    sandbox.front_door.mount(["GET"], r"^/data-plane/", hello, signed=False)
    with urllib.request.urlopen(sandbox.endpoint_url + "/data-plane/hello", timeout=5) as response:
        assert response.read() == b"data plane"


@pytest.mark.parametrize("service, call", [
    ("sts", lambda c: c.get_caller_identity()),  # query protocol: XML errors
    ("lambda", lambda c: c.list_functions()),  # REST-JSON
    ("logs", lambda c: c.describe_log_groups()),  # JSON
])
def test_a_failure_inside_the_sandbox_reaches_boto3_as_internal_failure(sandbox, service, call):
    # The 500 is written in the client's protocol, so botocore shows AWS's InternalFailure rather
    # than "Unable to parse response".
    from botocore.config import Config

    def broken(environ, start_response):
        raise RuntimeError("boom")

    sandbox.front_door.mount(["GET", "POST"], r"^/", broken)
    client = sandbox.client(service, config=Config(retries={"total_max_attempts": 1}))
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        call(client)
    assert caught.value.response["Error"]["Code"] == "InternalFailure"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    sandbox.front_door.routes.pop()
    call(client)  # and it keeps serving


def test_a_crashing_route_answers_500_and_the_sandbox_keeps_serving(sandbox):
    def broken(environ, start_response):
        raise RuntimeError("boom")

    sandbox.front_door.mount(["GET"], r"^/broken$", broken, signed=False)
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(sandbox.endpoint_url + "/broken", timeout=5)
    assert caught.value.code == 500
    assert caught.value.headers["x-amzn-ErrorType"] == "InternalFailure"
    assert boto3.client("lambda").list_functions()["Functions"] == []


def test_a_new_sandbox_starts_with_a_fresh_account(no_leaks):
    with sandbox_module.start():
        boto3.client("s3").create_bucket(Bucket="my-first-bucket")
        boto3.client("iam").create_role(RoleName="lab-role", AssumeRolePolicyDocument=TRUST_POLICY)
    with sandbox_module.start():
        # Bucket names are global in AWS; the stopped sandbox's are free again.
        boto3.client("s3").create_bucket(Bucket="my-first-bucket")
        assert boto3.client("iam").list_roles()["Roles"] == []
