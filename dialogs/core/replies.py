"""Replies made ready for a messenger: right-to-left marks on every line, and over-long texts split
so that no message exceeds Telegram's limit."""
from __future__ import annotations

import unicodedata

from dialogs.core.i18n import RLM
from dialogs.core.messages import Reply
from dialogs.core.text import split_for_telegram


def is_rtl_char(ch: str) -> bool:
    return unicodedata.bidirectional(ch) in ("R", "AL")


def needs_rlm(label: str) -> bool:
    return not label.startswith(RLM) and any(is_rtl_char(ch) for ch in label)


def rtl_lines(text: str) -> str:
    """Prefix U+200F to every non-empty line that does not start with it."""
    if not text:
        return text
    return "\n".join(RLM + line if line.strip() and not line.startswith(RLM) else line
                     for line in text.split("\n"))


def chunk_replies(replies: list[Reply]) -> list[Reply]:
    """Split over-long texts so that no message exceeds Telegram's limit (buttons stay on the last part)."""
    out: list[Reply] = []
    for reply in replies:
        parts = split_for_telegram(reply.text) if reply.text else [reply.text]
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            out.append(Reply(text=part, buttons=reply.buttons if last else [], venue=reply.venue if last else None,
                             document=reply.document if last else None, media=reply.media if last else [],
                             edit=reply.edit and i == 0, chat_id=reply.chat_id))
    return out
