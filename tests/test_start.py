"""First contact, menu and the commands that work everywhere — as a resident experiences them.

On the memory store (tests/memory_store.py): these test flows, not storage; tests/test_store_contract.py
holds the memory store to what the SQL stores do.
"""
from __future__ import annotations

import pytest

from tests.memory_store import MemoryUnitOfWork, memory_dialogs


@pytest.fixture
def memory():
    return MemoryUnitOfWork()


@pytest.fixture
def dialogs(memory, clock):
    return memory_dialogs(memory, clock)


async def test_start_proposes_the_telegram_language_and_asks(resident):
    answer = await resident.says("/start")
    assert "Welche Sprache" in answer.text
    assert answer.buttons[0] == "✓ Deutsch"          # proposed from Telegram's language_code
    assert "English" in answer.buttons


async def test_english_speaker_gets_english_proposed(dialogs):
    from tests.chat import ChatClient
    client = ChatClient(dialogs, chat_id=77, language_code="en-GB")
    answer = await client.says("/start")
    assert answer.buttons[0] == "✓ English"
    assert "Which language" in answer.text


async def test_first_contact_language_notice_menu(resident, memory):
    await resident.says("/start")
    notice = await resident.taps("English")
    assert "Privacy in short" in notice.text and "/privacy" in notice.text
    menu = await resident.taps("OK")
    assert "What would you like to do?" in menu.text
    assert "📍 Find my office" in menu.buttons
    row = memory.data.residents[resident.sender.chat_id]
    assert row.language == "en" and row.consent_at is not None


async def test_nothing_but_language_is_stored_before_consent(resident, memory):
    await resident.says("/start")
    await resident.taps("Deutsch")
    row = memory.data.residents[resident.sender.chat_id]
    assert row.language == "de"
    assert row.consent_at is None and row.display_name == "" and row.area_key is None


async def test_nothing_typed_before_consent_is_stored(resident, memory):
    first = await resident.says("Ich bin Zyxwa Quokkason, 0176 5550 9731, Badstraße 10")
    assert "nicht gespeichert" in first.text        # told so, in their (Telegram's) language
    assert "Welche Sprache" in first.text          # no language yet: asked first
    await resident.sends("location", latitude=52.55, longitude=13.38)
    await resident.taps("English")
    stored = str(memory.data.tables)               # not in the conversation, not anywhere else
    assert "Quokkason" not in stored and "5550" not in stored and "52.55" not in stored
    resident_row = memory.data.residents[resident.sender.chat_id]
    assert resident_row.language == "en" and resident_row.consent_at is None
    answer = await resident.taps("OK")
    assert "What would you like to do?" in answer.text and "QM Badstraße" not in answer.text
    again = await resident.says("Badstraße 10")    # sent again after consent: answered
    assert "QM Badstraße" in again.text


async def test_cancel_returns_to_menu_from_any_step(english):
    await english.taps("Find my office")
    answer = await english.says("/cancel")
    assert "Cancelled" in answer.text
    assert "📍 Find my office" in answer.buttons
    again = await english.says("/cancel")           # nothing to cancel: just the menu
    assert "Cancelled" not in again.text and "📍 Find my office" in again.buttons


async def test_language_can_be_changed_any_time(english):
    answer = await english.says("/language")
    assert "Deutsch" in " ".join(answer.buttons)
    changed = await english.taps("Deutsch")
    assert "auf Deutsch" in changed.text and "📍 Büro finden" in changed.buttons


async def test_help_lists_commands_in_the_residents_language(german):
    answer = await german.says("/help")
    assert "/cancel" in answer.text and "/language" in answer.text
    assert "Sprache wählen" in answer.text


async def test_about_names_the_address_data_source(english):
    answer = await english.says("/about")
    assert "Geoportal Berlin / Adressen Berlin" in answer.text
    assert "dl-de/by-2-0" in answer.text


async def test_privacy_shows_the_full_text(english):
    answer = await english.says("/privacy")
    assert "Privacy notice" in answer.text and "How long" in answer.text


async def test_unknown_command_gets_a_friendly_answer(english):
    answer = await english.says("/frobnicate")
    assert "/frobnicate" in answer.text and "📍 Find my office" in answer.buttons


async def test_forged_button_changes_nothing(english, memory):
    answer = await english.presses("lang:xx")
    assert answer.toast and "no longer valid" in answer.toast
    assert memory.data.residents[english.sender.chat_id].language == "en"


async def test_step_survives_a_restart(english, memory, clock):
    """A new Dialogs (as after a restart) continues where the resident was."""
    from tests.chat import ChatClient

    await english.taps("Find my office")
    assert memory.data.conversation(1002).step == "office.address"
    restarted = memory_dialogs(memory, clock)           # the same stored data, a new app
    again = ChatClient(restarted, chat_id=1002, language_code="en")
    answer = await again.says("Prinzenallee 10")
    assert "QM Badstraße" in answer.text


async def test_the_notice_on_whatsapp_names_the_phone_number_it_keeps(dialogs):
    """On WhatsApp the identity kept is the phone number: the short and the full notice say so."""
    from dataclasses import replace

    from tests.chat import ChatClient
    client = ChatClient(dialogs, chat_id=8 * 10**15 + 5, language_code="tr")
    client.sender = replace(client.sender, channel="whatsapp")
    await client.says("/start")
    notice = await client.taps("Türkçe")
    assert "WhatsApp telefon numaranızı" in notice.text
    full = await client.taps("Metnin tamamını oku")
    assert "WhatsApp telefon numaranızı" in full.text
    telegram = ChatClient(dialogs, chat_id=78, language_code="tr")
    await telegram.says("/start")
    assert "WhatsApp" not in (await telegram.taps("Türkçe")).text
