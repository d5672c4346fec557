"""The console's catalog (German and English): complete, consistent with the code and its templates, and used."""
from __future__ import annotations

import re

import pytest
from babel.messages.pofile import read_po

from locales import catalog_tool
from tests.console_tools import dana, desk, page_text, signed_in  # noqa: F401

PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def catalog(code: str):  # noqa: ANN201
    with catalog_tool.console_catalog_path(code).open("rb") as fh:
        return read_po(fh, locale=code)


@pytest.mark.parametrize("code", catalog_tool.CONSOLE_LANGUAGES)
def test_the_console_catalog_is_complete_and_keeps_every_placeholder(code):
    problems = []
    for message in catalog(code):
        if not message.id:
            continue
        ids = list(message.id) if isinstance(message.id, (list, tuple)) else [message.id]
        strings = list(message.string) if isinstance(message.string, (list, tuple)) else [message.string]
        if message.fuzzy or not all(strings):
            problems.append(f"{ids[0][:50]!r}: untranslated or fuzzy")
            continue
        wanted = set(PLACEHOLDER.findall(ids[0]))
        problems += [f"{ids[0][:50]!r}: {sorted(PLACEHOLDER.findall(s))}" for s in strings
                     if set(PLACEHOLDER.findall(s)) != wanted]
    assert not problems, "\n".join(problems)


def test_the_console_catalog_is_in_step_with_the_code_and_the_templates():
    found = {m.id for m in catalog_tool.console_template() if m.id}
    assert {m.id for m in catalog("de") if m.id} == found           # else: kiezbot i18n update
    assert "Sign in as %(name)s" in found                           # from a template
    assert "This sign-in link has expired" in found                 # from Python (N_)


async def test_pages_are_german_first_and_english_on_request(desk):
    german = await page_text(await desk.get("/console/", headers={"Accept-Language": "fr, de;q=0.5"}))
    assert "Bitte melden Sie sich an" in german
    default = await page_text(await desk.get("/console/", headers={"Accept-Language": "tr"}))
    assert "Bitte melden Sie sich an" in default                    # neither German nor English: German
    english = await page_text(await desk.get("/console/", headers={"Accept-Language": "en-GB,en;q=0.9"}))
    assert "Please sign in" in english and "Bitte" not in english
    asked = await page_text(await desk.get("/console/?lang=en"))
    assert "Please sign in" in asked
