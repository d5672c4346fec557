"""Retention counts from a resident's last contact: it is kept right, without a write on every message."""
from __future__ import annotations

from datetime import timedelta, timezone

from sqlalchemy import select, update

from storage.models import ResidentRow


async def stored(db, chat_id: int) -> ResidentRow:
    async with db.sessions() as session:
        return (await session.execute(select(ResidentRow).where(ResidentRow.chat_id == chat_id))).scalar_one()


def utc(value):
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


async def test_last_contact_is_recorded_at_most_every_few_minutes_and_exactly_when_it_matters(english, db, clock):
    chat = english.sender.chat_id
    first = utc((await stored(db, chat)).last_seen_at)
    clock.advance(minutes=2)
    await english.says("/help")
    assert utc((await stored(db, chat)).last_seen_at) == first          # two minutes later: nothing written
    clock.advance(minutes=4)
    await english.says("/help")
    assert utc((await stored(db, chat)).last_seen_at) == first + timedelta(minutes=6)


async def test_a_blocked_resident_who_writes_again_is_reachable_at_once(english, db, clock):
    chat = english.sender.chat_id
    async with db.sessions() as session, session.begin():
        await session.execute(update(ResidentRow).where(ResidentRow.chat_id == chat).values(unreachable_at=clock()))
    clock.advance(seconds=30)
    await english.says("/help")
    assert (await stored(db, chat)).unreachable_at is None


async def test_a_changed_area_is_written_even_seconds_later(english, db, clock):
    chat = english.sender.chat_id
    clock.advance(seconds=10)
    await english.says("Bellermannstraße 81")
    assert (await stored(db, chat)).area_key == "badstrasse"
