"""What Lambda's Invoke API accepts (payload, invocation type, client context, qualifier), in front of the engine."""

from __future__ import annotations

import base64
import binascii
import json
import uuid

from ..engine import (Engine, FunctionSpec, InvalidParameterValueException, InvalidRequestContentException,
                      InvokeResult, RequestEntityTooLargeException)

SYNC_PAYLOAD_LIMIT = 6291456  # 6 MB, RequestResponse
ASYNC_PAYLOAD_LIMIT = 1048576  # 1 MB, Event (raised from 256 KB in 2025)


def invoke(engine: Engine, spec: FunctionSpec, payload: bytes, *, invocation_type: str = "RequestResponse",
           log_type: str = "None", client_context: str | None = None,
           invoked_function_arn: str | None = None) -> InvokeResult:
    """Invoke a function version as the Invoke API does; `client_context` is its base64 ClientContext."""
    engine.check(spec)
    limit = ASYNC_PAYLOAD_LIMIT if invocation_type == "Event" else SYNC_PAYLOAD_LIMIT
    if len(payload) > limit:
        raise RequestEntityTooLargeException(limit, len(payload), invocation_type)
    event, context = event_payload(payload), client_context_json(client_context)
    if invocation_type == "RequestResponse":
        return engine.invoke(spec, event, invoked_function_arn=invoked_function_arn, client_context=context,
                             log_tail=log_type == "Tail")
    if invocation_type == "Event":
        request_id = engine.enqueue(spec, event, invoked_function_arn=invoked_function_arn, client_context=context)
        return InvokeResult(202, b"", None, None, spec.version, False, None, 0.0, request_id)
    if invocation_type == "DryRun":
        return InvokeResult(204, b"", None, None, spec.version, False, None, 0.0, str(uuid.uuid4()))
    raise InvalidParameterValueException(f"Unknown invocation type {invocation_type}")


def event_payload(payload: bytes) -> bytes:
    """The event a payload delivers: JSON as sent, an empty object for none; anything else is refused."""
    if not payload:
        return b"{}"
    try:
        json.loads(payload)
    except ValueError as e:
        raise InvalidRequestContentException(
            f"Could not parse request body into json: Could not parse payload into json: {e}") from e
    return payload


def client_context_json(client_context: str | None) -> str | None:
    """The Invoke API's base64 ClientContext as the one-line JSON the Runtime API header carries."""
    if client_context is None:
        return None
    try:
        value = json.loads(base64.b64decode(client_context, validate=True))
    except (ValueError, binascii.Error) as e:
        raise InvalidRequestContentException("Client context must be a valid Base64-encoded JSON object.") from e
    if not isinstance(value, dict):
        raise InvalidRequestContentException("Client context must be a valid Base64-encoded JSON object.")
    return json.dumps(value)


def names_no_version(qualifier: str | None) -> bool:
    """Qualifiers are case-sensitive: "$latest" names no version (moto would take it for $LATEST)."""
    return qualifier is not None and qualifier.upper() == "$LATEST" and qualifier != "$LATEST"


def not_found_arn(name: str, qualifier: str | None, region: str, account_id: str) -> str:
    """The ARN a "Function not found" message names: unqualified, AWS names the version it looked for."""
    arn = name if name.startswith("arn:") else f"arn:aws:lambda:{region}:{account_id}:function:{name}"
    return arn + f":{qualifier or '$LATEST'}" if arn.count(":") == 6 else arn


def invoked_arn(spec: FunctionSpec, qualifier: str | None) -> str:
    """The ARN the handler sees (context.invoked_function_arn): an alias invocation reports the alias ARN."""
    return f"{spec.function_arn}:{qualifier}" if qualifier and qualifier != "$LATEST" else spec.invoked_arn
