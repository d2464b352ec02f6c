"""Turning a Lambda proxy integration's return value into the HTTP response, or a 502."""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from .context import HttpResponse
from .errors import ApiConfigurationError, MalformedProxyResponse
from .wildcards import media_type_matches

_KEYS = {"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"}
# Headers API Gateway owns on the client connection; a function's own go out renamed.
# The hop-by-hop ones beyond AWS's four are renamed too, since WSGI may not pass them on.
_REMAPPED = {
    name.lower(): name
    for name in ("Connection", "Content-Length", "Date", "Server", "Keep-Alive",
                 "Transfer-Encoding", "Upgrade", "Proxy-Connection", "TE", "Trailer")
}
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


def map_proxy_response(payload: bytes, *, accept: str | None, binary_media_types: list[str]) -> HttpResponse:
    """Read a function's proxy response; raise MalformedProxyResponse (502) when AWS would reject it."""
    try:
        result = json.loads(payload)
    except ValueError:
        raise MalformedProxyResponse("Malformed Lambda proxy response: not JSON") from None
    if not isinstance(result, dict):
        raise MalformedProxyResponse("Malformed Lambda proxy response: not a JSON object")
    unknown = set(result) - _KEYS
    if unknown:
        raise MalformedProxyResponse(f"Malformed Lambda proxy response: unexpected keys {sorted(unknown)}")
    headers = _headers(result.get("multiValueHeaders"), result.get("headers"))
    if not any(name.lower() == "content-type" for name, _ in headers):
        headers.append(("Content-Type", "application/json"))
    body = _body(result, accept, binary_media_types)
    return HttpResponse(_status(result.get("statusCode")), headers, body)


def _status(value: Any) -> int:
    if value is None:
        return 200
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or not 100 <= value <= 599:
        raise MalformedProxyResponse(f"Malformed Lambda proxy response: statusCode {value!r}")
    return value


def _headers(multi: Any, single: Any) -> list[tuple[str, str]]:
    """Every multiValueHeaders value on its own line, then each single header after them."""
    if multi is not None and not isinstance(multi, dict):
        raise MalformedProxyResponse("Malformed Lambda proxy response: multiValueHeaders is not an object")
    if single is not None and not isinstance(single, dict):
        raise MalformedProxyResponse("Malformed Lambda proxy response: headers is not an object")
    lines = []
    for name, values in (multi or {}).items():
        if not isinstance(values, list):
            raise MalformedProxyResponse(f"Malformed Lambda proxy response: multiValueHeaders[{name!r}] is not a list")
        lines.extend((name, value) for value in values)
    lines.extend((single or {}).items())
    return [(_header_name(name), _header_text(value)) for name, value in lines if value is not None]


def _header_name(name: str) -> str:
    if not _TOKEN.fullmatch(name):
        raise MalformedProxyResponse(f"Malformed Lambda proxy response: header name {name!r}")
    remapped = _REMAPPED.get(name.lower())
    return f"x-amzn-Remapped-{remapped}" if remapped else name


def _header_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if not isinstance(value, str) or "\r" in value or "\n" in value:
        raise MalformedProxyResponse(f"Malformed Lambda proxy response: header value {value!r}")
    # WSGI carries header bytes as latin-1 code points; send UTF-8 bytes like AWS does.
    return value.encode("utf-8").decode("latin-1")


def _body(result: dict[str, Any], accept: str | None, binary_media_types: list[str]) -> bytes:
    body = result.get("body")
    decode = _is_true(result.get("isBase64Encoded")) and _wants_binary(accept, binary_media_types)
    if body is None:
        return b""
    if isinstance(body, bool) or not isinstance(body, (str, int, float)):
        raise MalformedProxyResponse("Malformed Lambda proxy response: body is not a string")
    text = body if isinstance(body, str) else str(body)
    if decode:
        try:
            return base64.b64decode("".join(text.split()), validate=True)
        except (binascii.Error, ValueError):
            raise ApiConfigurationError("Unable to base64-decode the response body") from None
    return text.encode("utf-8")


def _is_true(flag: Any) -> bool:
    if flag is None or isinstance(flag, bool):
        return bool(flag)
    if isinstance(flag, str) and flag.lower() in ("true", "false"):
        return flag.lower() == "true"
    raise MalformedProxyResponse(f"Malformed Lambda proxy response: isBase64Encoded {flag!r}")


def _wants_binary(accept: str | None, binary_media_types: list[str]) -> bool:
    """Only the first Accept entry counts, and it must match a binary media type itself."""
    first = (accept or "").split(",", 1)[0]
    return bool(binary_media_types) and media_type_matches(binary_media_types, first)
