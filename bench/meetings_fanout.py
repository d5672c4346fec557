"""How long planning, moving and cancelling a session takes with many subscribers (prints numbers).

    python bench/meetings_fanout.py [--db sqlite:///bench-meetings.db] [--subscribers 2000]

Every subscriber gets one outbox row per lead time (rendered in their language) when a session is
saved; a move cancels them, queues one notice each and plans them again; a cancellation queues one
notice each. All of it happens in the team member's one transaction, so this is how long the staff
chat waits after "Save", "Move it" or "Yes, cancel". Also: one resident's subscribe tap with ten
sessions planned.
"""
from __future__ import annotations

import argparse
import asyncio
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import delete, func, insert, select  # noqa: E402

import storage.all_models  # noqa: E402,F401
from dialogs.app import build_dialogs  # noqa: E402
from dialogs.meetings.resident_flow import cancel_session, move_session, schedule_session, subscribe  # noqa: E402
from dialogs.core.ports import Meeting  # noqa: E402
from locales import load_catalogs  # noqa: E402
from storage import migrate  # noqa: E402
from storage.db import create_engine, session_factory  # noqa: E402
from storage.meetings import MeetingRow, MeetingSubscriptionRow  # noqa: E402
from storage.models import OutboxRow, ResidentRow  # noqa: E402
from storage.unit_of_work import SqlUnitOfWork  # noqa: E402
from storage.seed import seed_areas  # noqa: E402

LANGUAGES = ["de", "en", "tr", "ar", "ru", "uk", "pl", "bg", "ro", "de_simple"]


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="sqlite:///bench-meetings.db")
    parser.add_argument("--subscribers", type=int, default=2000)
    args = parser.parse_args()
    engine = create_engine(args.db)
    await migrate.upgrade(engine)
    sessions = session_factory(engine)
    async with sessions() as session, session.begin():
        for table in (OutboxRow, MeetingSubscriptionRow, MeetingRow):
            await session.execute(delete(table))
        await session.execute(delete(ResidentRow).where(ResidentRow.chat_id >= 10_000_000))
        await seed_areas(session)
        now = datetime.now(timezone.utc)
        await session.execute(insert(ResidentRow), [
            {"chat_id": 10_000_000 + i, "language": LANGUAGES[i % len(LANGUAGES)], "consent_at": now,
             "display_name": "", "created_at": now, "last_seen_at": now} for i in range(args.subscribers)])
        await session.execute(insert(MeetingSubscriptionRow), [
            {"chat_id": 10_000_000 + i, "body": "council", "area_key": "pankstrasse", "created_at": now}
            for i in range(args.subscribers)])
    app = build_dialogs(SqlUnitOfWork(sessions, None), load_catalogs(all_languages=True))  # type: ignore[arg-type]
    start = now.replace(microsecond=0) + timedelta(days=30)
    n = args.subscribers
    print(f"{args.db.split(':')[0]}, {n} subscribers in {len(LANGUAGES)} languages, lead times 1d,2h")

    t0 = time.perf_counter()
    async with app.uow(0) as store:
        planned = await schedule_session(app, store, Meeting(area_key="pankstrasse", body="council", starts_at=start,
                                                             place="Vor-Ort-Büro", agenda={"de": "Projektfonds"}), now)
    t = time.perf_counter() - t0
    print(f"save:   {t:6.2f} s  {planned.reminders} reminders  ({planned.reminders / t:,.0f} rows/s)")

    t0 = time.perf_counter()
    async with app.uow(0) as store:
        moved = await move_session(app, store, planned.meeting.id, 0, start + timedelta(days=7), None, None, now)
    t = time.perf_counter() - t0
    assert moved is not None
    print(f"move:   {t:6.2f} s  {2 * n} cancelled, {n} notices, {moved.reminders} new reminders")

    t0 = time.perf_counter()
    async with app.uow(0) as store:
        cancelled = await cancel_session(app, store, planned.meeting.id, now)
    t = time.perf_counter() - t0
    assert cancelled is not None
    print(f"cancel: {t:6.2f} s  {n} notices")

    for i in range(10):
        async with app.uow(0) as store:
            await schedule_session(app, store, Meeting(area_key="badstrasse", body="jury", place="x",
                                                       starts_at=start + timedelta(days=i),
                                                       deadline=start + timedelta(days=i - 7)), now)
    taps = []
    for i in range(20):
        t0 = time.perf_counter()
        async with app.uow(10_000_000 + i) as store:
            await subscribe(app, store, 10_000_000 + i, "jury", "badstrasse", now)
        taps.append(time.perf_counter() - t0)
    taps.sort()
    print(f"subscribe tap with 10 jury sessions planned (30 reminders): median {taps[len(taps) // 2] * 1000:.0f} ms, "
          f"max {taps[-1] * 1000:.0f} ms")
    async with sessions() as session:
        rows = await session.scalar(select(func.count()).select_from(OutboxRow))
    print(f"outbox rows written: {rows}")
    await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
