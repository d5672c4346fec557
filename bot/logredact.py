"""Secrets never reach a log: the bot token and the webhook secret are replaced by ``***``.

The bot token is part of every Bot API URL (``/bot123456:AA…/sendMessage``); aiohttp's and aiogram's
network errors put that URL into their messages, and tracebacks repeat it. Rather than filtering
single handlers (a handler added later — a file log, pytest's capture — would miss it), kiezbot
wraps the log-record factory: every record is redacted once, when it is created, in its message,
its arguments, its traceback text and its stack.

    redact_secrets(token, webhook_secret)     # in `kiezbot run`, before anything is logged
"""
from __future__ import annotations

import logging
import threading
from urllib.parse import quote

MASK = "***"
_lock = threading.Lock()
_secrets: set[str] = set()
_previous_factory: logging.LogRecordFactory | None = None   # type: ignore[valid-type]


def _variants(secret: str) -> set[str]:
    # As written, and as it appears percent-encoded in a URL (the token's ':' becomes %3A).
    return {v for v in (secret, quote(secret, safe=""), quote(secret, safe="").replace("%3A", "%3a")) if v}


def redact(text: str) -> str:
    for secret in sorted(_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    return text


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
    if _secrets:
        _redact_record(record)
    return record


def redact_secrets(*secrets: str | None) -> None:
    """Keep these values out of every log record from now on (safe to call repeatedly)."""
    global _previous_factory
    with _lock:
        for secret in secrets:
            if secret and len(secret) >= 6:          # a two-letter "secret" would mask half the log
                _secrets.update(_variants(secret))
        if _previous_factory is None:
            _previous_factory = logging.getLogRecordFactory()
            logging.setLogRecordFactory(_factory)


def stop_redacting() -> None:
    """Forget all secrets and restore the previous record factory (for tests)."""
    global _previous_factory
    with _lock:
        _secrets.clear()
        if _previous_factory is not None and logging.getLogRecordFactory() is _factory:
            logging.setLogRecordFactory(_previous_factory)
        _previous_factory = None
