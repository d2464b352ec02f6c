"""SQS event source mappings on the sandbox: batches, partial batch failures, failed batches kept."""

from __future__ import annotations

import inspect
import json

import boto3
import pytest

from helpers.deployment_package import zip_files
from helpers.sandbox.sqs_event_source import _failed_ids
from helpers.steps import create_basic_execution_role

# Records each batch's bodies in a second queue; fails the messages whose body is "bad"
# (and the whole batch on "crash").
WORKER = '''import json, boto3
sqs = boto3.client("sqs")
def lambda_handler(event, context):
    bodies = [r["body"] for r in event["Records"]]
    sqs.send_message(QueueUrl=sqs.get_queue_url(QueueName="seen")["QueueUrl"], MessageBody=json.dumps(bodies))
    if "crash" in bodies:
        raise RuntimeError("crash")
    return {"batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in event["Records"] if r["body"] == "bad"]}
'''


def _setup(response_types):
    lam, sqs = boto3.client("lambda"), boto3.client("sqs")
    role = create_basic_execution_role("worker-role")
    # The function reports each batch to the queue "seen"; its role must allow that.
    boto3.client("iam").put_role_policy(RoleName="worker-role", PolicyName="report", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["sqs:GetQueueUrl", "sqs:SendMessage"], "Resource": "*"}]}))
    lam.create_function(FunctionName="worker", Runtime="python3.12", Handler="app.lambda_handler",
                        Role=role, Code={"ZipFile": zip_files({"app.py": WORKER})})
    sqs.create_queue(QueueName="seen")
    url = sqs.create_queue(QueueName="jobs", Attributes={"VisibilityTimeout": "60"})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="worker", BatchSize=4, FunctionResponseTypes=response_types)
    return sqs, url


def _batches(sqs):
    url = sqs.get_queue_url(QueueName="seen")["QueueUrl"]
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    return sorted(json.loads(m["Body"]) for m in messages)


def _left(sqs, url):
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


def test_a_batch_send_is_delivered_in_batches_of_batch_size(sandbox):
    sqs, url = _setup(["ReportBatchItemFailures"])
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": f"m{i}"} for i in range(6)])
    assert [len(b) for b in _batches(sqs)] == [4, 2]
    assert _left(sqs, url) == 0


def test_only_the_reported_failures_stay_in_the_queue(sandbox):
    sqs, url = _setup(["ReportBatchItemFailures"])
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": b} for i, b in enumerate(["a", "bad", "c"])])
    assert _left(sqs, url) == 1


def test_without_report_batch_item_failures_a_returned_list_is_ignored(sandbox):
    sqs, url = _setup([])
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": b} for i, b in enumerate(["a", "bad", "c"])])
    assert _left(sqs, url) == 0


def test_a_function_error_keeps_the_whole_batch(sandbox):
    sqs, url = _setup(["ReportBatchItemFailures"])
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": b} for i, b in enumerate(["a", "crash"])])
    assert _batches(sqs) == [["a", "crash"]]
    assert _left(sqs, url) == 2


class _Mapping:
    function_response_types = ["ReportBatchItemFailures"]


class _Message:
    def __init__(self, id):
        self.id = id


@pytest.mark.parametrize(("payload", "failed"), [
    ("null", set()), ('{"batchItemFailures": []}', set()), ('{"batchItemFailures": null}', set()),
    ('{"batchItemFailures": [{"itemIdentifier": "b"}]}', {"b"}),
    ('{"batchItemFailures": [{"itemIdentifier": "zzz"}]}', {"a", "b"}),   # names no message: all fail
    ('{"batchItemFailures": [{"itemIdentifier": ""}]}', {"a", "b"}),
    ('{"batchItemFailures": [{"id": "b"}]}', {"a", "b"}),                # bad key name
    ("not json", {"a", "b"}),
])
def test_partial_batch_response_rules(payload, failed):
    assert _failed_ids(payload, _Mapping(), [_Message("a"), _Message("b")]) == failed


def test_sqs_backend_seam():
    from moto.sqs.models import Message, Queue, SQSBackend

    assert list(inspect.signature(SQSBackend.send_message).parameters)[:3] == ["self", "queue_name", "message_body"]
    assert list(inspect.signature(SQSBackend.send_message_batch).parameters) == ["self", "queue_name", "entries"]
    assert list(inspect.signature(SQSBackend.receive_message).parameters)[:5] == [
        "self", "queue_name", "count", "wait_seconds_timeout", "visibility_timeout"]
    assert "lambda_event_source_mappings" in inspect.getsource(Queue.__init__)
    for attribute in ("approximate_receive_count", "sent_timestamp", "sender_id", "group_id", "message_attributes"):
        assert f"self.{attribute}" in inspect.getsource(Message.__init__), attribute


def test_event_source_mapping_seam():
    from moto.awslambda.models import EventSourceMapping

    source = inspect.getsource(EventSourceMapping.__init__)
    for attribute in ("function_arn", "batch_size", "enabled", "function_response_types"):
        assert f"self.{attribute}" in source, attribute
