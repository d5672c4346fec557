"""Plain data and the storage port of broadcasts (the conversation is in :mod:`dialogs.broadcasts.staff_flow`).

Kept apart from the flow so that storage and the delivery engine can import it without the
conversation, and so the catalog of the flow holds only its own strings.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from dialogs.core.i18n import STAFF_TEXT_LANGUAGE, pick_text

FALLBACK_LANGUAGE = STAFF_TEXT_LANGUAGE     # staff write German first; everyone without their language gets it


@dataclass(frozen=True)
class Audience:
    """Who receives a broadcast.

    ``all``: every resident who acknowledged the privacy notice; ``area``: those whose last found area
    is ``area_key``; ``body``: subscribers of a council/jury (``body``), optionally of one area —
    resolved by whatever the meetings feature registers (see ``storage.broadcasts.register_body``).
    """

    kind: str = "all"
    area_key: str | None = None
    body: str | None = None

    def encode(self) -> str:
        if self.kind == "area":
            return f"area:{self.area_key}"
        if self.kind == "body":
            return f"body:{self.body}:{self.area_key or ''}"
        return "all"

    @staticmethod
    def decode(value: str) -> "Audience":
        kind, _, rest = value.partition(":")
        if kind == "area" and rest:
            return Audience("area", area_key=rest)
        if kind == "body" and rest:
            body, _, area = rest.partition(":")
            return Audience("body", area_key=area or None, body=body)
        return Audience("all")


@dataclass(frozen=True)
class BroadcastInfo:
    id: int
    audience: Audience
    texts: dict[str, str]
    state: str                      # queued, sending, done, stopped
    total: int
    language: str                   # the author's language: progress reports are written in it
    report_chat_id: int | None
    created_by: int
    created_at: datetime
    counts: dict[str, int] = field(default_factory=dict)   # outbox states of its messages
    stopped_by: str = ""
    send_at: datetime | None = None  # scheduled: goes out then, to the audience as it is then
    expanded: bool = True           # False while the audience is still being queued, chunk by chunk
    created_by_name: str = ""       # the team member's name as they signed (the console's list shows it)

    def due(self, now: datetime) -> bool:
        return self.send_at is None or self.send_at <= now

    @property
    def sent(self) -> int:
        return self.counts.get("sent", 0)

    @property
    def failed(self) -> int:
        return self.counts.get("failed", 0)

    @property
    def blocked(self) -> int:
        return self.counts.get("blocked", 0)

    @property
    def cancelled(self) -> int:
        return self.counts.get("cancelled", 0)

    @property
    def waiting(self) -> int:
        """Its messages queued but not yet sent (nor being sent)."""
        return self.counts.get("pending", 0) + self.counts.get("claimed", 0)

    @property
    def finished(self) -> int:
        return self.sent + self.failed + self.blocked + self.cancelled


def text_for(texts: dict[str, str], language: str | None) -> tuple[str, bool]:
    """The text a resident of ``language`` gets, and whether it is the German fallback for them
    (the same choice as every other text staff write per language: :func:`dialogs.core.i18n.pick_text`)."""
    return pick_text(texts, language or FALLBACK_LANGUAGE, FALLBACK_LANGUAGE)


class Broadcasts(Protocol):
    """What the broadcast conversation needs from storage (one transaction per update)."""

    def bodies(self) -> Sequence[str]: ...
    async def audience_languages(self, audience: Audience) -> dict[str, int]: ...
    async def create(self, audience: Audience, texts: dict[str, str], *, created_by: int, created_by_name: str,
                     language: str, report_chat_id: int | None, now: datetime,
                     send_at: datetime | None = None) -> int: ...
    async def get(self, broadcast_id: int) -> BroadcastInfo | None: ...
    async def stop(self, broadcast_id: int, *, by: str, now: datetime) -> bool: ...
