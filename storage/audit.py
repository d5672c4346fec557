"""What the staff console's audit page reads: the moderation audit log and the staff access log.

Residents appear only by pseudonym (:func:`storage.privacy.pseudonym_with`), never by name or chat
id; the lines carry no submission text. Filters are plain values; the console turns the team's dates
(Berlin time) into UTC bounds.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from dialogs.core.ports import AccessEntry
from storage.ideas import SubmissionEventRow, SubmissionRow, aware
from storage.privacy import AccessLogRow, pseudonym_key, pseudonym_with


@dataclass(frozen=True)
class DecisionFilter:
    since: datetime | None = None
    until: datetime | None = None       # exclusive
    area: str | None = None
    action: str | None = None
    who: str | None = None              # part of a team member's name
    ref: str | None = None              # part of a reference, e.g. BAD-2026


@dataclass(frozen=True)
class DecisionLine:
    at: datetime
    ref: str
    area_key: str
    kind: str
    action: str
    actor_kind: str                     # staff | resident
    actor: str                          # the team member's name, or the resident's pseudonym
    from_status: str | None
    to_status: str
    reason: str


@dataclass(frozen=True)
class AccessFilter:
    since: datetime | None = None
    until: datetime | None = None
    who: str | None = None              # part of the actor ("staff:7 Dana", "cli:…")
    action: str | None = None
    subject: str | None = None          # a resident's pseudonym (r-…)


def _contains(column, value: str):  # noqa: ANN001, ANN202
    return func.lower(column).contains(value.lower(), autoescape=True)


async def decision_lines(sessions: async_sessionmaker, f: DecisionFilter, *, limit: int = 50,
                         offset: int = 0) -> list[DecisionLine]:
    ev, sub = SubmissionEventRow, SubmissionRow
    query = (select(ev.at, sub.ref, sub.area_key, sub.kind, ev.action, ev.actor_kind, ev.actor_id, ev.actor_name,
                    ev.from_status, ev.to_status, ev.reason)
             .join(sub, sub.id == ev.submission_id).order_by(ev.at.desc(), ev.id.desc()).limit(limit).offset(offset))
    if f.since is not None:
        query = query.where(ev.at >= f.since)
    if f.until is not None:
        query = query.where(ev.at < f.until)
    if f.area:
        query = query.where(sub.area_key == f.area)
    if f.action:
        query = query.where(ev.action == f.action)
    if f.who:
        query = query.where(ev.actor_kind == "staff", _contains(ev.actor_name, f.who))
    if f.ref:
        query = query.where(_contains(sub.ref, f.ref))
    async with sessions() as session, session.begin():
        rows = (await session.execute(query)).all()
        key = await pseudonym_key(session) if any(r.actor_kind != "staff" for r in rows) else b""
    out = []
    for r in rows:
        if r.actor_kind == "staff":
            actor = r.actor_name
        else:   # never the resident's name; after erasure or retention the link is gone
            actor = pseudonym_with(key, r.actor_id) if r.actor_id else ""
        out.append(DecisionLine(aware(r.at), r.ref, r.area_key, r.kind, r.action, r.actor_kind, actor,
                                r.from_status, r.to_status, r.reason))
    return out


async def decision_actions(sessions: async_sessionmaker) -> list[str]:
    async with sessions() as session:
        return sorted((await session.execute(select(SubmissionEventRow.action).distinct())).scalars())


async def access_lines(sessions: async_sessionmaker, f: AccessFilter, *, limit: int = 50,
                       offset: int = 0) -> list[AccessEntry]:
    log = AccessLogRow
    query = select(log).order_by(log.at.desc(), log.id.desc()).limit(limit).offset(offset)
    if f.since is not None:
        query = query.where(log.at >= f.since)
    if f.until is not None:
        query = query.where(log.at < f.until)
    if f.who:
        query = query.where(_contains(log.actor, f.who))
    if f.action:
        query = query.where(log.action == f.action)
    if f.subject:
        query = query.where(log.subject == f.subject.strip())
    async with sessions() as session:
        rows = (await session.execute(query)).scalars().all()
    return [AccessEntry(aware(r.at), r.actor, r.action, r.subject, r.detail) for r in rows]


async def access_actions(sessions: async_sessionmaker) -> list[str]:
    async with sessions() as session:
        return sorted((await session.execute(select(AccessLogRow.action).distinct())).scalars())


async def record_access(sessions: async_sessionmaker, *, actor: str, action: str, detail: str, at: datetime,
                        subject: str = "") -> None:
    """One line of the staff access log for something the console showed or exported (``subject``: a
    resident's pseudonym, or empty when the line covers many)."""
    async with sessions() as session, session.begin():
        session.add(AccessLogRow(at=at, actor=actor[:160], action=action[:32], subject=subject[:32], detail=detail))
