"""Broadcasts: one row per broadcast, one outbox row per recipient (key ``broadcast:<id>:<chat>``).

The staff's confirmation only stores the broadcast (state ``queued``), so the update stays quick.
The delivery engine then starts it (``sending``, ``total`` the audience counted then) and queues the
audience in chunks *while it is sent*, a few seconds of sending ahead (:meth:`BroadcastJobs.expand`):
each chunk is one transaction that inserts outbox rows in the bulk lane (``lane`` 1, sent in the gaps
between interactive messages) and moves a cursor (``enqueued_after``, the last chat id done), so a
crash resumes where it stopped and the dedupe keys make a repeated chunk harmless, and a stop leaves
only a few seconds' worth of rows to cancel. When the audience is exhausted ``expanded_at`` is set and
``total`` corrected to the rows queued; when none of its messages is waiting any more it is ``done`` (or
stays ``stopped``) with its final counts copied here, so purging old outbox rows keeps them.

Audiences: everyone, one area, or subscribers of a body. Residents who have not acknowledged the
privacy notice or whose chat blocked kiezbot are never included. Subscriptions belong to the meetings
feature, which plugs in with :func:`register_body`.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Integer, Select, String, false, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from dialogs.broadcasts.sending import Audience, BroadcastInfo
from storage.db import writer_session_factory
from storage.models import Base, OutboxRow, ResidentRow, utcnow
from storage.outbox import BULK, FINAL_STATES, aware


class BroadcastRow(Base):
    __tablename__ = "broadcasts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    audience: Mapped[str] = mapped_column(String(96))          # Audience.encode()
    texts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)   # language -> text as staff typed it
    language: Mapped[str] = mapped_column(String(16), default="de")     # the author's: progress reports
    state: Mapped[str] = mapped_column(String(16), default="queued")    # queued, sending, done, stopped
    total: Mapped[int] = mapped_column(Integer, default=0)
    enqueued_after: Mapped[int | None] = mapped_column(BigInteger)     # expansion cursor (chat id)
    milestone: Mapped[int] = mapped_column(Integer, default=0)          # last progress report, in percent
    created_by: Mapped[int] = mapped_column(BigInteger)
    created_by_name: Mapped[str] = mapped_column(String(128), default="")
    report_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    stopped_by: Mapped[str] = mapped_column(String(128), default="")
    final_counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    send_at: Mapped[datetime | None]        # scheduled: expanded into messages only from then on
    expanded_at: Mapped[datetime | None]    # the whole audience is queued (until then: chunk by chunk)


# body -> (area_key or None) -> a SELECT of chat ids subscribed to it
BodyResolver = Callable[[str | None], Select]
_BODIES: dict[str, BodyResolver] = {}


def register_body(body: str, resolver: BodyResolver) -> None:
    """Let broadcasts reach the subscribers of ``body`` (e.g. "council", "jury"): the meetings feature
    calls this with a function returning ``select(<chat id column>)`` for an area or all areas."""
    _BODIES[body] = resolver


def bodies() -> list[str]:
    """The bodies whose subscribers a broadcast can reach (registered by the meetings feature)."""
    return sorted(_BODIES)


def audience_query(audience: Audience) -> Select:
    """(chat_id, language) of everyone the audience reaches, reachable and with consent."""
    query = select(ResidentRow.chat_id, ResidentRow.language).where(
        ResidentRow.consent_at.is_not(None), ResidentRow.unreachable_at.is_(None), ResidentRow.chat_id > 0)
    if audience.kind == "area":
        query = query.where(ResidentRow.area_key == audience.area_key)
    elif audience.kind == "body":
        resolver = _BODIES.get(audience.body or "")
        if resolver is None:
            return query.where(false())
        query = query.where(ResidentRow.chat_id.in_(resolver(audience.area_key)))
    return query


def _info(row: BroadcastRow, counts: dict[str, int]) -> BroadcastInfo:
    return BroadcastInfo(id=row.id, audience=Audience.decode(row.audience), texts=dict(row.texts or {}),
                         state=row.state, total=row.total, language=row.language,
                         report_chat_id=row.report_chat_id, created_by=row.created_by,
                         created_at=aware(row.created_at) or row.created_at,
                         counts=counts, stopped_by=row.stopped_by, send_at=aware(row.send_at),
                         expanded=row.expanded_at is not None or row.state not in ("queued", "sending"),
                         created_by_name=row.created_by_name)


async def _counts(session: AsyncSession, broadcast_id: int) -> dict[str, int]:
    rows = await session.execute(select(OutboxRow.state, func.count()).where(OutboxRow.broadcast_id == broadcast_id)
                                 .group_by(OutboxRow.state))
    return {state: n for state, n in rows.all()}


class SqlBroadcasts:
    """The port of the broadcast conversation, inside the update's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.queued = False           # created or stopped one in this transaction (see SqlStore.queued)

    def bodies(self) -> Sequence[str]:
        return bodies()

    async def audience_languages(self, audience: Audience) -> dict[str, int]:
        sub = audience_query(audience).subquery()
        rows = await self.session.execute(select(sub.c.language, func.count()).group_by(sub.c.language))
        return {language: n for language, n in rows.all()}

    async def create(self, audience: Audience, texts: dict[str, str], *, created_by: int, created_by_name: str,
                     language: str, report_chat_id: int | None, now: datetime,
                     send_at: datetime | None = None) -> int:
        row = BroadcastRow(audience=audience.encode(), texts=dict(texts), language=language,
                           created_by=created_by, created_by_name=created_by_name[:128],
                           report_chat_id=report_chat_id, created_at=now, send_at=send_at)
        self.session.add(row)
        await self.session.flush()
        self.queued = True              # the delivery engine expands it into outbox rows
        return row.id

    async def get(self, broadcast_id: int) -> BroadcastInfo | None:
        row = await self.session.get(BroadcastRow, broadcast_id)
        if row is None:
            return None
        return _info(row, dict(row.final_counts) if row.finished_at else await _counts(self.session, row.id))

    async def stop(self, broadcast_id: int, *, by: str, now: datetime) -> bool:
        """Stop it unless it already finished or someone else stopped it first (exactly one wins)."""
        result = await self.session.execute(
            update(BroadcastRow).where(BroadcastRow.id == broadcast_id,
                                       BroadcastRow.state.in_(("queued", "sending")))
            .values(state="stopped", stopped_by=by[:128]))
        if not result.rowcount:
            return False
        await self.session.execute(
            update(OutboxRow).where(OutboxRow.broadcast_id == broadcast_id,
                                    OutboxRow.state.in_(("pending", "claimed")))
            .values(state="cancelled", last_error="broadcast stopped", claimed_by=None, claimed_until=None))
        self.queued = True              # the delivery engine sends the final report
        return True


class BroadcastJobs:
    """What the delivery engine does for broadcasts between sends: expand, report, finish."""

    def __init__(self, sessions: async_sessionmaker) -> None:
        self.sessions = sessions
        self.writers = writer_session_factory(sessions.kw["bind"])   # BEGIN IMMEDIATE on SQLite

    async def unfinished(self) -> list[BroadcastInfo]:
        async with self.sessions() as session:
            rows = (await session.execute(select(BroadcastRow).where(BroadcastRow.finished_at.is_(None))
                                          .order_by(BroadcastRow.id))).scalars().all()
            return [_info(row, await _counts(session, row.id)) for row in rows]

    async def get(self, broadcast_id: int) -> BroadcastInfo | None:
        async with self.sessions() as session:
            return await SqlBroadcasts(session).get(broadcast_id)

    async def reports_waiting(self, broadcast_id: int) -> int:
        """Progress and final reports of the broadcast not yet sent (nor failed)."""
        async with self.sessions() as session:
            return await session.scalar(
                select(func.count()).select_from(OutboxRow).where(
                    OutboxRow.purpose == "broadcast-report", OutboxRow.state.not_in(FINAL_STATES),
                    OutboxRow.dedupe_key.in_([f"broadcast:{broadcast_id}:done"] + [
                        f"broadcast:{broadcast_id}:progress:{m}" for m in (25, 50, 75)]))) or 0

    async def expand(self, broadcast_id: int, payload_for: Callable[[str], dict[str, Any]], now: datetime,
                     batch: int = 500) -> bool:
        """Queue the next chunk of recipients (the first call starts the broadcast). True while more remain."""
        async with self.writers() as session, session.begin():
            query = select(BroadcastRow).where(BroadcastRow.id == broadcast_id)
            if session.bind.dialect.name == "postgresql":
                query = query.with_for_update()      # two processes expand one chunk at a time
            row = (await session.execute(query)).scalar_one_or_none()
            if row is None or row.expanded_at is not None or row.state not in ("queued", "sending") or (
                    row.send_at is not None and aware(row.send_at) > now):
                return False
            audience = audience_query(Audience.decode(row.audience))
            if row.state == "queued":
                row.state = "sending"
                row.started_at = now
                row.total = await session.scalar(select(func.count()).select_from(audience.subquery())) or 0
            recipients = audience
            if row.enqueued_after is not None:
                recipients = recipients.where(ResidentRow.chat_id > row.enqueued_after)
            people = (await session.execute(recipients.order_by(ResidentRow.chat_id).limit(batch))).all()
            if people:
                payloads: dict[str, dict[str, Any]] = {}
                values = []
                for chat_id, language in people:
                    if language not in payloads:
                        payloads[language] = payload_for(language)
                    values.append(dict(chat_id=chat_id, payload=payloads[language], due_at=now, state="pending",
                                       attempts=0, parts_done=0, purpose="broadcast", broadcast_id=row.id,
                                       lane=BULK, dedupe_key=f"broadcast:{row.id}:{chat_id}", created_at=now))
                insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
                await session.execute(insert(OutboxRow).values(values)
                                      .on_conflict_do_nothing(index_elements=["dedupe_key"]))
                row.enqueued_after = people[-1][0]
            if len(people) < batch:
                row.expanded_at = now
                row.total = await session.scalar(
                    select(func.count()).select_from(OutboxRow).where(OutboxRow.broadcast_id == row.id)) or 0
                return False
            return True

    async def report(self, broadcast_id: int, *, milestone: int, chat_id: int, payload: dict[str, Any],
                     now: datetime) -> bool:
        """Post a progress report once per milestone, whichever process gets there first."""
        async with self.writers() as session, session.begin():
            result = await session.execute(
                update(BroadcastRow).where(BroadcastRow.id == broadcast_id, BroadcastRow.state == "sending",
                                           BroadcastRow.milestone < milestone).values(milestone=milestone))
            if not result.rowcount:
                return False
            session.add(OutboxRow(chat_id=chat_id, payload=payload, due_at=now, purpose="broadcast-report",
                                  dedupe_key=f"broadcast:{broadcast_id}:progress:{milestone}", created_at=now))
            return True

    async def finish(self, broadcast_id: int, *, now: datetime,
                     final_payload: Callable[[BroadcastInfo], dict[str, Any]] | None) -> BroadcastInfo | None:
        """Close a broadcast none of whose messages is waiting any more; returns it if this call did."""
        async with self.writers() as session, session.begin():
            row = await session.get(BroadcastRow, broadcast_id)
            if row is None or row.finished_at is not None or row.state == "queued" or (
                    row.state == "sending" and row.expanded_at is None):
                return None
            counts = await _counts(session, broadcast_id)
            if any(state not in FINAL_STATES for state in counts):
                return None
            result = await session.execute(
                update(BroadcastRow).where(BroadcastRow.id == broadcast_id, BroadcastRow.finished_at.is_(None))
                .values(finished_at=now, final_counts=counts,
                        state="done" if row.state == "sending" else row.state))
            if not result.rowcount:
                return None
            await session.refresh(row)
            info = _info(row, counts)
            if final_payload is not None and row.report_chat_id is not None:
                session.add(OutboxRow(chat_id=row.report_chat_id, payload=final_payload(info), due_at=now,
                                      purpose="broadcast-report", dedupe_key=f"broadcast:{broadcast_id}:done",
                                      created_at=now))
            return info


async def create_broadcast(sessions: async_sessionmaker, audience: Audience, texts: dict[str, str], *,
                           created_by: int, created_by_name: str, language: str, report_chat_id: int | None,
                           now: datetime, send_at: datetime | None = None) -> int:
    """For ``kiezbot broadcast``: the same row the staff chat's confirmation creates."""
    async with sessions() as session, session.begin():
        return await SqlBroadcasts(session).create(audience, texts, created_by=created_by,
                                                   created_by_name=created_by_name, language=language,
                                                   report_chat_id=report_chat_id, now=now, send_at=send_at)


async def audience_languages(sessions: async_sessionmaker, audience: Audience) -> dict[str, int]:
    async with sessions() as session:
        return await SqlBroadcasts(session).audience_languages(audience)


async def recent_broadcasts(sessions: async_sessionmaker, *, limit: int = 50) -> list[BroadcastInfo]:
    """The newest broadcasts first (the console's list), with the outbox counts of those still running."""
    async with sessions() as session:
        rows = (await session.execute(select(BroadcastRow).order_by(BroadcastRow.id.desc()).limit(limit))
                ).scalars().all()
        running = [row.id for row in rows if row.finished_at is None]
        counts: dict[int, dict[str, int]] = {}
        if running:
            found = await session.execute(select(OutboxRow.broadcast_id, OutboxRow.state, func.count())
                                          .where(OutboxRow.broadcast_id.in_(running))
                                          .group_by(OutboxRow.broadcast_id, OutboxRow.state))
            for broadcast_id, state, n in found.all():
                counts.setdefault(broadcast_id, {})[state] = n
    return [_info(row, dict(row.final_counts) if row.finished_at else counts.get(row.id, {})) for row in rows]


async def stop_broadcast(sessions: async_sessionmaker, broadcast_id: int, *, by: str, now: datetime) -> bool:
    async with sessions() as session, session.begin():
        return await SqlBroadcasts(session).stop(broadcast_id, by=by, now=now)


from storage.personal_data import declare_no_personal_data  # noqa: E402  (after the model it describes)

declare_no_personal_data(
    "broadcasts", reason="messages the team sends; the author is a staff member, and enqueued_after is only a "
                         "position in the recipient list while the broadcast is expanded (the recipients' "
                         "messages themselves are outbox rows, erased with the resident)")
