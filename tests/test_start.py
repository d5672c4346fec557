"""First contact, menu and the commands that work everywhere — as a resident experiences them."""
from __future__ import annotations

from sqlalchemy import select

from storage.models import ConversationRow, ResidentRow


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


async def test_first_contact_language_notice_menu(resident, db):
    await resident.says("/start")
    notice = await resident.taps("English")
    assert "Privacy in short" in notice.text and "/privacy" in notice.text
    menu = await resident.taps("OK")
    assert "What would you like to do?" in menu.text
    assert "📍 Find my office" in menu.buttons
    async with db.sessions() as session:
        row = await session.get(ResidentRow, resident.sender.chat_id)
    assert row.language == "en" and row.consent_at is not None


async def test_nothing_but_language_is_stored_before_consent(resident, db):
    await resident.says("/start")
    await resident.taps("Deutsch")
    async with db.sessions() as session:
        row = await session.get(ResidentRow, resident.sender.chat_id)
    assert row.language == "de"
    assert row.consent_at is None and row.display_name == "" and row.area_key is None


async def test_nothing_typed_before_consent_is_stored(resident, db):
    first = await resident.says("Ich bin Zyxwa Quokkason, 0176 5550 9731, Badstraße 10")
    assert "nicht gespeichert" in first.text        # told so, in their (Telegram's) language
    assert "Welche Sprache" in first.text          # no language yet: asked first
    await resident.sends("location", latitude=52.55, longitude=13.38)
    await resident.taps("English")
    async with db.sessions() as session:           # not in the conversation, not anywhere else
        conversations = (await session.execute(select(ConversationRow))).scalars().all()
        resident_row = await session.get(ResidentRow, resident.sender.chat_id)
    assert all("Quokkason" not in str(c.data) and "5550" not in str(c.data) and "52.55" not in str(c.data)
               for c in conversations)
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


async def test_forged_button_changes_nothing(english, db):
    answer = await english.presses("lang:xx")
    assert answer.toast and "no longer valid" in answer.toast
    async with db.sessions() as session:
        row = await session.get(ResidentRow, english.sender.chat_id)
    assert row.language == "en"


async def test_step_survives_a_restart(english, db, clock):
    """A new Dialogs (as after a restart) continues where the resident was."""
    from dialogs.app import build_dialogs
    from locales import load_catalogs
    from storage.unit_of_work import SqlUnitOfWork
    from tests.chat import ChatClient

    await english.taps("Find my office")
    async with db.sessions() as session:
        step = await session.scalar(select(ConversationRow.step).where(ConversationRow.chat_id == 1002))
    assert step == "office.address"
    restarted = build_dialogs(SqlUnitOfWork(db.sessions, db.addresses), load_catalogs(), clock=clock)
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
