"""A broadcast from the console in a real browser (Debian's Chromium, headless, Selenium), end to end through
(fake) Telegram:

    residents start kiezbot in Telegram (Turkish, English, German) -> Dana asks the bot for a console link ->
    signs in -> Rundschreiben -> Neues Rundschreiben -> writes German, English and Turkish -> Vorschau (who gets
    which version, how many) -> schedules it for 10:45 (the test clock says 10:30 in Berlin) -> confirms ->
    the progress page says "geplant" -> at 10:30 the delivery engine sends nothing -> at 10:46 it sends, and
    each resident reads it in Telegram in their language -> the progress page counts them as sent, by itself.

The delivery engine is the one of `kiezbot run` (bot/delivery/outbox_sender.py with bot/delivery/broadcasts.py),
driven here on the test clock. A missing browser is a failure, never a skip (tests/test_console_browser.py).
With CONSOLE_SCREENSHOTS=docs the screenshot docs/console-broadcast.png is written.
"""
from __future__ import annotations

import asyncio

import pytest_asyncio
from aiohttp.test_utils import TestServer

from bot.delivery.outbox_sender import TelegramSender
from bot.telegram import TelegramTransport, build_dispatcher, make_bot
from console.app import build_console, standalone
from console.web import ConsoleConfig
from dialogs.console_signin import staff_flow as console_signin
from storage.models import ResidentRow
from tests.fake_telegram import FakeTelegram
from tests.staff_tools import add_staff
from tests.test_broadcast import delivery
from tests.test_console_browser import PHONE, Browser, browser, free_port  # noqa: F401

GERMAN = "Am Samstag, 28. November, ist Kiezfest auf dem Nettelbeckplatz – ab 14 Uhr, Eintritt frei.\nBringt gern Kuchen mit!"
ENGLISH = "Street party on Nettelbeckplatz this Saturday, 28 November, from 2 pm – free entry.\nCake is welcome!"
TURKISH = "28 Kasım Cumartesi günü Nettelbeckplatz'da mahalle şenliği var – saat 14'ten itibaren, giriş ücretsiz."
NEIGHBOURS = {6101: "de", 6102: "de", 6103: "tr", 6104: "ar", 6105: "ru", 6106: "de_simple", 6107: "uk", 6108: "pl"}


@pytest_asyncio.fixture
async def world(dialogs, db, clock):
    """The fake Telegram, kiezbot polling it, the console on a real port, and a bot to deliver through."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    console_signin.configure(dialogs, base_url=base, valid_minutes=10)
    async with FakeTelegram() as tg:
        server = TestServer(standalone(build_console(ConsoleConfig(base), db.sessions, clock, texts=dialogs)),
                            host="127.0.0.1", port=port)
        await server.start_server()
        bot = make_bot(tg.token, tg.base_url)
        dp = build_dispatcher(TelegramTransport(bot, dialogs))
        polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False, close_bot_session=False,
                                                       polling_timeout=2))
        try:
            yield tg, bot
        finally:
            await dp.stop_polling()
            await asyncio.wait_for(polling, 10)
            await bot.session.close()
            await server.close()


async def start_kiezbot(tg, user_id: int, name: str, language: str):  # noqa: ANN001, ANN201
    """A resident starts kiezbot in Telegram: language, privacy notice — then they can be reached."""
    person = tg.user(user_id, first_name=name, language_code=language)
    await person.send("/start")
    [ask] = await person.wait_messages(1, timeout=10)
    await person.press(ask, f"lang:{language}")
    [notice] = await person.wait_messages(1, timeout=10)
    await person.press(notice, "consent:yes")
    await person.wait_messages(1, timeout=10)
    return person


async def click(browser: Browser, css: str) -> None:
    """Click as a person does: scrolled into the middle of the window first (the form's action bar sticks to
    the bottom edge)."""
    element = await browser.find(css)
    await browser.run(browser.driver.execute_script, "arguments[0].scrollIntoView({block: 'center'})", element)
    await browser.run(element.click)


async def page_width(browser: Browser, size: tuple[int, int]) -> int:
    """How wide the page is laid out in a window of ``size`` (wider than the window: it scrolls sideways)."""
    metrics = {"width": size[0], "height": size[1], "deviceScaleFactor": 1, "mobile": True}
    await browser.run(browser.driver.execute_cdp_cmd, "Emulation.setDeviceMetricsOverride", metrics)
    try:
        return await browser.run(browser.driver.execute_script, "return document.documentElement.scrollWidth")
    finally:
        await browser.run(browser.driver.execute_cdp_cmd, "Emulation.clearDeviceMetricsOverride", {})


async def type_into(browser: Browser, css: str, text: str) -> None:
    element = await browser.find(css)
    await browser.run(element.clear)
    await browser.run(element.send_keys, text)


async def test_compose_a_broadcast_schedule_it_and_residents_get_it_in_their_language_at_its_time(
        world, browser, db, dialogs, clock):
    tg, bot = world
    await add_staff(db, 9001, "Dana")
    ayse = await start_kiezbot(tg, 6001, "Ayşe", "tr")
    ada = await start_kiezbot(tg, 6002, "Ada", "en")
    dieter = await start_kiezbot(tg, 6003, "Dieter", "de")
    async with db.sessions() as session, session.begin():            # more neighbours, already known to kiezbot
        session.add_all([ResidentRow(chat_id=chat, language=language, consent_at=clock())
                         for chat, language in NEIGHBOURS.items()])
    for chat in NEIGHBOURS:
        tg.user(chat).register()

    dana = tg.user(9001, first_name="Dana", language_code="de")
    await browser.sign_in(dana, "Dana")

    await click(browser, "nav.main-nav a[href$='/broadcasts']")
    await browser.expect("Noch keine Rundschreiben.")
    await click(browser, "a.primary[href$='/broadcasts/new']")
    await browser.expect("Wer bekommt es?")
    await type_into(browser, "#text_de", GERMAN)
    await click(browser, "details.languages summary")
    await type_into(browser, "#text_en", ENGLISH)
    await type_into(browser, "#text_tr", TURKISH)
    await click(browser, "button[value=preview]:not(.visually-hidden)")
    page = await browser.expect("Geht an 11 Personen")
    assert "4 davon bekommen den deutschen Text (keine Fassung in der eigenen Sprache)." in page
    assert "Türkçe 2 eigener Text" in page and "Einfache Sprache 1 der deutsche Text" in page
    assert "yalnızca Almanca" not in page and "Kiezfest" in page
    await browser.screenshot("console-broadcast.png", (1366, 1000))
    await browser.screenshot("console-broadcast-phone.png", PHONE, scroll_to=".preview-panel")
    assert await page_width(browser, PHONE) <= PHONE[0]                # a phone never scrolls sideways

    await click(browser, "input[name=when][value=later]")
    await type_into(browser, "#send_at", "24.11.2026 10:45")
    await click(browser, "button[value=confirm]")
    page = await browser.expect("Prüfen und senden")
    assert "Alle Bewohner*innen" in page and "Dienstag, 24. November 2026 um 10:45" in page
    await click(browser, "#send")
    page = await browser.expect("Geplant. Es geht am Dienstag, 24. November 2026 um 10:45 raus")
    assert "geplant" in page

    sender = TelegramSender(bot)
    before = [len(p.inbox) for p in (ayse, ada, dieter)]
    await delivery(db, dialogs, clock, sender).drain()                 # 10:30 in Berlin: not yet
    assert [len(p.inbox) for p in (ayse, ada, dieter)] == before
    clock.advance(minutes=16)
    await delivery(db, dialogs, clock, sender).drain()
    [turkish] = await ayse.wait_messages(1, timeout=10)
    [english] = await ada.wait_messages(1, timeout=10)
    [german] = await dieter.wait_messages(1, timeout=10)
    assert turkish.text.endswith(TURKISH) and english.text.endswith(ENGLISH.split("\n")[1])
    assert german.text.endswith("Bringt gern Kuchen mit!") and "Quartiersmanagement" in german.text
    page = await browser.expect("11 von 11 erledigt")                  # the page asked the server by itself
    assert "Zugestellt\n11" in page and "Rundschreiben stoppen" not in page
    await browser.screenshot("console-broadcast-progress.png")
