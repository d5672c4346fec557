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


_TOKEN = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)[^<>]*>|&(?:#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);|.", re.DOTALL)
# Characters that belong to the character before them (a cut before them would split an emoji or a letter).
_JOINS_PREVIOUS = re.compile("[\u0300-\u036f\u064b-\u065f\u200c\u200d\ufe00-\ufe0f\U0001f3fb-\U0001f3ff"
                             "\U000e0020-\U000e007f]")


def _units(token: str) -> int:
    return len(html.unescape(token).encode("utf-16-le")) // 2


def split_for_telegram(html_text: str, limit: int = MAX_TEXT) -> list[str]:
    """Split a long HTML text into parts of at most ``limit`` visible characters (UTF-16 units).

    Cuts after a blank line, else after a line break, else after a space, else anywhere (never inside a
    tag, an entity or between an emoji and its modifiers). An element open at a cut is closed at the end
    of the part and opened again (same tag, same attributes) at the start of the next, so every part is
    balanced HTML that Telegram accepts, and the parts read together give exactly the original text with
    its formatting. The whitespace at a cut stays at the end of the first part (Telegram trims it); parts
    that would hold nothing but whitespace are left out, as Telegram refuses empty messages.
    """
    if visible_length(html_text) <= limit:
        return [html_text]
    tokens: list[tuple[str, str, int, str]] = []          # (kind, source, units, tag name)
    for match in _TOKEN.finditer(html_text):
        if match.group(2):
            tokens.append(("close" if match.group(1) else "open", match.group(0), 0, match.group(2).lower()))
        else:
            tokens.append(("text", match.group(0), _units(match.group(0)), ""))
    parts: list[str] = []
    stack: list[tuple[str, str]] = []                       # open elements: (name, opening tag)
    start = 0
    while start < len(tokens):
        used, end = 0, start
        while end < len(tokens) and used + tokens[end][2] <= limit:
            used += tokens[end][2]
            end += 1
        end = max(end, start + 1)                            # a character wider than the limit: alone
        cut = end if end == len(tokens) else _best_cut(tokens, start, end, limit)
        while cut < len(tokens) and tokens[cut][0] == "close":   # closing tags stay with their text
            cut += 1
        while cut > start + 1 and tokens[cut - 1][0] == "open" and cut < len(tokens):
            cut -= 1                                             # an element opened at the cut moves on
        reopen = "".join(tag for _, tag in stack)
        for kind, source, _, name in tokens[start:cut]:
            if kind == "open":
                stack.append((name, source))
            elif kind == "close" and stack and stack[-1][0] == name:
                stack.pop()
        closing = "".join(f"</{name}>" for name, _ in reversed(stack)) if cut < len(tokens) else ""
        part = reopen + "".join(t[1] for t in tokens[start:cut]) + closing
        if plain(part).strip():
            parts.append(part)
        start = cut
    return parts


def _best_cut(tokens: list[tuple[str, str, int, str]], start: int, end: int, limit: int) -> int:
    """Where to end the part that may hold ``tokens[start:end]``: the latest good boundary in its second half."""
    def text_at(i: int) -> str:
        return html.unescape(tokens[i][1]) if i < len(tokens) and tokens[i][0] == "text" else ""

    def after_whitespace(i: int, chars: str) -> bool:       # after a run of whitespace, before a visible char
        before = next((text_at(j) for j in range(i - 1, start - 1, -1) if tokens[j][0] == "text"), "")
        after = next((text_at(j) for j in range(i, len(tokens)) if tokens[j][0] == "text"), "")
        return before != "" and before in chars and not after.isspace()

    seen = [0]
    for i in range(start, end):
        seen.append(seen[-1] + tokens[i][2])
    boundaries = (lambda i: after_whitespace(i, "\n") and _blank_line_before(tokens, i, start),
                  lambda i: after_whitespace(i, "\n"),
                  lambda i: after_whitespace(i, " \t\n\u00a0\u202f"))
    for good in boundaries:
        for i in range(end, start, -1):
            if seen[i - start] < limit // 2:
                break
            if good(i):
                return i
    cut = end
    while cut > start + 1 and (_JOINS_PREVIOUS.match(text_at(cut)) or text_at(cut - 1) == "\u200d"):
        cut -= 1
    kept = "".join(text_at(i) for i in range(start, cut))
    return cut if kept.strip() else end                     # one grapheme longer than the limit: cut it


def _blank_line_before(tokens: list[tuple[str, str, int, str]], i: int, start: int) -> bool:
    """The whitespace run that ends at ``i`` holds two line breaks (a paragraph ends there)."""
    breaks = 0
    for j in range(i - 1, start - 1, -1):
        if tokens[j][0] != "text":
            continue
        ch = html.unescape(tokens[j][1])
        if not ch.isspace():
            break
        breaks += ch == "\n"
    return breaks >= 2


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
