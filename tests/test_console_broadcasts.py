"""Broadcasts in the console: the team picks the audience, writes a text per language (German required), sees
how many residents get which version, fills in machine translations, confirms, sends now or at a time, watches
the progress and stops it — stored and sent exactly as the staff chat's /broadcast (same rows, same delivery,
same stop), every change in the staff access log, every form with its token."""
from __future__ import annotations

import re
from html import unescape

import pytest
import pytest_asyncio
from sqlalchemy import select

from bot.translation.libretranslate import LibreTranslate
from dialogs.translation import flows as translation_flows
from dialogs.translation.jobs import TranslationPolicy
from dialogs.translation.protect import ProtectingTranslator
from storage.broadcasts import BroadcastRow
from storage.models import ResidentRow
from storage.privacy import AccessLogRow
from tests.console_tools import (ask_for_link, console_client, csrf_token, dana, desk, form_fields,  # noqa: F401
                                 page_text, sign_in, signed_in, team_member)
from tests.fake_translation import FakeLibreTranslate
from tests.test_broadcast import Recorder, delivery

NEW = "/console/broadcasts/new"
GERMAN = "Am Samstag ist Kiezfest auf dem Nettelbeckplatz! <Eintritt frei>"
ENGLISH = "Street party on Saturday at Nettelbeckplatz!"


@pytest.fixture
async def residents(db, clock):
    """Pankstraße: German, Einfache Sprache, English, Turkish, Arabic readers; people not to reach."""
    async with db.sessions() as session, session.begin():
        session.add_all([
            ResidentRow(chat_id=2001, language="de", consent_at=clock(), area_key="pankstrasse"),
            ResidentRow(chat_id=2002, language="en", consent_at=clock(), area_key="pankstrasse"),
            ResidentRow(chat_id=2003, language="tr", consent_at=clock(), area_key="pankstrasse"),
            ResidentRow(chat_id=2008, language="tr", consent_at=clock(), area_key="pankstrasse"),
            ResidentRow(chat_id=2009, language="de_simple", consent_at=clock(), area_key="pankstrasse"),
            ResidentRow(chat_id=2010, language="ar", consent_at=clock(), area_key="pankstrasse"),
            ResidentRow(chat_id=2004, language="de", consent_at=clock(), area_key="badstrasse"),
            ResidentRow(chat_id=2005, language="de", consent_at=None, area_key="pankstrasse"),      # no consent
            ResidentRow(chat_id=2006, language="de", consent_at=clock(), area_key="pankstrasse",
                        unreachable_at=clock()),                                                 # blocked us
        ])


@pytest_asyncio.fixture
async def ben(desk, dialogs, db):
    """Ben of the team, signed in to the console in English."""
    member = await team_member(dialogs, db, 8, "Ben", language="en")
    await sign_in(desk, await ask_for_link(member))
    return desk


def compose_fields(html: str) -> dict[str, str]:
    """What a browser submits from the composer: inputs, textareas, the chosen audience."""
    fields = {k: v for k, v in form_fields(html).items() if k not in ("csrf", "action")}
    for name, text in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', html, re.S):
        fields[name] = unescape(text)
    fields["audience"] = re.search(r'<option value="([^"]*)" selected', html).group(1)
    fields["when"] = re.search(r'name="when" value="(\w+)"[^>]*checked', html).group(1)
    return fields


def compose(**changes: str) -> dict[str, str]:
    return {"audience": "area:pankstrasse", "text_de": GERMAN, "text_en": ENGLISH, "when": "now", **changes}


async def post(client, action: str, fields: dict[str, str]):  # noqa: ANN001, ANN201
    token = await csrf_token(client, NEW)
    return await client.post(NEW, data={"csrf": token, "action": action, **fields}, allow_redirects=False)


async def broadcasts(db) -> list[BroadcastRow]:
    async with db.sessions() as session:
        return (await session.execute(select(BroadcastRow).order_by(BroadcastRow.id))).scalars().all()


async def access_lines(db, action: str) -> list[AccessLogRow]:
    async with db.sessions() as session:
        return (await session.execute(select(AccessLogRow).where(AccessLogRow.action == action))).scalars().all()


async def confirm_and_send(client, fields: dict[str, str]):  # noqa: ANN001, ANN201
    confirm = await post(client, "confirm", fields)
    assert confirm.status == 200, await page_text(confirm)
    form = form_fields(await confirm.text())
    return await client.post(NEW, data={**form, "action": "send"}, allow_redirects=False), form


async def test_the_preview_counts_residents_per_language_and_who_gets_the_german_text(ben, residents):
    page = await post(ben, "preview", compose())
    assert page.status == 200
    text = await page_text(page)
    assert "Goes to 6 residents" in text
    assert "3 of them get the German text (no version in their language)." in text      # 2 Turkish, 1 Arabic
    for row in ("Deutsch 1 own text", "Einfache Sprache 1 the German text", "English 1 own text",
                "Türkçe 2 German + note", "العربية 1 German + note",
                "Nobody in this audience reads: Русский, Українська, Polski, Български, Română."):
        assert row in text, row
    html = await page.text()
    turkish = re.search(r'<div class="bubble" lang="tr">(.*?)</div>', html, re.S).group(1)
    assert "yalnızca Almanca" in turkish and "Eintritt frei" in turkish      # German, said so in Turkish
    english = re.search(r'<div class="bubble" lang="en">(.*?)</div>', html, re.S).group(1)
    assert "A message from your neighbourhood management team" in english and ENGLISH in english
    assert '<div class="bubble" dir="rtl" lang="ar">' in html
    assert compose_fields(html)["text_en"] == ENGLISH                          # what was typed is kept
    assert GERMAN.replace("<", "&lt;").replace(">", "&gt;") in html


async def test_an_empty_german_text_is_refused_and_nothing_is_stored(ben, db, residents):
    page = await post(ben, "confirm", compose(text_de="   "))
    assert page.status == 400
    text = await page_text(page)
    assert "Nothing was sent" in text and "German text: please fill this in." in text
    assert compose_fields(await page.text())["text_en"] == ENGLISH                   # what was typed is kept
    assert await broadcasts(db) == []


async def test_a_time_in_the_past_or_skipped_by_the_clock_change_is_refused(ben, db, residents):
    for typed, expected in (("01.01.2020 18:00", "has passed"), ("24.11.2026 10:00", "has passed"),
                            ("28.03.2027 02:30", "does not exist: the clocks are put forward"),
                            ("morgen", "is not a date and time like")):
        page = await post(ben, "confirm", compose(when="later", send_at=typed))
        assert page.status == 400, typed
        assert expected in await page_text(page), typed
    assert await broadcasts(db) == []


async def test_confirm_shows_the_audience_per_language_then_sends_once_and_logs_it(ben, db, dialogs, clock,
                                                                                    residents):
    confirm = await post(ben, "confirm", compose())
    text = await page_text(confirm)
    assert "Nothing has been sent yet" in text and "Residents of QM Pankstraße" in text
    assert "Türkçe 2 German + note" in text
    sent, form = await confirm_and_send(ben, compose())
    assert sent.status == 303 and re.fullmatch(r"/console/broadcasts/\d+\?new=1", sent.headers["Location"])
    back = await ben.post(NEW, data={**form, "action": "edit"})                            # back to the form
    assert compose_fields(await back.text())["text_en"] == ENGLISH
    again = await ben.post(NEW, data={**form, "action": "send"}, allow_redirects=False)     # a double click
    assert again.headers["Location"] == sent.headers["Location"].removesuffix("?new=1")
    [row] = await broadcasts(db)
    assert (row.audience, row.state, row.created_by_name, row.send_at) == ("area:pankstrasse", "queued", "Ben", None)
    assert row.texts == {"de": GERMAN, "en": ENGLISH}
    [line] = await access_lines(db, "broadcast")
    assert line.actor == "staff:8 Ben" and f"broadcast #{row.id}" in line.detail and "6 residents" in line.detail

    recorder = Recorder()
    await delivery(db, dialogs, clock, recorder).drain()            # the chat's delivery engine sends it
    assert recorder.texts(2002)[0].endswith(ENGLISH) and recorder.texts(2001)[0].endswith(GERMAN)
    assert "yalnızca Almanca" in recorder.texts(2003)[0]
    assert set(recorder.inbox) == {2001, 2002, 2003, 2008, 2009, 2010}
    progress = await (await ben.get(f"/console/broadcasts/{row.id}.json")).json()
    assert progress["state"] == "done" and progress["shown"]["sent"] == "6" and not progress["running"]
    listing = await page_text(await ben.get("/console/broadcasts"))
    assert f"#{row.id} Residents of QM Pankstraße" in listing, listing[-900:]
    assert "Texts: de, en sent 6 of 6 handled 6 sent · 0 failed · 0 not reachable" in listing


async def test_a_scheduled_broadcast_goes_out_at_its_time(ben, db, dialogs, clock, residents):
    sent, _ = await confirm_and_send(ben, compose(audience="all", when="later", send_at="24.11.2026 11:00"))
    page = await page_text(await ben.get(sent.headers["Location"]))
    assert "Scheduled. It goes out on Tuesday, November 24, 2026 at 11:00 AM" in page.replace("\u202f", " ")
    [row] = await broadcasts(db)
    assert row.send_at.replace(tzinfo=None).isoformat() == "2026-11-24T10:00:00"      # 11:00 in Berlin, in UTC
    recorder = Recorder()
    await delivery(db, dialogs, clock, recorder).drain()
    assert recorder.inbox == {}                                      # 10:30 in Berlin: not yet
    clock.advance(minutes=31)
    await delivery(db, dialogs, clock, recorder).drain()
    assert {2001, 2002, 2003, 2004, 2010} <= set(recorder.inbox)


async def test_stop_a_scheduled_broadcast_once_and_nothing_goes_out(ben, db, dialogs, clock, residents):
    sent, _ = await confirm_and_send(ben, compose(when="later", send_at="25.11.2026 09:00"))
    page = sent.headers["Location"].removesuffix("?new=1")
    assert "Stop broadcast" in await page_text(await ben.get(page))
    stopped = await ben.post(page + "/stop", data={"csrf": await csrf_token(ben, page)}, allow_redirects=False)
    assert stopped.headers["Location"] == page + "?stopped=1"
    text = await page_text(await ben.get(stopped.headers["Location"]))
    assert "Stopped. What was sent stays sent" in text and "Stopped by Ben." in text and "Stop broadcast" not in text
    again = await ben.post(page + "/stop", data={"csrf": await csrf_token(ben, page)}, allow_redirects=False)
    assert again.headers["Location"] == page + "?finished=1"
    [row] = await broadcasts(db)
    assert (row.state, row.stopped_by) == ("stopped", "Ben")
    assert len(await access_lines(db, "broadcast-stop")) == 1
    clock.advance(days=2)
    recorder = Recorder()
    await delivery(db, dialogs, clock, recorder).drain()
    assert recorder.inbox == {}


async def test_every_form_needs_its_token(ben, db, residents):
    refused = await ben.post(NEW, data={"action": "send", **compose()}, allow_redirects=False)
    assert refused.status == 403
    wrong = await ben.post(NEW, data={"csrf": "forged", "action": "confirm", **compose()}, allow_redirects=False)
    assert wrong.status == 403
    sent, _ = await confirm_and_send(ben, compose(when="later", send_at="25.11.2026 09:00"))
    page = sent.headers["Location"].removesuffix("?new=1")
    assert (await ben.post(page + "/stop", data={}, allow_redirects=False)).status == 403
    [row] = await broadcasts(db)
    assert row.state == "queued"


async def test_a_forged_audience_or_a_send_without_its_confirmation_changes_nothing(ben, db, residents):
    page = await post(ben, "confirm", compose(audience="area:atlantis"))
    assert page.status == 400 and "Please choose who receives it." in await page_text(page)
    no_token = await post(ben, "send", compose())
    assert no_token.status == 400
    assert await broadcasts(db) == []


async def test_the_page_speaks_german_and_uses_the_teams_word(signed_in, residents):
    page = await page_text(await signed_in.get(NEW))
    assert "Neues Rundschreiben" in page and "Wer bekommt es?" in page
    nav = await page_text(await signed_in.get("/console/broadcasts"))
    assert "Rundschreiben" in nav and "Noch keine Rundschreiben." in nav


@pytest_asyncio.fixture
async def translating(dialogs, db, clock):
    """The console with a (fake) LibreTranslate configured, as in `kiezbot run`; Ben signed in."""
    async with FakeLibreTranslate() as libre:
        translation_flows.configure(dialogs, TranslationPolicy(translate=True, team_language="de"),
                                    live=ProtectingTranslator(LibreTranslate(libre.base_url, timeout=2)))
        client = await console_client(db, clock, texts=dialogs)
        member = await team_member(dialogs, db, 8, "Ben", language="en")
        await sign_in(client, await ask_for_link(member))
        yield client
        await client.close()
        await translation_flows.settings(dialogs).live.close()


async def test_machine_translations_fill_the_empty_languages_marked_and_editable(translating, db, dialogs, clock,
                                                                                  residents):
    page = await post(translating, "machine", compose())
    assert page.status == 200
    html = await page.text()
    fields = compose_fields(html)
    assert fields["text_tr"] == GERMAN.upper() and fields["machine_tr"] == "1"          # filled, marked
    assert fields["text_en"] == ENGLISH and "machine_en" not in fields                 # typed: kept
    assert "machine_de_simple" not in fields                                           # reads German anyway
    assert "Machine translations are filled in below" in await page_text(page)
    fields["text_ru"] = "В субботу праздник!"                                         # edited by the team
    fields.pop("machine_ru")
    fields["text_ar"] = ""                                                              # dropped: German for them
    fields.pop("machine_ar")
    preview = await page_text(await post(translating, "preview", fields))
    assert "Türkçe 2 machine translation" in preview and "العربية 1 German + note" in preview
    stale = await post(translating, "confirm", {**fields, "text_de": "Kiezfest am Sonntag!"})
    assert stale.status == 400 and "The German text changed after the machine translations" in await page_text(stale)
    sent, _ = await confirm_and_send(translating, fields)
    assert sent.status == 303
    [row] = await broadcasts(db)
    assert row.texts["tr"].startswith("🌐 ") and row.texts["tr"].endswith(GERMAN.upper())   # the chat's mark
    assert row.texts["ru"] == "В субботу праздник!" and "ar" not in row.texts
    recorder = Recorder()
    await delivery(db, dialogs, clock, recorder).drain()
    assert "Almanca" in recorder.texts(2003)[0] and GERMAN.upper() in recorder.texts(2003)[0]
