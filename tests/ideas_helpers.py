"""Shared steps for the ideas and moderation tests: a resident sending, the team deciding, what is queued."""
from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select

from dialogs.core.messages import Reply, reply_from_dict
from dialogs.core.text import plain
from storage.ideas import SubmissionEventRow, SubmissionRow
from storage.models import OutboxRow
from tests.chat import ChatClient
from tests.staff_tools import STAFF_CHAT, add_staff  # noqa: F401  (other tests import them from here)

REF = re.compile(r"[A-Z]{2,4}-\d{4}-\d{3,}")


@dataclass
class Queued:
    """An outbox row as the delivery engine will see it."""

    chat_id: int
    purpose: str
    key: str | None
    reply: Reply

    @property
    def text(self) -> str:
        return plain(self.reply.text).replace("\u202f", " ").replace("\xa0", " ")

    @property
    def buttons(self) -> dict[str, str]:
        return {b.label: b.data for row in self.reply.buttons for b in row}


async def outbox(db, purpose: str | None = None, chat_id: int | None = None) -> list[Queued]:
    async with db.sessions() as session:
        stmt = select(OutboxRow).order_by(OutboxRow.id)
        if purpose:
            stmt = stmt.where(OutboxRow.purpose == purpose)
        if chat_id is not None:
            stmt = stmt.where(OutboxRow.chat_id == chat_id)
        rows = (await session.execute(stmt)).scalars().all()
    return [Queued(r.chat_id, r.purpose, r.dedupe_key, reply_from_dict(r.payload)) for r in rows]


async def submissions(db) -> list[SubmissionRow]:
    async with db.sessions() as session:
        return list((await session.execute(select(SubmissionRow).order_by(SubmissionRow.id))).scalars().all())


async def submission(db, ref: str) -> SubmissionRow:
    async with db.sessions() as session:
        row = await session.scalar(select(SubmissionRow).where(SubmissionRow.ref == ref))
    assert row is not None, ref
    return row


async def audit(db, ref: str) -> list[tuple[str, str | None, str, str]]:
    """(action, from, to, actor) of one submission, oldest first."""
    async with db.sessions() as session:
        rows = await session.execute(
            select(SubmissionEventRow.action, SubmissionEventRow.from_status, SubmissionEventRow.to_status,
                   SubmissionEventRow.actor_name)
            .join(SubmissionRow, SubmissionRow.id == SubmissionEventRow.submission_id)
            .where(SubmissionRow.ref == ref).order_by(SubmissionEventRow.id))
        return [tuple(r) for r in rows.all()]


async def start_project_draft(client: ChatClient, title: str, area: str = "QM Badstraße") -> None:
    """Through the menu to a project idea in ``area`` with ``title`` typed: the text is asked next."""
    await client.taps("Submit an idea")
    await client.taps("Project idea")
    await client.taps(area)
    await client.says(title)


async def draft_project_idea(client: ChatClient, title: str = "Benches along the Panke",
                             text: str = "More benches on the Panke path, so older neighbours can rest.",
                             area: str = "QM Badstraße") -> None:
    """Walk the English flow for a project idea without media up to its summary (``area`` if it is asked)."""
    await client.presses("idea:new")
    await client.taps("Project idea")
    if client.last and area in client.last.buttons:
        await client.taps(area)
    await client.says(title)
    await client.says(text)


async def send_project_idea(client: ChatClient, title: str = "Benches along the Panke",
                            text: str = "More benches on the Panke path, so older neighbours can rest.",
                            area: str = "QM Badstraße") -> str:
    """Walk the English flow for a project idea without media and send it; returns the reference."""
    await draft_project_idea(client, title, text, area)
    answer = await client.taps("Send")
    return ref_in(answer.text)


def ref_in(text: str) -> str:
    found = REF.search(text)
    assert found, text
    return found.group(0)


async def card_button(db, ref: str, action: str, extra: str = "") -> str:
    """The callback data of a card button as the current card shows it (with the item's version)."""
    row = await submission(db, ref)
    return f"mod:{action}:{row.id}:{row.version}" + (f":{extra}" if extra else "")
