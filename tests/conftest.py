"""Shared fixtures: a migrated and seeded database per backend, a movable clock, chat clients.

Storage-backed tests run on SQLite always, and on PostgreSQL too when ``KIEZBOT_TEST_POSTGRES_URL``
names a server database (CI: ``postgresql://postgres@127.0.0.1:5432/test``). A fresh database is
created for the run and dropped at the end, so the server is left as it was found.
"""
from __future__ import annotations

import os
import sqlite3
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import delete
from sqlalchemy.engine import make_url

import bot  # noqa: F401  (first: aiogram's models are built on first use, as in `kiezbot run`)
from dialogs.app import build_dialogs
from locales import load_catalogs
from storage import migrate, wiring
from storage.address_book import SqlAddressBook
from storage.db import create_engine, normalise_url, session_factory
from storage.models import Base
from storage.unit_of_work import SqlUnitOfWork
from storage.seed import seed_all, seed_areas
from bot.telegram import make_bot
from tests.chat import ChatClient, Clock
from tests.fake_telegram import FakeTelegram
from tests.i18n_walk import flow_walks  # noqa: F401  (every flow walked in every language, once per run)
from tests.staff_tools import STAFF_CHAT

# The tests' entry point wires every feature's storage once, as `kiezbot …` does at start (storage/wiring.py):
# without it, /mydata, /delete and retention refuse to run (storage.personal_data.NotWired).
wiring.wire()

REFERENCE_TABLES = {"areas", "offices", "planning_areas", "area_overrides", "streets", "addresses", "datasets",
                    "alembic_version"}
POSTGRES_ENV = "KIEZBOT_TEST_POSTGRES_URL"


def backends() -> list[str]:
    return ["sqlite", "postgresql"] if os.environ.get(POSTGRES_ENV) else ["sqlite"]


async def _on_server(server_url: str, statement: str) -> None:
    """Run one statement on the PostgreSQL server's maintenance database (outside a transaction)."""
    import asyncpg
    url = make_url(normalise_url(server_url))
    conn = await asyncpg.connect(user=url.username, password=url.password, host=url.host, port=url.port,
                                 database=url.database)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


async def create_pg_database(server_url: str) -> tuple[str, str]:
    name = f"kiezbot_test_{uuid.uuid4().hex[:10]}"
    await _on_server(server_url, f'CREATE DATABASE "{name}"')
    url = make_url(normalise_url(server_url))
    return url.set(database=name).render_as_string(hide_password=False), name


async def drop_pg_database(server_url: str, name: str) -> None:
    await _on_server(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Database:
    """A fresh, migrated database of one backend; dropped when the run ends."""

    def __init__(self, backend: str, tmp: Path) -> None:
        self.backend = backend
        self.tmp = tmp
        self.url = ""
        self._pg_name = ""

    async def create(self) -> "Database":
        if self.backend == "sqlite":
            self.url = f"sqlite:///{self.tmp / f'kiezbot-{uuid.uuid4().hex[:8]}.db'}"
        else:
            self.url, self._pg_name = await create_pg_database(os.environ[POSTGRES_ENV])
        self.engine = create_engine(self.url)
        await migrate.upgrade(self.engine)
        self.sessions = session_factory(self.engine)
        return self

    async def drop(self) -> None:
        await self.engine.dispose()
        if self._pg_name:
            await drop_pg_database(os.environ[POSTGRES_ENV], self._pg_name)

    async def clear_mutable(self) -> None:
        """Empty what tests write, and put the areas back as shipped (a test may have edited them)."""
        async with self.sessions() as session, session.begin():
            for table in reversed(Base.metadata.sorted_tables):
                if table.name not in REFERENCE_TABLES:
                    await session.execute(delete(table))
            await seed_areas(session)


@pytest_asyncio.fixture(scope="session", params=backends())
async def seeded_db(request, tmp_path_factory):
    """One database per backend with areas and the full address list, shared by the run."""
    db = await Database(request.param, tmp_path_factory.mktemp(request.param)).create()
    await seed_all(db.sessions)
    db.addresses = await SqlAddressBook(db.sessions).load()
    yield db
    await db.drop()


@pytest_asyncio.fixture
async def seeded_file(seeded_db, tmp_path):
    """A copy of the seeded SQLite database file, for tests that start kiezbot as a process."""
    if seeded_db.backend != "sqlite":
        pytest.skip("processes are started on a copy of the seeded SQLite database")
    target = tmp_path / "kiezbot.db"
    source = sqlite3.connect(seeded_db.url.removeprefix("sqlite:///"))
    try:
        source.execute("VACUUM INTO ?", (str(target),))
    finally:
        source.close()
    return target


@pytest_asyncio.fixture
async def db(seeded_db):
    await seeded_db.clear_mutable()
    yield seeded_db
    await seeded_db.clear_mutable()


@pytest_asyncio.fixture
async def fresh_db(tmp_path, request):
    """An empty, migrated database of each backend (for seed and migration tests)."""
    backend = getattr(request, "param", "sqlite")
    database = await Database(backend, tmp_path).create()
    yield database
    await database.drop()


@pytest.fixture
def clock() -> Clock:
    # A Tuesday, 10:30 in Berlin.
    return Clock(datetime(2026, 11, 24, 9, 30, tzinfo=timezone.utc))


@pytest.fixture
def dialogs(db, clock):
    return build_dialogs(SqlUnitOfWork(db.sessions, db.addresses), load_catalogs(), clock=clock)


@pytest.fixture
def resident(dialogs):
    """A resident who has not talked to kiezbot yet (Telegram language: German)."""
    return ChatClient(dialogs, chat_id=1001, language_code="de")


@pytest_asyncio.fixture
async def english(dialogs):
    """A resident who already chose English and acknowledged the privacy notice."""
    client = ChatClient(dialogs, chat_id=1002, language_code="en")
    await client.onboard("en")
    return client


@pytest_asyncio.fixture
async def german(dialogs):
    client = ChatClient(dialogs, chat_id=1003, language_code="de")
    await client.onboard("de")
    return client


@pytest.fixture
def staffed(dialogs):
    """The dialogs with the team's group configured as the staff chat (cards and reports go there)."""
    dialogs.staff_chat_id = STAFF_CHAT
    return dialogs


@pytest_asyncio.fixture
async def tg():
    """A fake Telegram Bot API server for the test."""
    async with FakeTelegram() as server:
        yield server


@pytest_asyncio.fixture(name="bot")
async def telegram_bot(tg):
    """An aiogram bot talking to the test's fake Telegram server (as ``bot``: the
    function has another name because conftest imports the ``bot`` package)."""
    client = make_bot(tg.token, tg.base_url)
    yield client
    await client.session.close()
