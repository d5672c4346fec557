"""Shared set-up for the events tests: events, residents and staff straight into the database."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from icalendar import Calendar
from sqlalchemy import select

from dialogs.events.rules import DEFAULT_REMINDER_LEADS, Event, EventText, NewEvent, Signup
from dialogs.core.messages import Reply, reply_from_dict
from storage.events import SignupRow, SqlEvents
from storage.models import OutboxRow, ResidentRow
from tests.staff_tools import STAFF_CHAT, add_staff, staff_in_group  # noqa: F401  (other tests import them from here)

BERLIN_DEC_3_18H = datetime(2026, 12, 3, 17, 0, tzinfo=timezone.utc)     # Thursday 3 Dec 2026, 18:00 in Berlin


async def add_event(db, *, title: str = "Kiezfest", title_en: str | None = None, place: str = "Badstraße 10",
                    starts_at: datetime = BERLIN_DEC_3_18H, hours: float = 2, capacity: int | None = 10,
                    max_party: int = 4, area_key: str | None = "badstrasse", deadline: datetime | None = None,
                    leads: tuple[int, ...] = DEFAULT_REMINDER_LEADS, description: str = "Essen, Musik, Spiele",
                    uid: str | None = None) -> Event:
    texts = {"de": EventText(title, description)}
    if title_en:
        texts["en"] = EventText(title_en, "Food, music, games")
    async with db.sessions() as session, session.begin():
        return await SqlEvents(session).create(NewEvent(
            texts=texts, place=place, starts_at=starts_at, ends_at=starts_at + timedelta(hours=hours),
            area_key=area_key, capacity=capacity, max_party=max_party, registration_deadline=deadline,
            reminder_leads=leads, uid=uid))


async def get_event(db, event_id: int) -> Event:
    async with db.sessions() as session:
        event = await SqlEvents(session).get(event_id)
    assert event is not None
    return event


async def signups(db, event_id: int) -> list[Signup]:
    async with db.sessions() as session:
        return list(await SqlEvents(session).signups(event_id, ("confirmed", "waitlisted", "cancelled")))


async def signup_rows(db, event_id: int) -> list[SignupRow]:
    async with db.sessions() as session:
        return list((await session.execute(select(SignupRow).where(SignupRow.event_id == event_id)
                                           .order_by(SignupRow.id))).scalars())


async def add_resident(db, chat_id: int, language: str = "en", area_key: str | None = None) -> None:
    """A resident who has chosen a language and acknowledged the privacy notice."""
    async with db.sessions() as session, session.begin():
        session.add(ResidentRow(chat_id=chat_id, language=language, consent_at=datetime(2026, 1, 1, tzinfo=timezone.utc),
                                area_key=area_key, display_name=f"Resident {chat_id}"))


async def set_area(db, chat_id: int, area_key: str | None) -> None:
    async with db.sessions() as session, session.begin():
        row = await session.get(ResidentRow, chat_id)
        row.area_key = area_key


async def outbox(db, *, purpose: str | None = None, state: str | None = "pending",
                 chat_id: int | None = None) -> list[OutboxRow]:
    query = select(OutboxRow).order_by(OutboxRow.id)
    if purpose is not None:
        query = query.where(OutboxRow.purpose == purpose)
    if state is not None:
        query = query.where(OutboxRow.state == state)
    if chat_id is not None:
        query = query.where(OutboxRow.chat_id == chat_id)
    async with db.sessions() as session:
        return list((await session.execute(query)).scalars())


def reply_of(row: OutboxRow) -> Reply:
    return reply_from_dict(row.payload)


def as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def parse_ics(content: bytes):
    """The single VEVENT of an .ics file, read back by icalendar."""
    calendar = Calendar.from_ical(content)
    [event] = calendar.walk("VEVENT")
    return event
