"""The console's lists of events: upcoming or past, of one area or all, a page at a time.

The chat's list (:meth:`storage.events.SqlEvents.upcoming_page`) shows residents what they can still
sign up for; the team also needs the cancelled ones and those that are over (past: newest first), and
an area's own events without those for all areas. Read with the same statement as the chat's event
card (texts and waitlist joined), so an event looks the same in both.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from dialogs.events.rules import Event, as_utc
from storage.events import EventRow, SqlEvents, _with_texts_and_waiting

ALL_AREAS = "_all"          # the filter value for events meant for every area (area_key NULL)


@dataclass(frozen=True)
class EventList:
    events: list[Event]
    total: int


async def event_list(sessions: async_sessionmaker, now: datetime, *, past: bool, area: str = "",
                     offset: int = 0, limit: int = 25) -> EventList:
    """Upcoming (not over yet, soonest first, cancelled ones included) or past (over, newest first);
    ``area``: "" every event, :data:`ALL_AREAS` those for all areas, else that area's own."""
    ev = EventRow.__table__
    ended = func.coalesce(ev.c.ends_at, ev.c.starts_at)
    where = [ended <= as_utc(now) if past else ended > as_utc(now)]
    if area == ALL_AREAS:
        where.append(ev.c.area_key.is_(None))
    elif area:
        where.append(ev.c.area_key == area)
    order = (ev.c.starts_at.desc(), ev.c.id.desc()) if past else (ev.c.starts_at, ev.c.id)
    page = select(ev).where(*where).order_by(*order).limit(limit).offset(max(offset, 0))
    async with sessions() as session:
        total = int(await session.scalar(select(func.count()).select_from(ev).where(*where)) or 0)
        events, _rows = await SqlEvents(session)._joined(_with_texts_and_waiting(page), {})
    return EventList(events[::-1] if past else events, total)
