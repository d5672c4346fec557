"""The delivery engine against the fake Bot API: every outbox message ends in one final state, once.

The engine's clock is the test's clock and its ``sleep`` moves that clock, so backoffs and pauses
take no real time; the fake server stamps requests with the same clock.
"""
from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.delivery.outbox_sender import DeliveryConfig, DeliveryEngine, TelegramSender
from bot.delivery.ratelimit import Limits, RateLimiter
from dialogs.core.messages import Button, Reply
from storage.models import OutboxRow, ResidentRow
from storage.outbox import OutboxQueue
from storage.repositories import SqlOutbox


def moving_sleep(clock):
    async def sleep(seconds: float) -> None:
        clock.advance(seconds=max(0.0, seconds))
        await asyncio.sleep(0)
    return sleep


@pytest.fixture
def tg(tg, clock):
    """The fake Telegram server (conftest's), stamping requests with the test's clock."""
    tg.clock = lambda: clock().timestamp()
    return tg


def engine(db, bot, clock, *, worker: str = "test", limits: Limits | None = None, **config) -> DeliveryEngine:
    config.setdefault("concurrency", 1)       # one request at a time: the moved clock stays causal
    return DeliveryEngine(db.sessions, TelegramSender(bot), RateLimiter(limits), DeliveryConfig(**config),
                          clock=clock, sleep=moving_sleep(clock), worker=worker)


async def enqueue(db, clock, chat_id: int, text: str, *, key: str | None = None, **kw) -> None:
    async with db.sessions() as session, session.begin():
        await SqlOutbox(session).enqueue(chat_id, Reply(text=text, **kw), due_at=clock(), key=key)


async def rows(db) -> list[OutboxRow]:
    async with db.sessions() as session:
        return list((await session.execute(select(OutboxRow).order_by(OutboxRow.id))).scalars())


def users(tg, *ids: int):
    out = []
    for i in ids:
        u = tg.user(i)
        u.register()
        out.append(u)
    return out


async def test_due_messages_are_sent_once_with_their_message_id(db, tg, bot, clock):
    alice, bob = users(tg, 501, 502)
    await enqueue(db, clock, 501, "Erinnerung: <b>Quartiersrat</b> morgen", buttons=[[Button("OK", "x:y")]])
    await enqueue(db, clock, 502, "Hallo Bob")
    await enqueue(db, clock, 502, "later", key="later")
    async with db.sessions() as session, session.begin():            # due tomorrow: stays
        row = (await session.execute(select(OutboxRow).where(OutboxRow.dedupe_key == "later"))).scalar_one()
        row.due_at = clock() + timedelta(days=1)
    report = await engine(db, bot, clock).drain()
    assert report.sent == 2
    assert [m.text for m in alice.inbox] == ["Erinnerung: Quartiersrat morgen"]
    assert alice.inbox[0].buttons == [[("OK", "x:y")]]
    assert [m.text for m in bob.inbox] == ["Hallo Bob"]
    sent, sent2, later = await rows(db)
    assert (sent.state, sent.message_id, sent.attempts) == ("sent", alice.inbox[0].message_id, 1)
    assert sent.sent_at is not None and sent2.state == "sent"
    assert later.state == "pending"
    assert (await engine(db, bot, clock).drain()).sent == 0          # nothing twice


async def test_a_429_pauses_all_sending_for_retry_after(db, tg, bot, clock):
    first, *others = users(tg, 601, 602, 603, 604)
    await enqueue(db, clock, first.id, "hi first")
    tg.fail_next("sendMessage", 429, retry_after=3)
    delivery = engine(db, bot, clock)
    report = await delivery.drain()
    assert report.too_many_requests == 1 and first.inbox == []
    for chat in others:                     # messages to other chats, due right now
        await enqueue(db, clock, chat.id, f"hi {chat.id}")
    await delivery.drain()
    await delivery.drain()
    [refused] = [r for r in tg.requests if r.status == 429]
    later = [r for r in tg.requests if r is not refused]
    assert len(later) == 4 and all(r.time >= refused.time + 3 for r in later)
    assert all(len(c.inbox) == 1 for c in (first, *others))
    assert all(r.state == "sent" and r.attempts == 1 for r in await rows(db))   # a 429 uses no attempt


async def test_403_marks_the_resident_unreachable_and_stops_their_other_messages(db, tg, bot, clock):
    blocker, other = users(tg, 701, 702)
    async with db.sessions() as session, session.begin():
        session.add(ResidentRow(chat_id=701, language="de", consent_at=clock()))
    tg.block(701)
    await enqueue(db, clock, 701, "one")
    await enqueue(db, clock, 701, "two")
    await enqueue(db, clock, 702, "for the other")
    report = await engine(db, bot, clock).drain()
    assert report.blocked == 1
    states = {(r.chat_id, r.payload["text"]): r.state for r in await rows(db)}
    assert states == {(701, "one"): "blocked", (701, "two"): "blocked", (702, "for the other"): "sent"}
    assert len(tg.requests_for("sendMessage")) == 2         # the second message to 701 was not tried
    async with db.sessions() as session:
        assert (await session.get(ResidentRow, 701)).unreachable_at is not None


async def test_server_errors_are_retried_with_backoff_then_sent_once(db, tg, bot, clock):
    [chat] = users(tg, 801)
    await enqueue(db, clock, 801, "Termin morgen")
    tg.fail_next("sendMessage", 502, times=2)
    delivery = engine(db, bot, clock, backoff_base=2.0)
    assert (await delivery.drain()).retried == 1
    [row] = await rows(db)
    assert row.state == "pending" and row.attempts == 1 and "Bad Gateway" in (row.last_error or "")
    assert (await delivery.drain()).sent == 0               # not before its backoff
    clock.advance(seconds=2)
    assert (await delivery.drain()).retried == 1            # second failure: now 4 s
    clock.advance(seconds=3)
    assert (await delivery.drain()).sent == 0
    clock.advance(seconds=1)
    assert (await delivery.drain()).sent == 1
    assert [m.text for m in chat.inbox] == ["Termin morgen"]
    [row] = await rows(db)
    assert (row.state, row.attempts) == ("sent", 3)


async def test_gives_up_after_max_attempts(db, tg, bot, clock):
    users(tg, 802)
    await enqueue(db, clock, 802, "x")
    tg.fail_next("sendMessage", 500, times=10)
    delivery = engine(db, bot, clock, max_attempts=3, backoff_base=1.0)
    for _ in range(5):
        await delivery.drain()
        clock.advance(seconds=60)
    [row] = await rows(db)
    assert (row.state, row.attempts) == ("failed", 3)
    assert len(tg.requests_for("sendMessage")) == 3


async def test_400_is_final_at_once(db, tg, bot, clock):
    users(tg, 901)
    await enqueue(db, clock, 901, "<b>unclosed")
    report = await engine(db, bot, clock).drain()
    clock.advance(hours=1)
    await engine(db, bot, clock).drain()
    [row] = await rows(db)
    assert report.failed == 1
    assert row.state == "failed" and row.attempts == 1 and "can't parse entities" in row.last_error
    assert len(tg.requests_for("sendMessage")) == 1


async def test_a_long_message_goes_in_parts_and_a_failed_part_is_not_repeated(db, tg, bot, clock):
    [chat] = users(tg, 950)
    long_text = "\n".join(f"Zeile {i} " + "x" * 80 for i in range(80))    # > 4096: two messages
    await enqueue(db, clock, 950, long_text)
    tg.fail_next("sendMessage", 500)
    await engine(db, bot, clock).drain()                     # first part refused
    clock.advance(seconds=5)
    await engine(db, bot, clock).drain()
    assert len(chat.inbox) == 2
    assert chat.inbox[0].text.startswith("Zeile 0") and chat.inbox[1].text.endswith("x" * 80)
    [row] = await rows(db)
    assert (row.state, row.parts_done) == ("sent", 1)


async def test_a_restart_sends_what_a_dead_process_held_and_resends_the_unconfirmed(db, tg, bot, clock):
    chats = users(tg, 1101, 1102, 1103)
    for chat in chats:
        await enqueue(db, clock, chat.id, f"Nachricht {chat.id}")
    dead = OutboxQueue(db.sessions, "dead-process")
    held = await dead.claim(clock(), 10, timedelta(seconds=60))
    assert len(held) == 3
    assert await dead.start_sending(held[0].id, clock(), timedelta(seconds=60))   # killed mid-request
    survivor = engine(db, bot, clock, worker="survivor")
    assert (await survivor.drain()).sent == 0               # leases still valid: hands off
    clock.advance(seconds=61)
    report = await survivor.drain()
    assert report.sent == 3 and report.recovered_unconfirmed == 1
    assert all(len(c.inbox) == 1 for c in chats)
    by_id = {r.id: r for r in await rows(db)}
    assert by_id[held[0].id].last_error.startswith("unconfirmed")
    assert by_id[held[1].id].last_error is None and by_id[held[1].id].attempts == 1
    assert await dead.sent(held[0].id, clock(), 1) is False  # the dead process cannot overwrite it


async def test_a_clean_shutdown_hands_back_its_claims(db, tg, bot, clock):
    users(tg, 1201)
    await enqueue(db, clock, 1201, "x")
    first = engine(db, bot, clock, worker="first")
    await first.queue.claim(clock(), 10, timedelta(seconds=60))
    await first.close()
    report = await engine(db, bot, clock, worker="second").drain()     # no need to wait for the lease
    assert report.sent == 1


async def test_two_claimers_get_disjoint_rows(db, clock):
    async with db.sessions() as session, session.begin():
        outbox = SqlOutbox(session)
        for i in range(120):
            await outbox.enqueue(5000 + i, Reply(text=f"r{i}"), due_at=clock())
    queues = [OutboxQueue(db.sessions, f"worker-{n}") for n in range(4)]

    async def take_all(queue):
        got = []
        while batch := await queue.claim(clock(), 7, timedelta(seconds=60)):
            got += [c.id for c in batch]
        return got

    results = await asyncio.gather(*(take_all(q) for q in queues))
    taken = [row_id for result in results for row_id in result]
    assert len(taken) == len(set(taken)) == 120
    assert sum(1 for r in results if r) >= 2 or db.backend == "sqlite"   # PostgreSQL: really shared


async def test_two_engines_deliver_each_message_once(db, tg, bot, clock):
    ids = list(range(3000, 3150))
    chats = users(tg, *ids)
    for chat_id in ids:
        await enqueue(db, clock, chat_id, f"Erinnerung {chat_id}")
    fast = Limits(global_per_sec=5000, private_per_sec=100, group_per_min=6000)
    one = engine(db, bot, clock, worker="one", limits=fast, batch_size=10)
    two = engine(db, bot, clock, worker="two", limits=fast, batch_size=10)
    reports = await asyncio.gather(one.drain(), two.drain())
    assert sum(r.sent for r in reports) == 150
    assert all(len(c.inbox) == 1 for c in chats)
    assert {r.state for r in await rows(db)} == {"sent"}


async def test_cancelled_rows_are_not_sent(db, tg, bot, clock):
    [chat] = users(tg, 1301)
    await enqueue(db, clock, 1301, "reminder", key="meeting:7:1d")
    async with db.sessions() as session, session.begin():
        assert await SqlOutbox(session).cancel("meeting:7:") == 1
    assert (await engine(db, bot, clock).drain()).sent == 0
    assert chat.inbox == []


async def test_cancelling_by_prefix_takes_exactly_the_keys_that_start_with_it(db, tg, bot, clock):
    users(tg, 1302)
    keys = ["event:1:r:5:24", "event:1:r:6:2", "event:10:r:7:24", "event:1", "Event:1:r:8:24",
            "event_1:r", "event:1_x", "event:1%", "meeting:1:r"]
    for key in keys:
        await enqueue(db, clock, 1302, key, key=key)
    async with db.sessions() as session, session.begin():
        assert await SqlOutbox(session).cancel("event:1:") == 2
        assert await SqlOutbox(session).cancel("event:1_") == 1     # "_" and "%" are no wildcards
        assert await SqlOutbox(session).cancel("event:1%") == 1
        assert await SqlOutbox(session).cancel("event:1:") == 0     # cancelled rows stay as they are
    state = {r.dedupe_key: r.state for r in await rows(db)}
    assert {k for k, s in state.items() if s == "cancelled"} == {"event:1:r:5:24", "event:1:r:6:2", "event:1_x",
                                                                   "event:1%"}
    with pytest.raises(ValueError):
        async with db.sessions() as session, session.begin():
            await SqlOutbox(session).cancel("")


async def test_housekeeping_purges_old_finished_rows_only(db, tg, bot, clock):
    from bot.scheduler import Housekeeping, purge_outbox

    users(tg, 1401)
    await enqueue(db, clock, 1401, "old", key="old")
    await engine(db, bot, clock).drain()
    await enqueue(db, clock, 1401, "waiting", key="waiting")
    async with db.sessions() as session, session.begin():
        for row in (await session.execute(select(OutboxRow))).scalars():
            row.created_at = row.sent_at = clock() - timedelta(days=40)
            row.due_at = clock() + timedelta(days=1) if row.dedupe_key == "waiting" else row.due_at
    housekeeping = Housekeeping()
    housekeeping.add("outbox", purge_outbox(db.sessions, 30, clock))
    assert await housekeeping.run() == {"outbox": 1}
    assert [r.dedupe_key for r in await rows(db)] == ["waiting"]


async def test_recorded_outcomes_go_before_bookkeeping_on_sqlite():
    from storage.outbox import BOOKKEEPING, OUTCOME, Turns

    turns, order = Turns(), []

    async def write(name: str, priority: int) -> None:
        async with turns(priority):
            order.append(name)
            await asyncio.sleep(0)

    async with turns(BOOKKEEPING):                      # someone is writing; these queue up meanwhile
        waiting = [asyncio.create_task(write(n, p)) for n, p in
                   [("claim", BOOKKEEPING), ("sent 1", OUTCOME), ("sending", BOOKKEEPING), ("sent 2", OUTCOME)]]
        cancelled = asyncio.create_task(write("gone", OUTCOME))
        await asyncio.sleep(0)
        cancelled.cancel()
    await asyncio.gather(*waiting)
    assert order == ["sent 1", "sent 2", "claim", "sending"]
    async with turns(OUTCOME):                          # and the lock is free again
        pass


def test_cancelling_by_prefix_searches_the_key_index_on_sqlite(tmp_path):
    """Every reminder not yet due is a pending row: a cancellation must not read them all (it did, as LIKE)."""
    import sqlite3

    from sqlalchemy import create_engine
    from sqlalchemy.dialects import sqlite

    from storage.models import Base
    from storage.repositories import _CANCEL
    from storage.statements import _Plan

    engine = create_engine(f"sqlite:///{tmp_path / 'plan.db'}")
    Base.metadata.create_all(engine)
    engine.dispose()
    sql, values = _Plan(_CANCEL["sqlite"], sqlite.dialect(), None).statement({"b_lo": "event:1:", "b_hi": "event:1;"})
    plan = sqlite3.connect(tmp_path / "plan.db").execute("EXPLAIN QUERY PLAN " + sql, values).fetchall()
    assert "dedupe_key>? AND dedupe_key<?" in plan[0][3], plan
