"""Shared set-up of the delivery benchmarks: a database with residents, the fake Bot API, kiezbot processes.

The fake Telegram server runs in the benchmark's process; kiezbot runs as real child processes
(`kiezbot run`, `kiezbot broadcast`) pointed at it with KIEZBOT_API_BASE_URL, so they can be killed.
"""
from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

import storage.all_models  # noqa: E402,F401
from storage import migrate  # noqa: E402
from storage.db import create_engine, normalise_url, session_factory  # noqa: E402
from storage.models import OutboxRow, ResidentRow  # noqa: E402
from storage.seed import seed_all  # noqa: E402
from tests.fake_telegram import FakeTelegram  # noqa: E402

PYTHON = sys.executable
STAFF_CHAT = -1001234567890
LANGUAGES = ["de", "de", "de", "en", "tr", "ar", "ru", "uk", "pl", "bg", "ro"]
AREAS = ["pankstrasse", "brunnenstrasse", "badstrasse", "soldiner"]


class Database:
    def __init__(self, backend: str) -> None:
        self.backend = backend
        self.url = ""
        self.pg_name = ""

    async def create(self) -> "Database":
        if self.backend == "sqlite":
            self.url = f"sqlite:///{tempfile.mkdtemp(prefix='kiezbot-bench-')}/kiezbot.db"
        else:
            import asyncpg
            from sqlalchemy.engine import make_url
            server = make_url(normalise_url(os.environ.get("KIEZBOT_BENCH_POSTGRES_URL",
                                                           "postgresql://postgres@127.0.0.1:5432/test")))
            self.pg_name = f"kiezbot_bench_{uuid.uuid4().hex[:8]}"
            conn = await asyncpg.connect(user=server.username, password=server.password, host=server.host,
                                         port=server.port, database=server.database)
            await conn.execute(f'CREATE DATABASE "{self.pg_name}"')
            await conn.close()
            self.server = server
            self.url = server.set(drivername="postgresql", database=self.pg_name).render_as_string(
                hide_password=False)
        self.engine = create_engine(self.url)
        await migrate.upgrade(self.engine)
        self.sessions = session_factory(self.engine)
        print(f"seeding {self.backend} (areas and Berlin's address list, once)…", flush=True)
        await seed_all(self.sessions)
        return self

    async def drop(self) -> None:
        await self.engine.dispose()
        if self.backend == "sqlite":
            import shutil
            shutil.rmtree(Path(self.url.removeprefix("sqlite:///")).parent, ignore_errors=True)
        if self.pg_name:
            import asyncpg
            s = self.server
            conn = await asyncpg.connect(user=s.username, password=s.password, host=s.host, port=s.port,
                                         database=s.database)
            await conn.execute(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')
            await conn.close()

    async def add_residents(self, first_id: int, count: int) -> list[int]:
        now = datetime.now(timezone.utc)
        ids = list(range(first_id, first_id + count))
        async with self.sessions() as session, session.begin():
            session.add_all([ResidentRow(chat_id=i, language=LANGUAGES[i % len(LANGUAGES)], consent_at=now,
                                         area_key=AREAS[i % len(AREAS)]) for i in ids])
        return ids

    async def outbox_states(self) -> Counter:
        async with self.sessions() as session:
            rows = await session.execute(select(OutboxRow.state, func.count()).group_by(OutboxRow.state))
            return Counter(dict(rows.all()))

    async def unconfirmed(self) -> int:
        async with self.sessions() as session:
            return await session.scalar(select(func.count()).select_from(OutboxRow)
                                        .where(OutboxRow.last_error.like("unconfirmed%"))) or 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def kiezbot_env(db: Database, tg: FakeTelegram, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIEZBOT_")}
    env.update(KIEZBOT_DATABASE_URL=db.url, KIEZBOT_BOT_TOKEN=tg.token, KIEZBOT_API_BASE_URL=tg.base_url,
               KIEZBOT_STAFF_CHAT_ID=str(STAFF_CHAT), KIEZBOT_LOG_LEVEL="WARNING", PYTHONPATH=str(ROOT))
    env.update(extra)
    return env


async def start_kiezbot(db: Database, tg: FakeTelegram, *args: str, log: Path, **env: str) -> asyncio.subprocess.Process:
    handle = log.open("ab")
    return await asyncio.create_subprocess_exec(PYTHON, "-m", "bot.cli", *args, cwd=str(ROOT),
                                                env=kiezbot_env(db, tg, **env), stdout=handle, stderr=handle,
                                                stdin=asyncio.subprocess.DEVNULL)


async def stop(proc: asyncio.subprocess.Process, sig: int = signal.SIGTERM, timeout: float = 30.0) -> None:
    if proc.returncode is None:
        proc.send_signal(sig)
        try:
            await asyncio.wait_for(proc.wait(), timeout)
        except TimeoutError:
            proc.kill()
            await proc.wait()


def register(tg: FakeTelegram, ids: list[int]) -> None:
    for i in ids:
        tg.user(i).register()
    tg.group(STAFF_CHAT, "QM-Team", members=[ids[0]])


def per_chat(tg: FakeTelegram, ids: list[int]) -> tuple[int, int]:
    """(duplicates, losses): extra copies received, and chats that received nothing."""
    delivered = tg.stats["delivered"]
    duplicates = sum(max(0, len(delivered.get(i, [])) - 1) for i in ids)
    losses = sum(1 for i in ids if not delivered.get(i))
    return duplicates, losses


def delivered_count(tg: FakeTelegram, ids: set[int]) -> int:
    return sum(1 for _, chat, _ in tg.stats["sent"] if chat in ids)


async def wait_until(predicate, timeout: float, poll: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await predicate():
            return True
        await asyncio.sleep(poll)
    return False
