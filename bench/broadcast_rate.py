"""Benchmark 1: a broadcast of 3,000 messages through `kiezbot broadcast` against the fake Bot API,
which enforces Telegram's limits (30/s overall, 1/s per chat, 20/min per group) and answers 429 beyond.

Prints the achieved sending rate as a fraction of the configured limit (aim >= 0.95), the number of
429 answers (aim 0), and duplicates / losses per chat.

    /work/venv/bin/python bench/broadcast_rate.py [--messages 3000] [--limit 30]
"""
from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path

from _common import Database, FakeTelegram, PYTHON, ROOT, kiezbot_env, per_chat, register  # noqa: F401


async def main(messages: int, limit: float) -> None:
    db = await Database("sqlite").create()
    try:
        ids = await db.add_residents(10_000, messages)
        async with FakeTelegram(rate_limits=True) as tg:
            register(tg, ids)
            env = kiezbot_env(db, tg, KIEZBOT_RATE_GLOBAL_PER_SEC=str(limit))
            log = Path(db.url.removeprefix("sqlite:///")).parent / "broadcast.log"
            started = time.monotonic()
            with log.open("wb") as handle:
                proc = await asyncio.create_subprocess_exec(
                    PYTHON, "-m", "bot.cli", "broadcast", "--all", "--yes",
                    "--text-de", "Kiezfest am Samstag auf dem Nettelbeckplatz — alle sind eingeladen!",
                    "--text-en", "Street party on Saturday at Nettelbeckplatz — everyone is welcome!",
                    "--text-tr", "Cumartesi Nettelbeckplatz'da mahalle şenliği — herkes davetli!",
                    cwd=str(ROOT), env=env, stdout=handle, stderr=handle, stdin=asyncio.subprocess.DEVNULL)
                await proc.wait()
            elapsed = time.monotonic() - started
            duplicates, losses = per_chat(tg, ids)
            rate = tg.achieved_rate()
            summary = [line for line in log.read_text(errors="replace").splitlines() if " finished: " in line]
            print(summary[-1] if summary else log.read_text(errors="replace")[-2000:])
            print(f"messages sent           {len(tg.stats['sent'])} (to {messages} residents)")
            print(f"wall time               {elapsed:.1f} s (process start, expansion, sending)")
            print(f"achieved rate           {rate:.2f} msg/s (first to last message)")
            print(f"configured limit        {limit:.0f} msg/s")
            print(f"rate / limit            {rate / limit:.3f}")
            print(f"429 answers             {tg.stats['429']}")
            print(f"duplicates / losses     {duplicates} / {losses}")
            print(f"outbox states           {dict(await db.outbox_states())}")
            print(f"exit code               {proc.returncode}")
    finally:
        await db.drop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--limit", type=float, default=30.0)
    args = parser.parse_args()
    asyncio.run(main(args.messages, args.limit))
