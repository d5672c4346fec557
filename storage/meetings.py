"""Council and jury sessions and who wants reminders for them: tables and the SQL ``Meetings`` port.

Concurrency: a resident subscribing while staff plan, move or cancel a session of the same body and
area must end up with exactly the reminders of the current state. Both sides take the topic lock
(:meth:`SqlMeetings.lock_topic`, a transaction-scoped advisory lock on PostgreSQL) before they write;
on SQLite every update's transaction holds the write lock from its start (BEGIN IMMEDIATE).
"""
from __future__ import annotations

import zlib
from collections.abc import Sequence
from datetime import datetime, timezone

from sqlalchemy import (JSON, BigInteger, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint,
                        delete,
                        select, text, update)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from dialogs.core.ports import BODIES, JurySession, Meeting, Subscriber
from storage.models import Base, OutboxRow, ResidentRow, utcnow

# Class id of the two-key advisory locks taken here ("mt"); the single-key locks of the unit of
# work (chat ids) live in a separate key space on PostgreSQL.
TOPIC_LOCK_CLASS = 0x6D74


class MeetingRow(Base):
    """One session of an area's Quartiersrat (``council``) or Aktionsfondsjury (``jury``)."""

    __tablename__ = "meetings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    area_key: Mapped[str] = mapped_column(ForeignKey("areas.key", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(String(16))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    place: Mapped[str] = mapped_column(String(256))
    agenda: Mapped[dict] = mapped_column(JSON, default=dict)          # language -> text, German fallback
    agenda_url: Mapped[str | None] = mapped_column(String(512))
    deadline: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))   # jury: end of submission day
    status: Mapped[str] = mapped_column(String(16), default="scheduled")       # scheduled, cancelled
    revision: Mapped[int] = mapped_column(Integer, default=0)                   # +1 per move or change
    # iCalendar UID of a session imported from a calendar file: a re-import finds it again. Manually
    # planned sessions have none.
    ical_uid: Mapped[str | None] = mapped_column(Text)     # at most storage.ical.MAX_UID_BYTES (Exchange: > 255)
    # What the calendar said at the last import (time, place, agenda, link, deadline as text): a re-import
    # changes only what the calendar changed since, so a session moved in the chat stays moved.
    imported: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    # Ids are never reused (SQLite AUTOINCREMENT; sequences on PostgreSQL): outbox keys name them.
    __table_args__ = (Index("ix_meetings_area_body_start", "area_key", "body", "starts_at"),
                      Index("ix_meetings_ical_uid", "ical_uid", unique=True),
                      {"sqlite_autoincrement": True})


class MeetingSubscriptionRow(Base):
    """A resident wants reminders for one body of one area. Deleted with the resident.

    A renewed subscription is a new row with a new id, which is part of its reminders' outbox keys.
    """

    __tablename__ = "meeting_subscriptions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("residents.chat_id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(String(16))
    area_key: Mapped[str] = mapped_column(ForeignKey("areas.key", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (UniqueConstraint("chat_id", "body", "area_key", name="uq_meeting_subscriptions_topic"),
                      Index("ix_meeting_subscriptions_topic", "body", "area_key"),
                      {"sqlite_autoincrement": True})


def _aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; they were stored in UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


def meeting_from_row(row: MeetingRow) -> Meeting:
    starts_at = _aware(row.starts_at)
    assert starts_at is not None
    return Meeting(id=row.id, area_key=row.area_key, body=row.body, starts_at=starts_at,
                   ends_at=_aware(row.ends_at), place=row.place, agenda=dict(row.agenda or {}),
                   agenda_url=row.agenda_url, deadline=_aware(row.deadline), status=row.status,
                   revision=row.revision, uid=row.ical_uid, imported=dict(row.imported) if row.imported else None)


class SqlMeetings:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- sessions -----------------------------------------------------------------------------
    async def next_jury_session(self, area_key: str, now: datetime) -> JurySession | None:
        """The next jury session an application sent now can still reach (its deadline not passed)."""
        row = await self.session.scalar(
            select(MeetingRow)
            .where(MeetingRow.area_key == area_key, MeetingRow.body == "jury", MeetingRow.status == "scheduled",
                   MeetingRow.starts_at > now, (MeetingRow.deadline.is_(None)) | (MeetingRow.deadline >= now))
            .order_by(MeetingRow.starts_at, MeetingRow.id).limit(1))
        if row is None:
            return None
        meeting = meeting_from_row(row)
        return JurySession(area_key=meeting.area_key, starts_at=meeting.starts_at, deadline=meeting.deadline)

    async def get(self, meeting_id: int) -> Meeting | None:
        row = await self.session.get(MeetingRow, meeting_id, populate_existing=True)
        return meeting_from_row(row) if row is not None else None

    async def upcoming(self, now: datetime, *, area_key: str | None = None, body: str | None = None,
                       limit: int = 20) -> Sequence[Meeting]:
        query = select(MeetingRow).where(MeetingRow.status == "scheduled", MeetingRow.starts_at > now)
        if area_key is not None:
            query = query.where(MeetingRow.area_key == area_key)
        if body is not None:
            query = query.where(MeetingRow.body == body)
        rows = (await self.session.execute(query.order_by(MeetingRow.starts_at, MeetingRow.id).limit(limit)))
        return [meeting_from_row(r) for r in rows.scalars()]

    async def add(self, meeting: Meeting) -> Meeting:
        row = MeetingRow(area_key=meeting.area_key, body=meeting.body, starts_at=meeting.starts_at,
                         ends_at=meeting.ends_at, place=meeting.place, agenda=dict(meeting.agenda),
                         agenda_url=meeting.agenda_url, deadline=meeting.deadline, status="scheduled", revision=0,
                         ical_uid=meeting.uid)
        self.session.add(row)
        await self.session.flush()
        return meeting_from_row(row)

    async def move(self, meeting_id: int, revision: int, starts_at: datetime, ends_at: datetime | None,
                   deadline: datetime | None) -> Meeting | None:
        """Move a scheduled session, unless someone moved or cancelled it since ``revision`` was read."""
        result = await self.session.execute(
            update(MeetingRow)
            .where(MeetingRow.id == meeting_id, MeetingRow.status == "scheduled", MeetingRow.revision == revision)
            .values(starts_at=starts_at, ends_at=ends_at, deadline=deadline, revision=revision + 1,
                    updated_at=utcnow())
            .execution_options(synchronize_session=False))
        if result.rowcount != 1:
            return None
        return await self.get(meeting_id)

    async def by_uid(self, uid: str) -> Meeting | None:
        row = await self.session.scalar(select(MeetingRow).where(MeetingRow.ical_uid == uid)
                                        .execution_options(populate_existing=True))
        return meeting_from_row(row) if row is not None else None

    async def revise(self, meeting_id: int, revision: int, **values) -> Meeting | None:  # noqa: ANN003
        """Change any of starts_at, ends_at, place, agenda, agenda_url, deadline of a scheduled session
        as a new revision, unless someone moved, changed or cancelled it since ``revision`` was read."""
        allowed = {"starts_at", "ends_at", "place", "agenda", "agenda_url", "deadline"}
        assert set(values) <= allowed, set(values) - allowed
        result = await self.session.execute(
            update(MeetingRow)
            .where(MeetingRow.id == meeting_id, MeetingRow.status == "scheduled", MeetingRow.revision == revision)
            .values(**values, revision=revision + 1, updated_at=utcnow())
            .execution_options(synchronize_session=False))
        if result.rowcount != 1:
            return None
        return await self.get(meeting_id)

    async def remember_import(self, meeting_id: int, said: dict[str, str]) -> None:
        """Keep what the calendar said about this session at this import (not a revision: nothing moved)."""
        await self.session.execute(update(MeetingRow).where(MeetingRow.id == meeting_id).values(imported=said)
                                   .execution_options(synchronize_session=False))

    async def cancel(self, meeting_id: int) -> Meeting | None:
        """Cancel a scheduled session; None when it is unknown or someone cancelled it already."""
        result = await self.session.execute(
            update(MeetingRow).where(MeetingRow.id == meeting_id, MeetingRow.status == "scheduled")
            .values(status="cancelled", updated_at=utcnow()).execution_options(synchronize_session=False))
        if result.rowcount != 1:
            return None
        return await self.get(meeting_id)

    # --- subscriptions ------------------------------------------------------------------------
    async def lock_topic(self, body: str, area_key: str) -> None:
        if self.session.bind.dialect.name == "postgresql":
            key = zlib.crc32(f"{body}:{area_key}".encode()) - 2**31      # into int4 range
            await self.session.execute(text("SELECT pg_advisory_xact_lock(:c, :k)"),
                                       {"c": TOPIC_LOCK_CLASS, "k": key})

    async def subscriptions(self, chat_id: int) -> set[tuple[str, str]]:
        rows = await self.session.execute(
            select(MeetingSubscriptionRow.body, MeetingSubscriptionRow.area_key)
            .where(MeetingSubscriptionRow.chat_id == chat_id))
        return {(body, area) for body, area in rows.all()}

    async def subscribe(self, chat_id: int, body: str, area_key: str) -> Subscriber | None:
        """Add a subscription; None when the resident has it already (nothing changes then)."""
        existing = await self.session.scalar(
            select(MeetingSubscriptionRow.id).where(MeetingSubscriptionRow.chat_id == chat_id,
                                                    MeetingSubscriptionRow.body == body,
                                                    MeetingSubscriptionRow.area_key == area_key))
        if existing is not None:
            return None
        row = MeetingSubscriptionRow(chat_id=chat_id, body=body, area_key=area_key)
        self.session.add(row)
        await self.session.flush()
        language = await self.session.scalar(select(ResidentRow.language).where(ResidentRow.chat_id == chat_id))
        return Subscriber(chat_id=chat_id, language=language or "de", subscription_id=row.id)

    async def unsubscribe(self, chat_id: int, body: str, area_key: str) -> bool:
        result = await self.session.execute(
            delete(MeetingSubscriptionRow).where(MeetingSubscriptionRow.chat_id == chat_id,
                                                 MeetingSubscriptionRow.body == body,
                                                 MeetingSubscriptionRow.area_key == area_key)
            .execution_options(synchronize_session=False))
        return (result.rowcount or 0) > 0

    async def subscribers(self, body: str, area_key: str) -> Sequence[Subscriber]:
        rows = await self.session.execute(
            select(MeetingSubscriptionRow.chat_id, ResidentRow.language, MeetingSubscriptionRow.id)
            .join(ResidentRow, ResidentRow.chat_id == MeetingSubscriptionRow.chat_id)
            .where(MeetingSubscriptionRow.body == body, MeetingSubscriptionRow.area_key == area_key)
            .order_by(MeetingSubscriptionRow.chat_id))
        return [Subscriber(chat_id=c, language=lang, subscription_id=i) for c, lang, i in rows.all()]

    async def cancel_reminders(self, chat_id: int, meeting_ids: Sequence[int]) -> int:
        """Cancel this resident's pending reminders of these sessions (whatever lead times they had)."""
        cancelled = 0
        for meeting_id in meeting_ids:
            result = await self.session.execute(
                update(OutboxRow)
                .where(OutboxRow.state == "pending", OutboxRow.chat_id == chat_id,
                       OutboxRow.dedupe_key.startswith(f"meeting:{meeting_id}:"))
                .values(state="cancelled").execution_options(synchronize_session=False))
            cancelled += result.rowcount or 0
        return cancelled


# --- broadcasts to the subscribers of a body ------------------------------------------------------
def subscribed_chat_ids(body: str):  # noqa: ANN201
    """The broadcast audience resolver of ``body``: ``area_key -> SELECT chat_id`` of its subscribers
    (all areas when ``area_key`` is None). The broadcast query itself keeps out residents without
    consent or who blocked kiezbot; erased residents have no subscriptions left (deleted with them)."""
    def resolve(area_key: str | None):  # noqa: ANN202
        query = select(MeetingSubscriptionRow.chat_id).where(MeetingSubscriptionRow.body == body)
        if area_key is not None:
            query = query.where(MeetingSubscriptionRow.area_key == area_key)
        return query
    return resolve


def register_broadcast_audiences() -> None:
    """Let /broadcast and ``kiezbot broadcast --body`` reach the Quartiersrat's and the jury's subscribers."""
    from storage.broadcasts import register_body

    for body in BODIES:
        register_body(body, subscribed_chat_ids(body))


register_broadcast_audiences()
