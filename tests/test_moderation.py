"""The team deciding on submissions: cards, decisions, questions, revisions, races and refusals."""
from __future__ import annotations

import asyncio
import json
import logging
from datetime import timedelta

import pytest
from sqlalchemy import select

from storage.ideas import SubmissionEventRow
from storage.privacy import AccessLogRow
from tests.chat import ChatClient
from tests.ideas_helpers import audit, card_button, outbox, send_project_idea, submission
from tests.staff_tools import STAFF_CHAT, add_staff, staff_in_group, staff_in_private

DANA, FRITZ = 501, 502


@pytest.fixture
async def dana(staffed, db):
    """A team member in her private chat with kiezbot, in English."""
    return await staff_in_private(staffed, db, DANA, "Dana", display_name="Dana K.")


@pytest.fixture
async def fritz(staffed, db):
    return await staff_in_private(staffed, db, FRITZ, "Fritz")


@pytest.fixture
async def german_idea(staffed, german, db):
    """A German-speaking resident's idea: (resident, reference)."""
    await german.presses("idea:new")
    await german.presses("idea:kind:project")
    await german.presses("idea:area:badstrasse")
    await german.says("Bänke an der Panke")
    await german.says("Mehr Bänke am Panke-Weg, damit Ältere sich ausruhen können.")
    sent = await german.presses("idea:send")
    ref = (await submission_by_chat(db, german.sender.chat_id)).ref
    assert ref in sent.text
    return german, ref


async def submission_by_chat(db, chat_id):
    from storage.ideas import SubmissionRow
    async with db.sessions() as session:
        return await session.scalar(select(SubmissionRow).where(SubmissionRow.chat_id == chat_id)
                                    .order_by(SubmissionRow.id.desc()))


async def notices(db, chat_id):
    return await outbox(db, "idea_notice", chat_id=chat_id)


async def test_approve_edits_the_card_and_tells_the_resident_in_their_language(german_idea, dana, db):
    resident, ref = german_idea
    card = await dana.says(f"/idea {ref.lower()}")            # typed references are forgiving
    assert ref in card.text and "Bänke an der Panke" in card.text and "Language: Deutsch" in card.text
    done = await dana.taps("Approve")
    assert done.toast == "Approved. The resident will be told."
    [edited] = done.replies
    assert edited.edit and "Approved by Dana" in done.text and done.buttons == []
    row = await submission(db, ref)
    assert (row.status, row.decided_by_name, row.version) == ("approved", "Dana", 2)
    [notice] = await notices(db, resident.sender.chat_id)
    assert ref in notice.text and "Bänke an der Panke" in notice.text
    assert "the team has accepted your idea" not in notice.text          # German, not English
    assert await audit(db, ref) == [("created", None, "new", "Alex"), ("approved", "new", "approved", "Dana")]


async def test_reject_with_a_reason_and_a_note_relayed_as_written(german_idea, dana, db):
    resident, ref = german_idea
    await dana.says(f"/idea {ref}")
    reasons = await dana.taps("Reject")
    assert reasons.replies[0].edit
    assert {"Duplicate", "Outside our areas", "Not eligible for the Aktionsfonds", "Against the rules",
            "Other reason"} <= set(reasons.buttons)
    prompt = await dana.taps("Duplicate")
    assert "Reason: Duplicate" in prompt.text and "Send without text" in prompt.buttons
    preview = await dana.says("Schon eingereicht: siehe <b>BAD-2026-000</b> & Co.")
    assert "Reject" in preview.text and "Schon eingereicht" in preview.text
    assert "&lt;b&gt;BAD-2026-000&lt;/b&gt; &amp; Co." in preview.html
    done = await dana.taps("Send")
    assert done.toast == "Rejected. The resident will be told."
    assert "Rejected by Dana" in done.text and "Reason: Duplicate" in done.text
    row = await submission(db, ref)
    assert (row.status, row.decision_reason) == ("rejected", "dup")
    [notice] = await notices(db, resident.sender.chat_id)
    assert "Schon eingereicht: siehe <b>BAD-2026-000</b> & Co." in notice.text      # exactly as typed
    assert "&lt;b&gt;" in notice.reply.text                                       # and escaped
    assert ("rejected", "new", "rejected", "Dana") in await audit(db, ref)


async def test_reject_without_text(german_idea, dana, db):
    resident, ref = german_idea
    await dana.says(f"/idea {ref}")
    await dana.taps("Reject")
    await dana.taps("Outside our areas")
    done = await dana.taps("Send without text")
    assert "Rejected by Dana" in done.text
    [notice] = await notices(db, resident.sender.chat_id)
    assert ref in notice.text
    assert (await submission(db, ref)).decision_note == ""


async def test_ask_back_round_trip(staffed, english, dana, db):
    ref = await send_project_idea(english, title="Street festival")
    await dana.says(f"/idea {ref}")
    prompt = await dana.taps("Ask back")
    assert "reply to this message with your question" in prompt.text
    preview = await dana.says("Which date would suit you?")
    done = await preview_send(dana, preview)
    assert done.toast == "Question sent to the resident."
    assert "question to the resident" in done.text
    [question] = await notices(db, english.sender.chat_id)
    assert "The team has a question about your submission" in question.text
    assert "Which date would suit you?" in question.text and "✍️ Answer" in question.buttons

    # The resident simply writes back at the menu: that is the answer.
    thanks = await english.says("The last Saturday in June, please.")
    assert f"Your answer is with the team ({ref})" in thanks.text
    row = await submission(db, ref)
    assert row.status == "answered"
    [relayed] = await outbox(db, "staff_answer")
    assert relayed.chat_id == STAFF_CHAT and ref in relayed.text
    assert "The last Saturday in June, please." in relayed.text and "✅ Annehmen" in relayed.buttons
    card = await dana.says(f"/idea {ref}")
    assert "Which date would suit you?" in card.text and "The last Saturday in June" in card.text
    # Only the first text was the answer: the next one is ordinary chat again.
    menu = await english.says("hello")
    assert "answer is with the team" not in menu.text
    assert [a for a, *_ in await audit(db, ref)] == ["created", "asked", "answered"]


async def test_answer_by_voice_note_through_the_button(staffed, english, dana, db):
    ref = await send_project_idea(english, title="Mural")
    await dana.says(f"/idea {ref}")
    await dana.taps("Ask back")
    await preview_send(dana, await dana.says("Which wall?"))
    [question] = await notices(db, english.sender.chat_id)
    prompt = await english.presses(question.buttons["✍️ Answer"])
    assert "Write your answer" in prompt.text
    await english.sends("voice", file_id="VOICE-ANSWER", duration=20)
    [relayed] = await outbox(db, "staff_answer")
    assert [m.file_id for m in relayed.reply.media] == ["VOICE-ANSWER"]
    assert (await submission(db, ref)).status == "answered"


async def test_revise_loop_back_into_the_queue(staffed, english, dana, db):
    ref = await send_project_idea(english, title="Kiez cleanup", text="Cleaning the park.")
    await dana.says(f"/idea {ref}")
    await dana.taps("Please revise")
    await preview_send(dana, await dana.says("Please say which park and when."))
    [notice] = await notices(db, english.sender.chat_id)
    assert "Please say which park and when." in notice.text
    summary = await english.presses(notice.buttons["✏️ Revise and send again"])
    assert f"Your revised submission {ref}" in summary.text and "Cleaning the park." in summary.text
    await english.taps("Change something")
    await english.taps("Text or voice note")
    await english.says("Cleaning the Panke park on 12 May, 10–14 h.")
    sent = await english.taps("Send")
    assert f"revised submission {ref} is with the team again" in sent.text
    row = await submission(db, ref)
    assert (row.status, row.text, row.revisions) == ("revised", "Cleaning the Panke park on 12 May, 10–14 h.", 1)
    cards = await outbox(db, "staff_card")
    assert [c.key for c in cards] == [f"card:{ref}", f"card:{ref}:r1"]
    assert "Von der Person überarbeitet" in cards[1].text and "Panke park on 12 May" in cards[1].text
    queue = await dana.says("/queue")
    assert ref in queue.text and "revised" in queue.text
    # The old "revise" button cannot reopen the item once it was resent.
    again = await english.presses(notice.buttons["✏️ Revise and send again"])
    assert "can no longer be changed" in again.text
    assert [a for a, *_ in await audit(db, ref)] == ["created", "revision_requested", "resubmitted"]


async def test_take_it_assigns_and_shows_on_the_card(staffed, english, dana, fritz, db):
    ref = await send_project_idea(english)
    await dana.says(f"/idea {ref}")
    taken = await dana.taps("Take it")
    assert taken.toast == f"{ref} is yours now." and "Taken by: Dana" in taken.text
    again = await dana.taps("Take it")
    assert again.toast == "It is already yours."
    assert (await submission(db, ref)).assignee_name == "Dana"
    queue = await fritz.says("/queue")
    assert "Dana" in queue.text


async def test_question_gets_a_reply_from_the_team(staffed, english, dana, db):
    await english.taps("Ask the team")
    await english.taps("QM Badstraße")
    await english.says("Can I borrow tables for a street party?")
    await english.taps("Send")
    ref = (await submission_by_chat(db, english.sender.chat_id)).ref
    await dana.says(f"/idea {ref}")
    await dana.taps("Reply")
    done = await preview_send(dana, await dana.says("Yes — come by on Tuesday, we have six tables."))
    assert "Answered by Dana" in done.text
    [notice] = await notices(db, english.sender.chat_id)
    assert "The team has answered your question" in notice.text and "six tables" in notice.text
    listed = await english.says("/myideas")
    assert "answered" in listed.text and "six tables" in listed.text     # the team's last message


async def test_residents_cannot_moderate_even_with_forged_buttons(staffed, english, db, caplog):
    ref = await send_project_idea(english)
    row = await submission(db, ref)
    with caplog.at_level(logging.WARNING):
        refused = await english.presses(await card_button(db, ref, "ok"))
        queue = await english.says("/queue")
    assert refused.toast == "Only the neighbourhood team can do this."
    assert "Only the neighbourhood team" in queue.text
    assert "non-staff user r-" in caplog.text and str(english.sender.chat_id) not in caplog.text   # a pseudonym
    assert (await submission(db, ref)).status == "new"
    # /idea from a resident is their own "submit an idea", whatever follows it
    start = await english.says(f"/idea {ref}")
    assert "What would you like to send" in start.text


async def test_non_staff_in_the_staff_group_is_refused(staffed, english, db):
    ref = await send_project_idea(english)
    row = await submission(db, ref)
    stranger = staff_in_group(staffed, 999, name="Stranger")
    refused = await stranger.presses(await card_button(db, ref, "ok"))
    assert refused.toast and "Nur das Team" in refused.toast
    assert (await submission(db, ref)).status == "new"


async def test_forged_and_replayed_buttons_change_nothing(staffed, english, dana, db):
    ref = await send_project_idea(english)
    row = await submission(db, ref)
    missing = await dana.presses("mod:ok:987654:1")
    assert missing.toast == "This submission does not exist (any more)."
    no_version = await dana.presses(f"mod:ok:{row.id}")
    assert no_version.toast == "This button is no longer valid."
    bogus_reason = await dana.presses(await card_button(db, ref, "why", "bribe"))
    assert bogus_reason.toast == "This button is no longer valid."
    nothing = await dana.presses(f"mod:send:{row.id}")
    assert nothing.toast == "Nothing to send from you here. Start again from the card."
    huge = await dana.presses("mod:ok:" + "9" * 40 + ":1")
    assert huge.toast == "This submission does not exist (any more)."
    assert (await submission(db, ref)).status == "new"
    approve = await card_button(db, ref, "ok")
    await dana.presses(approve)
    replay = await dana.presses(approve)
    assert replay.toast.startswith("Already decided by Dana on ")
    assert "Approved by Dana" in replay.text                 # the stale card is redrawn as it is now
    reject_after = await dana.presses(f"mod:nt:{row.id}:{row.version}:dup")
    assert reject_after.toast.startswith("Already decided by Dana")
    assert (await submission(db, ref)).status == "approved"
    assert len(await notices(db, english.sender.chat_id)) == 1
    # A resident cannot answer or revise someone else's submission by forging the button.
    other = ChatClient(staffed, chat_id=4444, language_code="en")
    await other.onboard("en")
    forged = await other.presses(f"idea:answer:{row.id}")
    assert forged.toast == "This button is no longer valid."
    forged = await other.presses(f"idea:revise:{row.id}")
    assert forged.toast == "This button is no longer valid."


async def test_a_card_drawn_before_the_resident_answered_does_not_decide(staffed, english, dana, db):
    ref = await send_project_idea(english)
    await dana.says(f"/idea {ref}")
    await dana.taps("Ask back")
    await preview_send(dana, await dana.says("Which street?"))
    approve_on_old_card = await card_button(db, ref, "ok")
    await english.says("Prinzenallee.")                        # the resident answers meanwhile
    stale = await dana.presses(approve_on_old_card)
    assert stale.toast == "Resident changed this just now. The card shows the current state."
    assert "Prinzenallee." in stale.text and (await submission(db, ref)).status == "answered"
    fresh = await dana.taps("Approve")                        # on the redrawn card
    assert fresh.toast == "Approved. The resident will be told."


async def test_two_team_members_deciding_at_once_exactly_one_wins(staffed, english, dana, fritz, db):
    refs = [await send_project_idea(english, title=f"Idea {n}") for n in range(4)]
    for ref in refs:
        row = await submission(db, ref)
        approve, reject = await asyncio.gather(dana.presses(f"mod:ok:{row.id}:{row.version}"),
                                               fritz.presses(f"mod:nt:{row.id}:{row.version}:dup"))
        final = await submission(db, ref)
        assert final.status in ("approved", "rejected")
        winner, loser = (approve, reject) if final.status == "approved" else (reject, approve)
        assert winner.toast.endswith("The resident will be told.")
        name = "Dana" if final.status == "approved" else "Fritz"
        assert loser.toast.startswith(f"Already decided by {name} on ")
        assert f"by {name}" in loser.text                                 # the loser's card shows the result
        decisions = [a for a, *_ in await audit(db, ref) if a in ("approved", "rejected")]
        assert len(decisions) == 1
    assert len(await notices(db, english.sender.chat_id)) == len(refs)


async def test_two_members_pressing_in_the_staff_group_at_once(staffed, english, db):
    await add_staff(db, DANA, "Dana")
    await add_staff(db, FRITZ, "Fritz")
    ref = await send_project_idea(english)
    row = await submission(db, ref)
    dana_g, fritz_g = staff_in_group(staffed, DANA, name="Dana"), staff_in_group(staffed, FRITZ, name="Fritz")
    approve = f"mod:ok:{row.id}:{row.version}"
    answers = await asyncio.gather(dana_g.presses(approve), fritz_g.presses(approve))
    toasts = sorted(a.toast for a in answers)            # the staff group speaks the team's language
    assert sum(t == "Angenommen. Die Person wird benachrichtigt." for t in toasts) == 1
    assert sum(t.startswith("Bereits entschieden von ") for t in toasts) == 1
    async with db.sessions() as session:
        events = (await session.execute(select(SubmissionEventRow.action)
                                        .where(SubmissionEventRow.submission_id == row.id))).scalars().all()
    assert events.count("approved") == 1


async def test_take_it_at_once_one_wins(staffed, english, dana, fritz, db):
    ref = await send_project_idea(english)
    row = await submission(db, ref)
    take = f"mod:take:{row.id}:{row.version}"
    a, b = await asyncio.gather(dana.presses(take), fritz.presses(take))
    final = await submission(db, ref)
    winner = "Dana" if final.assignee_name == "Dana" else "Fritz"
    toasts = [a.toast, b.toast]
    assert f"{ref} is yours now." in toasts
    assert any(t.startswith(f"{winner} changed this just now") for t in toasts), toasts


async def test_without_a_staff_chat_submissions_wait_in_the_queue(dialogs, english, dana, db, caplog):
    dialogs.staff_chat_id = None
    with caplog.at_level(logging.INFO, logger="dialogs.ideas.moderation"):
        ref = await send_project_idea(english)
    assert await outbox(db, "staff_card") == []
    assert f"no staff chat configured (KIEZBOT_STAFF_CHAT_ID): {ref} is stored" in caplog.text
    queue = await dana.says("/queue")
    assert ref in queue.text and "1 open submission" in queue.text


async def test_queue_oldest_first_and_stats(staffed, english, dana, clock):
    first = await send_project_idea(english, title="First")
    clock.advance(hours=1)
    second = await send_project_idea(english, title="Second", area="QM Pankstraße")
    queue = await dana.says("/queue")
    assert queue.text.index(first) < queue.text.index(second)
    card = await dana.taps(second)
    assert "Second" in card.text and card.replies[0].edit is False
    await dana.presses(card.button_data()["✅ Approve"])
    stats = await dana.says("/stats")
    assert "Submissions: 2, open: 1" in stats.text
    assert "QM Badstraße: 1" in stats.text and "QM Pankstraße: 1" in stats.text
    assert "Project idea: 2" in stats.text and "English: 2" in stats.text
    assert "approved: 1" in stats.text and "new: 1" in stats.text


async def test_similar_earlier_submissions_are_on_the_card(staffed, english, dana, db):
    earlier = await send_project_idea(english, title="More benches in the park",
                                      text="We need benches in the park for older people.")
    await send_project_idea(english, title="Language café", text="A café to practise German.")
    await dana.presses(await card_button(db, earlier, "ok"))
    later = await send_project_idea(english, title="Benches in the park",
                                    text="Please put benches in the park, older people need them.")
    card = await dana.says(f"/idea {later}")
    assert "Similar earlier submissions" in card.text
    assert f"{earlier} “More benches in the park” — approved" in card.text
    assert "Language café" not in card.text


async def test_staff_commands_in_the_group_use_the_team_language(staffed, english, db):
    await add_staff(db, DANA, "Dana")
    ref = await send_project_idea(english)
    dana_g = staff_in_group(staffed, DANA, "en", name="Dana")
    card = await dana_g.says(f"/idea {ref}")             # Dana's Telegram is English; the group card is German
    assert "Eingang:" in card.text and "Received" not in card.text
    usage = await dana_g.says("/idea")
    assert "Bitte geben Sie ein Aktenzeichen an, zum Beispiel /idea BAD-2026-014." in usage.text


async def preview_send(staff: ChatClient, preview):
    assert "📨 Send" in preview.buttons, preview.text
    return await staff.taps("📨 Send")


async def test_audit_log_only_grows_and_records_who_when_and_why(staffed, english, dana, db, clock):
    ref = await send_project_idea(english)
    row = await submission(db, ref)

    async def log():
        async with db.sessions() as session:
            rows = (await session.execute(select(SubmissionEventRow).where(SubmissionEventRow.submission_id == row.id)
                                          .order_by(SubmissionEventRow.id))).scalars().all()
            return [(r.id, r.at.replace(tzinfo=None), r.actor_name, r.action, r.from_status, r.to_status, r.reason,
                     r.note) for r in rows]

    await dana.presses(await card_button(db, ref, "take"))
    clock.advance(minutes=5)
    await dana.presses(await card_button(db, ref, "ask"))
    await preview_send(dana, await dana.says("Where exactly?"))
    before = await log()
    clock.advance(hours=2)
    await english.says("At the corner of Badstraße.")
    await dana.presses(await card_button(db, ref, "why", "area"))
    await preview_send(dana, await dana.says("That corner belongs to another QM."))
    after = await log()
    assert after[:len(before)] == before                      # earlier entries untouched
    assert [e[3:6] for e in after] == [("created", None, "new"), ("assigned", "new", "new"),
                                       ("asked", "new", "waiting"), ("answered", "waiting", "answered"),
                                       ("rejected", "answered", "rejected")]
    rejected = after[-1]
    assert rejected[2] == "Dana" and rejected[6] == "area" and rejected[7] == "That corner belongs to another QM."
    assert rejected[1] - before[-1][1] == timedelta(hours=2)   # the injected clock, not wall time


async def test_the_resident_sees_in_mydata_that_the_team_opened_and_decided_their_idea(german_idea, dana, db):
    resident, ref = german_idea
    await dana.says(f"/idea {ref}")
    await dana.taps("Approve")
    mine = await resident.says("/mydata")
    assert "Das Team hat Ihre Daten 2-mal angesehen." in mine.text
    [document] = [r.document for r in mine.replies if r.document]
    accesses = json.loads(document.content.decode("utf-8"))["staff_access"]
    assert len(accesses) == 2
    assert {a["by"] for a in accesses} == {"neighbourhood team"}          # not Dana's account
    async with db.sessions() as session:
        rows = (await session.execute(select(AccessLogRow).order_by(AccessLogRow.id))).scalars().all()
    assert [(r.action, r.detail) for r in rows] == [("show", f"submission {ref}"), ("approved", f"submission {ref}")]
    assert all(r.actor == f"staff:{DANA} Dana" for r in rows)
