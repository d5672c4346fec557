"""The staff console in a real browser: Debian's Chromium, headless, driven by Selenium through chromedriver.

    Dana asks the bot for a link in (fake) Telegram -> opens it in Chromium -> signs in -> Offices ->
    changes QM Badstraße's opening hours -> a resident asks the bot in (fake) Telegram and gets the new
    hours -> Dana signs out, and the console refuses her old session.

A missing browser is a failure, never a skip: `.ci/run` installs `chromium` and `chromium-driver`
(`apt-get install -y chromium chromium-driver`). Selenium's calls block, so they run in a worker thread
while the bot, the fake Telegram and the console keep serving on this test's event loop.
With CONSOLE_SCREENSHOTS=docs the screenshots for the README are written to that folder.
"""
from __future__ import annotations

import asyncio
import time
import os
import re
import shutil
import socket
import tempfile
from pathlib import Path

import pytest
import pytest_asyncio
from aiohttp.test_utils import TestServer

from bot.telegram import TelegramTransport, build_dispatcher, make_bot
from console.app import build_console, standalone
from console.web import ConsoleConfig
from dialogs.console_signin import staff_flow as console_signin
from tests.fake_telegram import FakeTelegram
from tests.staff_tools import add_staff

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
LINK = re.compile(r"(http://127\.0\.0\.1:\d+/console/signin/[A-Za-z0-9_-]+)")
LAPTOP, PHONE = (1366, 768), (390, 844)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Browser:
    """A headless Chromium; every call runs in a thread (``await browser.run(driver.get, url)``).

    *Every* call, properties included (``element.text``, ``driver.current_url``): each is an HTTP request to
    chromedriver, which waits for a navigation in progress to finish loading — and the page comes from the
    console on this test's event loop. Read on the loop's thread, it blocks the loop that would serve the
    page, until Selenium's 120-second read time-out (three times, with its retries).
    """

    def __init__(self) -> None:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        self.profile = tempfile.mkdtemp(prefix="kiezbot-chromium-")
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--no-first-run", "--lang=de-DE",
                     f"--user-data-dir={self.profile}", f"--window-size={LAPTOP[0]},{LAPTOP[1]}"):
            options.add_argument(flag)
        self.driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
        self.driver.implicitly_wait(5)

    async def run(self, function, *args):  # noqa: ANN001, ANN002, ANN201
        return await asyncio.to_thread(function, *args)

    async def find(self, css: str):  # noqa: ANN201
        from selenium.webdriver.common.by import By
        return await self.run(self.driver.find_element, By.CSS_SELECTOR, css)

    async def text(self) -> str:
        main = await self.find("main")
        return await self.run(lambda: main.text)

    async def url(self) -> str:
        return await self.run(lambda: self.driver.current_url)

    async def expect(self, expected: str, timeout: float = 30) -> str:
        """The page's text once it contains ``expected`` (a click that navigates returns before the next
        page is there); fails with the last text seen when it never does. Patient (30 s of wall-clock
        time): on a busy two-core CI machine the browser, the server and the fake Telegram share it."""
        from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
        text = ""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                text = await self.text()
            except StaleElementReferenceException:
                continue
            except WebDriverException as exc:        # Chromium's other word for "that page is gone meanwhile"
                if "does not belong to the document" not in str(exc):
                    raise
                continue
            if expected in text:
                return text
            await asyncio.sleep(0.1)
        raise AssertionError(f"{expected!r} not on the page: {text[:600]!r}")

    async def sign_in(self, member, name: str) -> str:  # noqa: ANN001 — a fake Telegram user
        """As a team member does it: /console to the bot in (fake) Telegram, open its link, confirm (German
        pages). Returns the link."""
        await member.send("/console")
        [message] = await member.wait_messages(1, timeout=10)
        link = LINK.search(message.text).group(1)
        await self.run(self.driver.get, link)
        await self.expect(f"Mit diesem Link melden Sie sich als {name} an.")
        await self.run((await self.find("button.primary")).click)
        await self.expect(f"Hallo, {name}")
        return link

    async def screenshot(self, name: str, size: tuple[int, int] = LAPTOP, *, scroll_to: str | None = None) -> Path:
        """The page as a 1366×768 office laptop (or a phone) shows it: exactly that viewport."""
        folder = Path(os.environ.get("CONSOLE_SCREENSHOTS") or self.profile)
        folder.mkdir(parents=True, exist_ok=True)
        metrics = {"width": size[0], "height": size[1], "deviceScaleFactor": 1, "mobile": size == PHONE}
        await self.run(self.driver.execute_cdp_cmd, "Emulation.setDeviceMetricsOverride", metrics)
        if scroll_to:
            await self.run(self.driver.execute_script, "arguments[0].scrollIntoView()", await self.find(scroll_to))
        path = folder / name
        await self.run(self.driver.save_screenshot, str(path))
        await self.run(self.driver.execute_cdp_cmd, "Emulation.clearDeviceMetricsOverride", {})
        await self.run(self.driver.execute_script, "window.scrollTo(0, 0)")
        return path

    def quit(self) -> None:
        self.driver.quit()
        shutil.rmtree(self.profile, ignore_errors=True)


@pytest.fixture
def browser():
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.fail("the console's browser test needs Chromium and its driver: "
                    "apt-get install -y chromium chromium-driver (.ci/run does this)")
    started = Browser()
    yield started
    started.quit()


@pytest_asyncio.fixture
async def world(dialogs, db, clock):
    """The fake Telegram, kiezbot's dispatcher polling it, and the console on a real port: one database."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    console_signin.configure(dialogs, base_url=base, valid_minutes=10)
    server = TestServer(standalone(build_console(ConsoleConfig(base), db.sessions, clock)), host="127.0.0.1",
                        port=port)
    await server.start_server()
    async with FakeTelegram() as tg:
        bot = make_bot(tg.token, tg.base_url)
        dp = build_dispatcher(TelegramTransport(bot, dialogs))
        polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False, close_bot_session=False,
                                                       polling_timeout=2))
        try:
            yield tg, base
        finally:
            await dp.stop_polling()
            await asyncio.wait_for(polling, 10)
            await bot.session.close()
            await server.close()


async def office_card(tg, user_id: int) -> str:  # noqa: ANN001
    resident = tg.user(user_id, first_name="Ada", language_code="en")
    await resident.send("/start")
    [ask] = await resident.wait_messages(1, timeout=10)
    await resident.press(ask, "lang:en")
    [notice] = await resident.wait_messages(1, timeout=10)
    await resident.press(notice, "consent:yes")
    await resident.wait_messages(1, timeout=10)
    await resident.send("Bellermannstraße 81")
    _intro, card = await resident.wait_messages(2, timeout=10)
    return card.text.replace("\u202f", " ")            # CLDR's narrow space before AM/PM reads as a space


async def test_sign_in_by_the_bots_link_edit_opening_hours_and_the_bot_answers_with_them(world, browser, db):
    tg, base = world
    await add_staff(db, 9001, "Dana")
    assert "Opening hours: not known yet" in await office_card(tg, 6001)

    dana = tg.user(9001, first_name="Dana", language_code="de")
    await dana.send("/console")
    [message] = await dana.wait_messages(1, timeout=10)
    link = LINK.search(message.text).group(1)

    await browser.run(browser.driver.get, link)
    await browser.expect("Mit diesem Link melden Sie sich als Dana an.")
    await browser.run((await browser.find("button.primary")).click)
    await browser.expect("Hallo, Dana")
    await browser.screenshot("console-signin.png")

    await browser.run((await browser.find("nav.main-nav a[href$='/offices']")).click)
    await browser.expect("QM Badstraße")
    await browser.run((await browser.find("a[href$='/offices/badstrasse']")).click)
    for field, value in (("hours_tue", "10:00-13:00, 14:00-16:00"), ("hours_thu", "14:00-18:00"),
                         ("phone", "030 221 90 900"), ("note_de", "und nach Vereinbarung"),
                         ("closure_0_note_de", "Weihnachten"), ("closure_0_note_en", "Christmas")):
        element = await browser.find(f"#{field}")
        await browser.run(element.clear)
        await browser.run(element.send_keys, value)
    for field, day in (("closure_0_from", "24.12.2026"), ("closure_0_to", "26.12.2026")):
        await browser.run((await browser.find(f"#{field}")).send_keys, day)
    await browser.run((await browser.find("form.edit button[type=submit]")).click)
    await browser.expect("Gespeichert.")
    await browser.screenshot("console-office-edit.png")
    await browser.screenshot("console-office-hours.png", scroll_to="fieldset:nth-of-type(2)")
    await browser.screenshot("console-office-edit-phone.png", PHONE)
    await browser.run((await browser.find("nav.main-nav a[href$='/offices']")).click)
    await browser.expect("10:00-13:00, 14:00-16:00")
    await browser.screenshot("console-offices.png")

    card = await office_card(tg, 6002)                    # a resident in Telegram, Tuesday 10:30 in Berlin
    assert "Open now, until 1:00 PM" in card
    assert "Tuesday: 10:00 AM–1:00 PM, 2:00 PM–4:00 PM" in card and "Thursday: 2:00 PM–6:00 PM" in card
    assert "Closed from Dec 24, 2026 to Dec 26, 2026: Christmas" in card

    await browser.run((await browser.find("header form[action$='/signout'] button")).click)
    await browser.expect("Sie sind abgemeldet")
    await browser.run(browser.driver.get, base + "/console/offices")
    await browser.expect("Bitte melden Sie sich an")
    await browser.run(browser.driver.get, link)           # and the link is used up
    await browser.expect("schon benutzt")


async def test_the_console_works_with_the_keyboard_alone(world, browser, db):
    """Sign in, skip the navigation and open a page with Tab and Enter, as a person without a mouse would."""
    from selenium.webdriver.common.keys import Keys

    tg, _base = world
    await add_staff(db, 9002, "Kim")
    kim = tg.user(9002, first_name="Kim", language_code="en")
    await kim.send("/console")
    [message] = await kim.wait_messages(1, timeout=10)
    await browser.run(browser.driver.get, LINK.search(message.text).group(1))
    focus = browser.driver.switch_to

    def focused() -> str:
        element = focus.active_element
        return f"{element.tag_name}.{element.get_attribute('class')}: {element.text}"

    assert await browser.run(focused) == "button.primary big: Sign in as Kim"      # the confirmation has the focus
    await browser.run(lambda: focus.active_element.send_keys(Keys.ENTER))
    await browser.expect("Hello, Kim")      # Kim's chat speaks English
    await browser.run((await browser.find("body")).send_keys, Keys.TAB)
    assert await browser.run(focused) == "a.skip: Skip to content"                # first stop: past the navigation
    await browser.run(lambda: focus.active_element.send_keys(Keys.ENTER))
    await browser.run(lambda: focus.active_element.send_keys(Keys.TAB))
    assert await browser.run(focused) == "a.button primary: Edit offices"          # the first thing in the page
    await browser.run(lambda: focus.active_element.send_keys(Keys.ENTER))
    await browser.expect("What residents see when they ask the bot for their office")
