"""Engine and session factory. SQLite (aiosqlite) by default, PostgreSQL (asyncpg) in production."""
from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import aiosqlite

from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.pool import StaticPool


def normalise_url(url: str) -> str:
    """Accept the URLs people paste (postgres://, postgresql://, sqlite:///) and pick the async driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+asyncpg")
    elif parsed.drivername == "sqlite":
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    return parsed.render_as_string(hide_password=False)


class _RunNow:
    """Stands in for aiosqlite's queue to its worker thread: runs each call at once, in this thread."""

    @staticmethod
    def put_nowait(item) -> None:  # noqa: ANN001
        future, function = item
        try:
            result = function()
        except BaseException as exc:  # noqa: BLE001  (handed to whoever awaits the call)
            if future is not None and not future.done():
                future.set_exception(exc)
        else:
            if future is not None and not future.done():
                future.set_result(result)


class _NoThread:
    daemon = True

    def start(self) -> None:
        pass


class InlineSqliteConnection(aiosqlite.Connection):
    """aiosqlite's connection, with each call run in the event loop's thread instead of a worker thread.

    For the per-update transactions only (the ORM session of storage.unit_of_work.SqlUnitOfWork, on the
    connection of :func:`open_sqlite`): a statement on an indexed SQLite table takes microseconds, while
    the hand-over to aiosqlite's thread and back through the event loop takes far longer and lets other
    coroutines run while the transaction holds SQLite's write lock."""

    def __init__(self, connector) -> None:  # noqa: ANN001
        super().__init__(connector, 64)
        self._tx = _RunNow()          # type: ignore[assignment]
        self._thread = _NoThread()    # type: ignore[assignment]

    async def _execute(self, fn, *args, **kwargs):  # noqa: ANN001, ANN202
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        return fn(*args, **kwargs)

    async def _connect(self) -> "InlineSqliteConnection":
        if self._connection is None:
            self._connection = self._connector()
        return self

    def stop(self) -> None:   # type: ignore[override]
        self._running = False
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    async def close(self) -> None:
        self.stop()


def open_sqlite(path: str) -> sqlite3.Connection:
    """The connection for the per-update transactions on a SQLite file: the caller begins and ends its
    transactions, and it never waits for a lock inside SQLite (busy_timeout 0): the unit of work retries
    BEGIN IMMEDIATE with asyncio sleeps instead, so the event loop is never blocked by another process."""
    connection = sqlite3.connect(path, timeout=0, check_same_thread=False, isolation_level=None)
    for pragma in ("foreign_keys=ON", "journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=0"):
        connection.execute(f"PRAGMA {pragma}")
    return connection


def create_engine(url: str, *, echo: bool = False,
                  sqlite_connection: sqlite3.Connection | None = None) -> AsyncEngine:
    """``sqlite_connection`` (from :func:`open_sqlite`): the engine's one connection is that one, used in
    the event loop's thread (:class:`InlineSqliteConnection`), whose transactions its owner begins and
    ends (the per-update unit of work: its ORM session joins the transaction the unit of work began on
    that connection, and never begins one; the unit of work commits)."""
    url = normalise_url(url)
    kwargs: dict = {"echo": echo}
    parsed = make_url(url)
    inline = False
    if sqlite_connection is not None:
        async def shared() -> InlineSqliteConnection:
            return await InlineSqliteConnection(lambda: sqlite_connection)
        inline = True
        kwargs.update(poolclass=StaticPool, async_creator=shared)
    elif parsed.drivername.startswith("sqlite"):
        database = parsed.database or ""
        if database in ("", ":memory:"):
            kwargs.update(poolclass=StaticPool, connect_args={"check_same_thread": False})
        else:
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"timeout": 30}
    else:
        kwargs.update(pool_size=10, max_overflow=10)
    engine = create_async_engine(url, **kwargs)
    if not parsed.drivername.startswith("sqlite"):
        ping_after_idle(engine)
    if parsed.drivername.startswith("sqlite"):
        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # noqa: ANN001
            # Let SQLAlchemy, not the driver, emit BEGIN (see _sqlite_begin).
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=0" if inline else "PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _sqlite_begin(conn):  # noqa: ANN001
            # Writers take SQLite's write lock at BEGIN, so a transaction that reads and then writes
            # cannot interleave with another one (also from another process on the same file).
            if sqlite_connection is not None:
                return                      # the owner of the connection has begun it already
            immediate = conn.get_execution_options().get("sqlite_immediate")
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
    return engine


PING_AFTER_IDLE = 10.0   # seconds a pooled server connection may rest before it is checked on checkout


def ping_after_idle(engine: AsyncEngine) -> None:
    """Check a pooled connection before use only when it has rested: SQLAlchemy's ``pool_pre_ping``
    checks on every checkout, and on asyncpg that is three round trips (BEGIN, ``;``, ROLLBACK) before
    each update's transaction. A connection in steady use is known to be alive; one that rested (a quiet
    night, a database restart meanwhile) is pinged, and if the server is gone the pool replaces it before
    the update sees it. A connection that breaks while in use fails that one transaction, and SQLAlchemy
    then drops every pooled connection opened before it (webhook mode: Telegram sends the update again)."""
    threshold = PING_AFTER_IDLE

    @event.listens_for(engine.sync_engine, "checkin")
    def _rested_since(dbapi_connection, record):  # noqa: ANN001
        record.info["kiezbot_idle_since"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _ping_if_rested(dbapi_connection, record, proxy):  # noqa: ANN001
        since = record.info.get("kiezbot_idle_since")
        if since is None or time.monotonic() - since <= threshold:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:
            if engine.dialect.is_disconnect(exc, dbapi_connection, None):
                raise DisconnectionError("the pooled connection is gone; the pool opens another") from exc
            raise


def session_factory(engine: AsyncEngine) -> async_sessionmaker:
    return async_sessionmaker(engine, expire_on_commit=False)


def writer_session_factory(engine: AsyncEngine) -> async_sessionmaker:
    """Sessions for read-modify-write transactions (one per update): on SQLite they BEGIN IMMEDIATE."""
    return async_sessionmaker(engine.execution_options(sqlite_immediate=True), expire_on_commit=False)


async def ping(engine: AsyncEngine) -> None:
    """Raise unless the database answers ``SELECT 1`` (the health check)."""
    from sqlalchemy import text
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
