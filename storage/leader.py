"""Once across the fleet: PostgreSQL advisory locks for periodic jobs, migrations and the first seed,
and one sender per bot token (:class:`Senders`, heartbeats in ``delivery_senders``, on every database).

Several ``kiezbot run --webhook`` processes share one PostgreSQL database, and each has its own
APScheduler (its job store is in memory). Delivery ticks may run everywhere — claims use
``FOR UPDATE SKIP LOCKED`` — but a daily job such as retention must run once per tick, not once per
process: :class:`FleetJobs` lets only the process that wins ``pg_try_advisory_lock`` run it; the
others skip that tick.

Why an advisory lock, and why it is held a while after the job
    A lease row would need a table, a migration and a clock agreement between hosts; an advisory lock
    needs nothing and is released by PostgreSQL itself when its holder's connection dies (a crashed
    leader never blocks the next day). A lock alone, though, only excludes *concurrent* runs: if
    process A finished a one-second job before process B's scheduler fired (B's event loop was busy,
    or its clock is a little behind), B would get the free lock and run the same tick again. So the
    winner keeps the lock for ``hold`` seconds after the tick started (default 5 minutes), longer than
    any scheduler fires late: APScheduler's ``misfire_grace_time`` is 60 s, beyond that a late tick
    is skipped anyway. Every process tries the lock when its own scheduler fires, so exactly one of
    the ticks that fire within the hold runs the job.

    The price: a leader that crashes mid-job loses that tick (the others have already skipped it);
    the daily jobs are written to catch up on the next run, so that is a delay, not a loss.

Key space
    The per-chat locks of :class:`storage.unit_of_work.SqlUnitOfWork` use the one-``bigint`` form
    (``pg_advisory_xact_lock(chat_id)``); these use the two-``integer`` form
    ``(KIEZBOT_CLASS, crc32(name))``, which PostgreSQL keeps apart from the one-key form, so no chat
    id can ever collide with a job.

On SQLite (one process by design) every job simply runs, and :func:`exclusive` does nothing.
"""
from __future__ import annotations

import asyncio
import logging
import time
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TypeVar

from sqlalchemy import String, delete, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.orm import Mapped, mapped_column

from storage.db import session_factory, writer_session_factory
from storage.models import Base

log = logging.getLogger(__name__)

KIEZBOT_CLASS = 0x6B62          # "kb": the first key of every kiezbot fleet lock
DEFAULT_HOLD = 300.0            # seconds the winner of a tick keeps its lock (see the module docstring)
T = TypeVar("T")


def lock_key(name: str) -> tuple[int, int]:
    """(class, object) keys of the two-integer advisory-lock form for ``name`` (signed 32-bit)."""
    crc = zlib.crc32(name.encode())
    return KIEZBOT_CLASS, crc - (1 << 32) if crc >= 1 << 31 else crc


def is_postgres(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "postgresql"


async def _try_lock(conn: AsyncConnection, name: str) -> bool:
    a, b = lock_key(name)
    got = (await conn.execute(text("SELECT pg_try_advisory_lock(:a, :b)"), {"a": a, "b": b})).scalar()
    await conn.commit()            # autobegun transaction ends; the session-level lock stays
    return bool(got)


async def _unlock(conn: AsyncConnection, name: str) -> None:
    a, b = lock_key(name)
    await conn.execute(text("SELECT pg_advisory_unlock(:a, :b)"), {"a": a, "b": b})
    await conn.commit()


@asynccontextmanager
async def exclusive(engine: AsyncEngine, name: str) -> AsyncIterator[None]:
    """Wait for, and hold, the fleet-wide lock ``name`` (PostgreSQL); on SQLite nothing happens.

    For one-off steps every starting process would otherwise do at the same time, e.g. loading the
    address list into an empty database: the second process waits, then finds the work done."""
    if not is_postgres(engine):
        yield
        return
    a, b = lock_key(name)
    async with engine.connect() as conn:
        await conn.execute(text("SELECT pg_advisory_lock(:a, :b)"), {"a": a, "b": b})
        await conn.commit()
        try:
            yield
        finally:
            await _unlock(conn, name)


async def xact_lock(conn: AsyncConnection, name: str) -> None:
    """Take the fleet-wide lock ``name`` until the connection's transaction ends (PostgreSQL only)."""
    if conn.dialect.name == "postgresql":
        a, b = lock_key(name)
        await conn.execute(text("SELECT pg_advisory_xact_lock(:a, :b)"), {"a": a, "b": b})


class FleetJobs:
    """Run periodic jobs once per tick across all processes on one database (see the module docstring).

        jobs = FleetJobs(engine)
        ran, result = await jobs.run("housekeeping", housekeeping.run)   # ran False: another process has it
        ...
        await jobs.close()        # on shutdown: let go of locks still held for a finished tick
    """

    def __init__(self, engine: AsyncEngine, *, hold: float = DEFAULT_HOLD,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.engine, self.hold, self.monotonic = engine, hold, monotonic
        self._holding: set[asyncio.Task] = set()

    async def run(self, name: str, job: Callable[[], Awaitable[T]]) -> tuple[bool, T | None]:
        if not is_postgres(self.engine):
            return True, await job()
        started = self.monotonic()
        conn = await self.engine.connect()
        try:
            if not await _try_lock(conn, name):
                log.info("periodic job %s: another process runs this tick", name)
                await conn.close()
                return False, None
        except BaseException:
            await conn.close()
            raise
        try:
            result = await job()
        except BaseException:
            await self._release(conn, name, 0.0)
            raise
        # Keep the lock until the tick is surely over everywhere, without keeping the caller waiting.
        task = asyncio.get_running_loop().create_task(
            self._release(conn, name, self.hold - (self.monotonic() - started)))
        self._holding.add(task)
        task.add_done_callback(self._holding.discard)
        return True, result

    async def _release(self, conn: AsyncConnection, name: str, after: float) -> None:
        try:
            if after > 0:
                await asyncio.sleep(after)
            await _unlock(conn, name)
        except asyncio.CancelledError:
            await asyncio.shield(self._quiet_unlock(conn, name))
            raise
        except Exception:  # noqa: BLE001 — a dead connection has lost its lock already
            log.debug("unlocking %s failed", name, exc_info=True)
        finally:
            await asyncio.shield(conn.close())

    async def _quiet_unlock(self, conn: AsyncConnection, name: str) -> None:
        try:
            await _unlock(conn, name)
        except Exception:  # noqa: BLE001
            pass

    async def close(self) -> None:
        """Release the locks kept for finished ticks (at shutdown)."""
        tasks = list(self._holding)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def holding(self) -> int:
        return len(self._holding)


async def held_elsewhere(engine: AsyncEngine, name: str) -> bool:
    """True when some connection holds the fleet lock ``name`` (for tests and diagnostics)."""
    if not is_postgres(engine):
        return False
    a, b = lock_key(name)
    async with engine.connect() as conn:
        return bool((await conn.execute(text(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = :a AND objid = :b "
            "AND objsubid = 2 AND granted"), {"a": a & 0xFFFFFFFF, "b": b & 0xFFFFFFFF})).scalar())


class UpdatesModeTaken(Exception):
    """Another process receives this bot's updates in a way that cannot run beside this one."""


class UpdatesMode:
    """Keeps long polling and a webhook fleet on one database apart, for as long as the process runs.

    Webhook instances hold the lock ``telegram-updates`` *shared* (any number of them), a polling
    process holds it *exclusively*: a second poller would get Telegram's 409 Conflict, and a poller
    next to a webhook fleet would delete the fleet's webhook. Held on a connection of its own, which
    PostgreSQL releases when the process dies. On SQLite nothing is checked (one process anyway)."""

    NAME = "telegram-updates"

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._conn: AsyncConnection | None = None

    async def acquire(self, mode: str) -> None:
        if not is_postgres(self.engine):
            return
        a, b = lock_key(self.NAME)
        function = "pg_try_advisory_lock_shared" if mode == "webhook" else "pg_try_advisory_lock"
        conn = await self.engine.connect()
        got = (await conn.execute(text(f"SELECT {function}(:a, :b)"), {"a": a, "b": b})).scalar()
        await conn.commit()
        if not got:
            await conn.close()
            raise UpdatesModeTaken(
                "another kiezbot process on this database receives updates by long polling"
                if mode == "webhook" else
                "other kiezbot processes on this database receive updates (by webhook or long polling); "
                "long polling is for a single process — use `kiezbot run --webhook` for several")
        self._conn = conn

    async def release(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            try:
                await conn.execute(text("SELECT pg_advisory_unlock_all()"))
                await conn.commit()
            except Exception:  # noqa: BLE001 — a dead connection holds nothing
                pass
            await conn.close()


# --- one sender per bot token ---------------------------------------------------------------------------
# Telegram's limits (30 messages a second overall, 1 a second per chat, 20 a minute per group) belong to
# the bot token, not to a process. Two processes that each keep the limits in memory send up to twice as
# fast and get 429s. So exactly one process sends: every delivering process writes a heartbeat row, and
# the one marked ``leading_since`` with a fresh heartbeat is the sender; the others only queue messages
# (their updates, their scheduler) and take over within SENDER_TTL when the sender stops beating. A
# `kiezbot broadcast` from the terminal (kind "broadcast") gives way to any living `kiezbot run`.

SENDER_TTL = timedelta(seconds=10)      # a heartbeat older than this is a process that is gone
SENDER_BEAT = 2.0                       # seconds between heartbeats of a delivering process
FORGET_AFTER = 6                        # rows of processes gone for this many TTLs are deleted


class SenderRow(Base):
    __tablename__ = "delivery_senders"
    worker: Mapped[str] = mapped_column(String(96), primary_key=True)     # host:pid:random
    kind: Mapped[str] = mapped_column(String(16))                         # run | broadcast
    started_at: Mapped[datetime]
    seen_at: Mapped[datetime]
    leading_since: Mapped[datetime | None]


@dataclass(frozen=True)
class SenderInfo:
    worker: str
    kind: str
    seen_at: datetime
    leading: bool


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value


class Senders:
    """Heartbeats of the delivering processes on one database, and which one of them sends.

        senders = Senders(engine, worker, "run")
        if await senders.beat(now):        # every few seconds; True: this process is the sender
            ...send...
        await senders.resign()             # on shutdown: the next process takes over at once
    """

    def __init__(self, engine: AsyncEngine, worker: str, kind: str = "run", *,
                 ttl: timedelta = SENDER_TTL) -> None:
        self.engine, self.worker, self.kind, self.ttl = engine, worker, kind, ttl
        self.writers = writer_session_factory(engine)        # BEGIN IMMEDIATE on SQLite
        self.readers = session_factory(engine)

    async def beat(self, now: datetime) -> bool:
        """Record that this process lives; True when it is (or now becomes) the one sender."""
        async with self.writers() as session, session.begin():
            await xact_lock(await session.connection(), "delivery-senders")     # one beat at a time
            rows = list((await session.execute(select(SenderRow))).scalars())
            mine = next((r for r in rows if r.worker == self.worker), None)
            if mine is None:
                mine = SenderRow(worker=self.worker, kind=self.kind, started_at=now, seen_at=now)
                session.add(mine)
            others = [r for r in rows if r.worker != self.worker]
            fresh = [r for r in others if _aware(r.seen_at) > now - self.ttl]
            gone = [r.worker for r in others if _aware(r.seen_at) < now - FORGET_AFTER * self.ttl]
            if gone:
                await session.execute(delete(SenderRow).where(SenderRow.worker.in_(gone)))
            if self.kind != "run" and any(r.kind == "run" for r in fresh):
                lead = False                 # a `kiezbot run` lives: it sends, the terminal only watches
            else:
                lead = not any(r.leading_since is not None for r in fresh)
            mine.seen_at = now
            mine.leading_since = (mine.leading_since or now) if lead else None
            return lead

    async def resign(self) -> None:
        """This process stops delivering (clean shutdown): forget its heartbeat."""
        async with self.writers() as session, session.begin():
            await session.execute(delete(SenderRow).where(SenderRow.worker == self.worker))

    async def alive(self, now: datetime) -> list[SenderInfo]:
        """The delivering processes with a fresh heartbeat (the sender marked ``leading``)."""
        async with self.readers() as session:
            rows = (await session.execute(select(SenderRow).where(SenderRow.seen_at > now - self.ttl)
                                          .order_by(SenderRow.started_at))).scalars().all()
            return [SenderInfo(r.worker, r.kind, _aware(r.seen_at), r.leading_since is not None) for r in rows]


async def run_alive(engine: AsyncEngine, now: datetime, *, ttl: timedelta = SENDER_TTL) -> bool:
    """True when a `kiezbot run` serving this database has a fresh heartbeat (it sends the outbox)."""
    return any(s.kind == "run" for s in await Senders(engine, "-", ttl=ttl).alive(now))


from storage.personal_data import declare_no_personal_data  # noqa: E402  (after the model it describes)

declare_no_personal_data(
    "delivery_senders", reason="heartbeats of kiezbot processes (host name, process id, times); nothing about "
                               "residents")
