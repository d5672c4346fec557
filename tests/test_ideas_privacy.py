"""The ideas feature under data protection: residents see their submissions, erasure anonymises them,
and decided submissions lose their sender after the retention period."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest_asyncio

from dialogs.privacy.resident_flow import ANONYMISED_CHAT_ID
from storage.ideas import SubmissionAttachmentRow, SubmissionEventRow
from storage.retention import RetentionPolicy, run_retention
from sqlalchemy import select

from tests.ideas_helpers import outbox, ref_in, send_project_idea, submission
from tests.staff_tools import add_staff, staff_in_group


@pytest_asyncio.fixture
async def dana(staffed, db):
    await add_staff(db, 42, "Dana")
    return staff_in_group(staffed, 42, name="Dana")


async def send_with_photo(client) -> str:
    await client.presses("idea:new")
    await client.taps("Project idea")
    await client.taps("QM Badstraße")
    await client.says("Green yard")
    await client.says("Plant trees in the yard behind Badstraße 10")
    await client.taps("Change something")
    await client.taps("Photos and location")
    photo = await client.sends("photo", file_id="PHOTO-of-Alex")
    assert "1 photo received" in photo.text
    await client.taps("Done")
    sent = await client.taps("Send")
    return ref_in(sent.text)


async def test_my_data_lists_submissions_with_their_conversation(staffed, english, db):
    ref = await send_project_idea(english, title="Benches along the Panke")
    answer = await english.says("/mydata")
    assert "Ideas, applications and questions you sent: 1 entry" in answer.text
    [document] = [r.document for r in answer.replies if r.document]
    [idea] = json.loads(document.content)["ideas"]
    assert idea["reference"] == ref and idea["title"] == "Benches along the Panke" and idea["status"] == "new"
    assert idea["history"][0]["by"] == "you"


async def test_erasure_keeps_the_idea_for_the_council_without_the_person(staffed, english, dana, db):
    ref = await send_with_photo(english)
    assert [c.key for c in await outbox(db, "staff_card")] == [f"card:{ref}"]
    await english.says("/delete")
    await english.taps("Yes, delete everything")
    row = await submission(db, ref)
    assert row.chat_id == ANONYMISED_CHAT_ID
    assert (row.title, row.status) == ("Green yard", "new")               # kept for the record
    async with db.sessions() as session:
        assert (await session.execute(select(SubmissionAttachmentRow))).scalars().all() == []
        events = (await session.execute(select(SubmissionEventRow))).scalars().all()
    assert [(e.actor_id, e.actor_name) for e in events if e.actor_kind == "resident"] == [(None, "")]
    assert await outbox(db, "staff_card") == []                         # the card with the photo is gone
    # the team can still decide (for the record) — and nobody is notified
    await dana.presses(f"mod:ok:{row.id}:{row.version}")
    assert (await submission(db, ref)).status == "approved"
    assert await outbox(db, chat_id=ANONYMISED_CHAT_ID) == []


async def test_decided_submissions_lose_their_sender_after_the_retention_period(staffed, english, dana, db, clock):
    old = await send_project_idea(english, title="Old idea")
    old_row = await submission(db, old)
    await dana.presses(f"mod:ok:{old_row.id}:{old_row.version}")
    clock.advance(days=100)
    recent = await send_project_idea(english, title="Recent idea")
    recent_row = await submission(db, recent)
    await dana.presses(f"mod:ok:{recent_row.id}:{recent_row.version}")
    still_open = await send_project_idea(english, title="Open idea")
    clock.advance(days=81)                                             # old: decided 181 days ago
    dry = await run_retention(staffed_sessions(db), clock.now, RetentionPolicy(decided_days=180), dry_run=True)
    assert dry.rules == {"Decided submissions: personal link removed": 1}
    assert (await submission(db, old)).chat_id == english.sender.chat_id
    report = await run_retention(staffed_sessions(db), clock.now, RetentionPolicy(decided_days=180))
    assert report.rules == {"Decided submissions: personal link removed": 1}
    assert (await submission(db, old)).chat_id == ANONYMISED_CHAT_ID
    assert (await submission(db, recent)).chat_id == english.sender.chat_id
    assert (await submission(db, still_open)).chat_id == english.sender.chat_id
    again = await run_retention(staffed_sessions(db), clock.now + timedelta(hours=1), RetentionPolicy(decided_days=180))
    assert again.rules == {"Decided submissions: personal link removed": 0}


def staffed_sessions(db):
    return db.sessions


async def test_what_an_erased_submission_keeps_is_what_delete_promises(staffed, dialogs, dana, db):
    """Title and text stay, with names, numbers and addresses for e-mail masked; the location, the photo and
    the resident's answer go; what the team wrote keeps its words but not the resident's name or number."""
    from storage.ideas import SubmissionNoteRow
    from tests.chat import ChatClient

    ada = ChatClient(staffed, chat_id=5551, language_code="en", name="Ada Quokkason")
    await ada.onboard("en")
    await ada.presses("idea:new")
    await ada.taps("Project idea")
    await ada.taps("QM Badstraße")
    await ada.says("Green yard, ask Ada: 0176 5550 9731")
    await ada.says("Plant trees behind Badstraße 10. Ada Quokkason, ada@example.org, 030/5550973, on 01.03.2027 "
                   "for 1.500 €.")
    await ada.sends("location", latitude=52.5512, longitude=13.3812)
    await ada.sends("photo", file_id="PHOTO-of-Ada")
    ref = ref_in((await ada.taps("Send")).text)
    row = await submission(db, ref)
    await dana.presses(f"mod:ask:{row.id}:{row.version}")
    await dana.says("Dear Ada, may we call you at 0176 5550 9731?")
    await dana.presses(f"mod:send:{row.id}")
    await ada.says("Yes, call me, Quokkason here, 0176 5550 9731")

    delete = await ada.says("/delete")
    assert "replaced by ***" in delete.text and "location" in delete.text
    await ada.taps("Yes, delete everything")
    row = await submission(db, ref)
    assert row.title == "Green yard, ask ***: ***"
    assert row.text == "Plant trees behind Badstraße 10. ***, ***, ***, on 01.03.2027 for 1.500 €."
    assert (row.latitude, row.longitude, row.chat_id) == (None, None, ANONYMISED_CHAT_ID)
    async with db.sessions() as session:
        notes = (await session.execute(select(SubmissionNoteRow))).scalars().all()
        events = (await session.execute(select(SubmissionEventRow))).scalars().all()
    assert [(n.author, n.text) for n in notes] == [("staff", "Dear ***, may we call you at ***?")]
    assert all("Ada" not in e.note and "5550" not in e.note and "Quokkason" not in e.actor_name for e in events)


async def test_retention_masks_the_senders_names_and_numbers_too(staffed, english, dana, db, clock):
    await english.presses("idea:new")
    await english.taps("Project idea")
    await english.taps("QM Badstraße")
    await english.says("Call Alex on 0176 5550 9731")
    await english.says("More benches. Alex, alex@example.org")
    ref = ref_in((await english.taps("Send")).text)
    row = await submission(db, ref)
    await dana.presses(f"mod:ok:{row.id}:{row.version}")
    clock.advance(days=181)
    await run_retention(db.sessions, clock.now, RetentionPolicy(decided_days=180))
    row = await submission(db, ref)
    assert (row.chat_id, row.title, row.text) == (ANONYMISED_CHAT_ID, "Call *** on ***", "More benches. ***, ***")
