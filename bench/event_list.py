"""What a resident's tap on the event list costs with 10 upcoming events and with 1,000, side by side.

    python bench/event_list.py [--database-url postgresql://postgres@127.0.0.1:5432/test] [--taps 300]

A throw-away database (SQLite in a temp folder by default; a PostgreSQL server URL gets a fresh database
that is dropped afterwards) gets 10 upcoming events, then 990 more. For each size, one resident taps
"📅 Events" (the first page) and "Later ▶" (the second) ``--taps`` times each through ``dialogs.handle()``
(the unit of work, the SQL, the texts and buttons); the median and p95 per tap are printed for both sizes.
For comparison, the same for reading every upcoming event (``upcoming()``, what the list did before it
was paged in SQL).
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

from sqlalchemy import insert  # noqa: E402

import storage.all_models  # noqa: E402,F401
from dialogs.app import build_dialogs  # noqa: E402
from dialogs.core.messages import Inbound, Sender  # noqa: E402
from locales import load_catalogs  # noqa: E402
from storage import migrate  # noqa: E402
from storage.address_book import SqlAddressBook  # noqa: E402
from storage.db import create_engine, normalise_url, session_factory  # noqa: E402
from storage.events import EventRow, EventTextRow  # noqa: E402
from storage.models import ResidentRow  # noqa: E402
from storage.unit_of_work import SqlUnitOfWork, dispose_inline_engine  # noqa: E402
from storage.seed import seed_areas  # noqa: E402

NOW = datetime(2026, 11, 24, 9, 30, tzinfo=timezone.utc)
RESIDENT = 424_242


async def add_events(sessions, first: int, count: int) -> None:  # noqa: ANN001
    async with sessions() as session, session.begin():
        rows = [{"id": first + i, "uid": f"bench-{first + i}@kiezbot", "area_key": None if i % 3 else "badstrasse",
                 "place": "Badstraße 10", "starts_at": NOW + timedelta(days=1, hours=first + i),
                 "ends_at": NOW + timedelta(days=1, hours=first + i + 2), "capacity": 30, "max_party": 4,
                 "seats_taken": 0, "reminder_leads": [1440], "status": "open", "sequence": 0, "source": "staff",
                 "created_at": NOW, "updated_at": NOW} for i in range(count)]
        await session.execute(insert(EventRow), rows)
        texts = [{"event_id": r["id"], "language": lang, "title": f"{title} {r['id']}", "description": "Essen, Musik"}
                 for r in rows for lang, title in (("de", "Kiezfest"), ("en", "Street party"))]
        await session.execute(insert(EventTextRow), texts)


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))] * 1000


async def measure(dialogs, uow, taps: int) -> dict[str, list[float]]:  # noqa: ANN001
    sender = Sender(chat_id=RESIDENT, user_id=RESIDENT, display_name="R")
    out: dict[str, list[float]] = {"first page": [], "second page": [], "every upcoming event read": []}
    for _ in range(taps):
        for label, data in (("first page", "ev:list:0:a"), ("second page", "ev:list:1:a")):
            start = time.perf_counter()
            await dialogs.handle(Inbound("press", sender, data=data))
            out[label].append(time.perf_counter() - start)
    for _ in range(taps):        # apart: its garbage would slow the taps measured after it
        start = time.perf_counter()
        async with uow(RESIDENT) as store:
            await store.events.upcoming(NOW)
        out["every upcoming event read"].append(time.perf_counter() - start)
    return out


async def run(url: str, taps: int) -> None:
    pg_name, server = "", None
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
            session.add(ResidentRow(chat_id=RESIDENT, language="en", consent_at=NOW))
        uow = SqlUnitOfWork(sessions, SqlAddressBook(sessions))
        dialogs = build_dialogs(uow, load_catalogs(), clock=lambda: NOW)
        results = {}
        await add_events(sessions, 1, 10)
        await measure(dialogs, uow, 20)                                      # warm-up
        results[10] = await measure(dialogs, uow, taps)
        await add_events(sessions, 11, 990)
        await measure(dialogs, uow, 20)
        results[1000] = await measure(dialogs, uow, taps)
        print(f"{'ms per tap (median / p95)':28} {'10 events':>16} {'1,000 events':>16} {'ratio':>7}")
        for label in results[10]:
            a, b = results[10][label], results[1000][label]
            print(f"{label:28} {pct(a, .5):7.2f} / {pct(a, .95):6.2f} {pct(b, .5):7.2f} / {pct(b, .95):6.2f} "
                  f"{pct(b, .5) / pct(a, .5):7.2f}")
    finally:
        await dispose_inline_engine(engine)
        await engine.dispose()
        if pg_name and server is not None:
            import asyncpg
            conn = await asyncpg.connect(user=server.username, password=server.password, host=server.host,
                                         port=server.port, database=server.database)
            await conn.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
            await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--taps", type=int, default=300)
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        print(f"{'PostgreSQL' if url.startswith('postgres') else 'SQLite'}: the event list, {args.taps} taps each")
        asyncio.run(run(url, args.taps))


if __name__ == "__main__":
    main()
