"""Leave nothing behind: tag what you create, find it by its tag or by listing every kind, delete it by its ARN."""

from __future__ import annotations

from typing import Callable

import boto3
from botocore.exceptions import ClientError

COURSE_TAG_KEY, COURSE_TAG_VALUE = "course", "serverless-api-lab"
# Services take tags in one of two shapes.
COURSE_TAGS = {COURSE_TAG_KEY: COURSE_TAG_VALUE}
COURSE_TAG_LIST = [{"Key": COURSE_TAG_KEY, "Value": COURSE_TAG_VALUE}]

# Deletion order: a stack takes its own resources with it; mappings before their functions;
# usage plans before the APIs they name; roles before the policies attached to them.
_NOT_FOUND = {"ResourceNotFoundException", "NoSuchEntity", "NotFoundException", "NoSuchBucket",
              "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"}
# API Gateway collections in ARNs: (kind, get call, delete call, id parameter).
_APIGATEWAY = {"restapis": ("REST APIs", "get_rest_api", "delete_rest_api", "restApiId"),
               "apikeys": ("API keys", "get_api_key", "delete_api_key", "apiKey"),
               "usageplans": ("usage plans", "get_usage_plan", "delete_usage_plan", "usagePlanId")}
KINDS = ("stacks", "event source mappings", "functions", "usage plans", "API keys", "REST APIs", "alarms",
         "log groups", "tables", "buckets", "queues", "roles", "policies")


def find_tagged(key: str = COURSE_TAG_KEY, value: str = COURSE_TAG_VALUE) -> list[str]:
    """ARNs of everything with the tag (resourcegroupstaggingapi.get_resources; iam.list_roles/list_role_tags/list_policies/list_policy_tags, as GetResources skips IAM; apigateway.get_rest_apis/get_api_keys/get_usage_plans and lambda.list_tags, which the sandbox's GetResources skips)."""
    tagging, iam = boto3.client("resourcegroupstaggingapi"), boto3.client("iam")
    found = [r["ResourceARN"]
             for page in tagging.get_paginator("get_resources").paginate(TagFilters=[{"Key": key, "Values": [value]}])
             for r in page["ResourceTagMappingList"]]
    wanted = {"Key": key, "Value": value}
    found += [r["Arn"] for r in _roles() if wanted in iam.list_role_tags(RoleName=r["RoleName"])["Tags"]]
    found += [p["Arn"] for p in _policies() if wanted in iam.list_policy_tags(PolicyArn=p["Arn"])["Tags"]]
    # The sandbox's GetResources lists no API Gateway resources or event source mappings (AWS's does);
    # read their tags directly.
    found += [arn for arn, tags in _apigateway_items() if tags.get(key) == value]
    lam = boto3.client("lambda")
    found += [arn for arn in _mappings() if lam.list_tags(Resource=arn)["Tags"].get(key) == value]
    return sorted(set(found), key=_deletion_order)


def inventory() -> dict[str, list[str]]:
    """Every resource of the kinds this course creates, as ARNs by kind (cloudformation.list_stacks, lambda.list_event_source_mappings/list_functions, apigateway.get_usage_plans/get_api_keys/get_rest_apis, cloudwatch.describe_alarms, logs.describe_log_groups, dynamodb.list_tables, s3.list_buckets, sqs.list_queues, iam.list_roles/list_policies)."""
    lam, logs, cloudwatch = (boto3.client(s) for s in ("lambda", "logs", "cloudwatch"))
    dynamodb, s3, sqs, cloudformation = (boto3.client(s) for s in ("dynamodb", "s3", "sqs", "cloudformation"))
    region, account = lam.meta.region_name, boto3.client("sts").get_caller_identity()["Account"]
    api_items = _apigateway_items()
    found = {
        "stacks": [s["StackId"] for page in cloudformation.get_paginator("list_stacks").paginate()
                   for s in page["StackSummaries"] if s["StackStatus"] != "DELETE_COMPLETE"],
        "event source mappings": _mappings(),
        "functions": [f["FunctionArn"] for page in lam.get_paginator("list_functions").paginate() for f in page["Functions"]],
        "usage plans": [arn for arn, _ in api_items if "/usageplans/" in arn],
        "API keys": [arn for arn, _ in api_items if "/apikeys/" in arn],
        "REST APIs": [arn for arn, _ in api_items if "/restapis/" in arn],
        "alarms": [a["AlarmArn"] for page in cloudwatch.get_paginator("describe_alarms").paginate() for a in page["MetricAlarms"]],
        "log groups": [f"arn:aws:logs:{region}:{account}:log-group:{g['logGroupName']}"
                       for page in logs.get_paginator("describe_log_groups").paginate() for g in page["logGroups"]],
        "tables": [f"arn:aws:dynamodb:{region}:{account}:table/{name}"
                   for page in dynamodb.get_paginator("list_tables").paginate() for name in page["TableNames"]],
        "buckets": [f"arn:aws:s3:::{b['Name']}" for b in s3.list_buckets()["Buckets"]],
        "queues": [f"arn:aws:sqs:{region}:{account}:{url.rsplit('/', 1)[1]}" for url in sqs.list_queues().get("QueueUrls", [])],
        "roles": [r["Arn"] for r in _roles()],
        "policies": [p["Arn"] for p in _policies()],
    }
    return {kind: found[kind] for kind in KINDS}


def delete_resources(arns: list[str]) -> list[str]:
    """Delete each resource named by its ARN, in an order AWS accepts (cloudformation.delete_stack, lambda.delete_event_source_mapping/delete_function, apigateway.delete_usage_plan/delete_api_key/delete_rest_api, cloudwatch.delete_alarms, logs.delete_log_group, dynamodb.delete_table, s3.delete_objects/delete_bucket, sqs.delete_queue, iam.detach_role_policy/delete_role_policy/delete_role/delete_policy); returns what went."""
    removed = []
    for arn in sorted(arns, key=_deletion_order):
        kind, delete = _deleter(arn)
        try:
            removed.append(f"{kind} {delete(arn)}")
        except ClientError as error:
            # Gone already: a stack, or a function's own cleanup, took it first.
            if error.response["Error"]["Code"] not in _NOT_FOUND:
                raise
    return removed


def remove_everything() -> list[str]:
    """Delete everything inventory() lists, stacks first (the calls of inventory and delete_resources); returns what went."""
    removed = delete_resources(inventory()["stacks"])  # then list again: the stacks took their resources along
    return removed + delete_resources([arn for arns in inventory().values() for arn in arns])


def _roles() -> list[dict]:
    pages = boto3.client("iam").get_paginator("list_roles").paginate()
    # Service-linked roles belong to AWS services; only those services may delete them.
    return [r for page in pages for r in page["Roles"] if not r["Path"].startswith("/aws-service-role/")]


def _policies() -> list[dict]:
    pages = boto3.client("iam").get_paginator("list_policies").paginate(Scope="Local")
    return [p for page in pages for p in page["Policies"]]


def _mappings() -> list[str]:
    pages = boto3.client("lambda").get_paginator("list_event_source_mappings").paginate()
    return [m["EventSourceMappingArn"] for page in pages for m in page["EventSourceMappings"]]


def _apigateway_items() -> list[tuple[str, dict[str, str]]]:
    apigw = boto3.client("apigateway")
    prefix = f"arn:aws:apigateway:{apigw.meta.region_name}::"
    items = []
    for path, operation in (("restapis", "get_rest_apis"), ("apikeys", "get_api_keys"), ("usageplans", "get_usage_plans")):
        for page in apigw.get_paginator(operation).paginate():
            items += [(f"{prefix}/{path}/{item['id']}", item.get("tags", {})) for item in page["items"]]
    return items


def _deletion_order(arn: str) -> tuple[int, str]:
    return KINDS.index(_deleter(arn)[0]), arn


def _deleter(arn: str) -> tuple[str, Callable[[str], str]]:
    service, resource = arn.split(":")[2], arn.split(":", 5)[5]
    if service == "apigateway":
        return _APIGATEWAY[resource.split("/")[1]][0], _delete_apigateway_item
    if service == "lambda":
        return ("event source mappings", _delete_mapping) if resource.startswith("event-source-mapping") else ("functions", _delete_function)
    if service == "iam":
        return ("roles", _delete_role) if resource.startswith("role/") else ("policies", _delete_policy)
    return {"cloudformation": ("stacks", _delete_stack), "cloudwatch": ("alarms", _delete_alarm),
            "logs": ("log groups", _delete_log_group), "dynamodb": ("tables", _delete_table),
            "s3": ("buckets", _delete_bucket), "sqs": ("queues", _delete_queue)}[service]


def _delete_stack(arn: str) -> str:
    cloudformation = boto3.client("cloudformation")
    cloudformation.delete_stack(StackName=arn)
    cloudformation.get_waiter("stack_delete_complete").wait(StackName=arn, WaiterConfig={"Delay": 1, "MaxAttempts": 600})
    return arn.split("/")[1]


def _delete_mapping(arn: str) -> str:
    uuid = arn.rsplit(":", 1)[1]
    boto3.client("lambda").delete_event_source_mapping(UUID=uuid)
    return uuid


def _delete_function(arn: str) -> str:
    name = arn.split(":")[6]
    boto3.client("lambda").delete_function(FunctionName=name)
    # Lambda made the function's log group, untagged; it outlives the function unless deleted.
    logs = boto3.client("logs")
    try:
        logs.delete_log_group(logGroupName=f"/aws/lambda/{name}")
    except logs.exceptions.ResourceNotFoundException:
        return name
    return f"{name} and its log group /aws/lambda/{name}"


def _delete_apigateway_item(arn: str) -> str:
    collection, item_id = arn.split("::/", 1)[1].split("/")
    _, get, delete, parameter = _APIGATEWAY[collection]
    apigw = boto3.client("apigateway")
    name = getattr(apigw, get)(**{parameter: item_id})["name"]
    getattr(apigw, delete)(**{parameter: item_id})
    return name


def _delete_alarm(arn: str) -> str:
    name = arn.split(":alarm:", 1)[1]
    boto3.client("cloudwatch").delete_alarms(AlarmNames=[name])
    return name


def _delete_log_group(arn: str) -> str:
    name = arn.split(":log-group:", 1)[1].removesuffix(":*")
    boto3.client("logs").delete_log_group(logGroupName=name)
    return name


def _delete_table(arn: str) -> str:
    name = arn.rsplit("/", 1)[1]
    dynamodb = boto3.client("dynamodb")
    dynamodb.delete_table(TableName=name)
    dynamodb.get_waiter("table_not_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 300})
    return name


def _delete_bucket(arn: str) -> str:
    name = arn.rsplit(":", 1)[1]
    s3 = boto3.client("s3")
    # A bucket must be empty (every version of every object) before it can be deleted.
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=name):
        doomed = [{"Key": v["Key"], "VersionId": v["VersionId"]} for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]
        if doomed:
            s3.delete_objects(Bucket=name, Delete={"Objects": doomed, "Quiet": True})
    s3.delete_bucket(Bucket=name)
    return name


def _delete_queue(arn: str) -> str:
    name = arn.rsplit(":", 1)[1]
    sqs = boto3.client("sqs")
    sqs.delete_queue(QueueUrl=sqs.get_queue_url(QueueName=name)["QueueUrl"])
    return name


def _delete_role(arn: str) -> str:
    name = arn.rsplit("/", 1)[1]
    iam = boto3.client("iam")
    for policy in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]:
        iam.detach_role_policy(RoleName=name, PolicyArn=policy["PolicyArn"])
    for policy_name in iam.list_role_policies(RoleName=name)["PolicyNames"]:
        iam.delete_role_policy(RoleName=name, PolicyName=policy_name)
    iam.delete_role(RoleName=name)
    return name


def _delete_policy(arn: str) -> str:
    iam = boto3.client("iam")
    for version in iam.list_policy_versions(PolicyArn=arn)["Versions"]:
        if not version["IsDefaultVersion"]:
            iam.delete_policy_version(PolicyArn=arn, VersionId=version["VersionId"])
    iam.delete_policy(PolicyArn=arn)
    return arn.rsplit("/", 1)[1]
