"""A made-up neighbourhood for the figures page: residents, submissions over a year, events with sign-ups
and waiting lists, broadcasts. Deterministic (a seeded random generator); bulk inserts, so 50,000 residents
take seconds. Used by the browser test's screenshot and by bench/console_overview.py."""
from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import insert

from storage.broadcasts import BroadcastRow
from storage.events import EventRow, EventTextRow, SignupRow
from storage.ideas import SubmissionRow
from storage.models import ResidentRow

AREAS = ["pankstrasse", "brunnenstrasse", "badstrasse", "soldiner"]
LANGUAGES = ["de"] * 6 + ["tr"] * 3 + ["ar"] * 2 + ["en", "ru", "uk", "pl", "bg", "ro", "de_simple"]
KINDS = ["project"] * 4 + ["hint"] * 3 + ["aktionsfonds"] * 2 + ["question"]
STATUSES = ["approved"] * 5 + ["rejected"] * 2 + ["replied"] * 2 + ["new", "waiting", "answered", "revised"]
FIRST_CHAT = 10_000_000
BATCH = 5_000


async def _bulk(session, table, rows: list[dict]) -> None:  # noqa: ANN001
    for i in range(0, len(rows), BATCH):
        await session.execute(insert(table), rows[i:i + BATCH])


async def neighbourhood(sessions, now: datetime, *, residents: int = 400, submissions: int = 300,  # noqa: ANN001
                        events: int = 24, broadcasts: int = 6, seed: int = 19) -> None:
    rnd = random.Random(seed)
    async with sessions() as session, session.begin():
        await _bulk(session, ResidentRow, [
            dict(chat_id=FIRST_CHAT + i, language=rnd.choice(LANGUAGES), area_key=rnd.choice(AREAS + [None]),
                 consent_at=now - timedelta(days=rnd.randrange(400)), created_at=now, last_seen_at=now)
            for i in range(residents)])
        subs = []
        for i in range(submissions):
            created = now - timedelta(days=rnd.random() ** 0.8 * 360, minutes=rnd.randrange(600))
            status = rnd.choice(STATUSES)
            decided = None
            if status in ("approved", "rejected", "replied"):
                decided = min(created + timedelta(days=rnd.expovariate(1 / 9)), now)
            subs.append(dict(ref=f"OV-{seed}-{i}", chat_id=FIRST_CHAT + rnd.randrange(max(residents, 1)),
                             language=rnd.choice(LANGUAGES), area_key=rnd.choice(AREAS), kind=rnd.choice(KINDS),
                             status=status, title="", text="", created_at=created, updated_at=decided or created,
                             decided_at=decided))
        await _bulk(session, SubmissionRow, subs)
        event_rows = []
        for i in range(events):
            capacity = rnd.choice([None, 12, 20, 30, 40])
            starts = now + timedelta(days=rnd.uniform(-120, 60))
            taken = (capacity if rnd.random() < .35 else int(capacity * rnd.uniform(.3, .95))) if capacity else rnd.randrange(40)
            event_rows.append(dict(uid=f"ov-{seed}-{i}", area_key=rnd.choice(AREAS), starts_at=starts,
                                   capacity=capacity, seats_taken=taken, reminder_leads=[],
                                   status="cancelled" if rnd.random() < .05 else "open",
                                   created_at=now, updated_at=now))
        ids = (await session.execute(insert(EventRow).returning(EventRow.id, EventRow.capacity,
                                                                EventRow.seats_taken), event_rows)).all()
        await _bulk(session, EventTextRow, [dict(event_id=e, language="de", title=f"Veranstaltung {e}", description="")
                                            for e, _c, _t in ids])
        signups = []
        for event_id, capacity, taken in ids:
            if capacity and taken >= capacity:
                for _ in range(rnd.randrange(1, 8)):
                    signups.append(dict(event_id=event_id, chat_id=FIRST_CHAT + rnd.randrange(max(residents, 1)),
                                        party_size=rnd.randrange(1, 4), status="waitlisted",
                                        signed_up_at=now, updated_at=now))
        if signups:
            await _bulk(session, SignupRow, signups)
        for i in range(broadcasts):
            total = rnd.randrange(max(residents // 3, 10), max(residents, 20))
            failed, blocked = rnd.randrange(total // 40 + 1), rnd.randrange(total // 15 + 1)
            created = now - timedelta(days=(broadcasts - i) * 45 + rnd.randrange(10))
            session.add(BroadcastRow(audience=rnd.choice(["all", "area:" + rnd.choice(AREAS)]), created_by=1,
                                     created_at=created, finished_at=created + timedelta(hours=1), state="done",
                                     total=total, final_counts={"sent": total - failed - blocked,
                                                                "failed": failed, "blocked": blocked}))
