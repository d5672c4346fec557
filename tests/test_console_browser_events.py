"""Events in a real browser (Debian's Chromium, headless, Selenium), end to end through (fake) Telegram:

    Dana asks the bot for a console link -> signs in -> Veranstaltungen -> Neue Veranstaltung -> fills in the
    form and publishes -> a resident in Telegram opens the bot's event list, opens the event and signs up for
    two -> the console's sign-up list of that event shows the resident with the party size.

A missing browser is a failure, never a skip (tests/test_console_browser.py). With CONSOLE_SCREENSHOTS=docs
the screenshots docs/console-events.png (the event with its sign-ups and waitlist), docs/console-events-phone.png,
docs/console-event-new.png (the form) and docs/console-events-list.png are written.
"""
from __future__ import annotations

import re

from dialogs.events.signups import book
from tests.event_helpers import add_resident
from tests.staff_tools import add_staff
from tests.test_console_browser import PHONE, Browser, browser, world  # noqa: F401

EVENT_PAGE = re.compile(r"/console/events/(\d+)\?done=created$")


async def neighbours_sign_up(db, dialogs, event_id: int) -> None:  # noqa: ANN001
    """More residents, through the chat's own rule: the list fills, two wait."""
    for chat_id, name, party, language in ((7101, "Familie Yılmaz", 3, "tr"), (7102, "Jörg", 1, "de"),
                                           (7103, "Marta K.", 2, "pl"), (7104, "Oksana", 1, "uk"),
                                           (7105, "Ahmad", 3, "ar"), (7106, "Nachbarschaftsgruppe Panke", 4, "de"),
                                           (7107, "Lea", 1, "de")):
        await add_resident(db, chat_id, language)
        async with dialogs.uow(chat_id) as store:
            await book(store, dialogs, dialogs.clock(), event_id, chat_id, name, party)


async def test_an_event_made_in_the_console_gets_a_sign_up_from_telegram_that_the_console_lists(
        world, browser, db, dialogs):
    tg, base = world
    await add_staff(db, 9001, "Dana")
    dana = tg.user(9001, first_name="Dana", language_code="de")
    await browser.sign_in(dana, "Dana")

    await browser.run((await browser.find("nav.main-nav a[href$='/events']")).click)
    await browser.expect("Keine kommenden Veranstaltungen")
    await browser.run((await browser.find("a[href$='/events/new']")).click)
    await browser.expect("Titel und Beschreibung")
    for field, value in (("title_de", "Adventsbasteln im Kiez"),
                         ("description_de", "Wir basteln Sterne und Laternen. Material ist da, Kinder willkommen."),
                         ("start", "03.12.2026 16:00"), ("end", "18:30"),
                         ("place", "Nachbarschaftsladen, Badstraße 10"), ("capacity", "12")):
        await browser.run((await browser.find(f"#{field}")).send_keys, value)
    await browser.screenshot("console-event-new.png")
    await browser.run((await browser.find("details.more summary")).click)
    await browser.run((await browser.find("#title_en")).send_keys, "Advent crafts in the Kiez")
    await browser.run((await browser.find("form.edit button[type=submit]")).click)
    await browser.expect("Veröffentlicht.")
    event_id = int(EVENT_PAGE.search(browser.driver.current_url).group(1))
    assert "Noch niemand hat sich angemeldet." in await browser.text()

    ayse = tg.user(6101, first_name="Ayşe", language_code="tr")

    async def step(action) -> object:  # noqa: ANN001
        await action
        [answer] = await ayse.wait_messages(1, timeout=10)
        return answer

    await step(ayse.send("/start"))
    await step(ayse.press(None, "lang:tr"))
    await step(ayse.press(None, "consent:yes"))
    listing = await step(ayse.send("/events"))
    assert "Adventsbasteln im Kiez" in listing.text           # no Turkish title: the German one
    await step(ayse.press(None, f"ev:show:{event_id}:a"))
    await step(ayse.press(None, f"ev:join:{event_id}"))
    await step(ayse.press(None, f"ev:party:{event_id}:2"))

    await neighbours_sign_up(db, dialogs, event_id)
    await browser.run(browser.driver.get, f"{base}/console/events/{event_id}")
    page = await browser.expect("Ayşe")
    assert re.search(r"1 Ayşe 2 ", page), page                 # first, with her party of two
    assert "Angemeldet 6" in page and "Warteliste 2" in page and "12 von 12 vergeben" in page
    await browser.screenshot("console-events.png")
    await browser.screenshot("console-events-phone.png", PHONE)

    await browser.run((await browser.find("nav.main-nav a[href$='/events']")).click)
    listed = await browser.expect("Adventsbasteln im Kiez")
    assert "12 von 12" in listed
    await browser.screenshot("console-events-list.png")
