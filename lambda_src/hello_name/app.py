"""GET /hello?name=Ada answers "Hello, Ada! from Lambda!"; without a name, "Hello, World! from Lambda!"."""

import json


def lambda_handler(event, context):
    """Greet the `name` query parameter, or the World when there is none."""
    # API Gateway sends null, not {}, when the request has no query string.
    query = event.get("queryStringParameters") or {}
    name = query.get("name") or "World"
    return {
        "statusCode": 200,
        "body": json.dumps(f"Hello, {name}! from Lambda!"),
    }
