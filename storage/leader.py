"""Once across the fleet: PostgreSQL advisory locks for periodic jobs, migrations and the first seed.

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
from typing import TypeVar

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

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
