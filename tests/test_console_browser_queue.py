"""The queue in a real browser (Debian's Chromium, headless, Selenium), end to end through (fake) Telegram:

    a resident sends an idea with a photo and a voice note in Telegram (Turkish) -> Dana asks the bot for a
    console link -> signs in -> Queue -> opens the idea (German translation and the original, the photo and
    the voice note streamed from Telegram) -> Approve -> the resident gets the outcome in Turkish, in Telegram.

A missing browser is a failure, never a skip (tests/test_console_browser.py). With CONSOLE_SCREENSHOTS=docs
the screenshots docs/console-queue.png and docs/console-submission.png are written.
"""
from __future__ import annotations

import asyncio
from pathlib import Path

import pytest_asyncio
from aiohttp.test_utils import TestServer
from sqlalchemy import select, update

from bot.telegram import TelegramTransport, build_dispatcher, make_bot
from console.app import build_console, standalone
from console.web import ConsoleConfig
from dialogs.console_signin import staff_flow as console_signin
from dialogs.core.messages import reply_from_dict
from dialogs.translation.jobs import JobRequest, Source
from storage.ideas import SubmissionRow
from storage.models import OutboxRow
from storage.translation import SqlTranslationJobs, TranslationJobRow
from tests.console_tools import a_submission
from tests.fake_telegram import FakeTelegram
from tests.ideas_helpers import ref_in
from tests.staff_tools import add_staff
from tests.test_console_browser import PHONE, Browser, browser, free_port  # noqa: F401

PHOTO = Path(__file__).parent / "data" / "panke-path.png"


@pytest_asyncio.fixture
async def world(dialogs, db, clock):
    """The fake Telegram, kiezbot polling it, and the console on a real port fetching files from that Telegram."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    console_signin.configure(dialogs, base_url=base, valid_minutes=10)
    async with FakeTelegram() as tg:
        config = ConsoleConfig(base, telegram_api=tg.base_url, bot_token=tg.token)
        server = TestServer(standalone(build_console(config, db.sessions, clock)), host="127.0.0.1", port=port)
        await server.start_server()
        bot = make_bot(tg.token, tg.base_url)
        transport = TelegramTransport(bot, dialogs)
        dp = build_dispatcher(transport)
        polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False, close_bot_session=False,
                                                       polling_timeout=2))
        try:
            yield tg, base, transport
        finally:
            await dp.stop_polling()
            await asyncio.wait_for(polling, 10)
            await bot.session.close()
            await server.close()


async def deliver_outbox(db, transport: TelegramTransport) -> int:
    """What the delivery engine does with pending rows (once, in order)."""
    async with db.sessions() as session, session.begin():
        rows = (await session.execute(select(OutboxRow).where(OutboxRow.state == "pending")
                                      .order_by(OutboxRow.id))).scalars().all()
        for row in rows:
            await transport.send(row.chat_id, reply_from_dict(row.payload), None)
            row.state = "sent"
    return len(rows)


async def translated(db, ref: str, fields: dict[str, str]) -> None:
    """What the translation runner would have stored for ``ref`` (German, from Turkish)."""
    async with db.sessions() as session, session.begin():
        sub_id = await session.scalar(select(SubmissionRow.id).where(SubmissionRow.ref == ref))
        for field, result in fields.items():
            await SqlTranslationJobs(session).request(JobRequest("translate", Source("submission", sub_id, field),
                                                                 "de", text="…", source_language="tr"))
            await session.execute(update(TranslationJobRow).where(TranslationJobRow.source_id == sub_id,
                                                                  TranslationJobRow.source_field == field)
                                  .values(status="done", result=result, detected_language="tr"))


async def test_open_a_submission_in_the_queue_approve_it_and_the_resident_hears_it_in_telegram(
        world, browser, db, clock):
    tg, _base, transport = world
    await add_staff(db, 9001, "Dana")
    ada = tg.user(6001, first_name="Ayşe", language_code="tr")

    async def step(action) -> object:
        await action
        [message] = await ada.wait_messages(1, timeout=10)
        return message

    await step(ada.send("/start"))
    await step(ada.press(None, "lang:tr"))
    await step(ada.press(None, "consent:yes"))
    await step(ada.press(None, "idea:new"))
    await step(ada.press(None, "idea:kind:project"))
    await step(ada.press(None, "idea:area:badstrasse"))
    await step(ada.send("Panke yolunda banklar"))
    await step(ada.send("Panke yolunda daha fazla bank olsun, yaşlı komşular dinlenebilsin. Özellikle köprü ile "
                        "oyun alanı arasında hiç oturacak yer yok."))
    await step(ada.press(None, "idea:edit"))                 # "Change something" on the summary
    await step(ada.press(None, "idea:edit:media"))           # "Photos and location"
    await step(ada.send_photo(PHOTO.read_bytes()))
    await step(ada.send_voice(duration=42))
    await step(ada.press(None, "idea:next:media"))
    thanks = await step(ada.press(None, "idea:send"))
    ref = ref_in(thanks.text)
    await translated(db, ref, {"title": "Bänke am Panke-Weg",
                               "text": "Mehr Bänke am Panke-Weg, damit ältere Nachbarn sich ausruhen können. "
                                       "Vor allem zwischen Brücke und Spielplatz gibt es keinen Sitzplatz."})
    await deliver_outbox(db, transport)
    for n, (title, kind, area, language, days) in enumerate((
            ("Nachbarschaftsfest im Sommer", "aktionsfonds", "badstrasse", "de", 6),
            ("Sperrmüll im Hof Koloniestraße", "hint", "soldiner", "ar", 4),
            ("Wann hat das Vor-Ort-Büro offen?", "question", "pankstrasse", "ru", 2),
            ("Bücherschrank am Nettelbeckplatz", "project", "pankstrasse", "de", 1.5),
            ("Hochbeete für die Kita", "aktionsfonds", "brunnenstrasse", "tr", 0.5))):
        await a_submission(db, clock, chat_id=7000 + n, title=title, kind=kind, area=area, language=language,
                           text="…", days_ago=days)

    for chat_id, title, text, days in ((6001, "Oyun alanında çöp kutusu", "Oyun alanında çöp kutusu yok.", 30),
                                       (7100, "Panke yolunda bank", "Panke yolunda yaşlılar için bank olsun.", 60)):
        earlier = await a_submission(db, clock, chat_id=chat_id, title=title, text=text, language="tr",
                                     days_ago=days)
        async with db.sessions() as session, session.begin():
            await session.execute(update(SubmissionRow).where(SubmissionRow.ref == earlier)
                                  .values(status="approved"))

    dana = tg.user(9001, first_name="Dana", language_code="de")
    await browser.sign_in(dana, "Dana")

    await browser.run((await browser.find("nav.main-nav a[href$='/queue']")).click)
    queue = await browser.expect("6 Einsendungen passen")
    assert queue.index("Nachbarschaftsfest") < queue.index("Bänke am Panke-Weg")          # oldest first
    assert "Bänke am Panke-Weg\nPanke yolunda banklar" in queue          # the German title, the original beneath
    await browser.screenshot("console-queue.png")

    await browser.run((await browser.find(f"a.title[href$='/queue/{ref}']")).click)
    page = await browser.expect("Bänke am Panke-Weg")
    assert "maschinelle übersetzung aus türkisch" in page.lower() and "Mehr Bänke am Panke-Weg" in page and "Panke yolunda daha fazla bank" in page
    photo = await browser.find(".media img")
    width = await browser.run(browser.driver.execute_async_script, """
        const img = arguments[0], done = arguments[arguments.length - 1];
        if (img.complete) done(img.naturalWidth); else img.onload = img.onerror = () => done(img.naturalWidth);""",
                              photo)
    assert width == 480                                        # the resident's photo, streamed from Telegram
    audio = await browser.find(".media audio")
    duration = await browser.run(browser.driver.execute_async_script, """
        const audio = arguments[0], done = arguments[arguments.length - 1];
        fetch(audio.src).then(r => r.arrayBuffer()).then(b => done(b.byteLength)).catch(e => done(String(e)));""",
                                 audio)
    assert duration == 70                                      # the fake voice note's bytes, streamed through
    await browser.screenshot("console-submission.png")
    await browser.screenshot("console-submission-phone.png", PHONE)

    await browser.run((await browser.find("#approve")).click)
    await browser.expect("Angenommen. Die Person wird benachrichtigt.")
    assert "Entschieden von Dana" in await browser.text()
    assert await deliver_outbox(db, transport) == 1
    [notice] = await ada.wait_messages(1, timeout=10)
    assert "Güzel haber" in notice.text and ref in notice.text
