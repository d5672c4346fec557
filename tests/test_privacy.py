"""A resident's data-protection rights in the chat: see the notice, download everything, delete everything.

The flows run on the memory store (tests/memory_store.py; tests/test_store_contract.py holds it to what the
SQL stores do); what only the SQL registry of personal data does (a feature's own section) runs on SQL.
"""
from __future__ import annotations

import asyncio
import json

import pytest
from bot.runtime import load_privacy_texts
from bot.settings import ConfigError
from dialogs.app import build_dialogs
from dialogs.core.engine import Operator
from dialogs.core.messages import Reply
from dialogs.privacy.resident_flow import log_staff_access
from locales import load_catalogs
from storage import personal_data
from storage.unit_of_work import SqlUnitOfWork
from tests.chat import ChatClient
from tests.memory_store import MemoryUnitOfWork, memory_dialogs


@pytest.fixture
def memory():
    return MemoryUnitOfWork()


@pytest.fixture
def dialogs(memory, clock):
    return memory_dialogs(memory, clock)


def stored(memory, chat_id: int) -> bool:
    """Whether kiezbot still keeps the resident's profile."""
    return chat_id in memory.data.residents


async def enqueue(memory, chat_id: int, text: str, state: str = "pending") -> None:
    async with memory(chat_id) as store:
        await store.outbox.enqueue(chat_id, Reply(text=text), purpose="test")
    memory.data.outbox[-1].state = state          # as the delivery engine records it


def attached_json(answer) -> dict:
    [document] = [r.document for r in answer.replies if r.document]
    assert document.filename.endswith(".json")
    return json.loads(document.content.decode("utf-8"))


async def test_my_data_menu_offers_notice_download_and_delete(english):
    menu = await english.says("/menu")
    assert "🔒 My data" in menu.buttons
    options = await english.taps("My data")
    assert options.buttons == ["📄 Privacy notice", "📦 Download my data", "🗑 Delete my data", "Main menu"]
    notice = await english.taps("Privacy notice")
    assert "Privacy notice" in notice.text and "How long" in notice.text


async def test_mydata_sends_everything_as_json_and_a_readable_summary(english, memory):
    await english.taps("Find my office")                       # a conversation in progress
    await enqueue(memory, english.sender.chat_id, "Reminder: jury on Friday")
    await enqueue(memory, english.sender.chat_id, "Your idea was approved", state="sent")
    await enqueue(memory, 4242, "someone else's message")
    answer = await english.says("/mydata")
    assert "Your data at kiezbot" in answer.text
    assert "Language: English" in answer.text and "Name (from your Telegram profile): Alex" in answer.text
    assert "1 message to you is waiting to be sent." in answer.text
    assert "1 message was sent to you" in answer.text
    data = attached_json(answer)
    assert data["about"]["telegram_chat_id"] == english.sender.chat_id
    assert data["profile"]["language"] == "en" and data["profile"]["name_from_telegram"] == "Alex"
    assert data["profile"]["privacy_notice_accepted_at"].startswith("2026-11-24")
    assert [c["step"] for c in data["conversations"]] == ["office.address"]
    assert sorted(m["text"] for m in data["outbox"]) == ["Reminder: jury on Friday", "Your idea was approved"]


async def test_mydata_summary_is_in_the_residents_language(german):
    answer = await german.says("/mydata")
    assert "Ihre Daten bei kiezbot" in answer.text and "Sprache: Deutsch" in answer.text


async def test_a_feature_section_appears_in_export_and_summary(db, clock, monkeypatch):
    english = ChatClient(sql_dialogs(db, clock), chat_id=1002, language_code="en")   # SQL's registry
    await english.onboard("en")

    async def export(subject):
        return [{"title": "Bench for the yard"}, {"title": "Book swap"}]

    async def erase(subject):
        return 0

    monkeypatch.setitem(personal_data._CONTRIBUTORS, "workshops",
                        personal_data.Contributor("workshops", ("workshops",), export, erase))
    answer = await english.says("/mydata")
    assert "workshops: 2 entries" in answer.text
    assert attached_json(answer)["workshops"] == [{"title": "Bench for the yard"}, {"title": "Book swap"}]


async def test_someone_unknown_is_told_nothing_is_stored(dialogs):
    stranger = ChatClient(dialogs, chat_id=5555, language_code="en")
    answer = await stranger.says("/mydata")
    assert "do not store anything about you" in answer.text
    assert not any(r.document for r in answer.replies)


async def test_delete_asks_first_then_erases_everything_and_starts_afresh(english, memory):
    chat_id = english.sender.chat_id
    await enqueue(memory, chat_id, "Reminder")
    ask = await english.says("/delete")
    assert "really" in ask.text and "cannot be undone" in ask.text
    assert ask.buttons == ["🗑 Yes, delete everything", "No, keep my data"]
    assert stored(memory, chat_id)                                          # nothing gone yet
    done = await english.taps("Yes, delete everything")
    assert "deleted all your data" in done.text
    assert not stored(memory, chat_id)
    assert memory.data.conversation(chat_id) is None
    assert [m for m in memory.data.outbox if m.chat_id == chat_id] == []
    again = await english.says("Hello")
    assert "Which language" in again.text                                 # a new contact
    assert not stored(memory, chat_id)


async def test_keep_deletes_nothing(english, memory):
    await english.says("/delete")
    answer = await english.taps("No, keep")
    assert "not deleted anything" in answer.text and "📍 Find my office" in answer.buttons
    assert stored(memory, english.sender.chat_id)


async def test_typing_yes_is_not_taken_as_confirmation(english, memory):
    await english.says("/delete")
    answer = await english.says("yes")
    assert "not deleted anything" in answer.text
    assert stored(memory, english.sender.chat_id)


async def test_a_replayed_or_forged_erase_button_deletes_nothing(english, memory):
    answer = await english.presses("privacy:erase")          # never asked
    assert answer.toast and "no longer valid" in answer.toast
    assert "really" in answer.text                            # asked properly instead
    await english.taps("No, keep")
    await english.presses("privacy:erase")                    # the old button, replayed after "keep"
    assert stored(memory, english.sender.chat_id)


async def test_a_confirmation_from_long_ago_is_not_used(english, memory, clock):
    await english.says("/delete")
    clock.advance(minutes=16)
    answer = await english.presses("privacy:erase")
    assert answer.toast and "really" in answer.text
    assert stored(memory, english.sender.chat_id)


async def test_two_taps_on_yes_at_once_erase_once_and_fail_nowhere(english, memory):
    await english.says("/delete")
    first, second = await asyncio.gather(english.presses("privacy:erase"), english.presses("privacy:erase"))
    texts = [first.text, second.text]
    assert sum("deleted all your data" in t for t in texts) == 1
    assert not any("went wrong" in t for t in texts)
    assert not stored(memory, english.sender.chat_id)


async def test_data_and_delete_work_before_the_notice_was_accepted(resident, memory):
    await resident.says("/start")
    await resident.taps("English")                            # language stored, notice not yet accepted
    data = attached_json(await resident.says("/mydata"))
    assert data["profile"]["language"] == "en" and data["profile"]["privacy_notice_accepted_at"] is None
    await resident.says("/delete")
    done = await resident.taps("Yes, delete everything")
    assert "deleted all your data" in done.text
    assert not stored(memory, resident.sender.chat_id)


async def test_first_contact_notice_says_who_sees_it_how_long_and_whom_to_ask(resident):
    await resident.says("/start")
    notice = await resident.taps("English")
    assert "Only the team of your neighbourhood office sees it" in notice.text
    assert "after 365 days without contact" in notice.text and "/delete" in notice.text and "/mydata" in notice.text


def sql_dialogs(db, clock):
    return build_dialogs(SqlUnitOfWork(db.sessions, db.addresses), load_catalogs(), clock=clock)


async def test_the_operator_text_replaces_the_builtin_one_for_its_language(memory, clock):
    texts = {"en": "<b>Our own privacy text</b>\nDetails.", "en.notice": "Short: we store little. /privacy"}
    dialogs = memory_dialogs(memory, clock, operator=Operator(privacy_texts=texts, retention_days=90))
    english = ChatClient(dialogs, chat_id=3001, language_code="en")
    await english.says("/start")
    notice = await english.taps("English")
    assert notice.text == "Short: we store little. /privacy"
    await english.taps("OK")
    assert (await english.says("/privacy")).text == "Our own privacy text\nDetails."
    german = ChatClient(dialogs, chat_id=3002, language_code="de")
    await german.says("/start")
    notice = await german.taps("Deutsch")                    # no German file: the built-in text, with 90 days
    assert "Datenschutz kurz" in notice.text and "90 Tagen" in notice.text


def test_operator_texts_are_checked_when_kiezbot_starts(tmp_path):
    (tmp_path / "de.html").write_text("<b>Datenschutz</b>\nVerantwortlich: QM &amp; Partner", encoding="utf-8")
    (tmp_path / "en.notice.html").write_text("Short notice", encoding="utf-8")
    assert load_privacy_texts(tmp_path) == {"de": "<b>Datenschutz</b>\nVerantwortlich: QM &amp; Partner",
                                            "en.notice": "Short notice"}
    (tmp_path / "tr.html").write_text("Satır 1\n<p>Satır 2</p>", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"tr\.html: line 2: Telegram does not allow the tag <p>"):
        load_privacy_texts(tmp_path)
    (tmp_path / "tr.html").unlink()
    (tmp_path / "fr.html").write_text("Bonjour", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"fr\.html: expected <language>\.html"):
        load_privacy_texts(tmp_path)
    with pytest.raises(ConfigError, match="is not a folder"):
        load_privacy_texts(tmp_path / "missing")


async def test_still_here_keeps_the_resident_and_counts_as_contact(english, memory, clock):
    clock.advance(days=340)
    answer = await english.presses("privacy:alive")
    assert "I keep your data" in answer.text
    assert memory.data.residents[english.sender.chat_id].last_seen_at == clock.now


async def test_still_here_after_deletion_starts_afresh(english):
    await english.says("/delete")
    await english.taps("Yes, delete everything")
    answer = await english.presses("privacy:alive")
    assert "Which language" in answer.text


async def test_staff_access_is_logged_with_a_pseudonym_and_shown_to_the_resident(dialogs, english, memory):
    memory.data.add_staff(77, "Dana")

    async def show_resident(ctx):
        await log_staff_access(ctx, "show", english.sender.chat_id, detail="idea 12")
        ctx.say("card")

    dialogs.staff_command("showresident", show_resident)
    await ChatClient(dialogs, chat_id=77, language_code="de").says("/showresident")
    [entry] = memory.data.tables.access_log
    assert entry.actor == "staff:77 Dana" and entry.action == "show" and entry.detail == "idea 12"
    assert entry.subject.startswith("r-") and str(english.sender.chat_id) not in entry.subject
    answer = await english.says("/mydata")
    assert "The team has looked at your data 1 time." in answer.text
    assert attached_json(answer)["staff_access"][0]["by"] == "neighbourhood team"   # not Dana's account


async def test_after_erasure_the_access_log_leads_nowhere_near_the_resident(dialogs, english, memory):
    """The log stays (accountability) but under a random pseudonym: the key in the same database no longer
    finds the erased resident's lines — nor, through "submission BAD-…", their anonymised submission."""
    memory.data.add_staff(77, "Dana")

    async def show_resident(ctx):
        await log_staff_access(ctx, "show", english.sender.chat_id, detail="submission BAD-2026-014")
        ctx.say("card")

    dialogs.staff_command("showresident", show_resident)
    await ChatClient(dialogs, chat_id=77, language_code="de").says("/showresident")
    async with memory(0) as store:
        before = await store.access_log.entries(english.sender.chat_id)
    assert [e.detail for e in before] == ["submission BAD-2026-014"]

    await english.says("/delete")
    await english.taps("Yes, delete everything")
    async with memory(0) as store:
        assert await store.access_log.entries(english.sender.chat_id) == []     # the key finds nothing
        [entry] = await store.access_log.entries()
    assert entry.subject.startswith("e-") and entry.detail == "submission BAD-2026-014"
