"""The session pages in a real browser (Debian's Chromium, headless, Selenium): Dana signs in by the bot's
link from (fake) Telegram -> Sitzungen -> plans a Quartiersrat session with the form -> the list shows it with
the subscriber counts -> she cancels it after the confirmation step, and the subscribed residents' notices are
queued. With CONSOLE_SCREENSHOTS=docs docs/console-sessions.png is written (1366×768). A missing
browser is a failure, never a skip (tests/test_console_browser.py)."""
from __future__ import annotations

from tests.chat import ChatClient
from tests.meeting_tools import berlin, plan
from tests.staff_tools import add_staff
from tests.test_console_browser import browser, world  # noqa: F401


async def residents_subscribe(dialogs) -> None:  # noqa: ANN001
    topics = (("council", "pankstrasse"), ("council", "pankstrasse"), ("jury", "pankstrasse"),
              ("council", "badstrasse"), ("jury", "soldiner"), ("council", "pankstrasse"))
    for n, (body, area) in enumerate(topics):
        resident = ChatClient(dialogs, chat_id=7100 + n, language_code="de")
        await resident.onboard("de")
        await resident.presses(f"meet:on:{body}:{area}")


async def test_plan_a_session_see_it_listed_and_cancel_it(world, browser, db, dialogs):  # noqa: F811
    tg, _base = world
    await residents_subscribe(dialogs)
    await plan(dialogs, area="badstrasse", start=berlin(2026, 12, 9, 18, 30), end=berlin(2026, 12, 9, 20, 30),
               place="Vor-Ort-Büro, Koloniestraße 129")
    await plan(dialogs, body="jury", start=berlin(2027, 1, 20, 18),
               place="Nachbarschaftsladen, Soldiner Str. 52", area="soldiner",
               deadline=berlin(2027, 1, 13, 23, 59))
    await add_staff(db, 9001, "Dana")
    dana = tg.user(9001, first_name="Dana", language_code="de")
    await browser.sign_in(dana, "Dana")

    await browser.run((await browser.find("nav.main-nav a[href$='/sessions']")).click)
    await browser.expect("Abonnierte Bewohner*innen")
    await browser.run((await browser.find("a[href$='/sessions/new']")).click)
    await browser.expect("Sitzung planen")
    from selenium.webdriver.support.ui import Select
    await browser.run(Select(await browser.find("select#body")).select_by_value, "council")
    await browser.run(Select(await browser.find("select#area")).select_by_value, "pankstrasse")
    for field, value in (("start", "14.01.2027 18:00"), ("end", "20:00"),
                         ("place", "Vor-Ort-Büro, Prinzenallee 30"),
                         ("agenda_de", "Projektfonds 2027, Neues aus dem Kiez")):
        await browser.run((await browser.find(f"#{field}")).send_keys, value)
    await browser.run((await browser.find("form.edit button[type=submit]")).click)
    await browser.expect("Gespeichert.")
    text = await browser.expect("3 Personen bekommen Erinnerungen")
    assert "Donnerstag, 14. Januar 2027, 18:00–20:00" in text
    url = await browser.run(lambda: browser.driver.current_url)     # in the worker thread, as every call
    planned = url.split("?")[0].rsplit("/", 1)[1]

    await browser.run((await browser.find("nav.main-nav a[href$='/sessions']")).click)
    text = await browser.expect("QM Pankstraße")
    assert "Vor-Ort-Büro, Prinzenallee 30" in text and "Nachbarschaftsladen, Soldiner Str. 52" in text
    await browser.screenshot("console-sessions.png")
    await browser.screenshot("console-sessions-counts.png", scroll_to="#subscribed-heading")

    await browser.run((await browser.find(f"table.sessions a[href$='/sessions/{planned}']")).click)
    await browser.run((await browser.find("a[href$='/cancel']")).click)
    await browser.expect("3 Personen werden in ihrer Sprache informiert.")
    await browser.run((await browser.find("form.confirm-actions button.danger")).click)
    await browser.expect("Abgesagt.")

    from tests.meeting_tools import outbox
    notices = [r for r in await outbox(db) if r.purpose == "meeting-notice"]
    assert len(notices) == 3 and all("Abgesagt" in r.text for r in notices)
