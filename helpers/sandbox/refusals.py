"""AWS's answers to requests a sandbox will not serve (unsigned, or signed with another key) or failed on."""

from __future__ import annotations

import uuid
from typing import Any, Callable
from xml.sax.saxutils import escape

from ..wsgi import Signature, json_reply, reply

# (code, message, status) per protocol family, as AWS answers them.
_FOREIGN = {
    "json": ("UnrecognizedClientException", "The security token included in the request is invalid.", 403),
    "query": ("InvalidClientTokenId", "The security token included in the request is invalid.", 403),
    "ec2": ("AuthFailure", "AWS was not able to validate the provided access credentials", 401),
    "s3": ("InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.", 403),
}
_UNSIGNED = {
    "json": ("MissingAuthenticationTokenException", "Missing Authentication Token", 403),
    "query": ("MissingAuthenticationToken", "Request is missing Authentication Token", 403),
    "ec2": ("MissingAuthenticationToken", "Request is missing Authentication Token", 401),
    "s3": ("AccessDenied", "Access Denied", 403),
}


def protocol_of(environ: dict[str, Any], signature: Signature | None) -> str:
    """Guess the wire protocol family of a request, to answer in the format the client parses."""
    service = signature.service if signature else ""
    if service == "s3" or (signature is not None and not signature.scope):
        return "s3"
    if service == "ec2":
        return "ec2"
    if environ.get("HTTP_SMITHY_PROTOCOL") == "rpc-v2-cbor":
        return "cbor"
    if environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        return "query"
    return "json"


def refuse(environ: dict[str, Any], start_response: Callable[..., Any], signature: Signature | None) -> list[bytes]:
    """Answer with AWS's error for a missing or foreign signature, in the request's protocol."""
    protocol = protocol_of(environ, signature)
    table = _FOREIGN if signature else _UNSIGNED
    code, message, status = table["json" if protocol == "cbor" else protocol]
    extra = ""
    if protocol == "s3" and signature:
        extra = f"<AWSAccessKeyId>{escape(signature.access_key_id)}</AWSAccessKeyId>"
    return error_answer(start_response, protocol, code, message, status, s3_extra=extra)


def internal_failure(environ: dict[str, Any], start_response: Callable[..., Any],
                     signature: Signature | None) -> list[bytes]:
    """AWS's 500 InternalFailure, in the request's protocol, for a failure inside the sandbox."""
    return error_answer(start_response, protocol_of(environ, signature), "InternalFailure",
                        "An internal error occurred in the sandbox; it keeps serving.", 500)


def error_answer(start_response: Callable[..., Any], protocol: str, code: str, message: str, status: int,
                 *, s3_extra: str = "", fields: dict[str, str] | None = None) -> list[bytes]:
    """An AWS error in the format the client's protocol family parses (`fields`: more members of a JSON body)."""
    request_id = str(uuid.uuid4())
    headers = [("x-amzn-RequestId", request_id)]
    if protocol == "s3":
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{code}</Code><Message>{escape(message)}</Message>{s3_extra}"
            f"<RequestId>{request_id}</RequestId></Error>"
        ).encode()
        headers += [("Content-Type", "application/xml"), ("x-amz-request-id", request_id)]
    elif protocol == "ec2":
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Response><Errors><Error><Code>{code}</Code><Message>{escape(message)}</Message></Error></Errors>"
            f"<RequestID>{request_id}</RequestID></Response>"
        ).encode()
        headers.append(("Content-Type", "text/xml;charset=UTF-8"))
    elif protocol == "query":
        fault = "Receiver" if status >= 500 else "Sender"
        body = (
            f"<ErrorResponse><Error><Type>{fault}</Type><Code>{code}</Code><Message>{escape(message)}</Message>"
            f"</Error><RequestId>{request_id}</RequestId></ErrorResponse>"
        ).encode()
        headers.append(("Content-Type", "text/xml"))
    elif protocol == "cbor":
        body = _cbor_text_map({"__type": code, "message": message})
        headers += [("Content-Type", "application/cbor"), ("smithy-protocol", "rpc-v2-cbor")]
    elif protocol == "rest-json":
        # Lambda and API Gateway: the code in x-amzn-ErrorType, the body a message (Lambda adds "Type").
        return json_reply(start_response, status, {**(fields or {}), "message": message},
                          [*headers, ("x-amzn-ErrorType", code)])
    else:
        return json_reply(start_response, status, {"__type": code, "message": message},
                          [*headers, ("x-amzn-ErrorType", code)], content_type="application/x-amz-json-1.1")
    return reply(start_response, status, body, headers)


def _cbor_text_map(values: dict[str, str]) -> bytes:
    """Encode a small map of text to text as CBOR (RFC 8949), enough for an error body."""

    def head(major: int, length: int) -> bytes:
        if length < 24:
            return bytes([major << 5 | length])
        if length < 256:
            return bytes([major << 5 | 24, length])
        return bytes([major << 5 | 25]) + length.to_bytes(2, "big")

    out = bytearray(head(5, len(values)))
    for key, value in values.items():
        for text in (key, value):
            raw = text.encode()
            out += head(3, len(raw)) + raw
    return bytes(out)
