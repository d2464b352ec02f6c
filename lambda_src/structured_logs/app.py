"""Hello world with Powertools Logger: one JSON object per line, with the function's context in each."""
import json

from aws_lambda_powertools import Logger

logger = Logger(service="hello")


@logger.inject_lambda_context
def lambda_handler(event, context):
    query = event.get("queryStringParameters") or {}
    logger.info("greeting", extra={"visitor": query.get("name", "World")})
    return {"statusCode": 200, "body": json.dumps("Hello, World! from Lambda!")}
