"""One contract for every Store: the in-memory one of the flow tests (tests/memory_store.py) and the SQL one
(SQLite, and PostgreSQL when KIEZBOT_TEST_POSTGRES_URL is set) must behave alike wherever a resident or
the team would notice — so a flow test on the memory store says something about the bot in production.
"""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, update

from dialogs.core.messages import Reply
from dialogs.core.model import Resident
from dialogs.core.ports import ChatState, Outgoing
from storage.models import OutboxRow
from storage.unit_of_work import SqlUnitOfWork
from tests.memory_store import MemoryData, MemoryUnitOfWork, shipped_areas
from tests.staff_tools import add_staff

NOW = datetime(2026, 11, 24, 9, 30, tzinfo=timezone.utc)
ALEX, BOB = 5001, 5002

# Every test runs on the memory store and on the SQL store, under each SQL backend's parameter of the shared
# seeded database (tests/conftest.py): [sqlite-memory], [sqlite-sql], and with KIEZBOT_TEST_POSTGRES_URL set
# also [postgresql-memory] (the memory store again: cheap, and it keeps the database shared by the run)
# and [postgresql-sql].
STORES = ["memory", "sql"]


def utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; kiezbot stores UTC (the flows compare them as such)."""
    return value if value is None or value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


class MemoryHarness:
    def __init__(self) -> None:
        self.uow = MemoryUnitOfWork(MemoryData())

    async def add_staff(self, user_id: int, name: str) -> None:
        self.uow.data.add_staff(user_id, name)

    async def deliver(self, key: str, message_ids: list[int]) -> None:
        """What the delivery engine records after sending the message stored under ``key``."""
        row = next(r for r in self.uow.data.outbox if r.dedupe_key == key)
        row.state, row.message_ids, row.sent_at = "sent", message_ids, NOW

    async def to_deliver(self, chat_id: int) -> list[str]:
        """The texts the delivery engine would still send to ``chat_id``, in order."""
        return [r.reply.text for r in self.uow.data.outbox if r.chat_id == chat_id and r.state == "pending"]


class SqlHarness:
    def __init__(self, db) -> None:  # noqa: ANN001 — tests.conftest.Database
        self.db = db
        self.uow = SqlUnitOfWork(db.sessions, db.addresses)

    async def add_staff(self, user_id: int, name: str) -> None:
        await add_staff(self.db, user_id, name)

    async def deliver(self, key: str, message_ids: list[int]) -> None:
        async with self.db.sessions() as session, session.begin():
            await session.execute(update(OutboxRow).where(OutboxRow.dedupe_key == key)
                                  .values(state="sent", message_ids=message_ids, sent_at=NOW))

    async def to_deliver(self, chat_id: int) -> list[str]:
        async with self.db.sessions() as session:
            rows = (await session.execute(select(OutboxRow.payload).where(
                OutboxRow.chat_id == chat_id, OutboxRow.state == "pending").order_by(OutboxRow.id))).scalars()
            return [payload["text"] for payload in rows]


@pytest.fixture(params=STORES)
def store(request, db):
    """The store under test; ``db`` is emptied before and after each test either way."""
    return MemoryHarness() if request.param == "memory" else SqlHarness(db)


# --- residents ----------------------------------------------------------------------------------

async def test_someone_new_is_unknown_and_has_no_conversation(store):
    async with store.uow(ALEX) as s:
        assert await s.residents.get(ALEX) is None
        assert await s.conversations.load(ALEX, ALEX) == ChatState()
        assert await s.personal_data.export(ALEX, NOW) == {}


async def test_nothing_but_the_language_is_kept_before_the_privacy_notice_is_accepted(store):
    async with store.uow(ALEX) as s:
        await s.residents.save(Resident(ALEX, language="tr", area_key="badstrasse", display_name="Alex",
                                        last_seen_at=NOW))
    async with store.uow(ALEX) as s:
        resident = await s.residents.get(ALEX)
    assert (resident.language, resident.consent_at, resident.area_key, resident.display_name) == ("tr", None,
                                                                                                 None, "")


async def test_a_resident_without_a_language_is_not_stored(store):
    async with store.uow(ALEX) as s:
        await s.residents.save(Resident(ALEX, display_name="Alex", last_seen_at=NOW))
    async with store.uow(ALEX) as s:
        assert await s.residents.get(ALEX) is None


async def test_after_consent_area_and_name_are_kept_and_a_language_change_keeps_them(store):
    async with store.uow(ALEX) as s:
        await s.residents.save(Resident(ALEX, language="de", consent_at=NOW, area_key="badstrasse",
                                        display_name="Alex", last_seen_at=NOW))
    async with store.uow(ALEX) as s:
        resident = await s.residents.get(ALEX)
        assert (resident.language, utc(resident.consent_at), resident.area_key, resident.display_name) == (
            "de", NOW, "badstrasse", "Alex")
        resident.language = "uk"
        resident.area_key = "pankstrasse"
        resident.last_seen_at = NOW + timedelta(days=1)
        await s.residents.save(resident)
    async with store.uow(ALEX) as s:
        again = await s.residents.get(ALEX)
        assert (again.language, again.area_key, utc(again.consent_at)) == ("uk", "pankstrasse", NOW)
        assert await s.residents.get(BOB) is None               # nobody else was touched


# --- conversations ----------------------------------------------------------------------------------

async def test_a_step_and_its_draft_survive_between_updates(store):
    draft = {"text": "Bänke für den Spielplatz 🌳", "photos": ["a", "b"], "contact": {"phone": None}, "n": 3}
    async with store.uow(ALEX) as s:
        await s.conversations.save(ALEX, ALEX, ChatState("ideas.text", draft))
    async with store.uow(ALEX) as s:
        state = await s.conversations.load(ALEX, ALEX)
        assert state == ChatState("ideas.text", draft)
        state.data["photos"].append("c")                      # changed but not saved: not stored
    async with store.uow(ALEX) as s:
        assert (await s.conversations.load(ALEX, ALEX)).data["photos"] == ["a", "b"]


async def test_a_reset_conversation_starts_clean(store):
    async with store.uow(ALEX) as s:
        await s.conversations.save(ALEX, ALEX, ChatState("office.address", {"typed": "Badstr"}))
    async with store.uow(ALEX) as s:
        await s.conversations.save(ALEX, ALEX, ChatState())
    async with store.uow(ALEX) as s:
        assert await s.conversations.load(ALEX, ALEX) == ChatState()


async def test_in_the_staff_group_every_member_has_their_own_conversation(store):
    group = -100777
    async with store.uow(group) as s:
        await s.conversations.save(group, ALEX, ChatState("broadcast.text", {"who": "alex"}))
        await s.conversations.save(group, BOB, ChatState("event.title", {"who": "bob"}))
    async with store.uow(group) as s:
        assert (await s.conversations.load(group, ALEX)).step == "broadcast.text"
        assert (await s.conversations.load(group, BOB)).data == {"who": "bob"}
        assert await s.conversations.load(ALEX, ALEX) == ChatState()     # not their private chat


async def test_an_empty_conversation_is_not_stored_as_personal_data(store):
    async with store.uow(ALEX) as s:
        await s.residents.save(Resident(ALEX, language="en", last_seen_at=NOW))
        await s.conversations.save(ALEX, ALEX, ChatState())
    async with store.uow(ALEX) as s:
        assert "conversations" not in await s.personal_data.export(ALEX, NOW)


# --- transactions ------------------------------------------------------------------------------------

async def test_an_update_that_fails_leaves_nothing_behind(store):
    with pytest.raises(RuntimeError):
        async with store.uow(ALEX) as s:
            await s.residents.save(Resident(ALEX, language="de", consent_at=NOW, last_seen_at=NOW))
            await s.conversations.save(ALEX, ALEX, ChatState("ideas.text", {"text": "half"}))
            await s.outbox.enqueue(ALEX, Reply("Your idea was sent"), key="idea:1")
            raise RuntimeError("the handler broke")
    async with store.uow(ALEX) as s:
        assert await s.residents.get(ALEX) is None
        assert await s.conversations.load(ALEX, ALEX) == ChatState()
    assert await store.to_deliver(ALEX) == []


async def test_a_failed_update_does_not_undo_an_earlier_one(store):
    async with store.uow(ALEX) as s:
        await s.conversations.save(ALEX, ALEX, ChatState("office.address", {}))
    with pytest.raises(RuntimeError):
        async with store.uow(ALEX) as s:
            await s.conversations.save(ALEX, ALEX, ChatState("office.area", {"x": 1}))
            raise RuntimeError
    async with store.uow(ALEX) as s:
        assert await s.conversations.load(ALEX, ALEX) == ChatState("office.address", {})


async def test_two_taps_at_once_are_handled_one_after_the_other(store):
    """Each update reads the count its predecessor committed: none of the two taps is lost."""
    async def tap() -> None:
        async with store.uow(ALEX) as s:
            state = await s.conversations.load(ALEX, ALEX)
            await asyncio.sleep(0)                 # let the other update try to run in between
            state.data["taps"] = state.data.get("taps", 0) + 1
            await s.conversations.save(ALEX, ALEX, state)

    await asyncio.gather(tap(), tap(), tap())
    async with store.uow(ALEX) as s:
        assert (await s.conversations.load(ALEX, ALEX)).data["taps"] == 3


# --- staff ----------------------------------------------------------------------------------------------

async def test_only_team_members_are_staff_and_are_listed_by_name(store):
    await store.add_staff(BOB, "Zeynep")
    await store.add_staff(ALEX, "Anna")
    async with store.uow(ALEX) as s:
        assert await s.staff.is_staff(ALEX) and await s.staff.is_staff(BOB)
        assert not await s.staff.is_staff(4242)
        assert (await s.staff.get(BOB)).name == "Zeynep"
        assert await s.staff.get(4242) is None
        assert [m.name for m in await s.staff.all()] == ["Anna", "Zeynep"]


# --- outbox ---------------------------------------------------------------------------------------------

async def test_a_message_with_a_key_is_queued_once(store):
    async with store.uow(ALEX) as s:
        await s.outbox.enqueue(ALEX, Reply("Reminder: jury on Friday"), key="meeting:7:1d", due_at=NOW)
        await s.outbox.enqueue(ALEX, Reply("Reminder: jury on Friday"), key="meeting:7:1d", due_at=NOW)
        await s.outbox.enqueue(ALEX, Reply("Thanks!"))
        await s.outbox.enqueue(ALEX, Reply("Thanks!"))           # without a key: every one is sent
    async with store.uow(ALEX) as s:
        await s.outbox.enqueue(ALEX, Reply("Reminder: jury on Friday"), key="meeting:7:1d", due_at=NOW)
    assert await store.to_deliver(ALEX) == ["Reminder: jury on Friday", "Thanks!", "Thanks!"]


async def test_cancelling_by_prefix_stops_exactly_those_messages(store):
    async with store.uow(ALEX) as s:
        for key in ("event:12:r1", "event:12:r2", "event:120:r1", "Event:12:r3"):
            await s.outbox.enqueue(ALEX, Reply(key), key=key, due_at=NOW)
        assert await s.outbox.cancel("event:12:") == 2
        assert await s.outbox.cancel("event:12:") == 0          # already cancelled: counted once
    assert await store.to_deliver(ALEX) == ["event:120:r1", "Event:12:r3"]


async def test_a_cancelled_key_is_not_queued_again(store):
    async with store.uow(ALEX) as s:
        await s.outbox.enqueue(ALEX, Reply("Reminder"), key="meeting:3:2h", due_at=NOW)
        await s.outbox.cancel("meeting:3:")
        await s.outbox.enqueue(ALEX, Reply("Reminder"), key="meeting:3:2h", due_at=NOW)
    assert await store.to_deliver(ALEX) == []


async def test_an_empty_prefix_cancels_nothing_and_is_refused(store):
    async with store.uow(ALEX) as s:
        await s.outbox.enqueue(ALEX, Reply("Hello"), key="x:1")
        with pytest.raises(ValueError):
            await s.outbox.cancel("")
    assert await store.to_deliver(ALEX) == ["Hello"]


async def test_a_unit_of_work_says_whether_it_gave_the_delivery_engine_work(store):
    """``store.queued``, read after the commit: the transports kick the delivery engine only then."""
    async with store.uow(ALEX) as s:
        await s.residents.get(ALEX)
        await s.outbox.cancel("nothing:")
    assert not s.queued                                          # read and cancelled only
    async with store.uow(ALEX) as s:
        await s.outbox.enqueue(BOB, Reply("For Bob"), key="tell:bob")
    assert s.queued
    async with store.uow(ALEX) as s:
        await s.outbox.enqueue(BOB, Reply("For Bob"), key="tell:bob")          # that key is queued already
        assert await s.outbox.enqueue_many([Outgoing(BOB, Reply("For Bob"), key="tell:bob")]) == 0
    assert not s.queued
    async with store.uow(ALEX) as s:
        await s.outbox.enqueue_many([Outgoing(BOB, Reply("Reminder"), key="remind:bob")])
    assert s.queued


async def test_enqueue_many_adds_each_key_once(store):
    async with store.uow(ALEX) as s:
        await s.outbox.enqueue(ALEX, Reply("already"), key="remind:1:a")
        added = await s.outbox.enqueue_many([
            Outgoing(ALEX, Reply("already"), key="remind:1:a"),
            Outgoing(BOB, Reply("for Bob"), key="remind:1:b", due_at=NOW),
            Outgoing(BOB, Reply("for Bob"), key="remind:1:b", due_at=NOW),   # twice in one batch
            Outgoing(BOB, Reply("no key")),
            Outgoing(BOB, Reply("no key")),
        ])
        assert added == 3
        assert await s.outbox.enqueue_many([Outgoing(BOB, Reply("for Bob"), key="remind:1:b")]) == 0
        assert await s.outbox.enqueue_many([]) == 0
    assert await store.to_deliver(ALEX) == ["already"]
    assert await store.to_deliver(BOB) == ["for Bob", "no key", "no key"]


async def test_sent_messages_finds_a_key_and_its_parts_but_not_a_longer_key(store):
    async with store.uow(ALEX) as s:
        for key in ("card:BAD-2026-001", "card:BAD-2026-001:r1", "card:BAD-2026-0010", "card:BAD-2026-002"):
            await s.outbox.enqueue(-100777, Reply(key), key=key)
        await s.outbox.enqueue(ALEX, Reply("copy"), key="card:BAD-2026-001:copy:5001")
    await store.deliver("card:BAD-2026-001", [11, 12])
    await store.deliver("card:BAD-2026-001:r1", [13])
    await store.deliver("card:BAD-2026-0010", [14])
    await store.deliver("card:BAD-2026-001:copy:5001", [15])
    async with store.uow(ALEX) as s:
        found = await s.outbox.sent_messages(["card:BAD-2026-001"])
        assert {chat: sorted(ids) for chat, ids in found.items()} == {-100777: [11, 12, 13], ALEX: [15]}
        assert await s.outbox.sent_messages(["card:BAD-2026-002"]) == {}     # queued, not sent yet
        assert await s.outbox.sent_messages([]) == {}


async def test_first_message_is_the_first_part_of_exactly_that_key_in_that_chat(store):
    async with store.uow(ALEX) as s:
        for key in ("card:BAD-2026-001", "card:BAD-2026-001:r1", "card:BAD-2026-002"):
            await s.outbox.enqueue(-100777, Reply(key), key=key)
    await store.deliver("card:BAD-2026-001:r1", [13, 14])
    async with store.uow(ALEX) as s:
        assert await s.outbox.first_message(-100777, "card:BAD-2026-001") is None     # queued, not sent yet
    await store.deliver("card:BAD-2026-001", [11, 12])
    async with store.uow(ALEX) as s:
        assert await s.outbox.first_message(-100777, "card:BAD-2026-001") == 11
        assert await s.outbox.first_message(-100777, "card:BAD-2026-001:r1") == 13
        assert await s.outbox.first_message(ALEX, "card:BAD-2026-001") is None
        assert await s.outbox.first_message(-100777, "card:BAD-2026-002") is None


# --- areas ----------------------------------------------------------------------------------------------

async def test_areas_and_offices_are_those_of_the_areas_file(store):
    async with store.uow(ALEX) as s:
        areas = await s.areas.all()
        assert list(areas) == list(shipped_areas())
        assert await s.areas.get("badstrasse") == next(a for a in shipped_areas() if a.key == "badstrasse")
        assert await s.areas.get("atlantis") is None


async def test_the_area_map_sends_an_address_to_the_same_area(store):
    async with store.uow(ALEX) as s:
        area_map = await s.areas.area_map()
        book = s.addresses
        found = {}
        for street, number in (("Prinzenallee", 10), ("Bellermannstraße", 81), ("Swinemünder Straße", 64),
                               ("Koloniestraße", 129), ("Unter den Linden", 1)):
            rows = [r for r in await book.addresses(street) if r.number == number]
            found[(street, number)] = sorted({str(area_map.area_for(r)) for r in rows})
    assert found[("Prinzenallee", 10)] == ["badstrasse"]
    assert found[("Unter den Linden", 1)] == ["None"]


async def test_the_address_book_knows_the_same_addresses_and_squares(store):
    """Squares without house numbers (Nettelbeckplatz) are found as places; every house of a street is known."""
    async with store.uow(ALEX) as s:
        book = s.addresses
        assert len(book.street_names()) > 9000 and "Nettelbeckplatz" in book.street_names()
        square = await book.addresses("Nettelbeckplatz")
        assert [(r.number, r.postcode, r.ortsteil) for r in square] == [(0, "13347", "Wedding")]
        badstrasse = await book.addresses("Badstraße")
        assert (10, "") in {(r.number, r.suffix) for r in badstrasse}
        assert len(badstrasse) == len(set(badstrasse)) > 50
        assert await book.addresses("Atlantisstraße") == ()


# --- access log and personal data ---------------------------------------------------------------------

async def onboarded(store, chat_id: int, name: str) -> None:
    async with store.uow(chat_id) as s:
        await s.residents.save(Resident(chat_id, language="en", consent_at=NOW, area_key="badstrasse",
                                        display_name=name, last_seen_at=NOW))
        await s.conversations.save(chat_id, chat_id, ChatState("ideas.text", {"text": f"{name}'s idea"}))
        await s.outbox.enqueue(chat_id, Reply(f"Reminder for {name}"), key=f"meeting:1:{chat_id}", due_at=NOW,
                               purpose="reminder")


async def test_staff_access_is_logged_under_a_pseudonym(store):
    async with store.uow(ALEX) as s:
        subject = await s.access_log.record(actor="staff:9 Dana", action="show", chat_id=ALEX, at=NOW)
        await s.access_log.record(actor="staff:9 Dana", action="show", chat_id=BOB, at=NOW)
        assert subject == await s.access_log.pseudonym(ALEX) and str(ALEX) not in subject
        assert subject != await s.access_log.pseudonym(BOB)
        entries = await s.access_log.entries(ALEX)
        assert [(e.actor, e.action, e.subject) for e in entries] == [("staff:9 Dana", "show", subject)]


async def test_mydata_shows_profile_draft_messages_and_who_looked(store):
    await onboarded(store, ALEX, "Alex")
    await onboarded(store, BOB, "Bob")
    async with store.uow(ALEX) as s:
        await s.access_log.record(actor="staff:9 Dana", action="show", chat_id=ALEX, at=NOW)
        data = await s.personal_data.export(ALEX, NOW)
    profile = data["profile"]
    assert (profile["language"], profile["area"], profile["name_from_telegram"]) == ("en", "badstrasse", "Alex")
    assert datetime.fromisoformat(profile["privacy_notice_accepted_at"]) == NOW
    assert [(c["step"], c["draft"]) for c in data["conversations"]] == [("ideas.text", {"text": "Alex's idea"})]
    assert [(m["text"], m["state"], m["purpose"]) for m in data["outbox"]] == [("Reminder for Alex", "pending",
                                                                               "reminder")]
    assert [(e["action"], e["by"]) for e in data["staff_access"]] == [("show", "neighbourhood team")]
    assert "Bob" not in str(data)


async def test_erasure_removes_everything_about_the_resident_and_nothing_else(store):
    await onboarded(store, ALEX, "Alex")
    await onboarded(store, BOB, "Bob")
    async with store.uow(ALEX) as s:
        await s.access_log.record(actor="staff:9 Dana", action="export", chat_id=ALEX, at=NOW)
        report = await s.personal_data.erase(ALEX, NOW)
        await s.access_log.record(actor="cli:root", action="erase", chat_id=None, subject=report.erased_as, at=NOW)
    assert report.erased["profile"] == 1 and report.erased["conversations"] == 1 and report.erased["outbox"] == 1
    assert report.erased_as.startswith("e-")
    async with store.uow(ALEX) as s:
        assert await s.personal_data.export(ALEX, NOW) == {}
        assert await s.residents.get(ALEX) is None
        assert await s.conversations.load(ALEX, ALEX) == ChatState()
        assert await s.access_log.entries(ALEX) == []                     # leads nowhere near them
        kept = [e for e in await s.access_log.entries() if e.subject == report.erased_as]
        assert sorted(e.action for e in kept) == ["erase", "export"]      # the record stays, unlinked
        assert (await s.residents.get(BOB)).display_name == "Bob"
    assert await store.to_deliver(ALEX) == []
    assert await store.to_deliver(BOB) == ["Reminder for Bob"]
