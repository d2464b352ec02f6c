"""Control-plane requests as moto reads them, for the refusals moto does not make."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ParsedRequest:
    """A control-plane request read with the service's model: its operation, protocol and parameters."""

    operation: Any  # botocore OperationModel (moto's subclass)
    protocol: str  # json, rest-json, query…
    params: dict[str, Any]


def parse_request(service: str, environ: dict[str, Any], body: bytes) -> ParsedRequest | None:
    """Read a request with moto's model-driven router and parser; None if it names no operation of `service`."""
    from moto.core.parse import PROTOCOL_PARSERS
    from moto.core.request import Request, determine_request_protocol
    from moto.core.routing import get_service_router
    from moto.core.utils import get_service_model
    from werkzeug.exceptions import HTTPException

    request = Request({**environ, "wsgi.input": io.BytesIO(body)})
    try:
        operation, uri_params = get_service_router(service).match(request)
    except HTTPException:
        return None
    protocol = determine_request_protocol(get_service_model(service), request.content_type)
    parser = PROTOCOL_PARSERS.get(protocol)
    if parser is None:  # e.g. CloudWatch's rpc-v2-cbor: no parser in moto, so nothing to check here
        return None
    try:
        # Only the query protocol reads parameters from a form body; the rest need the query string alone.
        values = request.values if protocol == "query" else request.args
        params = parser(operation).parse({"method": request.method, "values": values,
                                          "headers": request.headers, "body": body, "url_path": request.path,
                                          "url_params": uri_params})
    except Exception:  # noqa: BLE001 - a body the parser can't read is moto's to answer, not a sandbox failure
        return None
    return ParsedRequest(operation, protocol, params)
