"""Lambda's SQS poller on the sandbox: batches up to BatchSize, partial batch failures, messages kept on errors.

moto hands an SQS event source mapping one message per invocation, as soon as
each is sent, and deletes it whatever the function answered. Lambda polls:
it sends a batch of up to BatchSize records, deletes the batch when the
function succeeds, leaves it to reappear after the queue's visibility timeout
when the function fails, and, with FunctionResponseTypes
["ReportBatchItemFailures"], deletes all but the records the function names
in `batchItemFailures`. Here the poll happens right after each SendMessage
or SendMessageBatch, so a batch holds what those calls sent. Every moto name
used is checked by tests/sandbox/test_sqs_event_source.py.
"""

from __future__ import annotations

import functools
import json
from typing import Any

REPORT_BATCH_ITEM_FAILURES = "ReportBatchItemFailures"


@functools.cache  # patches moto once per process; sandboxes start one at a time
def install() -> None:
    """Deliver SQS messages to event source mappings as Lambda's poller does (once per process)."""
    from moto.sqs.models import SQSBackend

    SQSBackend.send_message = _then_poll(SQSBackend.send_message)
    SQSBackend.send_message_batch = _then_poll(SQSBackend.send_message_batch)


def _then_poll(send: Any) -> Any:
    @functools.wraps(send)
    def send_then_poll(backend: Any, queue_name: str, *args: Any, **kwargs: Any) -> Any:
        queue = backend.get_queue(queue_name)
        # moto's own delivery runs inside send_message; keep it from seeing the mappings.
        mappings, queue.lambda_event_source_mappings = queue.lambda_event_source_mappings, {}
        try:
            result = send(backend, queue_name, *args, **kwargs)
        finally:
            queue.lambda_event_source_mappings = mappings
        for mapping in list(mappings.values()):
            if mapping.enabled:
                poll(backend, queue, mapping)
        return result

    return send_then_poll


def poll(backend: Any, queue: Any, mapping: Any) -> None:
    """Invoke the mapping's function with batches of the queue's visible messages until none is left."""
    from moto.awslambda.utils import get_backend

    function = get_backend(queue.account_id, queue.region).get_function(mapping.function_arn)
    while True:
        messages = backend.receive_message(queue.name, mapping.batch_size or 10, 0, queue.visibility_timeout)
        if not messages:
            return
        payload, errored, _ = function._invoke_lambda(json.dumps(sqs_event(messages, queue)))
        for message in messages:
            if not errored and message.id not in _failed_ids(payload, mapping, messages):
                backend.delete_message(queue.name, message.receipt_handle)
        # Messages not deleted stay invisible until the visibility timeout, then come back.


def sqs_event(messages: list[Any], queue: Any) -> dict[str, Any]:
    """The event Lambda sends for a batch of SQS messages."""
    records = []
    for m in messages:
        attributes = {
            "ApproximateReceiveCount": str(m.approximate_receive_count),
            "SentTimestamp": str(m.sent_timestamp),
            "SenderId": m.sender_id,
            "ApproximateFirstReceiveTimestamp": str(m.approximate_first_receive_timestamp),
        }
        if m.group_id is not None:
            attributes.update(MessageGroupId=m.group_id, MessageDeduplicationId=m.deduplication_id)
        records.append({
            "messageId": m.id, "receiptHandle": m.receipt_handle, "body": m.body, "attributes": attributes,
            "messageAttributes": m.message_attributes, "md5OfBody": m.body_md5, "eventSource": "aws:sqs",
            "eventSourceARN": queue.queue_arn, "awsRegion": queue.region,
        })
    return {"Records": records}


def _failed_ids(payload: str, mapping: Any, messages: list[Any]) -> set[str]:
    if REPORT_BATCH_ITEM_FAILURES not in (mapping.function_response_types or []):
        return set()
    known = {m.id for m in messages}
    try:
        response = json.loads(payload or "null")
        # No response, or none listed: the whole batch succeeded.
        failures = (response or {}).get("batchItemFailures") or []
        failed = {f["itemIdentifier"] for f in failures}
    except (ValueError, AttributeError, TypeError, KeyError):
        # A response Lambda cannot read fails the whole batch.
        return known
    # An identifier that is empty or names no message of the batch fails the whole batch.
    return failed if failed <= known else known
