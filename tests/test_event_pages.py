"""The event list is paged in SQL (storage/events.py upcoming_page): a tap reads one page, and counts only
so far ahead, whatever the number of upcoming events."""
from __future__ import annotations

from datetime import timedelta

import pytest

import storage.events as events_store
from storage.unit_of_work import SqlUnitOfWork
from tests.event_helpers import BERLIN_DEC_3_18H, add_event

NOW = BERLIN_DEC_3_18H - timedelta(days=1)


@pytest.fixture
def uow_store(db):
    uow = SqlUnitOfWork(db.sessions, db.addresses)
    return lambda: uow(1)


async def test_a_page_is_read_with_its_texts_waitlist_and_the_number_of_all(uow_store, db):
    for day in range(7):
        await add_event(db, title=f"Treffen {day + 1}", starts_at=BERLIN_DEC_3_18H + timedelta(days=day),
                        title_en=f"Meeting {day + 1}", area_key=None if day % 2 else "badstrasse")
    async with uow_store() as store:
        first = await store.events.upcoming_page(NOW, limit=5)
        second = await store.events.upcoming_page(NOW, offset=5, limit=5)
        mine = await store.events.upcoming_page(NOW, "pankstrasse", limit=5)    # for all areas only
        gone = await store.events.upcoming_page(NOW, offset=50, limit=5)       # a stale "Later" button
        everything = await store.events.upcoming(NOW)
    assert [e.text("en").title for e in first.events] == [f"Meeting {i}" for i in range(1, 6)]
    assert first.total == 7 and first.exact and second.total == 7
    assert [e.texts["de"].title for e in second.events] == ["Treffen 6", "Treffen 7"]
    assert list(first.events) + list(second.events) == list(everything)       # the same events, read alike
    assert [e.texts["de"].title for e in mine.events] == ["Treffen 2", "Treffen 4", "Treffen 6"]
    assert gone.events == [] and gone.total == 7


async def test_a_tap_on_the_list_reads_one_page_however_many_events(english, db, monkeypatch):
    for day in range(12):
        await add_event(db, title=f"Treffen {day + 1}", starts_at=BERLIN_DEC_3_18H + timedelta(hours=day))
    monkeypatch.setattr(events_store, "AHEAD_COUNTED", 6)     # count only 6 ahead: "page 1 of 2+"
    listing = await english.says("/events")
    assert "Treffen 5" in listing.text and "Treffen 6" not in listing.text
    assert "Page 1 of 2+" in listing.text and "Later" in " ".join(listing.buttons)
    later = await english.taps("Later")
    assert "Treffen 6" in later.text and "Page 2 of 3+" in later.text
