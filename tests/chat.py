"""A test client that talks to the dialogs like a resident: ``await alice.says("/start")``, ``await alice.taps("English")``."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from dialogs.core.engine import Dialogs
from dialogs.core.replies import chunk_replies
from dialogs.core.messages import Inbound, Reply, Sender, reply_from_dict
from dialogs.core.text import plain
from storage.models import OutboxRow


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs) -> None:
        self.now += timedelta(**kwargs)


@dataclass
class Answer:
    replies: list[Reply]
    toast: str | None

    @property
    def text(self) -> str:
        """Everything the resident reads, as plain text."""
        text = "\n".join(plain(r.text) for r in self.replies if r.text)
        return text.replace("\u202f", " ").replace("\xa0", " ")   # CLDR's narrow spaces read as spaces

    @property
    def html(self) -> str:
        return "\n".join(r.text for r in self.replies)

    @property
    def buttons(self) -> list[str]:
        return [b.label for r in self.replies for row in r.buttons for b in row]

    def button_data(self) -> dict[str, str]:
        return {b.label: (b.data or b.url) for r in self.replies for row in r.buttons for b in row}


class ChatClient:
    def __init__(self, dialogs: Dialogs, chat_id: int, language_code: str | None = "de", name: str = "Alex",
                 chat_kind: str = "private", user_id: int | None = None) -> None:
        """``user_id`` is who writes; by default the chat's own id, as in a private chat."""
        self.dialogs = dialogs
        self.sender = Sender(chat_id=chat_id, user_id=chat_id if user_id is None else user_id,
                             language_code=language_code, display_name=name,
                             chat_kind=chat_kind)  # type: ignore[arg-type]
        self.last: Answer | None = None
        self.message_id = 0
        self._copies_seen = 0

    async def _handle(self, inbound: Inbound) -> Answer:
        handled = await self.dialogs.handle(inbound)
        replies = handled.replies + await self._copies() if handled.queued else handled.replies
        self.last = Answer(chunk_replies(replies), handled.toast)
        self.message_id += 1
        return self.last

    async def _copies(self) -> list[Reply]:
        """Copies of a submission the update queued for this very chat (``card:…:copy:…``): the delivery
        engine sends them right after the update, so the person reads them as part of the answer."""
        queued_copies = getattr(self.dialogs.uow, "queued_copies", None)
        if queued_copies is not None:                  # tests/memory_store.py
            records = queued_copies(self.sender.chat_id, self._copies_seen)
            if records:
                self._copies_seen = records[-1].id
            return [r.reply for r in records]
        async with self.dialogs.uow.sessions() as session:
            rows = (await session.execute(
                select(OutboxRow.id, OutboxRow.payload)
                .where(OutboxRow.chat_id == self.sender.chat_id, OutboxRow.dedupe_key.contains(":copy:"),
                       OutboxRow.id > self._copies_seen)
                .order_by(OutboxRow.id))).all()
        if rows:
            self._copies_seen = rows[-1].id
        return [reply_from_dict(payload) for _, payload in rows]

    async def says(self, text: str) -> Answer:
        return await self._handle(Inbound.parse_text(self.sender, text))

    async def sends(self, kind: str, **fields) -> Answer:
        return await self._handle(Inbound(kind, self.sender, **fields))  # type: ignore[arg-type]

    async def presses(self, data: str) -> Answer:
        """Press a button by its raw callback data (also for forged data)."""
        return await self._handle(Inbound("press", self.sender, data=data, message_id=self.message_id))

    async def taps(self, label: str) -> Answer:
        """Tap a button of the last answer whose label contains ``label``."""
        assert self.last is not None, "nothing to tap yet"
        for button_label, data in self.last.button_data().items():
            if label.casefold() in button_label.casefold():
                return await self.presses(data)
        raise AssertionError(f"no button {label!r} in {self.last.buttons}")

    async def onboard(self, language: str) -> Answer:
        await self.says("/start")
        await self.presses(f"lang:{language}")
        return await self.presses("consent:yes")
