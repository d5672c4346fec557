"""How fast do sign-ups go through when many residents press "sign up" at the same moment?

    python bench/events_signup.py [--residents 200] [--capacity 50] [--database-url URL]

Creates a throw-away database (SQLite in a temp folder by default; a PostgreSQL server URL such as
postgresql://postgres@127.0.0.1:5432/test gets a fresh database that is dropped afterwards), one event,
and N residents who all sign up at once through ``dialogs.handle()`` — then half of the seated cancel at
once. Prints wall time, sign-ups per second and per-update latency; checks the capacity invariant.
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select  # noqa: E402

import storage.all_models  # noqa: E402,F401
from dialogs.app import build_dialogs  # noqa: E402
from dialogs.events.rules import EventText, NewEvent  # noqa: E402
from dialogs.core.messages import Inbound, Sender  # noqa: E402
from locales import load_catalogs  # noqa: E402
from storage import migrate  # noqa: E402
from storage.address_book import SqlAddressBook  # noqa: E402
from storage.db import create_engine, normalise_url, session_factory  # noqa: E402
from storage.events import EventRow, SignupRow, SqlEvents  # noqa: E402
from storage.models import ResidentRow  # noqa: E402
from storage.unit_of_work import SqlUnitOfWork  # noqa: E402
from storage.seed import seed_areas  # noqa: E402

NOW = datetime(2026, 11, 24, 9, 30, tzinfo=timezone.utc)


async def timed(dialogs, inbound) -> float:
    start = time.perf_counter()
    await dialogs.handle(inbound)
    return time.perf_counter() - start


def report(label: str, wall: float, latencies: list[float]) -> None:
    latencies = sorted(latencies)
    p95 = latencies[int(len(latencies) * 0.95) - 1]
    print(f"{label:28} {len(latencies):5} updates in {wall:6.2f} s = {len(latencies) / wall:7.1f}/s   "
          f"latency median {statistics.median(latencies) * 1000:7.1f} ms, p95 {p95 * 1000:7.1f} ms, "
          f"max {latencies[-1] * 1000:7.1f} ms")


async def run(url: str, residents: int, capacity: int) -> None:
    pg_name = ""
    if url.startswith("postgres"):
        import asyncpg
        from sqlalchemy.engine import make_url
        server = make_url(normalise_url(url))
        pg_name = f"kiezbot_bench_{uuid.uuid4().hex[:8]}"
        conn = await asyncpg.connect(user=server.username, password=server.password, host=server.host,
                                     port=server.port, database=server.database)
        await conn.execute(f'CREATE DATABASE "{pg_name}"')
        await conn.close()
        url = server.set(database=pg_name).render_as_string(hide_password=False)
    engine = create_engine(url)
    try:
        await migrate.upgrade(engine)
        sessions = session_factory(engine)
        async with sessions() as session, session.begin():
            await seed_areas(session)
            for i in range(residents):
                session.add(ResidentRow(chat_id=10_000 + i, language="de" if i % 2 else "en", consent_at=NOW))
            event = await SqlEvents(session).create(NewEvent(
                texts={"de": EventText("Kiezfest")}, place="Badstraße 10", starts_at=NOW + timedelta(days=9),
                ends_at=NOW + timedelta(days=9, hours=2), capacity=capacity, max_party=1))
        dialogs = build_dialogs(SqlUnitOfWork(sessions, SqlAddressBook(sessions)), load_catalogs(),
                                clock=lambda: NOW)
        senders = [Sender(chat_id=10_000 + i, user_id=10_000 + i, display_name=f"R{i}") for i in range(residents)]
        start = time.perf_counter()
        latencies = await asyncio.gather(*(timed(dialogs, Inbound("press", s, data=f"ev:join:{event.id}"))
                                           for s in senders))
        report("sign-ups at once", time.perf_counter() - start, list(latencies))
        async with sessions() as session:
            rows = list((await session.execute(select(SignupRow).order_by(SignupRow.id))).scalars())
        seated = [r for r in rows if r.status == "confirmed"]
        leaving = seated[::2]
        start = time.perf_counter()
        latencies = await asyncio.gather(*(timed(dialogs, Inbound("press", senders[r.chat_id - 10_000],
                                                                  data=f"ev:dropok:{r.id}")) for r in leaving))
        report("cancellations at once", time.perf_counter() - start, list(latencies))
        async with sessions() as session:
            taken = await session.scalar(select(EventRow.seats_taken))
            confirmed = await session.scalar(select(func.count()).select_from(SignupRow)
                                              .where(SignupRow.status == "confirmed"))
        ok = taken == confirmed == min(capacity, residents)
        print(f"seats taken {taken}, confirmed {confirmed}, capacity {capacity}: "
              f"{'invariant holds' if ok else 'INVARIANT BROKEN'}")
    finally:
        await engine.dispose()
        if pg_name:
            import asyncpg
            conn = await asyncpg.connect(user=server.username, password=server.password, host=server.host,
                                         port=server.port, database=server.database)
            await conn.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
            await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=200)
    parser.add_argument("--capacity", type=int, default=50)
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        print(f"{'PostgreSQL' if url.startswith('postgres') else 'SQLite'}: {args.residents} residents, "
              f"{args.capacity} places")
        asyncio.run(run(url, args.residents, args.capacity))


if __name__ == "__main__":
    main()
