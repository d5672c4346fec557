"""The unit of work: one transaction per update, the chat's lock (a per-chat asyncio lock in one process, on
PostgreSQL a transaction-scoped advisory lock), SQLite's write lock taken up front, and the store opened
on it — the :class:`dialogs.core.ports.UnitOfWork` the engine calls for every update."""
from __future__ import annotations

import asyncio
import sqlite3
import weakref
from contextlib import asynccontextmanager
from pathlib import Path
from typing import AsyncIterator

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from dialogs.office.addresses import AddressBook
from storage import fast_paths
from storage.db import create_engine, open_sqlite, writer_session_factory
from storage.repositories import SqlStore
from storage.statements import AsyncpgStatements, DirectStatements, SessionStatements, Statements

_SHARED_SQLITE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

BEGIN_PATIENCE = 30.0        # seconds to wait for another process's write lock (as busy_timeout elsewhere)


class _LoopLock:
    """An asyncio lock per event loop (an asyncio.Lock belongs to the loop it was first used in); call
    it to get the running loop's."""

    def __init__(self) -> None:
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = \
            weakref.WeakKeyDictionary()

    def __call__(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        lock = self._locks.get(loop)
        if lock is None:
            lock = self._locks[loop] = asyncio.Lock()
        return lock


class _UpdateConnection:
    """The one connection of this process for per-update transactions on a SQLite file, shared by all
    units of work on that database (they take turns on one asyncio lock per event loop), with an ORM
    engine on the same connection and the statements compiled for it (storage/statements.py)."""

    def __init__(self, url: str, path: str) -> None:
        self.connection = open_sqlite(path)
        self.engine = create_engine(url, sqlite_connection=self.connection)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self.plans: dict = {}
        self._ready = False
        self.lock = _LoopLock()

    async def begin_immediate(self) -> None:
        """BEGIN IMMEDIATE now; while another process writes, wait for it without blocking the loop."""
        if not self._ready:
            # SQLAlchemy sets up a dialect on its first connection and rolls back afterwards: let it do
            # that now, not inside the first update's transaction.
            async with self.engine.connect():
                pass
            self._ready = True
        delay, waited = 0.001, 0.0
        while True:
            try:
                self.connection.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if not _is_locked(exc) or waited >= BEGIN_PATIENCE:
                    raise
                await asyncio.sleep(delay)
                waited += delay
                delay = min(delay * 2, 0.05)

    async def close(self) -> None:
        await self.engine.dispose()
        self.connection.close()


def _update_connection(engine: AsyncEngine) -> _UpdateConnection | None:
    """The per-update connection for a file SQLite database (None for PostgreSQL and SQLite in memory, and
    when the ``inline_sqlite`` fast path is off: storage/fast_paths.py)."""
    if engine.dialect.name != "sqlite" or (engine.url.database or ":memory:") == ":memory:":
        return None
    if not fast_paths.enabled("inline_sqlite"):
        return None
    shared = _SHARED_SQLITE.get(engine.sync_engine)
    if shared is None:
        shared = _SHARED_SQLITE[engine.sync_engine] = _UpdateConnection(
            engine.url.render_as_string(hide_password=False), str(Path(engine.url.database).expanduser()))
    return shared


async def dispose_inline_engine(engine: AsyncEngine) -> None:
    """Close the per-update connection that units of work opened on ``engine`` (call before disposing it)."""
    shared = _SHARED_SQLITE.pop(engine.sync_engine, None)
    if shared is not None:
        await shared.close()


def _is_locked(exc: Exception) -> bool:
    message = str(getattr(exc, "orig", None) or exc).lower()
    return "locked" in message or "busy" in message


class _LazySession:
    """The update's ORM session, opened on first use: most updates need only the prebuilt statements."""

    def __init__(self, sessions: async_sessionmaker) -> None:
        self._sessions = sessions
        self.opened: AsyncSession | None = None

    def current(self) -> AsyncSession | None:
        return self.opened

    def __getattr__(self, name: str):  # noqa: ANN204
        if self.opened is None:
            self.opened = self._sessions()
        return getattr(self.opened, name)


class SqlUnitOfWork:
    """One transaction per update. On PostgreSQL a transaction-scoped advisory lock on the chat id
    serialises one chat's updates across processes; on SQLite the transaction takes the write lock
    at BEGIN (IMMEDIATE), which serialises all updates.

    On a SQLite file the updates of this process queue for that write lock in order on an asyncio lock
    and run on one connection in the event loop's thread (no hand-over to a worker thread per
    statement), so the write lock is held only for the microseconds the statements take. The hot
    statements run straight on that connection (storage/statements.py); an ORM session on the same
    connection and transaction is opened only when a repository needs one. Another process holding
    the lock is waited for with asyncio sleeps (never blocking the loop), up to BEGIN_PATIENCE seconds.

    On PostgreSQL (asyncpg) the unit of work begins the transaction and takes the advisory lock on
    asyncpg's connection in one round trip, the prebuilt statements run on that connection, and an ORM
    session joins it only when a repository needs one (:meth:`_on_asyncpg`)."""

    def __init__(self, sessions: async_sessionmaker, addresses: AddressBook) -> None:
        engine = sessions.kw["bind"]
        self.shared = _update_connection(engine)
        self.sessions = writer_session_factory(engine)
        self.addresses = addresses
        self.postgresql = engine.dialect.name == "postgresql"
        self.sqlite = engine.dialect.name == "sqlite"
        # The prebuilt statements on the driver's connection (storage/statements.py), and on PostgreSQL
        # the unit of work on asyncpg itself: the "direct_statements" fast path (storage/fast_paths.py).
        self.direct = fast_paths.enabled("direct_statements")
        self.asyncpg = self.postgresql and engine.dialect.driver == "asyncpg" and self.direct
        self.dialect = engine.dialect
        self._plans: dict = {}       # statements compiled for this engine (AsyncpgStatements)
        # PostgreSQL via asyncpg: the update's connection from the same pool, in AUTOCOMMIT mode (the unit
        # of work begins and commits itself, see _on_asyncpg).
        self._autocommit = engine.execution_options(isolation_level="AUTOCOMMIT") if self.asyncpg else None
        self._writer_lock = _LoopLock()

    @asynccontextmanager
    async def __call__(self, chat_id: int) -> AsyncIterator[SqlStore]:
        if self.shared is not None:
            async with self.shared.lock():
                async with self._on_shared_connection() as store:
                    yield store
            return
        if self.sqlite:
            async with self._writer_lock(), self.sessions() as session, session.begin():
                yield SqlStore(session, self.addresses)
            return
        if self.asyncpg:
            async with self._on_asyncpg(chat_id) as store:
                yield store
            return
        # The plain path (other PostgreSQL drivers, or the fast path off): everything through the session.
        async with self.sessions() as session:
            async with session.begin():
                if self.postgresql:
                    await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": chat_id})
                yield SqlStore(session, self.addresses)

    @asynccontextmanager
    async def _on_asyncpg(self, chat_id: int) -> AsyncIterator[SqlStore]:
        """PostgreSQL through asyncpg: the update's transaction is begun, locked and committed on asyncpg's
        connection itself, in the same round trips SQLAlchemy's session would need at least (``BEGIN`` and
        the chat's advisory lock travel together), and SQLAlchemy keeps out of it: the connection is taken
        from the engine's pool in AUTOCOMMIT mode, so neither SQLAlchemy nor its asyncpg adapter begins,
        commits or rolls back anything on it. The prebuilt statements run on the connection directly
        (AsyncpgStatements); an ORM session on the same connection, and so inside the same transaction,
        is opened only when a repository needs one, flushed before a statement reads and before COMMIT.
        A connection that might still be inside a transaction afterwards is never handed on: it is
        invalidated (the pool opens another)."""
        key = int(chat_id)        # an integer: safe to write into the SQL (simple protocol, one round trip)
        async with self._autocommit.connect() as conn:
            raw = conn.sync_connection.connection.driver_connection      # type: ignore[union-attr]
            session = _LazySession(lambda: AsyncSession(bind=conn, expire_on_commit=False))
            try:
                await raw.execute(f"BEGIN; SELECT pg_advisory_xact_lock({key})")
                statements = AsyncpgStatements(raw, self.dialect, self._plans, session.current,
                                               SessionStatements(session))   # type: ignore[arg-type]
                yield SqlStore(session, self.addresses, statements)   # type: ignore[arg-type]
                if session.opened is not None:
                    await session.opened.flush()
                await raw.execute("COMMIT")
            except BaseException:
                if not raw.is_closed() and raw.is_in_transaction():
                    try:
                        await raw.execute("ROLLBACK")
                    except Exception:   # noqa: BLE001  (the connection is dropped below)
                        pass
                raise
            finally:
                if session.opened is not None:
                    await session.opened.close()
                if raw.is_closed() or raw.is_in_transaction():
                    await conn.invalidate()

    @asynccontextmanager
    async def _on_shared_connection(self) -> AsyncIterator[SqlStore]:
        shared = self.shared
        assert shared is not None
        connection = shared.connection
        await shared.begin_immediate()
        session = _LazySession(shared.sessions)
        statements: Statements = SessionStatements(session)   # type: ignore[arg-type]
        if self.direct:
            statements = DirectStatements(connection, shared.engine.dialect, shared.plans, session.current,
                                          statements)   # type: ignore[arg-type]
        try:
            yield SqlStore(session, self.addresses, statements)   # type: ignore[arg-type]
            if session.opened is not None:
                await session.opened.flush()
            connection.execute("COMMIT")
        except BaseException:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise
        finally:
            if session.opened is not None:     # after COMMIT/ROLLBACK: its own "rollback" finds nothing
                await session.opened.close()
