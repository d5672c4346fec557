"""The outbox as the delivery engine sees it: claiming due rows and recording what became of them.

Life of a row::

    pending ──claim──> claimed ──start_sending──> sending ──> sent | failed | blocked
       ▲                  │                          │
       └──── release ─────┘   (lease expired) ───────┴──> pending again (see below)
    pending / claimed ──cancel (a stopped broadcast, a blocked chat)──> cancelled / blocked

* ``claimed`` means "this process will send it soon" (a lease: ``claimed_by`` and ``claimed_until``).
  Nothing has gone out, so a claim that expires (the process died) simply returns the row to pending.
* ``sending`` is committed right before the Bot API request and left right after Telegram answers.
  A row found in ``sending`` with an expired lease belongs to a process that died in exactly that
  window: Telegram may or may not have delivered it, and the Bot API offers no way to ask. Such rows
  are sent again (at-least-once) and marked ``last_error = "unconfirmed: …"``: a resident may get one
  message twice, but never silently misses a reminder or a decision about their idea. The window is
  one request long and holds at most the requests in flight at the moment of the crash.

Claims use ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so concurrent processes take disjoint rows without
waiting on each other; SQLite serialises writers and the claim is a conditional UPDATE. Every later
transition is conditional on ``claimed_by`` and the expected state, so a process that lost its lease
cannot overwrite what another one recorded. All times come from the caller's clock.

On SQLite this process's writes take turns in the process: SQLite lets one writer in at a time and
makes the others poll with growing sleeps (up to 100 ms each), which stalled sending for half a second
at a time when sixteen requests wanted to record their outcome at once. Outcomes (sent, failed, …) go
before claims and "sending" marks, so on a busy machine Telegram's answer is on disk sooner — that wait
is exactly the window in which a crash leaves a message unconfirmed.
"""
from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.db import writer_session_factory
from storage.models import OutboxRow, ResidentRow

FINAL_STATES = ("sent", "failed", "blocked", "cancelled")
INTERACTIVE, BULK = 0, 1            # outbox lanes: the engine takes lane 0 first, broadcasts go in the gaps
IN_FLIGHT = ("claimed", "sending")
UNCONFIRMED = "unconfirmed: the process stopped while Telegram was being asked; sent again"


def finished_before(cutoff: datetime) -> tuple[Any, ...]:
    """Conditions of the rows housekeeping may delete: final, created and last touched before ``cutoff``
    (``KIEZBOT_OUTBOX_KEEP_DAYS`` ago). The one definition, used by :meth:`OutboxQueue.purge` and the
    daily retention job."""
    return (OutboxRow.state.in_(FINAL_STATES), OutboxRow.created_at < cutoff,
            func.coalesce(OutboxRow.sent_at, OutboxRow.due_at) < cutoff)


def aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything kiezbot stores is UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


class Turns:
    """An asyncio lock whose waiters go by priority (0 first), then in arrival order."""

    def __init__(self) -> None:
        self._busy = False
        self._waiters: list[tuple[int, int, asyncio.Future]] = []
        self._arrivals = itertools.count()

    @asynccontextmanager
    async def __call__(self, priority: int) -> AsyncIterator[None]:
        if self._busy:
            turn = asyncio.get_running_loop().create_future()
            heapq.heappush(self._waiters, (priority, next(self._arrivals), turn))
            try:
                await turn
            except asyncio.CancelledError:
                if turn.done() and not turn.cancelled():
                    self._hand_on()          # it was our turn already: pass it on
                raise
        else:
            self._busy = True
        try:
            yield
        finally:
            self._hand_on()

    def _hand_on(self) -> None:
        while self._waiters:
            _, _, turn = heapq.heappop(self._waiters)
            if not turn.done():
                turn.set_result(None)
                return
        self._busy = False


OUTCOME, BOOKKEEPING = 0, 1


@dataclass(frozen=True)
class Claimed:
    id: int
    chat_id: int
    payload: dict[str, Any]
    attempts: int
    parts_done: int
    purpose: str
    broadcast_id: int | None
    message_ids: list[int] | None = None     # Telegram ids of the parts already sent (after a retry)


class OutboxQueue:
    """Row transitions for one delivering process (``worker`` names it in ``claimed_by``)."""

    def __init__(self, sessions: async_sessionmaker, worker: str) -> None:
        self.sessions = sessions
        self.worker = worker
        bind = sessions.kw["bind"]
        self.writers = writer_session_factory(bind)    # BEGIN IMMEDIATE on SQLite: read-then-write is safe
        self._turns = Turns() if bind.dialect.name == "sqlite" else None

    @asynccontextmanager
    async def _write(self, priority: int = BOOKKEEPING) -> AsyncIterator[AsyncSession]:
        """One write transaction (on SQLite one at a time within this process, outcomes first)."""
        if self._turns is None:
            async with self.writers() as session, session.begin():
                yield session
            return
        async with self._turns(priority), self.writers() as session, session.begin():
            yield session

    async def claim(self, now: datetime, limit: int, lease: timedelta, *, chat_ids: Sequence[int] | None = None,
                    broadcast_id: int | None = None) -> list[Claimed]:
        """Take up to ``limit`` due pending rows for this worker: lane 0 (answers, staff cards, reminders,
        reports) before lane 1 (broadcasts), oldest first within a lane."""
        due = select(OutboxRow.id).where(
            OutboxRow.state == "pending", OutboxRow.due_at <= now,
            or_(OutboxRow.next_attempt_at.is_(None), OutboxRow.next_attempt_at <= now))
        if chat_ids is not None:
            due = due.where(OutboxRow.chat_id.in_(list(chat_ids)))
        if broadcast_id is not None:
            due = due.where(OutboxRow.broadcast_id == broadcast_id)
        due = due.order_by(OutboxRow.lane, OutboxRow.due_at, OutboxRow.id).limit(limit)
        async with self._write() as session:
            if session.bind.dialect.name == "postgresql":
                due = due.with_for_update(skip_locked=True)
            ids = list((await session.execute(due)).scalars())
            if not ids:
                return []
            rows = await session.execute(
                update(OutboxRow).where(OutboxRow.id.in_(ids), OutboxRow.state == "pending")
                .values(state="claimed", claimed_by=self.worker, claimed_until=now + lease)
                .returning(OutboxRow.id, OutboxRow.chat_id, OutboxRow.payload, OutboxRow.attempts,
                           OutboxRow.parts_done, OutboxRow.purpose, OutboxRow.broadcast_id,
                           OutboxRow.message_ids))
            claimed = [Claimed(*row) for row in rows.all()]
        claimed.sort(key=lambda c: ids.index(c.id))
        return claimed

    def _mine(self, row_id: int, state: str) -> Any:
        return and_(OutboxRow.id == row_id, OutboxRow.claimed_by == self.worker, OutboxRow.state == state)

    async def _update(self, where: Any, priority: int = OUTCOME, **values: Any) -> bool:
        async with self._write(priority) as session:
            result = await session.execute(update(OutboxRow).where(where).values(**values))
            return bool(result.rowcount)

    async def release(self, row_ids: Sequence[int], *, not_before: datetime | None = None) -> int:
        """Give claimed rows back untouched (shutting down, or their chat cannot take them soon)."""
        if not row_ids:
            return 0
        async with self._write() as session:
            result = await session.execute(
                update(OutboxRow).where(OutboxRow.id.in_(list(row_ids)), OutboxRow.claimed_by == self.worker,
                                        OutboxRow.state == "claimed")
                .values(state="pending", claimed_by=None, claimed_until=None, next_attempt_at=not_before))
            return result.rowcount or 0

    async def start_sending(self, row_id: int, now: datetime, lease: timedelta) -> bool:
        """Committed right before the request. False: the row was cancelled or taken meanwhile."""
        return await self._update(self._mine(row_id, "claimed"), BOOKKEEPING, state="sending",
                                  claimed_until=now + lease,
                                  attempts=OutboxRow.attempts + 1)

    async def part_sent(self, row_id: int, parts_done: int, message_ids: Sequence[int] = ()) -> bool:
        return await self._update(self._mine(row_id, "sending"), parts_done=parts_done,
                                  message_ids=list(message_ids) or None)

    async def sent(self, row_id: int, now: datetime, message_id: int | None, message_ids: Sequence[int] = ()) -> bool:
        # claimed_by stays: it names the process that sent the message (for audits and benchmarks).
        ids = list(message_ids) or ([message_id] if message_id is not None else [])
        return await self._update(self._mine(row_id, "sending"), state="sent", sent_at=now, message_id=message_id,
                                  message_ids=ids or None, claimed_until=None, next_attempt_at=None)

    async def retry(self, row_id: int, not_before: datetime, error: str, *, parts_done: int,
                    count_attempt: bool = True) -> bool:
        """Back to pending; ``count_attempt=False`` when Telegram refused before sending (429)."""
        values: dict[str, Any] = dict(state="pending", claimed_by=None, claimed_until=None,
                                      next_attempt_at=not_before, last_error=error[:500], parts_done=parts_done)
        if not count_attempt:
            values["attempts"] = OutboxRow.attempts - 1
        return await self._update(self._mine(row_id, "sending"), **values)

    async def failed(self, row_id: int, error: str) -> bool:
        return await self._update(self._mine(row_id, "sending"), state="failed", last_error=error[:500],
                                  claimed_by=None, claimed_until=None)

    async def blocked(self, row_id: int, chat_id: int, now: datetime, error: str) -> int:
        """The chat blocked the bot: record it, mark the resident unreachable, and stop the chat's other
        waiting messages. Returns how many other messages were stopped."""
        async with self._write(OUTCOME) as session:
            await session.execute(update(OutboxRow).where(self._mine(row_id, "sending"))
                                  .values(state="blocked", last_error=error[:500], claimed_by=None,
                                          claimed_until=None))
            await session.execute(update(ResidentRow).where(ResidentRow.chat_id == chat_id,
                                                            ResidentRow.unreachable_at.is_(None))
                                  .values(unreachable_at=now))
            others = await session.execute(
                update(OutboxRow).where(OutboxRow.chat_id == chat_id, OutboxRow.state.in_(("pending", "claimed")))
                .values(state="blocked", last_error="not sent: the chat had blocked kiezbot",
                        claimed_by=None, claimed_until=None))
            return others.rowcount or 0

    async def moved(self, row_id: int, new_chat_id: int) -> bool:
        """A group became a supergroup: send this and the chat's other waiting messages to its new id."""
        async with self._write(OUTCOME) as session:
            row = await session.get(OutboxRow, row_id)
            if row is None or row.claimed_by != self.worker or row.state != "sending":
                return False
            await session.execute(update(OutboxRow).where(OutboxRow.chat_id == row.chat_id,
                                                          OutboxRow.state == "pending")
                                   .values(chat_id=new_chat_id))
            row.chat_id, row.state, row.claimed_by, row.claimed_until = new_chat_id, "pending", None, None
            row.attempts -= 1
            return True

    async def recover_expired(self, now: datetime, max_attempts: int) -> tuple[int, int]:
        """Rows whose process died: unsent claims go back to pending; ``sending`` ones are sent again
        (at-least-once, see the module docstring) unless they used up their attempts.
        Returns (claims released, unconfirmed sends resumed)."""
        async with self._write() as session:
            released = await session.execute(
                update(OutboxRow).where(OutboxRow.state == "claimed", OutboxRow.claimed_until < now)
                .values(state="pending", claimed_by=None, claimed_until=None))
            expired = and_(OutboxRow.state == "sending", OutboxRow.claimed_until < now)
            await session.execute(update(OutboxRow).where(expired, OutboxRow.attempts >= max_attempts)
                                  .values(state="failed", last_error=UNCONFIRMED.split(";")[0] + "; no attempts left",
                                          claimed_by=None, claimed_until=None))
            resumed = await session.execute(
                update(OutboxRow).where(expired).values(state="pending", claimed_by=None, claimed_until=None,
                                                        next_attempt_at=None, last_error=UNCONFIRMED))
            return released.rowcount or 0, resumed.rowcount or 0

    async def release_all_mine(self) -> int:
        """On a clean shutdown: give back every claim this worker still holds."""
        async with self._write() as session:
            result = await session.execute(
                update(OutboxRow).where(OutboxRow.claimed_by == self.worker, OutboxRow.state == "claimed")
                .values(state="pending", claimed_by=None, claimed_until=None))
            return result.rowcount or 0

    async def next_due(self, *, chat_ids: Sequence[int] | None = None) -> datetime | None:
        """When the earliest pending row becomes due (for the terminal's "anything for me?")."""
        query = select(func.min(func.coalesce(OutboxRow.next_attempt_at, OutboxRow.due_at))).where(
            OutboxRow.state == "pending")
        if chat_ids is not None:
            query = query.where(OutboxRow.chat_id.in_(list(chat_ids)))
        async with self.sessions() as session:
            return aware(await session.scalar(query))

    async def purge(self, before: datetime) -> int:
        """Forget finished rows older than ``before`` (housekeeping). Broadcasts keep their totals."""
        async with self._write() as session:
            result = await session.execute(delete(OutboxRow).where(*finished_before(before)))
            return result.rowcount or 0

    async def counts(self, *, broadcast_id: int | None = None) -> dict[str, int]:
        query = select(OutboxRow.state, func.count()).group_by(OutboxRow.state)
        if broadcast_id is not None:
            query = query.where(OutboxRow.broadcast_id == broadcast_id)
        async with self.sessions() as session:
            return {state: n for state, n in (await session.execute(query)).all()}
