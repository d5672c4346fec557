"""How much do translation jobs cost kiezbot, apart from the translation service itself?

    python bench/translation_jobs.py [--jobs 500] [--runners 2] [--database-url URL]

1. **Protection**: preparing a resident-sized text (three lines with a phone number, an e-mail address, a
   URL) for the service and restoring the answer, per text (µs, CPU of kiezbot only).
2. **Jobs**: N jobs asked for in one transaction, then drained by R runners at once against the fake
   LibreTranslate of the tests (answers at once), on a throw-away database (SQLite in a temp folder, or a
   fresh database on the PostgreSQL server given). Prints jobs per second, and checks that every text was
   translated exactly once.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import timeit
import uuid
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import storage.all_models  # noqa: E402,F401
from bot.translation.libretranslate import LibreTranslate  # noqa: E402
from bot.translation.runner import TranslationRunner  # noqa: E402
from dialogs.translation.jobs import JobRequest, Source  # noqa: E402
from dialogs.translation.protect import Prepared, ProtectingTranslator  # noqa: E402
from storage import migrate  # noqa: E402
from storage.db import create_engine, normalise_url, session_factory  # noqa: E402
from storage.translation import SqlTranslationJobs, TranslationQueue  # noqa: E402
from tests.fake_translation import FakeLibreTranslate, translate_html  # noqa: E402

TEXT = ("Merhaba, avlumuza ağaçların altına iki bank koyalım; yaşlı komşular dinlenebilsin.\n"
        "Beni 0176-12345678 numarasından arayabilir ya da ayse@example.org adresine yazabilirsiniz.\n"
        "Fotoğraflar: https://example.org/avlu?foto=1&boyut=b")


def protection() -> None:
    prepared = Prepared(TEXT, html=False)
    answer = [translate_html(b.masked) for b in prepared.blocks]
    n = 2000
    seconds = timeit.timeit(lambda: Prepared(TEXT, html=False).restore(answer), number=n)
    print(f"protection: prepare + restore of a {len(TEXT)}-character text: {seconds / n * 1e6:.0f} µs per text")


async def database(url: str | None) -> tuple[str, callable]:
    if not url:
        return f"sqlite:///{tempfile.mkdtemp(prefix='kiezbot-bench-')}/kiezbot.db", None
    import asyncpg
    from sqlalchemy.engine import make_url
    server = make_url(normalise_url(url))
    name = f"kiezbot_bench_{uuid.uuid4().hex[:8]}"

    async def on_server(statement: str) -> None:
        conn = await asyncpg.connect(user=server.username, password=server.password, host=server.host,
                                     port=server.port, database=server.database)
        try:
            await conn.execute(statement)
        finally:
            await conn.close()
    await on_server(f'CREATE DATABASE "{name}"')
    return (server.set(drivername="postgresql", database=name).render_as_string(hide_password=False),
            lambda: on_server(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def jobs(n: int, runners: int, url: str | None) -> None:
    target, drop = await database(url)
    engine = create_engine(target)
    try:
        await migrate.upgrade(engine)
        sessions = session_factory(engine)
        now = datetime.now(timezone.utc)
        started = time.perf_counter()
        async with sessions() as session, session.begin():
            repo = SqlTranslationJobs(session)
            for i in range(n):
                await repo.request(JobRequest("translate", Source("submission", i, "text"), "de",
                                              text=f"{i}: {TEXT}", source_language="tr"), now)
        asked = time.perf_counter() - started
        async with FakeLibreTranslate() as lt:
            made = [TranslationRunner(sessions, translator=ProtectingTranslator(LibreTranslate(lt.base_url)),
                                      worker=f"bench-{k}") for k in range(runners)]
            started = time.perf_counter()
            reports = await asyncio.gather(*(r.drain() for r in made))
            drained = time.perf_counter() - started
            for r in made:
                await r.close()
            counts = await TranslationQueue(sessions, "bench").counts()
            once = sum(lt.translated.values()) == 3 * n         # three lines per text, each sent once
        print(f"jobs ({engine.dialect.name}, load {os.getloadavg()[0]:.1f}): {n} asked for in {asked:.2f} s "
              f"({n / asked:.0f}/s); drained by {runners} runner(s) in {drained:.2f} s ({n / drained:.0f} jobs/s, "
              f"split {[r.done for r in reports]}); states {counts}; each text translated once: {once}")
    finally:
        await engine.dispose()
        if drop is not None:
            await drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=500)
    parser.add_argument("--runners", type=int, default=2)
    parser.add_argument("--database-url", default=None, help="a PostgreSQL server URL (default: SQLite)")
    args = parser.parse_args()
    protection()
    asyncio.run(jobs(args.jobs, args.runners, args.database_url))


if __name__ == "__main__":
    main()
