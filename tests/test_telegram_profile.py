"""What people see before they press Start: the bot's description and short description, in the language
of their Telegram app, published at start-up and only rewritten when a text changed."""
from __future__ import annotations

import pytest_asyncio

from bot.telegram import TelegramTransport, make_bot
from tests.fake_telegram import FakeTelegram


@pytest_asyncio.fixture
async def tg():
    async with FakeTelegram() as server:
        yield server


@pytest_asyncio.fixture
async def transport(tg, dialogs):
    bot = make_bot(tg.token, tg.base_url)
    try:
        yield TelegramTransport(bot, dialogs)
    finally:
        await bot.session.close()


async def test_start_up_publishes_description_and_short_description_per_language(tg, transport):
    await transport.set_commands()             # what kiezbot runs at start-up
    assert "Quartiersmanagement" in tg.description() and "Aktionsfonds" in tg.description()   # German: default
    assert tg.description("en").startswith("Hello! I am kiezbot")
    assert "neighbourhood management office" in tg.short_description("en")
    assert "фонд инициатив" in tg.description("ru")
    assert "фонду акцій" not in tg.description("uk") and "фонду ініціатив" in tg.description("uk")
    assert "صندوق المبادرات" in tg.description("ar")
    assert "Aktionsfonds" in tg.description("tr") and "Eylem" not in tg.description("tr")
    for code in ("en", "tr", "ar", "ru", "uk", "pl", "ro", "bg"):
        assert tg.description(code) and tg.description(code) != tg.description(), code
        assert 0 < len(tg.short_description(code)) <= 120, code
    # Einfache Sprache is a variant of German: it shares the German profile, no "de" entry of its own.
    assert tg.description("de") == ""


async def test_a_restart_reads_the_texts_and_writes_nothing_when_unchanged(tg, transport):
    assert await transport.set_profile() == 18          # 9 languages x 2 texts, the first time
    writes = len(tg.requests_for("setMyDescription")) + len(tg.requests_for("setMyShortDescription"))
    assert writes == 18
    assert await transport.set_profile() == 0
    assert len(tg.requests_for("setMyDescription")) + len(tg.requests_for("setMyShortDescription")) == writes
    assert len(tg.requests_for("getMyDescription")) == 18                     # read each time, per language


async def test_a_changed_text_is_written_again_for_that_language_only(tg, transport):
    await transport.set_profile()
    tg._bot(None).descriptions["pl"] = "stary opis"       # someone edited it in @BotFather
    before = len(tg.requests_for("setMyDescription"))
    assert await transport.set_profile() == 1
    [last] = tg.requests_for("setMyDescription")[before:]
    assert last.params.get("language_code") == "pl"
    assert tg.description("pl").startswith("Dzień dobry! Jestem kiezbot")
