"""The figures page in a real browser (Debian's Chromium, headless, Selenium): Dana signs in by the bot's
link from (fake) Telegram -> Auswertung -> the charts are drawn (SVG) with their tables -> filter by area ->
the print view hides the filters and CSV links. With CONSOLE_SCREENSHOTS=docs docs/console-overview.png
is written (1366×768). A missing browser is a failure, never a skip (tests/test_console_browser.py)."""
from __future__ import annotations

from tests.overview_data import neighbourhood
from tests.staff_tools import add_staff
from tests.test_console_browser import browser, world  # noqa: F401


async def test_the_figures_page_draws_every_chart_filters_and_prints(world, browser, db, clock):  # noqa: F811
    tg, _base = world
    await neighbourhood(db.sessions, clock())
    await add_staff(db, 9001, "Dana")
    dana = tg.user(9001, first_name="Dana", language_code="de")
    await browser.sign_in(dana, "Dana")

    await browser.run((await browser.find("nav.main-nav a[href$='/figures']")).click)
    text = await browser.expect("Einsendungen pro Monat, nach Stand")
    for title in ("Bewohner*innen nach Sprache und Gebiet", "Kommende Veranstaltungen", "Zustellung der Rundschreiben",
                  "Zeit bis zur Entscheidung (Median)"):
        assert title in text
    from selenium.webdriver.common.by import By
    charts = await browser.run(browser.driver.find_elements, By.CSS_SELECTOR, "section.chart svg.bars")
    assert len(charts) >= 8
    bars = await browser.run(browser.driver.find_elements, By.CSS_SELECTOR, "#chart-months svg.bars rect")
    widths = [await browser.run(lambda b=b: b.size["width"]) for b in bars[:5]]
    assert widths and all(w > 0 for w in widths)
    assert await browser.run(lambda: (browser.driver.find_element(By.ID, "print-page")).is_displayed())
    await browser.screenshot("console-overview.png")
    await browser.screenshot("console-overview-residents.png", scroll_to="#chart-residents")

    area = await browser.find("select#area")
    await browser.run(area.send_keys, "QM Badstr")
    await browser.run((await browser.find("form.figures-filters button.primary")).click)
    await browser.expect("Einsendungen pro Gebiet")
    assert "area=badstrasse" in await browser.url()
    rows = await browser.run(browser.driver.find_elements, By.CSS_SELECTOR, "#chart-areas tbody tr")
    assert len(rows) == 1

    await browser.run(browser.driver.execute_cdp_cmd, "Emulation.setEmulatedMedia", {"media": "print"})
    filters = await browser.find("form.figures-filters")
    assert not await browser.run(filters.is_displayed)
    assert await browser.run((await browser.find(".print-only")).is_displayed)
    await browser.run(browser.driver.execute_cdp_cmd, "Emulation.setEmulatedMedia", {"media": ""})
