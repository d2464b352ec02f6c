"""The gateway's reads from moto are cached exactly until the control plane writes."""

from __future__ import annotations

import io
import json
import urllib.error
import urllib.request

import pytest

from helpers.sandbox.read_cache import MAX_ENTRIES, ControlPlaneWrites, ReadCache, changes_cached_reads
from tests.support import HELLO_BODY, code_zip, walkthrough


def test_an_answer_is_kept_while_nothing_changes():
    generation, reads = [0], []
    cache = ReadCache(lambda: generation[0])

    def read():
        reads.append(1)
        return {"n": len(reads)}

    assert cache.get("k", read) == {"n": 1}
    assert cache.get("k", read) == {"n": 1}
    generation[0] += 1
    assert cache.get("k", read) == {"n": 2}
    assert len(reads) == 2


def test_a_write_during_the_read_makes_that_answer_stale():
    generation = [0]
    cache = ReadCache(lambda: generation[0])

    def read_while_a_write_lands():
        generation[0] += 1  # the front door counts the write while the read is under way
        return "old"

    assert cache.get("k", read_while_a_write_lands) == "old"
    assert cache.get("k", lambda: "new") == "new"


def test_keys_from_requests_cannot_pile_up():
    cache = ReadCache(lambda: 0)
    for n in range(MAX_ENTRIES * 3):
        cache.get(("key", str(n)), lambda: None)
    assert len(cache._entries) <= MAX_ENTRIES


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_writes_are_served_at_once_and_reads_do_not_count(sandbox):
    api = walkthrough(sandbox)
    url = api.url("/hello")
    assert _get(url) == (200, HELLO_BODY)
    writes = sandbox.front_door.writes
    before = writes.count
    sandbox.client("lambda").get_function(FunctionName="hello-world-api")
    sandbox.client("apigateway").get_stage(restApiId=api.id, stageName="dev")
    sandbox.client("iam").get_role(RoleName="hello-world-api-role")  # a POST, but a read
    sandbox.client("cloudformation").list_stacks()  # a POST, but a read
    assert writes.count == before
    # New code: the very next request runs it (Lambda retires the old environments).
    sandbox.client("lambda").update_function_code(FunctionName="hello-world-api",
                                                  ZipFile=code_zip("echo.py"))
    assert writes.count > before
    status, body = _get(url + "?name=Ada")
    assert status == 200 and json.loads(body)["queryStringParameters"] == {"name": "Ada"}
    # The permission removed: the next request is refused, as on AWS.
    sandbox.client("lambda").remove_permission(FunctionName="hello-world-api", StatementId="apigateway-invoke")
    assert _get(url) == (500, b'{"message": "Internal server error"}')
    # A stage pointed at no deployment's API: 403 at once.
    sandbox.client("apigateway").delete_stage(restApiId=api.id, stageName="dev")
    assert _get(url)[0] == 403


def test_the_data_plane_and_other_services_keep_the_cache(sandbox):
    api = walkthrough(sandbox)
    writes = sandbox.front_door.writes
    before = writes.count
    sandbox.client("lambda").invoke(FunctionName="hello-world-api", Payload=b"{}")
    assert _get(api.url("/hello")) == (200, HELLO_BODY)
    logs = sandbox.client("logs")
    logs.describe_log_groups()  # a POST that reads
    logs.create_log_group(logGroupName="/learner/notes")  # a write, but not to what the gateway reads
    sqs = sandbox.client("sqs")
    sqs.send_message(QueueUrl=sqs.create_queue(QueueName="orders")["QueueUrl"], MessageBody="{}")
    assert writes.count == before


@pytest.mark.parametrize("write", [
    lambda box, api: box.client("apigateway").update_stage(
        restApiId=api.id, stageName="dev", patchOperations=[{"op": "replace", "path": "/description", "value": "x"}]),
    lambda box, api: box.client("lambda").update_function_configuration(FunctionName="hello-world-api", Timeout=9),
    lambda box, api: box.client("lambda").add_permission(
        FunctionName="hello-world-api", StatementId="more", Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com"),
    lambda box, api: box.client("iam").put_role_policy(RoleName="hello-world-api-role", PolicyName="p",
                                                       PolicyDocument=ASSUME_NOTHING),
    lambda box, api: box.client("cloudformation").create_stack(StackName="empty", TemplateBody=EMPTY_TEMPLATE),
], ids=["apigateway", "lambda configuration", "lambda policy", "iam", "cloudformation"])
def test_a_write_the_gateway_reads_empties_the_cache(sandbox, write):
    api = walkthrough(sandbox)
    reads = sandbox.gateway.backend._reads
    assert _get(api.url("/hello"))[0] == 200
    reads.get(("api", api.id), lambda: pytest.fail("the API was not cached"))
    write(sandbox, api)
    assert reads.get(("api", api.id), lambda: "read again") == "read again"


ASSUME_NOTHING = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Deny", "Action": "s3:*", "Resource": "*"}]})
EMPTY_TEMPLATE = json.dumps({"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}})


@pytest.mark.parametrize("method, path, query, body, counts", [
    ("POST", "/2015-03-31/functions/f/invocations", "", b"", False),
    ("POST", "/2014-11-13/functions/f/invoke-async/", "", b"", False),
    ("PUT", "/2015-03-31/functions/f/configuration", "", b"{}", True),
    ("POST", "/", "", b"Action=GetRole&RoleName=r", False),
    ("POST", "/", "", b"Action=AttachRolePolicy&RoleName=r", True),
    ("GET", "/", "Action=ListRoles", b"", False),
])
def test_which_lambda_and_iam_requests_count_as_writes(method, path, query, body, counts):
    service = "lambda" if path != "/" else "iam"
    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query,
               "CONTENT_TYPE": "application/x-www-form-urlencoded; charset=utf-8",
               "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body)}
    assert changes_cached_reads(service, environ) is counts
    assert environ["wsgi.input"].read() == body  # still there for moto


def test_a_write_landing_during_a_read_never_leaves_a_stale_entry():
    # The front door counts a write after it was served: a read that raced it is cached under the old count.
    writes = ControlPlaneWrites()
    cache = ReadCache(writes)
    state = {"stage": "old"}

    def read_while_a_write_lands():
        seen = state["stage"]
        state["stage"] = "new"  # the write is served...
        writes.written()  # ...then counted
        return seen

    assert cache.get("stage", read_while_a_write_lands) == "old"
    assert cache.get("stage", lambda: state["stage"]) == "new"
    assert cache.get("stage", lambda: "not read again") == "new"
