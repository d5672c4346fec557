"""Benchmark 1: a broadcast of 3,000 messages started with `kiezbot broadcast` from the terminal while
`kiezbot run` serves the same database (one process on SQLite, or two `kiezbot run --webhook` on
PostgreSQL), against the fake Bot API, which enforces Telegram's limits (30/s overall, 1/s per chat,
20/min per group) and answers 429 beyond.

Prints the sending rate as a fraction of the configured limit (aim >= 0.95), the 429 answers (aim 0),
how long after its count each progress report reached the staff chat (aim <= 5 s), how long a staff
card queued mid-broadcast took (aim <= 5 s), which process sent (aim: one), duplicates / losses.

    .venv/bin/python bench/broadcast_rate.py [--messages 3000] [--limit 30] [--processes 1|2]

--processes 2 needs PostgreSQL (KIEZBOT_BENCH_POSTGRES_URL, default postgresql://postgres@127.0.0.1:5432/test).
"""
from __future__ import annotations

import argparse
import asyncio
import re
import time
from pathlib import Path

from _common import (STAFF_CHAT, Database, FakeTelegram, free_port, kiezbot_env, per_chat, register,  # noqa: F401
                     start_kiezbot, stop, wait_until, PYTHON, ROOT)


async def main(messages: int, limit: float, processes: int) -> None:
    from sqlalchemy import select

    from dialogs.core.messages import Reply
    from storage.db import writer_session_factory
    from storage.leader import run_alive
    from storage.models import OutboxRow
    from storage.repositories import SqlOutbox
    from dialogs.core.engine import utc_now

    db = await Database("sqlite" if processes == 1 else "postgresql").create()
    runs = []
    try:
        ids = await db.add_residents(10_000, messages)
        residents = set(ids)
        async with FakeTelegram(rate_limits=True) as tg:
            register(tg, ids)
            extra = dict(KIEZBOT_RATE_GLOBAL_PER_SEC=str(limit), KIEZBOT_DEFAULT_LOCALE="en")
            folder = Path(db.url.removeprefix("sqlite:///")).parent if processes == 1 else Path("/tmp")
            log = folder / f"broadcast-{processes}.log"
            for n in range(processes):
                args = ["run"] if processes == 1 else ["run", "--webhook"]
                env = dict(extra) if processes == 1 else dict(extra, KIEZBOT_WEBHOOK_URL="https://kiezbot.example",
                                                              KIEZBOT_WEBHOOK_PORT=str(free_port()))
                runs.append(await start_kiezbot(db, tg, *args, log=log, **env))
            await wait_until(lambda: run_alive(db.engine, utc_now()), 120)
            started = time.monotonic()
            with log.open("ab") as handle:
                proc = await asyncio.create_subprocess_exec(
                    PYTHON, "-m", "bot.cli", "broadcast", "--all", "--yes",
                    "--text-de", "Kiezfest am Samstag auf dem Nettelbeckplatz — alle sind eingeladen!",
                    "--text-en", "Street party on Saturday at Nettelbeckplatz — everyone is welcome!",
                    "--text-tr", "Cumartesi Nettelbeckplatz'da mahalle şenliği — herkes davetli!",
                    cwd=str(ROOT), env=kiezbot_env(db, tg, **extra), stdout=handle, stderr=handle,
                    stdin=asyncio.subprocess.DEVNULL)

                def delivered() -> list[float]:
                    return [t for t, chat, _ in tg.stats["sent"] if chat in residents]

                async def halfway() -> bool:
                    return len(delivered()) >= messages // 2 or proc.returncode is not None
                await wait_until(halfway, 600, poll=0.05)
                card_queued = tg.clock()
                async with writer_session_factory(db.engine)() as session, session.begin():   # BEGIN IMMEDIATE
                    await SqlOutbox(session).enqueue(STAFF_CHAT, Reply(text="New idea #7 from Pankstraße"),
                                                     due_at=utc_now(), key="bench:staff-card")
                await proc.wait()
            elapsed = time.monotonic() - started
            times = delivered()
            staff = tg.stats["delivered"].get(STAFF_CHAT, [])
            group = tg._bot(None).chats.get(STAFF_CHAT)
            texts = [(m.text or "") for m in (group.inbox if group is not None else [])]
            lags = []
            for text, at in zip(texts, staff):
                found = re.search(r"(\d[\d,.]*) of (\d[\d,.]*) messages handled", text)
                if found:
                    count = int(re.sub(r"\D", "", found.group(1)))
                    lags.append((count, at - times[count - 1]))
            card = [at for text, at in zip(texts, staff) if text.startswith("New idea")]
            duplicates, losses = per_chat(tg, ids)
            rate = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0
            async with db.sessions() as session:
                senders = set((await session.execute(select(OutboxRow.claimed_by).distinct()
                                                     .where(OutboxRow.purpose == "broadcast"))).scalars())
            summary = [line for line in log.read_text(errors="replace").splitlines() if " finished: " in line]
            print(summary[-1] if summary else log.read_text(errors="replace")[-2000:])
            print(f"kiezbot run processes   {processes} ({db.backend}); broadcast started from the terminal")
            print(f"messages sent           {len(times)} (to {messages} residents)")
            print(f"wall time               {elapsed:.1f} s (terminal command start to end)")
            print(f"achieved rate           {rate:.2f} msg/s (first to last message)")
            print(f"rate / limit            {rate / limit:.3f}")
            print(f"429 answers             {tg.stats['429']}")
            print("report lag              " + (", ".join(f"{c}: {lag:.1f} s" for c, lag in lags) or "no reports"))
            print("staff card lag          " + (f"{card[0] - card_queued:.1f} s" if card else "not delivered"))
            print(f"processes that sent     {len(senders)}")
            print(f"duplicates / losses     {duplicates} / {losses}")
            print(f"exit code               {proc.returncode}")
    finally:
        for run in runs:
            await stop(run)
        await db.drop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--limit", type=float, default=30.0)
    parser.add_argument("--processes", type=int, choices=(1, 2), default=1)
    args = parser.parse_args()
    asyncio.run(main(args.messages, args.limit, args.processes))
