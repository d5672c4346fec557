"""Never over capacity: many residents pressing at the same moment, on SQLite and PostgreSQL.

Every sign-up and cancellation below is a full ``dialogs.handle()`` of its own (its own transaction),
started together with ``asyncio.gather`` — as when a popular event is announced.
"""
from __future__ import annotations

import asyncio
import random

from dialogs.core.messages import Inbound, Sender
from tests.event_helpers import add_event, add_resident, get_event, outbox, signup_rows

FIRST_CHAT = 5000


async def residents(db, count: int) -> list[Sender]:
    senders = []
    for i in range(count):
        chat_id = FIRST_CHAT + i
        await add_resident(db, chat_id, "en" if i % 2 else "de")
        senders.append(Sender(chat_id=chat_id, user_id=chat_id, language_code="en", display_name=f"R{i}"))
    return senders


async def press_all(dialogs, presses: list[tuple[Sender, str]]) -> list:
    return await asyncio.gather(*(dialogs.handle(Inbound("press", sender, data=data)) for sender, data in presses))


async def test_fifty_at_once_for_ten_places(dialogs, db):
    event = await add_event(db, capacity=10, max_party=1)
    people = await residents(db, 50)
    answers = await press_all(dialogs, [(p, f"ev:join:{event.id}") for p in people])
    texts = [" ".join(r.text for r in replies) for replies, _toast, _queued in answers]
    assert sum("signed up" in t or "angemeldet" in t for t in texts) == 10
    rows = await signup_rows(db, event.id)
    assert len(rows) == 50                                       # nobody lost, nobody twice
    assert [r.status for r in rows].count("confirmed") == 10
    assert [r.status for r in rows].count("waitlisted") == 40
    # Arrival order: the ten who got in arrived before everyone who waits.
    confirmed = [r.id for r in rows if r.status == "confirmed"]
    waiting = [r.id for r in rows if r.status == "waitlisted"]
    assert max(confirmed) < min(waiting)
    assert (await get_event(db, event.id)).seats_taken == 10
    # Each waiting resident was told their own position, 1 to 40 without gaps or repeats.
    positions = sorted(int(t.split("position ")[1].split(".")[0]) if "position " in t
                       else int(t.split("Position ")[1].split(".")[0]) for t in texts
                       if "waitlist" in t.lower() or "warteliste" in t.lower())
    assert positions == list(range(1, 41))
    # Reminders only for those with a place: two each.
    assert len(await outbox(db, purpose="event-reminder")) == 20


async def test_cancellations_at_once_promote_in_arrival_order_and_stay_within_capacity(dialogs, db):
    event = await add_event(db, capacity=10, max_party=1)
    people = await residents(db, 30)
    await press_all(dialogs, [(p, f"ev:join:{event.id}") for p in people])
    rows = await signup_rows(db, event.id)
    first_waiting = [r.id for r in rows if r.status == "waitlisted"][:6]
    leaving = [r for r in rows if r.status == "confirmed"][:6]
    by_chat = {p.chat_id: p for p in people}
    # Six leave at once, and at the same moment six newcomers try to sign up.
    newcomers = await residents_from(db, FIRST_CHAT + 100, 6)
    await press_all(dialogs, [(by_chat[r.chat_id], f"ev:dropok:{r.id}") for r in leaving]
                    + [(n, f"ev:join:{event.id}") for n in newcomers])
    rows = await signup_rows(db, event.id)
    assert [r.status for r in rows].count("confirmed") == 10
    assert (await get_event(db, event.id)).seats_taken == 10
    promoted = [r.id for r in rows if r.id in first_waiting and r.status == "confirmed"]
    assert promoted == first_waiting                               # the first six in line, not the newcomers
    assert all(r.status == "waitlisted" for r in rows if r.chat_id >= FIRST_CHAT + 100)
    assert len(await outbox(db, purpose="event-promoted")) == 6


async def residents_from(db, first: int, count: int) -> list[Sender]:
    senders = []
    for chat_id in range(first, first + count):
        await add_resident(db, chat_id, "en")
        senders.append(Sender(chat_id=chat_id, user_id=chat_id, language_code="en", display_name=f"N{chat_id}"))
    return senders


async def test_mixed_party_sizes_never_exceed_capacity(dialogs, db):
    event = await add_event(db, capacity=10, max_party=3)
    people = await residents(db, 24)
    rng = random.Random(7)
    await press_all(dialogs, [(p, f"ev:party:{event.id}:{rng.randint(1, 3)}") for p in people])
    rows = await signup_rows(db, event.id)
    seats = sum(r.party_size for r in rows if r.status == "confirmed")
    assert seats == (await get_event(db, event.id)).seats_taken
    assert 8 <= seats <= 10                                        # full, give or take a party that did not fit
    # Half of the seated leave at once; the seats go to the waitlist, and the count still adds up.
    seated = [r for r in rows if r.status == "confirmed"][::2]
    by_chat = {p.chat_id: p for p in people}
    await press_all(dialogs, [(by_chat[r.chat_id], f"ev:dropok:{r.id}") for r in seated])
    rows = await signup_rows(db, event.id)
    seats = sum(r.party_size for r in rows if r.status == "confirmed")
    assert seats == (await get_event(db, event.id)).seats_taken <= 10


async def test_one_resident_double_tapping_gets_one_sign_up(dialogs, db):
    event = await add_event(db, capacity=5, max_party=1)
    [person] = await residents(db, 1)
    await press_all(dialogs, [(person, f"ev:join:{event.id}")] * 5)
    rows = await signup_rows(db, event.id)
    assert len(rows) == 1 and rows[0].status == "confirmed"
    assert (await get_event(db, event.id)).seats_taken == 1
