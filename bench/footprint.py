"""Footprint of `kiezbot run`: start-up time and resident-set size with 50,000 residents and 2,000 events.

    python bench/footprint.py [--backend sqlite|postgresql] [--runs 5] [--keep /tmp/x/kiezbot.db]

Fills a fresh database (not timed) like a city-wide deployment after a year: 50,000 residents (languages,
areas, consent, some who blocked the bot), conversations left mid-flow, event reminder preferences,
meeting subscriptions, 2,000 events with texts in two languages and ~30,000 sign-ups, meetings, ideas,
and the delivered-message history the outbox keeps. Then starts `kiezbot run` (long polling) as a
real process against the fake Bot API (tests/fake_telegram.py) several times and reports

* **ready**: from starting the process to its first getUpdates call — from then on it takes updates;
  **cpu until ready**: the CPU time the process used by then (user + system; steadier than wall-clock
  when other processes share the cores);
* **first reply**: a resident's "/start" sent at that moment, until kiezbot's answer arrives;
* **RSS**: the process's resident-set size when ready, after 3 s of running (first delivery ticks),
  and its peak (VmHWM) — read from /proc/<pid>/status.

``--keep FILE`` (SQLite) fills FILE once and reuses it on later runs. PostgreSQL uses
KIEZBOT_BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/test) and drops its database.
Wall-clock figures depend on the machine's load, which is printed with them.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select  # noqa: E402

from _common import AREAS, LANGUAGES, STAFF_CHAT, Database, start_kiezbot, stop  # noqa: E402
from storage.events import EventPreferenceRow, EventRow, EventTextRow, SignupRow  # noqa: E402
from storage.ideas import SubmissionRow  # noqa: E402
from storage.meetings import MeetingRow, MeetingSubscriptionRow  # noqa: E402
from storage.models import ConversationRow, OutboxRow, ResidentRow  # noqa: E402
from tests.fake_telegram import FakeTelegram  # noqa: E402

RESIDENTS = 50_000
EVENTS = 2_000
FIRST_CHAT = 100_000_000
NAMES = ["Ayşe", "Jan", "Olena", "Mehmet", "Anna", "Dmytro", "Fatma", "Piotr", "Maria", "Ali", "Ionela", "Lena"]
STEPS = [("office.number", {"street": "Koloniestraße", "ortsteil": "Gesundbrunnen"}),
         ("ideas.text", {"kind": "project", "title": "Mehr Bänke am Nettelbeckplatz"}),
         ("events.party", {"event_id": 17}),
         ("lang", {})]


async def chunks(db: Database, model, rows: list[dict], size: int = 2000) -> None:
    async with db.sessions() as session, session.begin():
        for k in range(0, len(rows), size):
            await session.execute(insert(model), rows[k:k + size])


async def fill(db: Database, residents: int = RESIDENTS, events: int = EVENTS) -> dict[str, int]:
    rng = random.Random(8)
    now = datetime.now(timezone.utc)
    chats = list(range(FIRST_CHAT, FIRST_CHAT + residents))
    print(f"filling: {residents:,} residents, {events:,} events …", flush=True)
    await chunks(db, ResidentRow, [dict(
        chat_id=c, language=LANGUAGES[i % len(LANGUAGES)],
        consent_at=None if i % 25 == 0 else now - timedelta(days=rng.randrange(400)),
        area_key=None if i % 7 == 0 else AREAS[i % len(AREAS)],
        display_name=f"{NAMES[i % len(NAMES)]} {chr(65 + i % 26)}.",
        created_at=now - timedelta(days=rng.randrange(400)), last_seen_at=now - timedelta(hours=rng.randrange(9000)),
        unreachable_at=now - timedelta(days=3) if i % 50 == 0 else None) for i, c in enumerate(chats)])
    conversations = [dict(chat_id=c, user_id=c, step=step, data=data, updated_at=now - timedelta(hours=i % 500))
                     for i, c in enumerate(rng.sample(chats, residents // 10))
                     for step, data in [STEPS[i % len(STEPS)]]]
    await chunks(db, ConversationRow, conversations)
    await chunks(db, EventPreferenceRow, [dict(chat_id=c, reminders=bool(i % 3))
                                          for i, c in enumerate(rng.sample(chats, residents // 5))])
    subscriptions = {(c, body, area) for c in rng.sample(chats, residents // 8)
                     for body, area in [(rng.choice(("council", "jury")), rng.choice(AREAS))]}
    await chunks(db, MeetingSubscriptionRow, [dict(chat_id=c, body=b, area_key=a) for c, b, a in subscriptions])
    await chunks(db, MeetingRow, [dict(
        area_key=AREAS[k % 4], body=("council", "jury")[k % 2], starts_at=now + timedelta(days=k * 7 - 180),
        place="Vor-Ort-Büro", agenda={"de": "Tagesordnung: Haushalt, Projekte, Verschiedenes"}, status="scheduled")
        for k in range(60)])
    starts = [now + timedelta(hours=rng.randrange(-24 * 300, 24 * 90)) for _ in range(events)]
    await chunks(db, EventRow, [dict(
        uid=f"bench-{k}@kiezbot", area_key=AREAS[k % 4], place=f"Nachbarschaftstreff {k % 40}", starts_at=s,
        ends_at=s + timedelta(hours=2), capacity=None if k % 5 == 0 else 20 + k % 60, max_party=4,
        registration_deadline=s - timedelta(hours=12), reminder_leads=[1440, 120],
        status="cancelled" if k % 40 == 0 else ("closed" if s < now else "open"), source="staff")
        for k, s in enumerate(starts)])
    async with db.sessions() as session:
        event_ids = list((await session.scalars(select(EventRow.id).order_by(EventRow.id))).all())
    await chunks(db, EventTextRow, [dict(event_id=e, language=lang, title=f"{title} #{e}",
                                         description="Für alle Nachbarinnen und Nachbarn. " * 6)
                                    for e in event_ids
                                    for lang, title in (("de", "Kiezfest"), ("en", "Neighbourhood party"))])
    signups = []
    for e in event_ids:
        for c in rng.sample(chats, rng.randrange(0, 31)):
            signups.append(dict(event_id=e, chat_id=c, display_name=NAMES[c % len(NAMES)],
                                party_size=1 + c % 3, status=("confirmed", "confirmed", "waitlisted",
                                                              "cancelled")[c % 4], reminder_round=c % 2))
    await chunks(db, SignupRow, signups)
    await chunks(db, SubmissionRow, [dict(
        ref=f"B-{k:05d}", chat_id=rng.choice(chats), language="de", area_key=AREAS[k % 4],
        kind=("project", "hint", "question", "aktionsfonds")[k % 4], title=f"Idee {k}",
        text="Wir wünschen uns mehr Grün im Hof. " * 5, status=("new", "answered", "accepted")[k % 3],
        created_at=now - timedelta(days=k % 300), updated_at=now - timedelta(days=k % 300)) for k in range(3000)])
    await chunks(db, OutboxRow, [dict(
        chat_id=c, purpose="event-reminder", payload={"text": "Erinnerung: Kiezfest morgen um 15 Uhr"},
        due_at=now - timedelta(days=1), state="sent", attempts=1, sent_at=now - timedelta(days=1),
        message_id=k) for k, c in enumerate(rng.sample(chats, 20_000))])
    async with db.sessions() as session:
        counts = {}
        for label, model in (("residents", ResidentRow), ("conversations", ConversationRow),
                             ("events", EventRow), ("event sign-ups", SignupRow),
                             ("meeting subscriptions", MeetingSubscriptionRow), ("ideas", SubmissionRow),
                             ("outbox history", OutboxRow)):
            counts[label] = await session.scalar(select(func.count()).select_from(model))
    return counts


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (from /proc/<pid>/stat; 10 ms resolution)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_status(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM of a process, in MB."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0]) / 1024
    return out


def watch_polling(tg: FakeTelegram) -> list[float]:
    """Arrival times of getUpdates calls (the fake records a request only when it answers it, and the
    first long poll is answered after 10 s when nothing happens)."""
    arrivals: list[float] = []
    name, handler = tg._handlers["getupdates"]

    async def wrapped(*args):
        arrivals.append(time.perf_counter())
        return await handler(*args)

    tg._handlers["getupdates"] = (name, wrapped)
    return arrivals


async def one_start(db: Database, log: Path, resident: int) -> dict[str, float]:
    async with FakeTelegram() as tg:
        tg.group(STAFF_CHAT, "QM-Team", members=[resident])
        polls = watch_polling(tg)
        t0 = time.perf_counter()
        proc = await start_kiezbot(db, tg, "run", log=log)
        try:
            while not polls:
                if proc.returncode is not None:
                    raise SystemExit(f"kiezbot run exited with {proc.returncode}; see {log}")
                if time.perf_counter() - t0 > 120:
                    raise SystemExit(f"kiezbot run not ready after 120 s; see {log}")
                await asyncio.sleep(0.005)
            ready = polls[0] - t0
            cpu_ready = cpu_seconds(proc.pid)
            at_ready = proc_status(proc.pid)
            user = tg.user(resident, first_name="Ada", language_code="de")
            t1 = time.perf_counter()
            await user.send("/start")
            await user.wait_messages(1, timeout=60)
            first_reply = time.perf_counter() - t1
            await asyncio.sleep(3)
            later = proc_status(proc.pid)
        finally:
            await stop(proc)
    return {"ready_s": ready, "cpu_until_ready_s": cpu_ready, "first_reply_s": first_reply,
            "rss_ready_mb": at_ready["VmRSS"],
            "rss_after_3s_mb": later["VmRSS"], "max_rss_mb": max(at_ready["VmHWM"], later["VmHWM"])}


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--residents", type=int, default=RESIDENTS)
    parser.add_argument("--events", type=int, default=EVENTS)
    parser.add_argument("--keep", type=Path, help="SQLite file to fill once and reuse")
    args = parser.parse_args()
    db = Database(args.backend)
    reuse = args.keep is not None and args.keep.exists()
    if args.keep is not None:
        if args.backend != "sqlite":
            parser.error("--keep is for SQLite")
        args.keep.parent.mkdir(parents=True, exist_ok=True)
        db.url = f"sqlite:///{args.keep.resolve()}"
        from storage.db import create_engine, session_factory
        db.engine = create_engine(db.url)
        db.sessions = session_factory(db.engine)
        if not reuse:
            from storage import migrate
            from storage.seed import seed_all
            await migrate.upgrade(db.engine)
            print("seeding areas and Berlin's address list (once) …", flush=True)
            await seed_all(db.sessions)
    else:
        await db.create()
    try:
        counts = await fill(db, args.residents, args.events) if not reuse else None
        if counts:
            print(", ".join(f"{v:,} {k}" for k, v in counts.items()))
        await db.engine.dispose()
        log = Path(os.environ.get("TMPDIR", "/tmp")) / f"kiezbot-footprint-{os.getpid()}.log"
        results = []
        for run in range(args.runs):
            results.append(await one_start(db, log, FIRST_CHAT + 7 * run))
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
        print(f"`kiezbot run` on {args.backend}, {args.runs} starts; load average {load} on {os.cpu_count()} cores")
        for key, unit in (("ready_s", "s"), ("cpu_until_ready_s", "s"), ("first_reply_s", "s"),
                          ("rss_ready_mb", "MB"),
                          ("rss_after_3s_mb", "MB"), ("max_rss_mb", "MB")):
            values = [r[key] for r in results]
            print(f"  {key:17} median {statistics.median(values):8.3f}   min {min(values):8.3f}   "
                  f"max {max(values):8.3f} {unit}")
        log.unlink(missing_ok=True)
    finally:
        if args.keep is None:
            await db.drop()
        else:
            await db.engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
