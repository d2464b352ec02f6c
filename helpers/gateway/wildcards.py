"""IAM-style wildcard matching (`*` and `?`) for policies, ARNs and media types."""

from __future__ import annotations

import re
from functools import lru_cache


def _regex(pattern: str, any_run: str = ".*", any_char: str = ".") -> str:
    return "".join(any_run if c == "*" else any_char if c == "?" else re.escape(c) for c in pattern)


# Policies are evaluated at every request. re's own cache of compiled patterns, shared with moto's
# many patterns, does not keep these: compiling one again costs more than the rest of the check.
@lru_cache(maxsize=1024)
def _compile(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    return re.compile(_regex(pattern), re.DOTALL | (re.IGNORECASE if ignore_case else 0))


@lru_cache(maxsize=1024)
def _compile_arn(pattern: str) -> re.Pattern[str]:
    # Wildcards stay inside their field for the five leading fields; the resource may span "/" and ":".
    fields = pattern.split(":", 5)
    leading = ":".join(_regex(f, "[^:]*", "[^:]") for f in fields[:5])
    return re.compile(leading + (":" + _regex(fields[5]) if len(fields) == 6 else ""), re.DOTALL)


def wildcard_match(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """True if `value` matches `pattern`, where `*` is any run of characters and `?` one character."""
    return _compile(pattern, ignore_case).fullmatch(value) is not None


def arn_like(pattern: str, arn: str) -> bool:
    """IAM's ArnLike: each of the six colon-separated ARN fields is matched on its own."""
    return pattern == "*" or _compile_arn(pattern).fullmatch(arn) is not None


def media_type_matches(patterns: list[str], content_type: str | None) -> bool:
    """True if the media type (parameters ignored) matches one of the API's binaryMediaTypes."""
    if not content_type:
        return False
    media_type = content_type.split(";", 1)[0].strip()
    # A wildcard for the type itself works only as "*/*" (recorded on AWS: "*/test" matches neither
    # "random/test" nor "*/test").
    return any(wildcard_match(p, media_type, ignore_case=True) for p in map(str.strip, patterns)
               if not p.startswith("*") or p == "*/*")
