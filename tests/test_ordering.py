"""One resident's updates are handled one at a time, also by two bot processes on one database."""
from __future__ import annotations

import asyncio
import sqlite3

import pytest

from dialogs.app import build_dialogs
from dialogs.core.messages import Inbound, Sender
from locales import load_catalogs
from storage.unit_of_work import SqlUnitOfWork


async def test_a_burst_from_one_new_resident_is_handled_in_order(dialogs):
    sender = Sender(chat_id=6001, user_id=6001, language_code="en")
    burst = [Inbound.parse_text(sender, "/start"), Inbound("press", sender, data="lang:en"),
             Inbound("press", sender, data="consent:yes"), Inbound.parse_text(sender, "/office"),
             Inbound.parse_text(sender, "Badstraße"), Inbound.parse_text(sender, "10")]
    # All arrive at once (Telegram delivers several updates per poll; aiogram handles them as tasks).
    results = await asyncio.gather(*(dialogs.handle(i) for i in burst))
    texts = [" ".join(r.text for r in replies) for replies, _, _ in results]
    assert "Which language" in texts[0]
    assert "Which house number on Badstraße" in texts[4]
    assert "QM Badstraße" in texts[5]


async def test_two_processes_serialise_one_residents_updates(db, clock):
    """Two Dialogs instances (as two webhook processes) on one database: no lost or doubled state."""
    first = build_dialogs(SqlUnitOfWork(db.sessions, db.addresses), load_catalogs(), clock=clock)
    second = build_dialogs(SqlUnitOfWork(db.sessions, db.addresses), load_catalogs(), clock=clock)
    senders = [Sender(chat_id=7000 + i, user_id=7000 + i, language_code="de") for i in range(10)]
    updates = []
    for s in senders:   # a double tap on a language button, each tap reaching another process
        updates.append(first.handle(Inbound("press", s, data="lang:de")))
        updates.append(second.handle(Inbound("press", s, data="lang:de")))
    results = await asyncio.gather(*updates, return_exceptions=True)
    assert not [r for r in results if isinstance(r, BaseException)]


async def test_an_update_waits_for_another_process_writing_to_sqlite_without_blocking_the_bot(db, dialogs):
    """Another process (a CLI command, a second bot) holds SQLite's write lock: the update waits for it,
    the bot meanwhile goes on serving other work, and the update goes through once the lock is free."""
    if db.backend != "sqlite":
        pytest.skip("SQLite's file lock")
    other = sqlite3.connect(db.url.removeprefix("sqlite:///"), isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        update = asyncio.create_task(dialogs.handle(Inbound.parse_text(
            Sender(chat_id=6101, user_id=6101, language_code="en"), "/start")))
        ticks = 0
        for _ in range(20):                  # the event loop is not blocked while the update waits
            await asyncio.sleep(0.01)
            ticks += 1
        assert ticks == 20 and not update.done()
        other.execute("COMMIT")
        replies, _, _ = await asyncio.wait_for(update, 10)
        assert "Which language" in " ".join(r.text for r in replies)
    finally:
        other.close()
