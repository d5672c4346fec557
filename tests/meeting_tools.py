"""Helpers for the meetings tests: sessions planned directly, the outbox as rows (staff: tests.staff_tools)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import select

from dialogs.meetings.resident_flow import schedule_session
from dialogs.core.ports import Meeting
from dialogs.core.text import plain
from storage.models import OutboxRow
from tests.staff_tools import STAFF_CHAT, add_staff, staff_in_group  # noqa: F401  (other tests import them from here)

BERLIN = ZoneInfo("Europe/Berlin")


def berlin(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A Berlin wall-clock time as an aware UTC datetime."""
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN).astimezone(timezone.utc)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=timezone.utc)


async def plan(dialogs, *, area: str = "pankstrasse", body: str = "council", start: datetime,
               end: datetime | None = None, place: str = "Vor-Ort-Büro, Prinzenallee 30",
               agenda: dict[str, str] | None = None, deadline: datetime | None = None,
               agenda_url: str | None = None) -> Meeting:
    """Plan a session the way /newmeeting and `kiezbot meetings add` do (reminders included)."""
    async with dialogs.uow(0) as store:
        planned = await schedule_session(dialogs, store, Meeting(
            area_key=area, body=body, starts_at=start, ends_at=end, place=place, agenda=agenda or {},
            agenda_url=agenda_url, deadline=deadline), dialogs.clock())
    return planned.meeting


@dataclass
class Row:
    chat_id: int
    key: str
    due_at: datetime
    state: str
    purpose: str
    html: str
    buttons: list[list[dict]]

    @property
    def text(self) -> str:
        """What the resident reads (tags removed, CLDR's narrow spaces as spaces)."""
        return plain(self.html).replace("\u202f", " ").replace("\xa0", " ")


async def outbox(db, *, state: str | None = None, purpose: str | None = None) -> list[Row]:
    async with db.sessions() as session:
        query = select(OutboxRow).order_by(OutboxRow.id)
        if state:
            query = query.where(OutboxRow.state == state)
        if purpose:
            query = query.where(OutboxRow.purpose == purpose)
        rows = (await session.execute(query)).scalars().all()
    out = []
    for r in rows:
        due = r.due_at if r.due_at.tzinfo else r.due_at.replace(tzinfo=timezone.utc)
        out.append(Row(r.chat_id, r.dedupe_key or "", due.astimezone(timezone.utc), r.state, r.purpose,
                       r.payload.get("text", ""), r.payload.get("buttons") or []))
    return out


def button_data(row: Row, label_part: str) -> str:
    for line in row.buttons:
        for button in line:
            if label_part.casefold() in button["label"].casefold():
                return button["data"]
    raise AssertionError(f"no button {label_part!r} in {row.buttons}")
