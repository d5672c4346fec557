"""How long does the console's figures page (Auswertung) take for a large neighbourhood?

    python bench/console_overview.py [--residents 50000] [--submissions 10000] [--events 1000] [--rounds 20]
    KIEZBOT_TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/test python bench/console_overview.py

Fills a throw-away database (SQLite in a temp folder; with KIEZBOT_TEST_POSTGRES_URL also a fresh PostgreSQL
database, dropped afterwards) with residents, a year of submissions, events with waiting lists and
broadcasts (tests/overview_data.py), signs a team member in, and fetches GET /console/figures over HTTP
(the whole page: every query, every SVG, the templates) ``--rounds`` times; also with an area filter and
one CSV download. Prints median and 95th percentile; the target is under 300 ms.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aiohttp.test_utils import TestClient, TestServer  # noqa: E402

import storage.all_models  # noqa: E402,F401
from console.app import build_console, standalone  # noqa: E402
from console.auth import COOKIE  # noqa: E402
from console.web import ConsoleConfig  # noqa: E402
from storage import migrate  # noqa: E402
from storage.console import SqlConsoleLinks, redeem_link  # noqa: E402
from storage.db import create_engine, session_factory  # noqa: E402
from storage.models import StaffRow  # noqa: E402
from storage.seed import seed_areas  # noqa: E402
from tests.conftest import create_pg_database, drop_pg_database  # noqa: E402
from tests.overview_data import neighbourhood  # noqa: E402

NOW = datetime(2026, 11, 24, 9, 30, tzinfo=timezone.utc)


async def timed(client: TestClient, path: str, rounds: int, **params: str) -> list[float]:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        response = await client.get(path, params=params)
        body = await response.read()
        times.append((time.perf_counter() - start) * 1000)
        assert response.status == 200, body[:300]
    return times


def summary(label: str, times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * .95))]
    return f"  {label:<34} median {statistics.median(times):6.1f} ms   p95 {p95:6.1f} ms   (n={len(times)})"


async def run(backend: str, args: argparse.Namespace) -> list[float]:
    folder, pg = "", ""
    if backend == "sqlite":
        folder = tempfile.mkdtemp(prefix="kiezbot-bench-overview-")
        url = f"sqlite:///{folder}/kiezbot.db"
    else:
        url, pg = await create_pg_database(os.environ["KIEZBOT_TEST_POSTGRES_URL"])
    engine = create_engine(url)
    try:
        await migrate.upgrade(engine)
        sessions = session_factory(engine)
        async with sessions() as session, session.begin():
            await seed_areas(session)
            session.add(StaffRow(user_id=1, name="Bench"))
        start = time.perf_counter()
        await neighbourhood(sessions, NOW, residents=args.residents, submissions=args.submissions,
                            events=args.events, broadcasts=40)
        print(f"{backend}: {args.residents:,} residents, {args.submissions:,} submissions, {args.events:,} events "
              f"written in {time.perf_counter() - start:.1f} s", flush=True)
        async with sessions() as session, session.begin():
            token = await SqlConsoleLinks(session).issue_link(1, "de", NOW, timedelta(minutes=10))
        _check, started = await redeem_link(sessions, token, NOW, timedelta(hours=10))
        app = standalone(build_console(ConsoleConfig("http://bench.test"), sessions, lambda: NOW))
        client = TestClient(TestServer(app), cookies={COOKIE: started.token})
        await client.start_server()
        try:
            await timed(client, "/console/figures", 2)                    # warm: templates compiled, caches
            page = await timed(client, "/console/figures", args.rounds)
            area = await timed(client, "/console/figures", args.rounds, area="badstrasse")
            csv = await timed(client, "/console/figures/months.csv", args.rounds)
        finally:
            await client.close()
        print(summary("GET /console/figures (all areas)", page))
        print(summary("GET /console/figures?area=badstrasse", area))
        print(summary("GET /console/figures/months.csv", csv))
        return page
    finally:
        await engine.dispose()
        if folder:
            shutil.rmtree(folder, ignore_errors=True)
        if pg:
            await drop_pg_database(os.environ["KIEZBOT_TEST_POSTGRES_URL"], pg)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=50_000)
    parser.add_argument("--submissions", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=1_000)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    command = "python bench/console_overview.py " + " ".join(sys.argv[1:])
    print(f"$ {command.strip()}   ({time.strftime('%Y-%m-%d %H:%M')})")
    backends = ["sqlite"] + (["postgresql"] if os.environ.get("KIEZBOT_TEST_POSTGRES_URL") else [])
    worst = 0.0
    for backend in backends:
        page = asyncio.run(run(backend, args))
        worst = max(worst, statistics.median(page))
    verdict = "within" if worst < 300 else "OVER"
    print(f"target: the figures page under 300 ms (median) — {verdict} ({worst:.0f} ms at worst)")


if __name__ == "__main__":
    main()
