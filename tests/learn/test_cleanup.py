"""Cleanup: find by tag (the tagging API, IAM, API Gateway), list every kind, delete in an order AWS accepts."""

from __future__ import annotations

import json

import boto3

from helpers.cleanup import (COURSE_TAG_LIST, COURSE_TAGS, KINDS, delete_resources, find_tagged, inventory,
                             remove_everything)
from helpers.deployment_package import zip_files
from helpers.steps import BASIC_EXECUTION_POLICY, LAMBDA_TRUST_POLICY

OTHER_TAGS = {"course": "something-else"}


def _make_one_of_each(tags, tag_list, suffix):
    iam, lam = boto3.client("iam"), boto3.client("lambda")
    role = iam.create_role(RoleName=f"role-{suffix}", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST_POLICY), Tags=tag_list)
    policy = iam.create_policy(PolicyName=f"policy-{suffix}", Tags=tag_list, PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}]}))
    iam.attach_role_policy(RoleName=f"role-{suffix}", PolicyArn=policy["Policy"]["Arn"])
    iam.attach_role_policy(RoleName=f"role-{suffix}", PolicyArn=BASIC_EXECUTION_POLICY)  # so its logs arrive
    lam.create_function(FunctionName=f"fn-{suffix}", Runtime="python3.12", Handler="app.h", Role=role["Role"]["Arn"],
                        Code={"ZipFile": zip_files({"app.py": "def h(e, c):\n    return 1\n"})}, Tags=tags)
    lam.invoke(FunctionName=f"fn-{suffix}")  # Lambda makes its log group, untagged
    boto3.client("dynamodb").create_table(
        TableName=f"table-{suffix}", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST", Tags=tag_list)
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=f"bucket-{suffix}")
    s3.put_bucket_tagging(Bucket=f"bucket-{suffix}", Tagging={"TagSet": tag_list})
    s3.put_object(Bucket=f"bucket-{suffix}", Key="a.txt", Body=b"a")  # a bucket must be emptied first
    queue = boto3.client("sqs").create_queue(QueueName=f"queue-{suffix}", tags=tags)["QueueUrl"]
    queue_arn = boto3.client("sqs").get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    lam.create_event_source_mapping(EventSourceArn=queue_arn, FunctionName=f"fn-{suffix}", Tags=tags)
    apigw = boto3.client("apigateway")
    api = apigw.create_rest_api(name=f"api-{suffix}", tags=tags)
    key = apigw.create_api_key(name=f"key-{suffix}", tags=tags)
    plan = apigw.create_usage_plan(name=f"plan-{suffix}", tags=tags)
    apigw.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    boto3.client("cloudwatch").put_metric_alarm(
        AlarmName=f"alarm-{suffix}", MetricName="Errors", Namespace="AWS/Lambda", Statistic="Sum", Period=60,
        EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold", Tags=tag_list)
    return api["id"]


def test_find_tagged_finds_every_kind_with_the_tag_and_nothing_else(sandbox):
    _make_one_of_each(COURSE_TAGS, COURSE_TAG_LIST, "mine")
    _make_one_of_each(OTHER_TAGS, [{"Key": "course", "Value": "something-else"}], "theirs")
    found = find_tagged()
    assert all("theirs" not in arn for arn in found)
    kinds = {arn.split(":")[2] for arn in found}
    assert kinds == {"lambda", "iam", "dynamodb", "s3", "sqs", "apigateway", "cloudwatch"}
    assert len(found) == 11  # function, mapping, role, policy, table, bucket, queue, API, key, plan, alarm


def test_deleting_the_tagged_leaves_the_rest(sandbox):
    _make_one_of_each(COURSE_TAGS, COURSE_TAG_LIST, "mine")
    _make_one_of_each(OTHER_TAGS, [{"Key": "course", "Value": "something-else"}], "theirs")
    removed = delete_resources(find_tagged())
    assert "functions fn-mine and its log group /aws/lambda/fn-mine" in removed
    assert find_tagged() == []
    left = inventory()
    assert all("mine" not in arn for arns in left.values() for arn in arns)
    assert len(left["functions"]) == len(left["roles"]) == len(left["log groups"]) == 1


def test_remove_everything_empties_every_kind_stacks_included(sandbox):
    _make_one_of_each(COURSE_TAGS, COURSE_TAG_LIST, "a")
    boto3.client("cloudformation").create_stack(
        StackName="stack", TemplateBody='{"Resources": {"Q": {"Type": "AWS::SQS::Queue"}, "T": {"Type": "AWS::SNS::Topic"}}}')
    before = inventory()
    assert list(before) == list(KINDS)
    assert all(before[kind] for kind in KINDS), [kind for kind in KINDS if not before[kind]]
    removed = remove_everything()
    assert removed[0] == "stacks stack"
    assert inventory() == {kind: [] for kind in KINDS}
