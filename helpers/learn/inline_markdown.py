"""The little Markdown the learning layer writes (links, `code`, **bold**, *italics*, line breaks), as HTML for widgets."""

from __future__ import annotations

import html
import re

_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
_CODE = re.compile(r"`([^`]+)`")
_BOLD = re.compile(r"\*\*([^*]+)\*\*")
_ITALICS = re.compile(r"\*([^*\s][^*]*)\*")


def to_html(text: str) -> str:
    """HTML for text that uses Markdown links, `code`, **bold**, *italics* and newlines; everything else is escaped."""
    escaped = html.escape(text, quote=False)
    escaped = _LINK.sub(lambda m: f'<a href="{html.escape(m[2])}" target="_blank">{m[1]}</a>', escaped)
    escaped = _CODE.sub(r"<code>\1</code>", escaped)
    escaped = _BOLD.sub(r"<b>\1</b>", escaped)
    escaped = _ITALICS.sub(r"<i>\1</i>", escaped)
    return escaped.replace("\n", "<br>")
