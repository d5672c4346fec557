"""Secrets never reach a log: the bot token and the webhook secret are replaced by ``***``; while an
update is handled, so are what its sender typed and their names, and their ids become pseudonyms.

The bot token is part of every Bot API URL (``/bot123456:AA…/sendMessage``); aiohttp's and aiogram's
network errors put that URL into their messages, and tracebacks repeat it. Rather than filtering
single handlers (a handler added later — a file log, pytest's capture — would miss it), kiezbot
wraps the log-record factory: every record is redacted once, when it is created, in its message,
its arguments, its traceback text and its stack.

    redact_secrets(token, webhook_secret)     # in `kiezbot run`, before anything is logged

Per update (``bot/logformat.py`` ``update_context`` sets them with :func:`personal_values`): the message
text and caption (whole, per line, and as ``repr`` writes it), a shared contact's phone number, the
sender's names, and the chat's and sender's ids (replaced by their pseudonym, ``r-…``). Log lines name
people by pseudonym anyway (``dialogs/core/logsafe.py``); this catches what a traceback or a library's
message would repeat — e.g. ``invalid literal for int(): '0176 …'`` from a flow's bug.
"""
from __future__ import annotations

import contextvars
import logging
import re
import threading
from collections.abc import Callable, Iterable
from urllib.parse import quote

MASK = "***"
_lock = threading.Lock()
_secrets: set[str] = set()
# Secrets shorter than SHORTEST_SECRET (Telegram allows a one-character webhook secret) are masked where they
# stand alone, not inside other words: masking every "ab" would make the log unreadable.
SHORTEST_SECRET = 6
_short_secrets: re.Pattern[str] | None = None
_short: set[str] = set()
_previous_factory: logging.LogRecordFactory | None = None   # type: ignore[valid-type]
# What the update being handled in this task holds about its sender (see personal_values).
_personal: contextvars.ContextVar["_Personal | None"] = contextvars.ContextVar("kiezbot_personal", default=None)
SHORTEST_PERSONAL = 5        # shorter values ("ok", "Ada") would mask half the log; ids are longer


def _variants(secret: str) -> set[str]:
    # As written, and as it appears percent-encoded in a URL (the token's ':' becomes %3A).
    return {v for v in (secret, quote(secret, safe=""), quote(secret, safe="").replace("%3A", "%3a")) if v}


def redact(text: str) -> str:
    for secret in sorted(_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    if _short_secrets is not None:
        text = _short_secrets.sub(MASK, text)
    personal = _personal.get()
    if personal is not None:
        text = personal.mask(text)
    return text


class _Personal:
    """Texts to mask and ids to pseudonymise; checked only when a record is made (most updates make one)."""

    __slots__ = ("texts", "ids", "pseudonymise")

    def __init__(self, texts: tuple[str, ...], ids: tuple[int, ...], pseudonymise: Callable[[int], str]) -> None:
        self.texts, self.ids, self.pseudonymise = texts, ids, pseudonymise

    def mask(self, text: str) -> str:
        for value in self.texts:
            if value in text:
                text = text.replace(value, MASK)
            if "\n" in value or "'" in value or "\\" in value:
                # a traceback may repeat it line by line, or as repr() writes it
                for variant in (repr(value)[1:-1], *value.splitlines()):
                    variant = variant.strip()
                    if len(variant) >= SHORTEST_PERSONAL and variant in text:
                        text = text.replace(variant, MASK)
        for chat_id in self.ids:
            raw = str(chat_id)
            if raw in text:
                text = text.replace(raw, self.pseudonymise(chat_id))
        return text


def personal_values(texts: Iterable[str | None], ids: Iterable[int],
                    pseudonymise: Callable[[int], str]) -> contextvars.Token:
    """Mask ``texts`` (what the sender typed, their names) and replace ``ids`` by ``pseudonymise(id)`` in
    every record made in this task until :func:`forget_personal_values`. Cheap: a tuple per update."""
    # longest first: the whole message before a name inside it
    kept = tuple(sorted({t.strip() for t in texts if t and len(t.strip()) >= SHORTEST_PERSONAL},
                        key=len, reverse=True))
    kept_ids = tuple(i for i in ids if len(str(i)) >= SHORTEST_PERSONAL)
    return _personal.set(_Personal(kept, kept_ids, pseudonymise) if kept or kept_ids else None)


def forget_personal_values(token: contextvars.Token) -> None:
    _personal.reset(token)


def _redact_record(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001  (a broken format string is logging's problem to report, not ours)
        message = str(record.msg)
    record.msg, record.args = redact(message), None
    if record.exc_info and record.exc_info[0] is not None:
        # Formatters use the cached exc_text instead of formatting the traceback again.
        record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
    elif record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)


def _factory(*args, **kwargs) -> logging.LogRecord:
    assert _previous_factory is not None
    record = _previous_factory(*args, **kwargs)
    if _secrets or _short or _personal.get() is not None:
        _redact_record(record)
    return record


def redact_secrets(*secrets: str | None) -> None:
    """Keep these values out of every log record from now on (safe to call repeatedly)."""
    global _previous_factory, _short_secrets
    with _lock:
        for secret in secrets:
            if secret and len(secret) >= SHORTEST_SECRET:
                _secrets.update(_variants(secret))
            elif secret:                             # a short one: only where it stands alone
                _short.update(_variants(secret))
                words = "|".join(re.escape(v) for v in sorted(_short, key=len, reverse=True))
                _short_secrets = re.compile(rf"(?<![A-Za-z0-9_%-])(?:{words})(?![A-Za-z0-9_-])")
        if _previous_factory is None:
            _previous_factory = logging.getLogRecordFactory()
            logging.setLogRecordFactory(_factory)


def stop_redacting() -> None:
    """Forget all secrets and restore the previous record factory (for tests)."""
    global _previous_factory, _short_secrets
    with _lock:
        _secrets.clear()
        _short.clear()
        _short_secrets = None
        if _previous_factory is not None and logging.getLogRecordFactory() is _factory:
            logging.setLogRecordFactory(_previous_factory)
        _previous_factory = None
