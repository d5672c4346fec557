"""Numbers for the console's overview: counts only, aggregated in SQL (GROUP BY), never per resident.

Every function takes a :class:`Period` (UTC bounds, months as ``YYYY-MM`` in UTC) and an optional area
and returns plain rows the console turns into charts, tables and CSV files. Nothing here returns a
chat id, a name or a text written by a resident.

The median time from submission to decision is ``percentile_cont(0.5)`` on PostgreSQL; SQLite has no
such aggregate, so there window functions number each area's durations and the middle one (or the
mean of the middle two) is picked — in SQL too, one row an area comes back.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql.elements import ColumnElement

from storage.broadcasts import BroadcastRow
from storage.events import EventRow, SignupRow
from storage.ideas import SubmissionRow
from storage.models import OutboxRow, ResidentRow


@dataclass(frozen=True)
class Period:
    since: datetime        # inclusive, aware
    until: datetime        # exclusive, aware


@dataclass(frozen=True)
class EventFill:
    area_key: str
    events: int
    seats_taken: int
    capacity: int            # of the events with a limit
    waitlisted: int          # people (party sizes added up) on waitlists


@dataclass(frozen=True)
class Delivery:
    broadcast_id: int
    created_at: datetime
    audience: str
    sent: int
    failed: int
    unreachable: int
    waiting: int


@dataclass(frozen=True)
class DecisionTime:
    area_key: str
    decided: int
    median_days: float | None


def _naive(moment: datetime) -> datetime:
    """The database stores UTC without a zone on SQLite; compare like with like."""
    return moment if moment.tzinfo is None else moment.astimezone(timezone.utc).replace(tzinfo=None)


def _month(session: AsyncSession, column: Any) -> ColumnElement:
    if session.bind.dialect.name == "postgresql":
        return func.to_char(column, "YYYY-MM")
    return func.strftime("%Y-%m", column)


def _bounds(session: AsyncSession, period: Period) -> tuple[datetime, datetime]:
    if session.bind.dialect.name == "postgresql":
        return period.since, period.until
    return _naive(period.since), _naive(period.until)


def _submitted(session: AsyncSession, period: Period, area: str | None) -> list[ColumnElement]:
    since, until = _bounds(session, period)
    where = [SubmissionRow.created_at >= since, SubmissionRow.created_at < until]
    if area:
        where.append(SubmissionRow.area_key == area)
    return where


async def submissions_by_month(sessions: async_sessionmaker, period: Period,
                               area: str | None = None) -> list[tuple[str, str, str, int]]:
    """(area, month, status, count), sorted."""
    async with sessions() as session:
        month = _month(session, SubmissionRow.created_at).label("month")
        rows = await session.execute(
            select(SubmissionRow.area_key, month, SubmissionRow.status, func.count())
            .where(*_submitted(session, period, area))
            .group_by(SubmissionRow.area_key, month, SubmissionRow.status)
            .order_by(SubmissionRow.area_key, month, SubmissionRow.status))
        return [(a, m, s, n) for a, m, s, n in rows.all()]


async def submissions_by(sessions: async_sessionmaker, column: str, period: Period,
                         area: str | None = None) -> list[tuple[str, str, int]]:
    """(area, kind or language, count) for ``column`` "kind" or "language"."""
    by = {"kind": SubmissionRow.kind, "language": SubmissionRow.language}[column]
    async with sessions() as session:
        rows = await session.execute(
            select(SubmissionRow.area_key, by, func.count()).where(*_submitted(session, period, area))
            .group_by(SubmissionRow.area_key, by).order_by(SubmissionRow.area_key, by))
        return [(a, v, n) for a, v, n in rows.all()]


async def residents_by_language(sessions: async_sessionmaker,
                                area: str | None = None) -> list[tuple[str, str, int]]:
    """(language, area or "", count) of residents who gave consent (everyone the bot serves today)."""
    async with sessions() as session:
        where = [ResidentRow.consent_at.is_not(None)]
        if area:
            where.append(ResidentRow.area_key == area)
        area_col = func.coalesce(ResidentRow.area_key, "")
        rows = await session.execute(
            select(ResidentRow.language, area_col, func.count()).where(*where)
            .group_by(ResidentRow.language, area_col).order_by(ResidentRow.language, area_col))
        return [(lang, a, n) for lang, a, n in rows.all()]


async def event_fill(sessions: async_sessionmaker, now: datetime, area: str | None = None,
                     days_back: int = 90) -> tuple[list[EventFill], list[EventFill]]:
    """Fill rates and waitlists per area: (upcoming, last ``days_back`` days); cancelled events left out."""
    async with sessions() as session:
        moment = now if session.bind.dialect.name == "postgresql" else _naive(now)
        waiting = (select(SignupRow.event_id, func.sum(SignupRow.party_size).label("people"))
                   .where(SignupRow.status == "waitlisted").group_by(SignupRow.event_id).subquery())
        upcoming = case((EventRow.starts_at >= moment, 1), else_=0).label("upcoming")
        area_col = func.coalesce(EventRow.area_key, "").label("area")
        where = [EventRow.starts_at >= moment - timedelta(days=days_back), EventRow.status != "cancelled"]
        if area:
            where.append(EventRow.area_key == area)
        rows = await session.execute(
            select(upcoming, area_col, func.count(EventRow.id), func.coalesce(func.sum(EventRow.seats_taken), 0),
                   func.coalesce(func.sum(EventRow.capacity), 0),
                   func.coalesce(func.sum(waiting.c.people), 0))
            .select_from(EventRow).outerjoin(waiting, waiting.c.event_id == EventRow.id)
            .where(*where).group_by(upcoming, area_col).order_by(area_col))
        result: dict[int, list[EventFill]] = {0: [], 1: []}
        for up, key, events, taken, capacity, waitlisted in rows.all():
            result[int(up)].append(EventFill(key, events, int(taken), int(capacity), int(waitlisted)))
        return result[1], result[0]


_SENT, _FAILED, _UNREACHABLE = ("sent",), ("failed",), ("blocked",)


async def broadcast_delivery(sessions: async_sessionmaker, period: Period, area: str | None = None,
                             limit: int = 12) -> list[Delivery]:
    """The last ``limit`` broadcasts created in the period (with an area: those addressed to that area
    only), each with sent / failed / not reachable / still waiting (finished ones from their final
    counts, running ones counted in the outbox)."""
    async with sessions() as session:
        since, until = _bounds(session, period)
        where = [BroadcastRow.created_at >= since, BroadcastRow.created_at < until]
        if area:
            where.append(or_(BroadcastRow.audience == f"area:{area}", BroadcastRow.audience.like(f"body:%:{area}")))
        rows = (await session.execute(
            select(BroadcastRow.id, BroadcastRow.created_at, BroadcastRow.audience, BroadcastRow.finished_at,
                   BroadcastRow.final_counts)
            .where(*where)
            .order_by(BroadcastRow.created_at.desc(), BroadcastRow.id.desc()).limit(limit))).all()
        running = [r[0] for r in rows if r[3] is None]
        live: dict[int, dict[str, int]] = defaultdict(dict)
        if running:
            for bid, state, n in (await session.execute(
                    select(OutboxRow.broadcast_id, OutboxRow.state, func.count())
                    .where(OutboxRow.broadcast_id.in_(running))
                    .group_by(OutboxRow.broadcast_id, OutboxRow.state))).all():
                live[bid][state] = n
        out = []
        for bid, created, audience, finished, final in reversed(rows):
            counts: dict[str, int] = dict(final or {}) if finished is not None else live[bid]
            sent = sum(counts.get(s, 0) for s in _SENT)
            failed = sum(counts.get(s, 0) for s in _FAILED)
            unreachable = sum(counts.get(s, 0) for s in _UNREACHABLE)
            waiting = sum(n for s, n in counts.items() if s not in _SENT + _FAILED + _UNREACHABLE + ("cancelled",))
            out.append(Delivery(bid, created, audience, sent, failed, unreachable, waiting))
        return out


async def decision_times(sessions: async_sessionmaker, period: Period,
                         area: str | None = None) -> list[DecisionTime]:
    """Per area: how many submissions of the period are decided, and the median days to the decision."""
    async with sessions() as session:
        where = [*_submitted(session, period, area), SubmissionRow.decided_at.is_not(None)]
        if session.bind.dialect.name == "postgresql":
            seconds = func.extract("epoch", SubmissionRow.decided_at - SubmissionRow.created_at)
            median = func.percentile_cont(0.5).within_group(seconds)
            rows = await session.execute(
                select(SubmissionRow.area_key, func.count(), median).where(*where)
                .group_by(SubmissionRow.area_key).order_by(SubmissionRow.area_key))
            return [DecisionTime(a, n, float(m) / 86400 if m is not None else None) for a, n, m in rows.all()]
        # SQLite: no percentile aggregate; the middle row(s) of each area picked by window functions
        days = (func.julianday(SubmissionRow.decided_at) - func.julianday(SubmissionRow.created_at)).label("days")
        ranked = select(SubmissionRow.area_key.label("area"), days,
                        func.row_number().over(partition_by=SubmissionRow.area_key, order_by=days).label("rn"),
                        func.count().over(partition_by=SubmissionRow.area_key).label("n")).where(*where).subquery()
        rows = await session.execute(
            select(ranked.c.area, ranked.c.n, func.avg(ranked.c.days))
            .where(ranked.c.rn.in_([(ranked.c.n + 1) // 2, (ranked.c.n + 2) // 2]))
            .group_by(ranked.c.area, ranked.c.n).order_by(ranked.c.area))
        return [DecisionTime(a, n, float(m) if m is not None else None) for a, n, m in rows.all()]


__all__ = ["Delivery", "DecisionTime", "EventFill", "Period", "broadcast_delivery", "decision_times",
           "event_fill", "residents_by_language", "submissions_by", "submissions_by_month"]
