"""Small helpers for building message text safely in Telegram's HTML subset."""
from __future__ import annotations

import html
import re

from dialogs.core.messages import MAX_TEXT

_TAG = re.compile(r"<[^>]+>")


def esc(value: object) -> str:
    """Escape anything a person typed (or any data) for Telegram HTML."""
    return html.escape(str(value), quote=False)


def plain(html_text: str) -> str:
    """The text a reader sees: tags removed, entities resolved (for the terminal and for length checks)."""
    return html.unescape(_TAG.sub("", html_text))


def visible_length(html_text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units of the text after entity parsing."""
    return len(plain(html_text).encode("utf-16-le")) // 2


def clip(value: str, limit: int) -> str:
    """Shorten a person's text to ``limit`` characters with an ellipsis (before escaping)."""
    value = value.strip()
    return value if len(value) <= limit else value[: max(0, limit - 1)].rstrip() + "…"


def split_for_telegram(html_text: str, limit: int = MAX_TEXT) -> list[str]:
    """Split a long HTML text at paragraph or line boundaries so no part exceeds ``limit``.

    Only breaks between lines, so tags (which flows never spread across lines) stay balanced.
    """
    if visible_length(html_text) <= limit:
        return [html_text]
    parts: list[str] = []
    current = ""
    for line in html_text.split("\n"):
        candidate = f"{current}\n{line}" if current else line
        if visible_length(candidate) <= limit:
            current = candidate
            continue
        if current:
            parts.append(current)
        while visible_length(line) > limit:  # one very long line: hard cut on plain text
            cut = plain(line)
            parts.append(esc(cut[:limit]))
            line = esc(cut[limit:])
        current = line
    if current:
        parts.append(current)
    return parts


TELEGRAM_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "span",
                 "tg-spoiler", "tg-emoji", "blockquote"}
_MARKUP = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)([^<>]*)>|<|&(#\d+|#x[0-9a-fA-F]+|lt|gt|amp|quot);?|&")


def telegram_html_problem(html_text: str) -> str | None:
    """Why Telegram would refuse ``html_text`` in HTML parse mode, or None when it is fine.

    For texts kiezbot did not build itself (the operator's privacy text): only Telegram's tags,
    properly nested; ``<`` and ``&`` only as markup or entities (``&lt;``, ``&amp;`` …).
    """
    open_tags: list[str] = []
    for match in _MARKUP.finditer(html_text):
        token = match.group(0)
        line = html_text.count("\n", 0, match.start()) + 1
        if token == "<":
            return f"line {line}: a bare '<' (write &lt;)"
        if token == "&":
            return f"line {line}: a bare '&' (write &amp;)"
        if token.startswith("&"):
            continue
        closing, name = match.group(1) == "/", match.group(2).lower()
        if name not in TELEGRAM_TAGS:
            hint = " (use a line break instead)" if name in ("br", "p", "div") else ""
            return f"line {line}: Telegram does not allow the tag <{name}>{hint}"
        if closing:
            if not open_tags or open_tags[-1] != name:
                return f"line {line}: </{name}> does not close the open tag"
            open_tags.pop()
        else:
            open_tags.append(name)
    if open_tags:
        return f"the tag <{open_tags[-1]}> is never closed"
    return None
