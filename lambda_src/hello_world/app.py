"""The walkthrough's handler: GET /hello answers "Hello, World! from Lambda!"."""

import json


def lambda_handler(event, context):
    """Return a Lambda proxy response whose body is the JSON string "Hello, World! from Lambda!"."""
    return {
        "statusCode": 200,
        "body": json.dumps("Hello, World! from Lambda!"),
    }
