"""Residents sending ideas, Aktionsfonds applications and questions — as they experience it."""
from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from babel.numbers import format_currency
from hypothesis import given, settings, strategies as st

from dialogs.app import build_dialogs
from dialogs.ideas.rules import MAX_TEXT, parse_amount
from locales import load_catalogs
from storage.unit_of_work import SqlUnitOfWork
from tests.chat import ChatClient
from tests.ideas_helpers import (draft_project_idea, outbox, ref_in, send_project_idea, start_project_draft,
                                 submission, submissions)
from tests.staff_tools import STAFF_CHAT


async def test_idea_with_voice_note_and_photo_reaches_the_team(staffed, english, db):
    await english.taps("Submit an idea")
    kinds = english.last.buttons
    assert any("Aktionsfonds" in k for k in kinds) and any("Question" in k for k in kinds)
    await english.taps("Project idea")
    asked = await english.taps("QM Soldiner")               # no area known yet: asked
    assert "short title" in asked.text
    await english.says("Repair café in the Soldiner Kiez")
    after_voice = await english.sends("voice", file_id="VOICE-1", duration=42)
    assert "1 voice note received" in after_voice.text and "Next" in " ".join(after_voice.buttons)
    photos = await english.taps("Next")                      # the summary, which offers photos
    assert "photos (up to 5)" in photos.text
    await english.taps("Change something")
    await english.taps("Photos and location")
    after_photo = await english.sends("photo", file_id="PHOTO-1")
    assert "1 photo received" in after_photo.text
    summary = await english.taps("Done")
    assert "Repair café in the Soldiner Kiez" in summary.text
    assert "1 voice note" in summary.text and "1 photo" in summary.text
    assert "QM Soldiner Straße/Wollankstraße" in summary.text
    sent = await english.taps("Send")
    ref = ref_in(sent.text)
    assert ref == "SOL-2026-001"
    assert "What happens next" in sent.text
    assert "Find my office" in " ".join(sent.buttons)          # back at the menu

    row = await submission(db, ref)
    assert (row.status, row.kind, row.language, row.chat_id) == ("new", "project", "en", english.sender.chat_id)
    [card] = await outbox(db, "staff_card")
    assert card.chat_id == STAFF_CHAT and card.key == f"card:{ref}"
    assert "Repair café in the Soldiner Kiez" in card.text and ref in card.text
    assert [(m.kind, m.file_id) for m in card.reply.media] == [("photo", "PHOTO-1"), ("voice", "VOICE-1")]
    # the team's card is in the team's language (German by default)
    assert {"✅ Annehmen", "❌ Ablehnen", "❓ Rückfrage", "✏️ Bitte überarbeiten", "🙋 Übernehmen"} <= set(card.buttons)
    assert "Sprache: English" in card.text


async def test_german_aktionsfonds_application_with_voice_and_photo(staffed, german, db):
    kinds = await german.taps("Idee einreichen")
    assert "Was möchten Sie dem Team schicken?" in kinds.text
    await german.taps("Aktionsfonds-Antrag")
    await german.taps("QM Pankstraße")
    await german.says("Nachbarschaftsfest im Hof")
    voice = await german.sends("voice", file_id="VOICE-DE", duration=75)
    assert "1 Sprachnachricht erhalten" in voice.text
    rules = await german.taps("Weiter")
    assert "höchstens 1.500 € pro Aktion" in rules.text
    assert "nur Material und Verbrauchsmaterial, keine Honorare" in rules.text
    assert "steht noch nicht fest" in rules.text
    too_much = await german.says("1.600 Euro")
    assert "1.600,00 € ist mehr, als der Aktionsfonds für eine Aktion zahlen kann" in too_much.text
    await german.says("320,50 €")
    summary = await german.sends("photo", file_id="PHOTO-DE")   # sent at the summary: kept, summary again
    assert "Bitte prüfen Sie vor dem Absenden" in summary.text
    assert "Materialkosten: 320,50 €" in summary.text and "1 Sprachnachricht" in summary.text
    sent = await german.taps("Absenden")
    assert "Vielen Dank!" in sent.text and "PAN-2026-001" in sent.text
    assert "Jury aus Bewohnerinnen und Bewohnern" in sent.text
    [card] = await outbox(db, "staff_card")
    assert "Aktionsfonds-Antrag" in card.text and "Sprache: Deutsch" in card.text   # the team's card: German
    assert [m.file_id for m in card.reply.media] == ["PHOTO-DE", "VOICE-DE"]


async def test_area_found_by_the_office_finder_is_preset(staffed, english):
    await english.says("Bellermannstraße 81")                # the office finder remembers the area
    await english.presses("idea:new")
    title = await english.taps("Hint about the neighbourhood")
    assert "short title" in title.text                       # the area question was skipped
    await english.says("Broken street lamp")
    summary = await english.says("The lamp at the corner is dark since Monday.")
    assert "Area: QM Badstraße" in summary.text


async def test_aktionsfonds_explains_the_rules_and_corrects_amounts(staffed, english, db):
    await english.taps("Submit an idea")
    await english.taps("Aktionsfonds")
    await english.taps("QM Pankstraße")
    await english.says("Plant boxes")
    rules = await english.says("We want to build plant boxes with the neighbours.")
    assert "at most €1,500 per action" in rules.text
    assert "only material and consumables, no fees" in rules.text
    assert "nothing is paid for things bought before the decision" in rules.text
    assert "not fixed yet; the team will tell you" in rules.text     # no jury session known yet

    too_much = await english.says("2.000 €")
    assert "€2,000.00 is more than the Aktionsfonds can pay" in too_much.text
    not_a_number = await english.says("quite a lot")
    assert "could not read an amount" in not_a_number.text
    zero = await english.says("0")
    assert "greater than zero" in zero.text
    summary = await english.says("1.200,50 €")
    assert "Material costs: €1,200.50" in summary.text
    await english.taps("Send")
    [row] = await submissions(db)
    assert row.costs_cents == 120050


@pytest.mark.parametrize(("typed", "shown"), [("150", "€150.00"), ("150,50", "€150.50"), ("1.200 €", "€1,200.00"),
                                              ("1200 euro", "€1,200.00"), ("150,-", "€150.00")])
async def test_amounts_as_residents_write_them(staffed, english, typed, shown):
    await english.taps("Submit an idea")
    await english.taps("Aktionsfonds")
    await english.taps("QM Badstraße")
    await english.says("Street party")
    await english.says("A small street party.")
    summary = await english.says(typed)
    assert f"Material costs: {shown}" in summary.text


async def test_over_the_cap_can_become_a_project_idea(staffed, english, db):
    await english.taps("Submit an idea")
    await english.taps("Aktionsfonds")
    await english.taps("QM Badstraße")
    await english.says("Playground")
    await english.says("A new playground.")
    await english.says("25000")
    summary = await english.taps("Send it as a project idea")
    assert "photos" in summary.text                          # offered on the summary
    assert "Kind: Project idea" in summary.text and "Material costs" not in summary.text
    await english.taps("Send")
    [row] = await submissions(db)
    assert row.kind == "project" and row.costs_cents is None


async def test_next_jury_session_and_deadline_are_shown_when_known(staffed, english):
    from tests.meeting_tools import plan   # the jury session as staff plan it with /newmeeting
    await plan(staffed, area="badstrasse", body="jury", start=datetime(2027, 2, 14, 17, 0, tzinfo=timezone.utc),
               deadline=datetime(2027, 2, 7, 22, 0, tzinfo=timezone.utc))
    await english.taps("Submit an idea")
    await english.taps("Aktionsfonds")
    await english.taps("QM Badstraße")
    await english.says("Clean-up day")
    rules = await english.says("Gloves and bags for a clean-up day.")
    assert "The next jury session is on Sunday, February 14, 2027" in rules.text
    assert "by Sunday, February 7, 2027" in rules.text


async def test_a_part_can_be_changed_from_the_summary(staffed, english, db):
    await start_project_draft(english, "Old title")
    await english.says("Old text.")
    parts = await english.taps("Change something")
    assert {"Title", "Text or voice note", "Photos and location", "Area", "Kind"} <= set(parts.buttons)
    assert "Material costs" not in parts.buttons               # only for Aktionsfonds applications
    await english.taps("Title")
    summary = await english.says("New title")
    assert "Title: New title" in summary.text and "Old text." in summary.text
    await english.taps("Change something")
    await english.taps("Text or voice note")
    summary = await english.says("New text.")
    assert "New text." in summary.text and "Old text." not in summary.text
    await english.taps("Change something")
    await english.taps("Kind")
    costs = await english.taps("Aktionsfonds")               # now the amount is needed as well
    assert "How much will the material cost" in costs.text
    summary = await english.says("80")
    assert "Kind: Aktionsfonds application" in summary.text and "€80.00" in summary.text
    await english.taps("Send")
    [row] = await submissions(db)
    assert (row.title, row.text, row.kind, row.costs_cents) == ("New title", "New text.", "aktionsfonds", 8000)


async def test_cancel_asks_before_discarding_and_sends_nothing(staffed, english, db):
    await start_project_draft(english, "Something")
    question = await english.taps("Cancel")
    assert "Discard this draft?" in question.text
    back = await english.taps("No, continue")
    assert "Now describe it" in back.text                    # where they were
    await english.taps("Cancel")
    gone = await english.taps("Yes, discard it")
    assert "discarded" in gone.text
    assert await submissions(db) == [] and await outbox(db) == []
    fresh = await english.taps("Submit an idea")
    assert "What would you like to send" in fresh.text       # no stale draft offered


async def test_draft_survives_a_restart_and_can_be_resumed_or_discarded(staffed, english, db, clock):
    await start_project_draft(english, "Community garden")
    # The bot restarts: a new engine on the same database, nothing in memory.
    restarted = build_dialogs(SqlUnitOfWork(db.sessions, db.addresses), load_catalogs(), clock=clock,
                              staff_chat_id=STAFF_CHAT)
    again = ChatClient(restarted, chat_id=english.sender.chat_id, language_code="en")
    offer = await again.says("/start")
    assert "unfinished draft: “Community garden”" in offer.text
    resumed = await again.taps("Continue the draft")
    assert "Now describe it" in resumed.text
    summary = await again.says("Raised beds in the courtyard.")
    assert "Community garden" in summary.text and "Raised beds" in summary.text
    offer = await again.says("/menu")
    assert "unfinished draft" in offer.text
    menu = await again.taps("Discard it")
    assert "discarded" in menu.text and "Find my office" in " ".join(menu.buttons)
    assert await submissions(db) == []


async def test_changing_the_language_keeps_the_draft(staffed, english):
    await start_project_draft(english, "Bike repair")
    answer = await english.presses("lang:de")
    assert "unfertigen Entwurf: „Bike repair“" in answer.text
    resumed = await english.taps("Entwurf fortsetzen")
    assert "Beschreiben Sie es jetzt" in resumed.text


async def test_daily_limit_keeps_the_draft_until_tomorrow(db, clock):
    limited = build_dialogs(SqlUnitOfWork(db.sessions, db.addresses), load_catalogs(), clock=clock,
                            staff_chat_id=STAFF_CHAT, max_submissions_per_day=2)
    alex = ChatClient(limited, chat_id=2001, language_code="en")
    await alex.onboard("en")
    await send_project_idea(alex, title="One")
    await send_project_idea(alex, title="Two")
    start = await alex.presses("idea:new")
    assert "reached today's limit of 2 submissions" in start.text
    await alex.taps("Project idea")
    await alex.taps("QM Badstraße")
    await alex.says("Three")
    await alex.says("The third idea today.")
    refused = await alex.taps("Send")
    assert "already sent 2 submissions today" in refused.text and "draft is kept" in refused.text
    assert len(await submissions(db)) == 2
    clock.advance(days=1)
    offer = await alex.says("/start")
    assert "unfinished draft: “Three”" in offer.text
    summary = await alex.taps("Continue the draft")
    assert "Three" in summary.text
    sent = await alex.taps("Send")
    assert ref_in(sent.text) == "BAD-2026-003"


async def test_double_tap_on_send_stores_and_forwards_once(staffed, english, db):
    await start_project_draft(english, "Book exchange")
    await english.says("A shelf for books at the square.")
    first, second = await asyncio.gather(english.presses("idea:send"), english.presses("idea:send"))
    assert len(await submissions(db)) == 1
    assert len(await outbox(db, "staff_card")) == 1
    texts = first.text + second.text
    assert texts.count("Thank you!") == 1
    assert (first.toast or second.toast) == "This button is no longer valid."


async def test_limits_on_titles_texts_photos_and_voice_notes(staffed, english, db):
    await english.taps("Submit an idea")
    await english.taps("Project idea")
    await english.taps("QM Badstraße")
    long_title = "A very long title " * 6                     # ~108 characters: more than a title
    kept = await english.says(long_title)
    assert "kept it as your description" in kept.text
    await english.says("Short title")
    assert "photos (up to 5)" in english.last.text            # the description is there already: photos next
    for n in range(5):
        await english.sends("photo", file_id=f"P{n}")
    sixth = await english.sends("photo", file_id="P5")
    assert "already added 5 photos" in sixth.text
    long_voice = await english.sends("voice", file_id="V-long", duration=301)
    assert "5:01 long" in long_voice.text
    await english.sends("voice", file_id="V1", duration=10)
    await english.sends("voice", file_id="V2", duration=10)
    third = await english.sends("voice", file_id="V3", duration=10)
    assert "already added 2 voice notes" in third.text
    await english.taps("Change something")
    await english.taps("Text or voice note")
    too_long = await english.says("x" * (MAX_TEXT + 1))
    assert "2,001 characters; at most 2,000 fit" in too_long.text
    await english.says("A sensible text.")
    await english.taps("Send")
    [row] = await submissions(db)
    [card] = await outbox(db, "staff_card")
    assert [m.file_id for m in card.reply.media] == ["P0", "P1", "P2", "P3", "P4", "V1", "V2"]
    assert row.text == "A sensible text."


async def test_what_residents_type_is_escaped_everywhere(staffed, english, db):
    await start_project_draft(english, "<b>Bold</b> & <script>")
    summary = await english.says("Text with <i>tags</i> & ampersands")
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; &lt;script&gt;" in summary.html
    assert "<b>Bold</b>" not in summary.html
    await english.taps("Send")
    [card] = await outbox(db, "staff_card")
    assert "&lt;script&gt;" in card.reply.text and "<script>" not in card.reply.text
    mine = await english.says("/myideas")
    assert "&lt;b&gt;Bold" in mine.html


async def test_text_before_choosing_is_kept(staffed, english):
    await english.taps("Submit an idea")
    kept = await english.says("We need a zebra crossing at Badstraße school")
    assert "kept your text for the description" in kept.text
    await english.taps("Project idea")
    await english.taps("QM Badstraße")
    photos = await english.says("Zebra crossing")              # title: the description is there already
    assert "photos" in photos.text


async def test_ask_the_team_is_a_question_submission(staffed, english, db):
    await english.taps("Ask the team")
    await english.taps("QM Badstraße")
    summary = await english.says("When is the next neighbourhood council meeting?")
    assert "Kind: Question to the team" in summary.text
    sent = await english.taps("Send")
    assert "Your question is with the team" in sent.text
    [row] = await submissions(db)
    assert row.kind == "question" and row.title == "When is the next neighbourhood council meeting?"
    [card] = await outbox(db, "staff_card")
    assert "💬 Antworten" in card.buttons and "✏️ Bitte überarbeiten" not in card.buttons


async def test_ask_command_with_the_question_right_away(staffed, english, db):
    await english.says("Swinemünder Straße 64")               # area known
    summary = await english.says("/ask Is the office open on Friday?")
    assert "Is the office open on Friday?" in summary.text and "Send" in " ".join(summary.buttons)
    await english.taps("Send")
    [row] = await submissions(db)
    assert row.area_key == "brunnenstrasse" and row.ref == "BRU-2026-001"


async def test_my_ideas_lists_what_was_sent(staffed, english):
    empty = await english.says("/myideas")
    assert "not sent anything" in empty.text
    ref = await send_project_idea(english, title="Tree sponsorship")
    listed = await english.taps("My submissions")
    assert ref in listed.text and "Tree sponsorship" in listed.text
    assert "received, the team will look at it" in listed.text


async def test_references_are_unique_when_many_residents_send_at_once(staffed, db, clock):
    residents = [ChatClient(staffed, chat_id=3000 + n, language_code="en") for n in range(12)]
    for r in residents:
        await r.onboard("en")
        await draft_project_idea(r, f"Idea {r.sender.chat_id}", "Something for the neighbourhood.")
    answers = await asyncio.gather(*(r.presses("idea:send") for r in residents))
    refs = sorted(ref_in(a.text) for a in answers)
    assert refs == [f"BAD-2026-{n:03d}" for n in range(1, 13)]
    assert len(await outbox(db, "staff_card")) == 12
    other = ChatClient(staffed, chat_id=3100, language_code="en")
    await other.onboard("en")
    assert await send_project_idea(other, area="QM Pankstraße") == "PAN-2026-001"   # counted per area
    clock.now = datetime(2027, 1, 1, 9, 0, tzinfo=timezone.utc)
    assert await send_project_idea(other, title="New year") == "BAD-2027-001"         # and per year


@settings(max_examples=200, deadline=None)
@given(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2),
       st.sampled_from(["de", "en", "tr", "ar", "ru", "uk", "pl", "bg", "ro"]))
def test_amounts_in_any_of_our_locales_read_back(amount, locale):
    assert parse_amount(format_currency(amount, "EUR", locale=locale)) == amount


@pytest.mark.parametrize("typed", ["100-200", "viel", "1.20.0", "-50", "150 und 20", "12,345,6"])
def test_what_is_not_one_amount_is_refused(typed):
    assert parse_amount(typed) is None


async def test_removing_the_only_voice_note_asks_for_the_description_again(staffed, english):
    await start_project_draft(english, "Voice only")
    await english.sends("voice", file_id="V1", duration=12)
    await english.taps("Next")
    await english.taps("Change something")
    edit = await english.taps("Text or voice note")
    assert "Remove the voice notes" in " ".join(edit.buttons)
    emptied = await english.taps("Remove the voice notes")
    assert "Send the new text" in emptied.text
    back = await english.taps("Back to the summary")
    assert "Now describe it in your own words" in back.text        # nothing to send without a description
    summary = await english.says("Now with words.")
    assert "Now with words." in summary.text and "voice note" not in summary.text


async def test_looking_at_events_in_the_middle_of_a_draft_keeps_it(staffed, english, db):
    await start_project_draft(english, "Tool library")
    await english.says("Lending drills and ladders from the office.")
    events = await english.says("/events")
    assert "Upcoming events" in events.text
    assert "Your unfinished draft “Tool library” is kept" in events.text
    await english.says("/cancel")                              # another flow's /cancel keeps it too
    offer = await english.taps("Submit an idea")
    assert "unfinished draft: “Tool library”" in offer.text
    summary = await english.taps("Continue the draft")
    assert "photos" in summary.text                            # where they were: the summary offers photos
    assert "Lending drills and ladders" in summary.text        # the text is still there
    sent = await english.taps("Send")
    assert ref_in(sent.text)
    assert len(await submissions(db)) == 1
    fresh = await english.taps("Submit an idea")
    assert "What would you like to send" in fresh.text         # nothing parked any more


async def test_cancel_command_in_a_draft_keeps_it_for_later_and_it_can_be_discarded(staffed, english, db):
    await start_project_draft(english, "Bench by the canal")
    cancelled = await english.says("/cancel")
    assert "“Bench by the canal” is kept" in cancelled.text
    offer = await english.says("/start")
    assert "unfinished draft: “Bench by the canal”" in offer.text
    menu = await english.taps("Discard it")
    assert "discarded" in menu.text
    assert await submissions(db) == []
    assert "What would you like to send" in (await english.taps("Submit an idea")).text
