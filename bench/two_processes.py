"""Benchmark 3: two `kiezbot run --webhook` processes on one PostgreSQL database share 1,000 due
reminders (500 residents, two reminders each). Counts what arrived at the fake Bot API per resident
and reminder: duplicates and losses (aim: zero), and how the work was split.

The rate limits are per bot token, so each process gets half of Telegram's 30 messages/second
(KIEZBOT_RATE_GLOBAL_PER_SEC=15), as the README advises for several processes.

    /work/venv/bin/python bench/two_processes.py [--residents 500]
    (PostgreSQL server: KIEZBOT_BENCH_POSTGRES_URL, default postgresql://postgres@127.0.0.1:5432/test)
"""
from __future__ import annotations

import argparse
import asyncio
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
import tempfile

from _common import Database, FakeTelegram, free_port, register, start_kiezbot, stop, wait_until
from sqlalchemy import func, select

from storage.models import OutboxRow


async def main(residents: int) -> None:
    db = await Database("postgresql").create()
    log = Path(tempfile.mkdtemp(prefix="kiezbot-bench-")) / "kiezbot.log"
    try:
        ids = await db.add_residents(30_000, residents)
        now = datetime.now(timezone.utc)
        expected = {(chat, f"Erinnerung {which}: Quartiersrat, Sitzung #{chat}") for chat in ids for which in "AB"}
        async with db.sessions() as session, session.begin():
            session.add_all([OutboxRow(chat_id=chat, payload={"text": text}, due_at=now, purpose="reminder",
                                       dedupe_key=f"reminder:bench:{chat}:{text[11]}") for chat, text in expected])
        async with FakeTelegram(rate_limits=True) as tg:
            register(tg, ids)
            started = time.monotonic()
            processes = []
            for _ in range(2):
                port = free_port()
                processes.append(await start_kiezbot(
                    db, tg, "run", "--webhook", log=log, KIEZBOT_WEBHOOK_URL=f"http://127.0.0.1:{port}",
                    KIEZBOT_WEBHOOK_PORT=str(port), KIEZBOT_RATE_GLOBAL_PER_SEC="15"))

            async def delivered() -> bool:
                async with db.sessions() as session:
                    return not await session.scalar(select(func.count()).select_from(OutboxRow).where(
                        OutboxRow.state.in_(("pending", "claimed", "sending"))))
            ok = await wait_until(delivered, timeout=600, poll=0.5)
            elapsed = time.monotonic() - started
            for proc in processes:
                await stop(proc)
            received = Counter((chat, m.text) for chat in ids for m in tg.chat(chat).inbox)
            duplicates = sum(n - 1 for n in received.values() if n > 1)
            losses = len(expected - set(received))
            async with db.sessions() as session:
                split = dict((await session.execute(select(OutboxRow.claimed_by, func.count())
                                                    .where(OutboxRow.state == "sent")
                                                    .group_by(OutboxRow.claimed_by))).all())
            print(f"reminders due           {len(expected)} ({residents} residents x 2)")
            print(f"all delivered           {ok} after {elapsed:.1f} s (incl. start-up of both processes)")
            print(f"messages received       {sum(received.values())}")
            print(f"duplicates              {duplicates}")
            print(f"losses                  {losses}")
            print(f"sent per process        {sorted(split.values(), reverse=True)}")
            print(f"429 answers             {tg.stats['429']}")
            print(f"achieved rate (both)    {tg.achieved_rate():.2f} msg/s")
            print(f"outbox states           {dict(await db.outbox_states())}")
    finally:
        await db.drop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--residents", type=int, default=500)
    args = parser.parse_args()
    asyncio.run(main(args.residents))
