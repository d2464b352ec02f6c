"""SQS → this function, a batch at a time: processes orders, reports the ones it could not process."""

import json


def lambda_handler(event, context):
    """Process each record; return the ids of failed ones so only they go back to the queue."""
    failures = []
    for record in event["Records"]:
        try:
            order = json.loads(record["body"])
            if order["quantity"] <= 0:
                raise ValueError(f"quantity must be positive, got {order['quantity']}")
            print(f"order {order['id']}: {order['quantity']} x {order['item']}")
        except (ValueError, KeyError, TypeError) as error:
            print(f"message {record['messageId']} failed: {error!r}")
            failures.append({"itemIdentifier": record["messageId"]})
    print(f"batch of {len(event['Records'])}: {len(failures)} failed")
    return {"batchItemFailures": failures}
