"""What the console's session pages read: sessions of any state (upcoming or past, cancelled ones too),
and how many residents are subscribed per body and area — counts only, never who.

Writing goes through the shared session rules (dialogs/meetings/sessions.py) in a unit of work; these
are plain reads for the lists.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from dialogs.core.ports import Meeting
from storage.meetings import MeetingRow, MeetingSubscriptionRow, meeting_from_row


async def session_list(sessions: async_sessionmaker, now: datetime, *, past: bool = False,
                       area: str | None = None, body: str | None = None, limit: int = 200) -> list[Meeting]:
    """Upcoming sessions (soonest first) or past ones (latest first), cancelled ones included."""
    row = MeetingRow
    query = select(row).where(row.starts_at <= now if past else row.starts_at > now)
    if area:
        query = query.where(row.area_key == area)
    if body:
        query = query.where(row.body == body)
    order = (row.starts_at.desc(), row.id.desc()) if past else (row.starts_at, row.id)
    async with sessions() as session:
        rows = (await session.execute(query.order_by(*order).limit(limit))).scalars().all()
    return [meeting_from_row(r) for r in rows]


async def subscriber_counts(sessions: async_sessionmaker) -> dict[tuple[str, str], int]:
    """(body, area key) -> number of residents who get reminders for it."""
    sub = MeetingSubscriptionRow
    query = select(sub.body, sub.area_key, func.count()).group_by(sub.body, sub.area_key)
    async with sessions() as session:
        return {(b, a): n for b, a, n in (await session.execute(query)).all()}


async def one_session(sessions: async_sessionmaker, meeting_id: int) -> Meeting | None:
    """A session for a page (a plain read; changes go through a unit of work)."""
    async with sessions() as session:
        row = await session.get(MeetingRow, meeting_id)
        return meeting_from_row(row) if row is not None else None
