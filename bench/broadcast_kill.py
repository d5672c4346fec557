"""Benchmark 2: a broadcast of 3,000 messages sent by `kiezbot run`, killed with SIGKILL halfway and
started again. Counts, per resident, what arrived at the fake Bot API: duplicates and losses.

The kill lands at a random moment after half the messages went out (default), or — with
``--worst-case`` — the instant the fake server has accepted a message, i.e. inside the window between
Telegram's answer and kiezbot's commit, where a message's fate is unknown to kiezbot (it then sends it
again: at-least-once, see storage/outbox.py).

    /work/venv/bin/python bench/broadcast_kill.py [--messages 3000] [--worst-case] [--seed N]
"""
from __future__ import annotations

import argparse
import asyncio
import random
import signal
import time
from datetime import datetime, timezone
from pathlib import Path

from _common import (STAFF_CHAT, Database, FakeTelegram, delivered_count, per_chat, register, start_kiezbot,
                     stop, wait_until)
from sqlalchemy import func, select

from storage.broadcasts import create_broadcast
from dialogs.broadcasts.sending import Audience
from storage.broadcasts import BroadcastRow
from storage.models import OutboxRow


async def main(messages: int, worst_case: bool, seed: int) -> None:
    rng = random.Random(seed)
    db = await Database("sqlite").create()
    log = Path(db.url.removeprefix("sqlite:///")).parent / "kiezbot.log"
    try:
        ids = await db.add_residents(20_000, messages)
        wanted = set(ids)
        async with FakeTelegram(rate_limits=True) as tg:
            register(tg, ids)
            await create_broadcast(db.sessions, Audience("all"),
                                   {"de": "Kiezfest am Samstag!", "en": "Street party on Saturday!"},
                                   created_by=0, created_by_name="bench", language="de",
                                   report_chat_id=STAFF_CHAT, now=datetime.now(timezone.utc))
            started = time.monotonic()
            first = await start_kiezbot(db, tg, "run", log=log)

            async def half() -> bool:
                return delivered_count(tg, wanted) >= messages // 2
            await wait_until(half, timeout=600, poll=0 if worst_case else 0.01)
            if not worst_case:
                await asyncio.sleep(rng.uniform(0.0, 1.0))
            first.send_signal(signal.SIGKILL)
            await first.wait()
            at_kill = delivered_count(tg, wanted)
            killed_at = time.monotonic() - started
            second = await start_kiezbot(db, tg, "run", log=log)

            async def finished() -> bool:
                async with db.sessions() as session:
                    open_rows = await session.scalar(select(func.count()).select_from(OutboxRow).where(
                        OutboxRow.state.in_(("pending", "claimed", "sending"))))
                    done = await session.scalar(select(func.count()).select_from(BroadcastRow).where(
                        BroadcastRow.finished_at.is_not(None)))
                return done == 1 and open_rows == 0
            ok = await wait_until(finished, timeout=900, poll=0.5)
            elapsed = time.monotonic() - started
            await stop(second)
            duplicates, losses = per_chat(tg, ids)
            staff = [m.text for m in tg.chat(STAFF_CHAT).inbox]
            print(f"messages to residents   {delivered_count(tg, wanted)} delivered to {messages} residents")
            print(f"killed (SIGKILL) after  {at_kill} delivered, {killed_at:.1f} s "
                  f"({'inside the answer/commit window' if worst_case else f'random moment, seed {seed}'})")
            print(f"finished after restart  {ok} ({elapsed:.1f} s in all; claims of the killed process wait "
                  "for their 60 s lease)")
            print(f"duplicates              {duplicates}")
            print(f"losses                  {losses}")
            print(f"resent as unconfirmed   {await db.unconfirmed()}")
            print(f"429 answers             {tg.stats['429']}")
            print(f"outbox states           {dict(await db.outbox_states())}")
            print(f"staff chat reports      {len(staff)}; last: {staff[-1].splitlines()[0] if staff else '-'}")
    finally:
        await db.drop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--worst-case", action="store_true")
    parser.add_argument("--seed", type=int, default=6)
    args = parser.parse_args()
    asyncio.run(main(args.messages, args.worst_case, args.seed))
