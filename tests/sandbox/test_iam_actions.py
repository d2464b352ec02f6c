"""Which IAM actions, on which resources, a request needs (Service Authorization Reference)."""

from __future__ import annotations

import json
from urllib.parse import unquote

import pytest

from helpers.sandbox.iam_actions import read_request

ACCOUNT = "123456789012"


def needs(signing: str, method: str, path: str, query: str = "", body: bytes = b"", **headers: str) -> list:
    # As the server hands a request on: PATH_INFO decoded, the target as sent in RAW_URI.
    environ = {"REQUEST_METHOD": method, "PATH_INFO": unquote(path), "RAW_URI": path + (f"?{query}" if query else ""),
               "QUERY_STRING": query,
               **{f"HTTP_{k.upper()}": v for k, v in headers.items()}}
    if body.startswith(b"Action="):
        environ["CONTENT_TYPE"] = "application/x-www-form-urlencoded; charset=utf-8"
    return read_request(environ, body, signing, "us-east-1", ACCOUNT).actions()


@pytest.mark.parametrize("method, path, query, expected", [
    ("GET", "/bucket/a/b.txt", "", [("s3:GetObject", "arn:aws:s3:::bucket/a/b.txt")]),
    ("HEAD", "/bucket/a%20b.txt", "", [("s3:GetObject", "arn:aws:s3:::bucket/a b.txt")]),
    ("PUT", "/bucket/k", "", [("s3:PutObject", "arn:aws:s3:::bucket/k")]),
    ("GET", "/bucket", "list-type=2&prefix=a", [("s3:ListBucket", "arn:aws:s3:::bucket")]),
    ("GET", "/bucket", "", [("s3:ListBucket", "arn:aws:s3:::bucket")]),
    ("HEAD", "/bucket", "", [("s3:ListBucket", "arn:aws:s3:::bucket")]),
    ("GET", "/bucket", "policy", [("s3:GetBucketPolicy", "arn:aws:s3:::bucket")]),
    ("GET", "/", "", [("s3:ListAllMyBuckets", "*")]),
])
def test_s3_operations_and_resources(method, path, query, expected):
    assert needs("s3", method, path, query) == expected


def test_lambda_names_a_qualified_function():
    arn = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:hello"
    assert needs("lambda", "POST", "/2015-03-31/functions/hello/invocations") == [("lambda:InvokeFunction", arn)]
    assert needs("lambda", "POST", "/2015-03-31/functions/hello/invocations", "Qualifier=live") == [
        ("lambda:InvokeFunction", arn + ":live")]
    assert needs("lambda", "POST", f"/2015-03-31/functions/{arn.replace(':', '%3A')}/invocations") == [
        ("lambda:InvokeFunction", arn)]
    assert needs("lambda", "GET", "/2015-03-31/functions/") == [("lambda:ListFunctions", "*")]


def test_dynamodb_batches_need_each_table():
    body = json.dumps({"RequestItems": {"a": {"Keys": []}, "b": {"Keys": []}}}).encode()
    assert needs("dynamodb", "POST", "/", body=body, x_amz_target="DynamoDB_20120810.BatchGetItem") == [
        ("dynamodb:BatchGetItem", f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/a"),
        ("dynamodb:BatchGetItem", f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/b")]
    body = json.dumps({"TableName": "notes", "IndexName": "by-date"}).encode()
    assert needs("dynamodb", "POST", "/", body=body, x_amz_target="DynamoDB_20120810.Query") == [
        ("dynamodb:Query", f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/notes/index/by-date")]


def test_logs_and_query_protocol_services():
    body = json.dumps({"logGroupName": "/aws/lambda/x", "logStreamName": "s"}).encode()
    assert needs("logs", "POST", "/", body=body, x_amz_target="Logs_20140328.PutLogEvents") == [
        ("logs:PutLogEvents", f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/lambda/x:log-stream:s")]
    assert needs("iam", "POST", "/", body=b"Action=GetRole&RoleName=r&Version=2010-05-08") == [
        ("iam:GetRole", f"arn:aws:iam::{ACCOUNT}:role/r")]
    assert needs("sts", "POST", "/", body=b"Action=GetCallerIdentity&Version=2011-06-15") == [
        ("sts:GetCallerIdentity", "*")]
    assert needs("events", "POST", "/", body=b"{}", x_amz_target="AWSEvents.ListRules") == [("events:ListRules", "*")]
    body = json.dumps({"Entries": [{"Source": "app"}, {"EventBusName": "orders"}]}).encode()
    assert needs("events", "POST", "/", body=body, x_amz_target="AWSEvents.PutEvents") == [
        ("events:PutEvents", f"arn:aws:events:us-east-1:{ACCOUNT}:event-bus/default"),
        ("events:PutEvents", f"arn:aws:events:us-east-1:{ACCOUNT}:event-bus/orders")]
    assert needs("ssm", "POST", "/", body=b'{"Name": "/app/db-url"}', x_amz_target="AmazonSSM.GetParameter") == [
        ("ssm:GetParameter", f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/app/db-url")]


def test_monitoring_is_cloudwatch_and_unknown_operations_are_not_judged():
    assert needs("monitoring", "POST", "/service/GraniteServiceVersion20100801/operation/GetMetricData") == [
        ("cloudwatch:GetMetricData", "*")]
    assert needs("lambda", "GET", "/no/such/route") == []


def test_malformed_parameters_are_judged_on_any_resource():
    for body in ({"RequestItems": ["not", "a", "map"]}, {"TransactItems": [1]}):
        assert needs("dynamodb", "POST", "/", body=json.dumps(body).encode(),
                     x_amz_target="DynamoDB_20120810.TransactWriteItems") == [("dynamodb:TransactWriteItems", "*")]
    assert needs("logs", "POST", "/", body=b'{"logGroupName": 7}', x_amz_target="Logs_20140328.CreateLogGroup") == [
        ("logs:CreateLogGroup", "*")]
