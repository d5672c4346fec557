"""/delete takes the team's copies of a resident's submission back out of the staff group (via Telegram).

The staff card (their text, then their photo) went out through the delivery engine,
which keeps the Telegram id of every part. On /delete those messages are deleted; where Telegram no
longer allows that (older than 48 hours and kiezbot is no administrator of the group) the card's text
is overwritten instead.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from dialogs.app import build_dialogs
from locales import load_catalogs
from storage.models import OutboxRow
from storage.repositories import SqlOutbox
from storage.unit_of_work import SqlUnitOfWork
from tests.chat import ChatClient
from tests.test_delivery import engine, tg, users  # noqa: F401  (fixtures; `bot` is conftest's)

STAFF_GROUP = -100777
JPEG = b"\xff\xd8\xff\xe0" + bytes(64) + b"\xff\xd9"


async def idea_with_photo_in_the_staff_group(db, tg, bot, clock):  # noqa: F811
    dialogs = build_dialogs(SqlUnitOfWork(db.sessions, db.addresses), load_catalogs(), clock=clock,
                            staff_chat_id=STAFF_GROUP)
    group = tg.group(STAFF_GROUP, "QM Team", members=[tg.user(7001, "Dana")])
    users(tg, 601)
    photo = tg.add_file(JPEG, "photo", mime_type="image/jpeg", width=10, height=10)
    ada = ChatClient(dialogs, chat_id=601, language_code="en", name="Ada Lovelace")
    await ada.onboard("en")
    for data in ("idea:new", "idea:kind:project", "idea:area:badstrasse"):
        await ada.presses(data)
    await ada.says("Swap shelf in the stairwell")
    await ada.says("A shelf where neighbours leave books and toys.")
    await ada.sends("photo", file_id=photo.file_id)
    await ada.presses("idea:send")
    await engine(db, bot, clock).drain()
    card, picture = [m for m in group.inbox if not m.deleted]
    assert "Swap shelf in the stairwell" in card.text and picture.photo is not None
    return ada, group, card, picture


async def test_delete_removes_the_card_and_the_photo_from_the_staff_group(db, tg, bot, clock):  # noqa: F811
    ada, group, card, picture = await idea_with_photo_in_the_staff_group(db, tg, bot, clock)
    await ada.says("/delete")
    await ada.taps("Yes, delete everything")
    report = await engine(db, bot, clock).drain()
    assert report.sent == 1 and report.failed == 0
    assert card.deleted and picture.deleted
    assert [m for m in group.inbox if not m.deleted] == []           # nothing new posted either


async def test_an_old_card_is_overwritten_when_telegram_no_longer_allows_deleting_it(db, tg, bot, clock):  # noqa: F811
    ada, group, card, picture = await idea_with_photo_in_the_staff_group(db, tg, bot, clock)
    tg.time_shift = timedelta(days=3).total_seconds()                # the card is three days old now
    await ada.says("/delete")
    await ada.taps("Yes, delete everything")
    await engine(db, bot, clock).drain()
    assert not card.deleted
    assert "Swap shelf" not in card.text and "books and toys" not in card.text
    assert card.text.startswith("🗑 Auf Wunsch")                     # in the team's language (German)
    assert card.buttons == []
    assert picture.caption and picture.caption.startswith("🗑")      # the photo itself stays: see the README
    async with db.sessions() as session:
        [withdrawal] = (await session.execute(select(OutboxRow).where(OutboxRow.purpose == "withdraw"))).scalars()
    assert withdrawal.state == "sent"


async def test_as_administrator_kiezbot_deletes_old_cards_too(db, tg, bot, clock):  # noqa: F811
    ada, group, card, picture = await idea_with_photo_in_the_staff_group(db, tg, bot, clock)
    tg.time_shift = timedelta(days=30).total_seconds()
    tg.admin_in.add(STAFF_GROUP)
    await ada.says("/delete")
    await ada.taps("Yes, delete everything")
    await engine(db, bot, clock).drain()
    assert card.deleted and picture.deleted



async def test_a_copy_a_team_member_opened_in_their_private_chat_is_taken_back_too(db, tg, bot, clock):  # noqa: F811
    from storage.ideas import SubmissionRow
    from tests.staff_tools import add_staff

    ada, group, card, picture = await idea_with_photo_in_the_staff_group(db, tg, bot, clock)
    [dana_chat] = users(tg, 7001)
    await add_staff(db, 7001, "Dana")
    dialogs = build_dialogs(SqlUnitOfWork(db.sessions, db.addresses), load_catalogs(), clock=clock,
                            staff_chat_id=STAFF_GROUP)
    dana = ChatClient(dialogs, chat_id=7001, language_code="en", name="Dana")
    await dana.onboard("en")
    async with db.sessions() as session:
        ref = (await session.execute(select(SubmissionRow.ref))).scalar_one()
    opened = await dana.says(f"/idea {ref}")
    assert "Swap shelf in the stairwell" in opened.text                  # she reads it, with its buttons
    await engine(db, bot, clock).drain()
    copies = [m for m in dana_chat.inbox if m.from_bot and not m.deleted and
              ("Swap shelf" in (m.text or "") or m.photo is not None)]
    assert len(copies) == 2                                              # the card and the photo
    await ada.says("/delete")
    await ada.taps("Yes, delete everything")
    await engine(db, bot, clock).drain()
    assert all(m.deleted for m in copies) and card.deleted and picture.deleted


async def test_only_the_residents_own_cards_are_found_not_a_longer_reference(db):
    """card:BAD-2026-100 must not find card:BAD-2026-1000 (the thousandth idea of the year, someone else's)."""
    async with db.sessions() as session, session.begin():
        for key, ids in (("card:BAD-2026-100", [11, 12]), ("card:BAD-2026-100:r1", [13]),
                         ("card:BAD-2026-1000", [14]), ("answer:BAD-2026-100:7", [15])):
            session.add(OutboxRow(chat_id=STAFF_GROUP, payload={"text": key}, state="sent", dedupe_key=key,
                                  message_ids=ids))
    async with db.sessions() as session:
        found = await SqlOutbox(session).sent_messages(["card:BAD-2026-100", "answer:BAD-2026-100"])
    assert found == {STAFF_GROUP: [11, 12, 13, 15]}


async def test_a_card_older_than_the_outbox_keeps_is_still_taken_back(db, tg, bot, clock):  # noqa: F811
    """After KIEZBOT_OUTBOX_KEEP_DAYS the card's row loses its text and file ids but keeps Telegram's
    message ids, so a /delete months later still reaches the copies in the group."""
    from storage.retention import RetentionPolicy, run_retention

    ada, group, card, picture = await idea_with_photo_in_the_staff_group(db, tg, bot, clock)
    from sqlalchemy import update
    async with db.sessions() as session, session.begin():      # written at the test clock's "now"
        await session.execute(update(OutboxRow).values(created_at=clock.now))
    clock.advance(days=40)
    tg.time_shift = timedelta(days=40).total_seconds()
    report = await run_retention(db.sessions, clock.now, RetentionPolicy(outbox_days=30))
    assert report.outbox_purged >= 1
    async with db.sessions() as session:
        [row] = (await session.execute(select(OutboxRow).where(OutboxRow.dedupe_key.startswith("card:")))).scalars()
    assert row.payload == {} and row.message_ids                     # no text, no file ids; the ids stay
    await ada.says("/delete")
    await ada.taps("Yes, delete everything")
    await engine(db, bot, clock).drain()
    assert "Swap shelf" not in card.text and card.text.startswith("🗑")
    async with db.sessions() as session:
        assert (await session.execute(select(OutboxRow).where(OutboxRow.dedupe_key.startswith("card:")))).all() == []
