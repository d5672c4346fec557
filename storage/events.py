"""Tables and repository of neighbourhood events: events, their texts per language, sign-ups, and the
residents' reminder preference.

Never over capacity, by three locks of increasing strength:

* :meth:`SqlEvents.lock` at the start of every change of an event's seats — on PostgreSQL
  ``SELECT … FOR UPDATE`` on the event row; on SQLite the update's transaction already holds the
  database's single write lock (the unit of work begins IMMEDIATE), and a no-op ``UPDATE`` of the row
  makes sure of it in any other transaction (without the lock two updates could both *read* "one seat
  left" across their awaits before either writes);
* :meth:`SqlEvents.take_seats`, a conditional ``UPDATE … SET seats_taken = seats_taken + n WHERE
  seats_taken + n <= capacity`` whose row count says whether the seats were free;
* a CHECK constraint ``seats_taken <= capacity`` in the table itself.

Datetimes are stored in UTC (SQLite keeps no time zone) and come back timezone-aware.
"""
from __future__ import annotations

import uuid
from types import SimpleNamespace
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (JSON, BigInteger, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text,
                        bindparam, func, insert, or_, select, update)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from dialogs.events.rules import Event, EventPage, EventText, NewEvent, Signup, SignupStatus, as_utc
from storage.models import Base, utcnow
from storage.statements import SessionStatements, Statements, built_once


class EventRow(Base):
    """A neighbourhood event residents can sign up for."""

    __tablename__ = "events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uid: Mapped[str] = mapped_column(Text, unique=True)    # iCalendar UID, stable; at most ical.MAX_UID_BYTES
    area_key: Mapped[str | None] = mapped_column(ForeignKey("areas.key", ondelete="SET NULL"), index=True)
    place: Mapped[str] = mapped_column(String(256), default="")
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime | None]
    capacity: Mapped[int | None] = mapped_column(Integer)               # seats; NULL: no limit
    max_party: Mapped[int] = mapped_column(Integer, default=4)
    seats_taken: Mapped[int] = mapped_column(Integer, default=0)
    registration_deadline: Mapped[datetime | None]
    reminder_leads: Mapped[list[int]] = mapped_column(JSON, default=list)   # minutes before the start
    status: Mapped[str] = mapped_column(String(16), default="open")     # open, closed, cancelled
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    source: Mapped[str] = mapped_column(String(16), default="staff")    # staff, import
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        Index("ix_events_list_order", "starts_at", "id"),     # a page of the event list, in index order
        CheckConstraint("capacity IS NULL OR seats_taken <= capacity", name="within_capacity"),
        CheckConstraint("seats_taken >= 0", name="seats_not_negative"),
    )


class EventTextRow(Base):
    """Title and description of an event in one language (German is the fallback)."""

    __tablename__ = "event_texts"
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    language: Mapped[str] = mapped_column(String(16), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")


class SignupRow(Base):
    """One resident's sign-up: only the Telegram display name, party size, time and status.

    A new row per sign-up (a resident who cancelled and signs up again queues anew); the id is the
    arrival order, which the waitlist follows.
    """

    __tablename__ = "event_signups"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    chat_id: Mapped[int] = mapped_column(BigInteger, index=True)
    display_name: Mapped[str] = mapped_column(String(64), default="")
    party_size: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(16))                      # confirmed, waitlisted, cancelled
    signed_up_at: Mapped[datetime] = mapped_column(default=utcnow)
    reminder_round: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        Index("ix_event_signups_event_status", "event_id", "status", "id"),
        CheckConstraint("party_size >= 1", name="party_at_least_one"),
    )


class EventPreferenceRow(Base):
    """A resident's choice about event messages (only stored once they change it)."""

    __tablename__ = "event_preferences"
    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    reminders: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


UPDATABLE = {"place", "starts_at", "ends_at", "capacity", "status", "registration_deadline", "reminder_leads",
             "sequence", "max_party", "area_key"}


def _utc(value: Any) -> Any:
    return as_utc(value) if isinstance(value, datetime) else value


def _opt_utc(value: datetime | None) -> datetime | None:
    return as_utc(value) if value is not None else None


# The statements of the resident flows, built once: constructing a statement (and its cache key) costs
# more than SQLite takes to run it, and the ORM's entity loading more again (see bench/throughput.py).
# They go through Core on the tables; every write here is a Core statement or flushed at once, so there
# is nothing pending for an autoflush to write first.
_EV = EventRow.__table__
_TX = EventTextRow.__table__
_SU = SignupRow.__table__
_EV_ORDER = (_EV.c.starts_at, _EV.c.id)
_ACTIVE = ("confirmed", "waitlisted")
_NOT_OVER = func.coalesce(_EV.c.ends_at, _EV.c.starts_at) > bindparam("now")
_TEXTS = built_once(select(_TX.c.event_id, _TX.c.language, _TX.c.title, _TX.c.description).where(
    _TX.c.event_id.in_(bindparam("ids", expanding=True))))
_WAITING = built_once(select(_SU.c.event_id, func.count())
                      .where(_SU.c.event_id.in_(bindparam("ids", expanding=True)), _SU.c.status == "waitlisted")
                      .group_by(_SU.c.event_id))
_EVENT_ROW = select(_EV).where(_EV.c.id == bindparam("id"))
_EVENT_FOR_UPDATE = built_once(select(_EV.c.id).where(_EV.c.id == bindparam("id")).with_for_update())
_UPCOMING_ALL = select(_EV).where(_EV.c.status != "cancelled", _NOT_OVER).order_by(*_EV_ORDER)
_UPCOMING = built_once(_UPCOMING_ALL)
_IN_AREA = or_(_EV.c.area_key == bindparam("area_key"), _EV.c.area_key.is_(None))
_UPCOMING_IN = built_once(_UPCOMING_ALL.where(_IN_AREA))


def _with_texts_and_waiting(events: Any) -> Any:
    """``events`` (a SELECT of event rows) with each event's texts joined (a row per language, or one
    with NULL texts) and its waitlist counted: what :meth:`SqlEvents._events` reads in three statements,
    in one (one round trip to PostgreSQL instead of three)."""
    e = events.subquery("e")
    waiting = (select(func.count()).select_from(_SU)
               .where(_SU.c.event_id == e.c.id, _SU.c.status == "waitlisted").scalar_subquery())
    return (select(e, waiting.label("waiting_n"), _TX.c.language.label("text_language"),
                   _TX.c.title.label("text_title"), _TX.c.description.label("text_description"))
            .select_from(e.outerjoin(_TX, _TX.c.event_id == e.c.id))
            .order_by(e.c.starts_at, e.c.id, _TX.c.language))


# One page of the event list: LIMIT/OFFSET in SQL (in the order of the starts_at index, so the database
# stops after the page), and in the same statement how many events there are from this page on, counted
# up to AHEAD_COUNTED + 1 (a scalar subquery run once, in the same index order): neither grows with the
# number of upcoming events. Beyond that the list says "page 1 of 20+".
AHEAD_COUNTED = 100
_COUNT_ALL = select(func.count()).select_from(_EV).where(_EV.c.status != "cancelled", _NOT_OVER)
_COUNT = built_once(_COUNT_ALL)
_COUNT_IN = built_once(_COUNT_ALL.where(_IN_AREA))


def _page(*where: Any) -> Any:
    upcoming = (_EV.c.status != "cancelled", _NOT_OVER, *where)
    ahead = (select(_EV.c.id).where(*upcoming).order_by(*_EV_ORDER)
             .limit(bindparam("counted")).offset(bindparam("offset")).subquery("ahead"))
    counted = select(func.count()).select_from(ahead).scalar_subquery().label("ahead_n")
    return _with_texts_and_waiting(select(_EV, counted).where(*upcoming).order_by(*_EV_ORDER)
                                   .limit(bindparam("limit")).offset(bindparam("offset")))


_PAGE = built_once(_page())
_PAGE_IN = built_once(_page(_IN_AREA))
_EVENT_WITH_TEXTS = built_once(_with_texts_and_waiting(_EVENT_ROW))
_EVENTS_WITH_TEXTS = built_once(_with_texts_and_waiting(select(_EV).where(_EV.c.id.in_(bindparam("ids", expanding=True)))))
_TOUCH = built_once(update(_EV).where(_EV.c.id == bindparam("b_id")).values(seats_taken=_EV.c.seats_taken))
_TAKE = built_once(update(_EV).where(_EV.c.id == bindparam("b_id"),
                                     or_(_EV.c.capacity.is_(None),
                                         _EV.c.seats_taken + bindparam("b_seats", type_=Integer) <= _EV.c.capacity))
                   .values(seats_taken=_EV.c.seats_taken + bindparam("b_seats", type_=Integer)))
_RELEASE = {name: built_once(update(_EV).where(_EV.c.id == bindparam("b_id")).values(
    seats_taken=fn(_EV.c.seats_taken - bindparam("b_seats", type_=Integer), 0)))
    for name, fn in (("sqlite", func.max), ("postgresql", func.greatest))}
_SIGNUP_COLUMNS = (_SU.c.id, _SU.c.event_id, _SU.c.chat_id, _SU.c.display_name, _SU.c.party_size,
                   _SU.c.status, _SU.c.signed_up_at)
_SIGNUP = built_once(select(*_SIGNUP_COLUMNS).where(_SU.c.id == bindparam("id")))
_ACTIVE_SIGNUP = built_once(select(*_SIGNUP_COLUMNS)
                            .where(_SU.c.event_id == bindparam("event_id"), _SU.c.chat_id == bindparam("chat_id"),
                                   _SU.c.status.in_(_ACTIVE))
                            .order_by(_SU.c.id.desc()).limit(1))
# Only the statuses asked for, and the waitlist (for positions): cancelled sign-ups pile up over the
# life of an event, and each withdrawal reads the waitlist to promote from it.
_SIGNUPS = built_once(select(*_SIGNUP_COLUMNS).where(_SU.c.event_id == bindparam("event_id"),
                                                     _SU.c.status.in_(bindparam("statuses", expanding=True)))
                      .order_by(_SU.c.id))
_SIGNUPS_OF = built_once(select(*_SIGNUP_COLUMNS).join(_EV, _EV.c.id == _SU.c.event_id)
                         .where(_SU.c.chat_id == bindparam("chat_id"), _SU.c.status.in_(_ACTIVE),
                                _EV.c.status != "cancelled", _NOT_OVER)
                         .order_by(_EV.c.starts_at, _SU.c.id))
_AHEAD = built_once(select(func.count()).select_from(_SU)
                    .where(_SU.c.event_id == bindparam("event_id"), _SU.c.status == "waitlisted",
                           _SU.c.id < bindparam("id")))
_SET_STATUS = built_once(update(_SU).where(_SU.c.id == bindparam("b_id")).values(status=bindparam("b_status")))
_INSERT_SIGNUP = built_once(insert(_SU).returning(_SU.c.id))
_NEXT_ROUND = built_once(update(_SU).where(_SU.c.id == bindparam("b_id"))
                         .values(reminder_round=_SU.c.reminder_round + 1).returning(_SU.c.reminder_round))


class SqlEvents:
    def __init__(self, session: AsyncSession, sql: Statements | None = None) -> None:
        self.session = session
        self.sql = sql or SessionStatements(session)

    # --- reading ------------------------------------------------------------------------------
    async def _texts(self, ids: Sequence[int]) -> dict[int, dict[str, EventText]]:
        out: dict[int, dict[str, EventText]] = {i: {} for i in ids}
        if ids:
            rows = await self.sql.rows(_TEXTS, {"ids": list(ids)})
            for event_id, language, title, description in rows:
                out[event_id][language] = EventText(title, description)
        return out

    async def _waiting(self, ids: Sequence[int]) -> dict[int, int]:
        if not ids:
            return {}
        rows = await self.sql.rows(_WAITING, {"ids": list(ids)})
        return {event_id: count for event_id, count in rows}

    async def _events(self, rows: Sequence[Any]) -> list[Event]:
        ids = [r.id for r in rows]
        texts, waiting = await self._texts(ids), await self._waiting(ids)
        return [Event(id=r.id, uid=r.uid, area_key=r.area_key, place=r.place, starts_at=as_utc(r.starts_at),
                      ends_at=_opt_utc(r.ends_at), capacity=r.capacity, max_party=r.max_party,
                      seats_taken=r.seats_taken, registration_deadline=_opt_utc(r.registration_deadline),
                      reminder_leads=tuple(r.reminder_leads or ()), status=r.status,  # type: ignore[arg-type]
                      sequence=r.sequence, texts=texts[r.id], waitlisted=waiting.get(r.id, 0))
                for r in rows]

    async def _joined(self, query: Any, params: dict[str, Any]) -> tuple[list[Event], list[Any]]:
        """The events of a :func:`_with_texts_and_waiting` statement, in its order, and each one's row."""
        found: dict[int, tuple[Any, dict[str, EventText]]] = {}
        for r in await self.sql.rows(query, params):
            entry = found.get(r.id)
            if entry is None:
                entry = found[r.id] = (r, {})
            if r.text_language is not None:
                entry[1][r.text_language] = EventText(r.text_title, r.text_description)
        return ([self._event(r, texts, r.waiting_n) for r, texts in found.values()],
                [r for r, _ in found.values()])

    @staticmethod
    def _event(r: Any, texts: dict[str, EventText], waiting: int | None) -> Event:
        return Event(id=r.id, uid=r.uid, area_key=r.area_key, place=r.place, starts_at=as_utc(r.starts_at),
                     ends_at=_opt_utc(r.ends_at), capacity=r.capacity, max_party=r.max_party,
                     seats_taken=r.seats_taken, registration_deadline=_opt_utc(r.registration_deadline),
                     reminder_leads=tuple(r.reminder_leads or ()), status=r.status,  # type: ignore[arg-type]
                     sequence=r.sequence, texts=texts, waitlisted=int(waiting or 0))

    async def upcoming_page(self, now: datetime, area_key: str | None = None, *, offset: int = 0,
                            limit: int = 5) -> EventPage:
        offset = max(offset, 0)
        params: dict[str, Any] = {"now": as_utc(now), "offset": offset, "limit": max(limit, 0),
                                  "counted": AHEAD_COUNTED + 1}
        if area_key is not None:
            params["area_key"] = area_key
        events, rows = await self._joined(_PAGE if area_key is None else _PAGE_IN, params)
        if rows:
            ahead = int(rows[0].ahead_n)
            if ahead > AHEAD_COUNTED:
                return EventPage(events, offset + AHEAD_COUNTED, exact=False)
            return EventPage(events, offset + ahead)
        if offset == 0:
            return EventPage([], 0)
        # Past the last page (a button from before events ended or were cancelled): how many there are,
        # so that the list can show its last page instead. Rare; the only count of all.
        params = {k: v for k, v in params.items() if k in ("now", "area_key")}
        return EventPage([], int(await self.sql.scalar(_COUNT if area_key is None else _COUNT_IN, params) or 0))

    async def _run(self, query: Any, params: dict[str, Any] | None = None) -> list[Event]:
        return await self._events(await self.sql.rows(query, params))

    async def _select(self, *where: Any) -> list[Event]:
        return await self._run(select(_EV).where(*where).order_by(*_EV_ORDER))

    async def upcoming(self, now: datetime, area_key: str | None = None) -> Sequence[Event]:
        if area_key is None:
            return await self._run(_UPCOMING, {"now": as_utc(now)})
        return await self._run(_UPCOMING_IN, {"now": as_utc(now), "area_key": area_key})

    async def all(self) -> Sequence[Event]:
        return await self._select()

    async def get(self, event_id: int) -> Event | None:
        found, _ = await self._joined(_EVENT_WITH_TEXTS, {"id": event_id})
        return found[0] if found else None

    async def by_uid(self, uid: str) -> Event | None:
        found = await self._select(_EV.c.uid == uid)
        return found[0] if found else None

    async def lock(self, event_id: int) -> Event | None:
        if self.sql.dialect_name == "sqlite":
            await self.sql.run(_TOUCH, {"b_id": event_id})
            return await self.get(event_id)
        # The row locked first, then read with its texts and waitlist in a statement of its own (whose
        # snapshot is taken after the lock was granted, as the separate reads before were).
        if await self.sql.first(_EVENT_FOR_UPDATE, {"id": event_id}) is None:
            return None
        return await self.get(event_id)

    # --- writing ------------------------------------------------------------------------------
    async def create(self, new: NewEvent) -> Event:
        row = EventRow(uid=new.uid or f"{uuid.uuid4()}@kiezbot", area_key=new.area_key, place=new.place,
                       starts_at=as_utc(new.starts_at), ends_at=_opt_utc(new.ends_at), capacity=new.capacity,
                       max_party=new.max_party, seats_taken=0,
                       registration_deadline=_opt_utc(new.registration_deadline),
                       reminder_leads=list(new.reminder_leads), status="open", sequence=0, source=new.source)
        self.session.add(row)
        await self.session.flush()
        await self.set_texts(row.id, new.texts)
        event = await self.get(row.id)
        assert event is not None
        return event

    async def update(self, event_id: int, **fields: object) -> None:
        unknown = set(fields) - UPDATABLE
        if unknown:
            raise ValueError(f"not updatable: {', '.join(sorted(unknown))}")
        values = {k: (list(v) if k == "reminder_leads" else _utc(v)) for k, v in fields.items()}  # type: ignore[call-overload]
        await self.session.execute(update(EventRow).where(EventRow.id == event_id).values(**values)
                                   .execution_options(synchronize_session=False))

    async def set_texts(self, event_id: int, texts: dict[str, EventText]) -> None:
        existing = {row.language: row for row in (await self.session.execute(
            select(EventTextRow).where(EventTextRow.event_id == event_id))).scalars()}
        for language, text in texts.items():
            row = existing.pop(language, None)
            if row is None:
                self.session.add(EventTextRow(event_id=event_id, language=language, title=text.title,
                                              description=text.description))
            else:
                row.title, row.description = text.title, text.description
        for row in existing.values():
            await self.session.delete(row)
        await self.session.flush()

    async def take_seats(self, event_id: int, seats: int) -> bool:
        return await self.sql.run(_TAKE, {"b_id": event_id, "b_seats": seats}) == 1

    async def release_seats(self, event_id: int, seats: int) -> None:
        dialect = "sqlite" if self.sql.dialect_name == "sqlite" else "postgresql"
        await self.sql.run(_RELEASE[dialect], {"b_id": event_id, "b_seats": seats})

    # --- sign-ups -----------------------------------------------------------------------------
    async def _position(self, row: Any) -> int | None:
        if row.status != "waitlisted":
            return None
        ahead = await self.sql.scalar(_AHEAD, {"event_id": row.event_id, "id": row.id})
        return int(ahead or 0) + 1

    @staticmethod
    def _signup(row: Any, position: int | None) -> Signup:
        return Signup(id=row.id, event_id=row.event_id, chat_id=row.chat_id, display_name=row.display_name,
                      party_size=row.party_size, status=row.status,  # type: ignore[arg-type]
                      signed_up_at=as_utc(row.signed_up_at), position=position)

    async def add_signup(self, event_id: int, chat_id: int, display_name: str, party_size: int,
                         status: SignupStatus, now: datetime) -> Signup:
        values = {"event_id": event_id, "chat_id": chat_id, "display_name": display_name[:64],
                  "party_size": party_size, "status": status, "signed_up_at": as_utc(now)}
        new_id = await self.sql.scalar(_INSERT_SIGNUP, values)
        row = SimpleNamespace(id=new_id, **values)
        return self._signup(row, await self._position(row))

    async def signup(self, signup_id: int) -> Signup | None:
        row = await self.sql.first(_SIGNUP, {"id": signup_id})
        return self._signup(row, await self._position(row)) if row else None

    async def active_signup(self, event_id: int, chat_id: int) -> Signup | None:
        row = await self.sql.first(_ACTIVE_SIGNUP, {"event_id": event_id, "chat_id": chat_id})
        return self._signup(row, await self._position(row)) if row else None

    async def signups(self, event_id: int, statuses: Sequence[SignupStatus] = ("confirmed", "waitlisted")
                      ) -> Sequence[Signup]:
        rows = await self.sql.rows(_SIGNUPS, {"event_id": event_id,
                                              "statuses": sorted({*statuses, "waitlisted"})})
        out, waiting = [], 0
        for row in rows:
            position = None
            if row.status == "waitlisted":
                waiting += 1
                position = waiting
            if row.status in statuses:
                out.append(self._signup(row, position))
        return out

    async def signups_of(self, chat_id: int, now: datetime) -> Sequence[tuple[Signup, Event]]:
        rows = await self.sql.rows(_SIGNUPS_OF, {"chat_id": chat_id, "now": as_utc(now)})
        events = ({e.id: e for e in (await self._joined(_EVENTS_WITH_TEXTS,
                                                        {"ids": sorted({r.event_id for r in rows})}))[0]}
                  if rows else {})
        return [(self._signup(row, await self._position(row)), events[row.event_id]) for row in rows]

    async def set_signup_status(self, signup_id: int, status: SignupStatus) -> None:
        await self.sql.run(_SET_STATUS, {"b_id": signup_id, "b_status": status})

    async def next_reminder_round(self, signup_id: int) -> int:
        return int(await self.sql.scalar(_NEXT_ROUND, {"b_id": signup_id}) or 0)

    # --- preferences --------------------------------------------------------------------------
    async def reminders_enabled(self, chat_id: int) -> bool:
        row = await self.session.get(EventPreferenceRow, chat_id, populate_existing=True)
        return True if row is None else row.reminders

    async def set_reminders_enabled(self, chat_id: int, enabled: bool) -> None:
        row = await self.session.get(EventPreferenceRow, chat_id)
        if row is None:
            self.session.add(EventPreferenceRow(chat_id=chat_id, reminders=enabled))
        else:
            row.reminders = enabled
        await self.session.flush()
