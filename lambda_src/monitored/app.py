"""Hello world with something to watch: ?fail=1 raises, ?slow=<ms> sleeps, and it logs at INFO."""
import json
import logging
import os
import time

logger = logging.getLogger()


def lambda_handler(event, context):
    query = event.get("queryStringParameters") or {}
    logger.info("GET %s with %s", event.get("path"), query)
    print("trace header:", os.environ.get("_X_AMZN_TRACE_ID"))
    if "fail" in query:
        raise ValueError("asked to fail")
    if "slow" in query:
        time.sleep(int(query["slow"]) / 1000)
    return {"statusCode": 200, "body": json.dumps("Hello, World! from Lambda!")}
