"""GET /hello with the greeting kept in DynamoDB: one GetItem on the table named by TABLE_NAME."""

import json
import os
import time

import boto3

# Made once per execution environment (init), reused by every warm invocation.
table = boto3.resource("dynamodb").Table(os.environ.get("TABLE_NAME", "greetings"))


def lambda_handler(event, context):
    """Read the greeting, greet the caller an authorizer named (or the World), answer as a Lambda proxy response."""
    time.sleep(float(event.get("sleep", 0)))  # lets a chapter hold an invocation open to show concurrency limits
    template = table.get_item(Key={"id": "hello"})["Item"]["text"]
    authorizer = (event.get("requestContext") or {}).get("authorizer") or {}
    if authorizer:
        print("requestContext.authorizer:", json.dumps(authorizer, sort_keys=True))
    return {"statusCode": 200, "body": json.dumps(template.format(name=authorizer.get("user", "World")))}
