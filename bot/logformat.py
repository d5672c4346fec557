"""Log lines for a log collector: ``KIEZBOT_LOG_FORMAT=json`` writes one JSON object per line.

    {"time": "2026-11-25T17:02:03.120Z", "level": "INFO", "logger": "bot.server", "message": "...",
     "instance": "web-1", "update_id": 812, "chat": "r-3f9c0a1d2b4e5f60"}

* ``instance`` is ``KIEZBOT_INSTANCE_ID`` (default host-pid), so the lines of several processes can be
  told apart after a collector merged them.
* ``update_id`` and ``chat`` are there while an update is handled (set by :func:`update_context`, an
  aiogram middleware). The chat is never written as its Telegram id: it is the resident's pseudonym,
  the same keyed hash the staff access log uses (``storage/privacy.py``), so the data-protection
  officer can find a resident's lines with ``kiezbot privacy log --resident ID``'s pseudonym, while
  the log alone names nobody.
* ``exc`` holds the traceback, if any. Secrets are masked before any formatter sees a record
  (``bot/logredact.py``); this formatter masks message and traceback once more, in case a record was
  made before the secrets were known.

The default (``text``) stays the human-readable ``time level logger: message``.
"""
from __future__ import annotations

import contextvars
import json
import logging
import sys
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from bot.logredact import forget_personal_values, personal_values as remember_personal, redact
from dialogs.core.logsafe import who
from storage.privacy import pseudonym_with

updates_log = logging.getLogger("bot.updates")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# (update id, chat id) of the update being handled in this task, if any.
current_update: contextvars.ContextVar[tuple[int | None, int | None] | None] = contextvars.ContextVar(
    "kiezbot_update", default=None)


class JsonFormatter(logging.Formatter):
    def __init__(self, instance: str, pseudonymise: Callable[[int], str] | None = None) -> None:
        super().__init__()
        self.instance = instance
        self.pseudonymise = pseudonymise

    def set_pseudonym_key(self, key: bytes) -> None:
        self.pseudonymise = lambda chat_id: pseudonym_with(key, chat_id)

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds")
                    .replace("+00:00", "Z"),
            "level": record.levelname, "logger": record.name, "message": redact(record.getMessage()),
            "instance": self.instance}
        context = current_update.get()
        if context is not None:
            update_id, chat_id = context
            if update_id is not None:
                out["update_id"] = update_id
            if chat_id is not None:
                # Before the key is loaded nothing names the chat rather than its raw id.
                out["chat"] = self.pseudonymise(chat_id) if self.pseudonymise else "r-?"
        if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            out["exc"] = redact(record.exc_text)
        if record.stack_info:
            out["stack"] = redact(record.stack_info)
        return json.dumps(out, ensure_ascii=False, default=str)


def configure_logging(level: str, log_format: str = "text", instance: str = "") -> logging.Handler:
    """One handler on stderr for the whole process (replacing earlier ones); returns it."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(instance) if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    logging.basicConfig(level=getattr(logging, level.upper(), logging.INFO), handlers=[handler], force=True)
    # aiogram's "Update id=… is handled" is written after the update's context ended; ours has it.
    logging.getLogger("aiogram.event").setLevel(logging.WARNING)
    # APScheduler writes "Running job …" and "… executed successfully" at INFO for the delivery tick,
    # every second; its warnings (missed runs) and errors (a job raised) still come through.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    return handler


def json_formatters() -> list[JsonFormatter]:
    return [h.formatter for h in logging.getLogger().handlers if isinstance(h.formatter, JsonFormatter)]


def personal_values(event: Any, chat: Any, user: Any) -> contextvars.Token:
    """What the update's sender typed and who they are: masked in every log line while it is handled
    (``bot/logredact.py``), their ids replaced by pseudonyms."""
    texts: list[str | None] = []
    for person in (user, chat):
        if person is not None:
            texts += [getattr(person, "first_name", None), getattr(person, "last_name", None),
                      getattr(person, "username", None), getattr(person, "full_name", None)]
    message = getattr(event, "message", None) or getattr(event, "edited_message", None)
    if message is not None:
        texts += [message.text, message.caption]
        if message.contact is not None:
            texts += [message.contact.phone_number, message.contact.first_name, message.contact.last_name]
        if message.location is not None:
            texts += [str(message.location.latitude), str(message.location.longitude)]
    ids = {i for i in (getattr(chat, "id", None), getattr(user, "id", None)) if i is not None and i > 0}
    return remember_personal(texts, ids, lambda chat_id: str(who(chat_id)))


def update_context():  # noqa: ANN201
    """aiogram outer middleware: the update's id and chat go into every log line written meanwhile,
    including its own "update handled" line (which replaces aiogram's, written outside that context);
    what the sender typed and their names are masked in those lines (:func:`personal_values`)."""
    async def middleware(handler, event, data):  # noqa: ANN001, ANN202
        chat = data.get("event_chat")
        token = current_update.set((getattr(event, "update_id", None), getattr(chat, "id", None)))
        personal = personal_values(event, chat, data.get("event_from_user"))
        started = time.perf_counter()
        try:
            return await handler(event, data)
        finally:
            updates_log.info("%s handled in %.0f ms", getattr(event, "event_type", "update"),
                             (time.perf_counter() - started) * 1000)
            forget_personal_values(personal)
            current_update.reset(token)
    return middleware
