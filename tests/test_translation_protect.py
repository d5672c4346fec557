"""HTML-safe machine translation: whatever a service does to the words, Telegram tags, {placeholders}, line
breaks, URLs, phone numbers, e-mail addresses (and @names, /commands, references) come back intact —
checked on generated texts (hypothesis) against engines that behave and engines that break markup."""
from __future__ import annotations

import html
import re
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from dialogs.core.text import telegram_html_problem
from dialogs.translation.protect import PROTECTED, Prepared, ProtectingTranslator
from dialogs.translation.ports import Detection

PHONES = ["+49 30 5550 9731", "030 4660 3111", "0176-12345678", "030/123 45 67", "(030) 1234567", "0049 30 12345"]
URLS = ["https://qm-badstrasse.de/ideen?a=1&b=2", "http://www.berlin.de/ba-mitte/", "www.qm-pankstrasse.de",
        "https://t.me/kiezbot"]
EMAILS = ["info@qm-pankstrasse.de", "zyx.quokka@example.org"]
OTHERS = ["{name}", "{n}", "{link}", "@kiezbot_team", "/start", "/idea", "BAD-2026-014"]
PROTECTED_ITEMS = PHONES + URLS + EMAILS + OTHERS
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)[^<>]*>")
KEPT = re.compile(r'<span translate="no" data-kz="\d+">[^<]*</span>')


def tags(text: str) -> Counter:
    return Counter((m.group(1), m.group(2)) for m in _TAG.finditer(text))


# --- engines --------------------------------------------------------------------------------------------
def _shout(text: str) -> str:
    """What our test engines do to words: upper-case them (entities read and written back, as a real engine
    works on text and serialises again)."""
    return html.escape(html.unescape(text).upper(), quote=False)


class Polite:
    """Translates text nodes, keeps markup — and, like real services, may move the protected parts within a
    line (word order changes between languages) and re-quote attributes."""

    name = "polite"

    def __init__(self, move: bool = False) -> None:
        self.move = move
        self.calls: list[tuple[list[str], bool]] = []

    async def translate_batch(self, texts, source, target, *, html):  # noqa: A002
        self.calls.append((list(texts), html))
        out = []
        for text in texts:
            if not html:
                out.append(text.upper())
                continue
            kept = KEPT.findall(text)
            if self.move:                  # every protected part to the end of its line
                text = KEPT.sub("", text)
            parts = []
            for part in re.split(r"(<span translate=\"no\"[^<>]*>[^<]*</span>|<[^<>]*>)", text):
                if part.startswith("<"):
                    parts.append(part.replace('"', "'"))
                else:
                    parts.append(_shout(part))
            if self.move and kept:
                parts += [" "] + [k.replace('"', "'") for k in kept]
            out.append("".join(parts))
        return out, "tr"

    async def detect(self, text):
        return Detection("tr", 1.0)

    async def close(self):
        pass


class Careless(Polite):
    """Breaks markup the ways machine translation does: drops a protected part, doubles one, loses a closing
    tag, invents an attribute. Plain text (the fallback's requests) it translates like the others."""

    name = "careless"

    def __init__(self, how: str) -> None:
        super().__init__()
        self.how = how

    async def translate_batch(self, texts, source, target, *, html):  # noqa: A002
        out, detected = await super().translate_batch(texts, source, target, html=html)
        if not html:
            return out, detected
        broken = []
        for text in out:
            if self.how == "drop":
                text = re.sub(r"<span translate='no' data-kz='\d+'>[^<]*</span>", "", text, count=1)
            elif self.how == "double":
                text = re.sub(r"(<span translate='no' data-kz='\d+'>[^<]*</span>)", r"\1 \1", text, count=1)
            elif self.how == "unclose":
                text = re.sub(r"</(b|i|a)>", "", text, count=1)
            elif self.how == "attribute":
                text = text.replace("<b>", "<b class='x'>", 1)
            elif self.how == "count":
                text = ""
            broken.append(text)
        if self.how == "count":
            broken = broken[:-1] or []
        return broken, detected


# --- generated texts ------------------------------------------------------------------------------------
words = st.text(alphabet="abcdefghijklmnopqrstuvwxyzäöüßğşçАБВабвгдمرحبا", min_size=1, max_size=9)
punctuation = st.sampled_from([",", ".", "!", "?", "—", "&", "<3", "'", '"', "14", "07.02.2027", "1.500 €", "18:00"])
items = st.sampled_from(PROTECTED_ITEMS)
token = st.one_of(words, words, words, punctuation, items)
line = st.lists(token, min_size=0, max_size=9).map(" ".join)


@st.composite
def plain_texts(draw) -> str:
    lines = draw(st.lists(line, min_size=1, max_size=5))
    indent = draw(st.sampled_from(["", " ", "  "]))
    return "\n".join(indent + ln if i % 2 else ln for i, ln in enumerate(lines))


@st.composite
def html_line(draw) -> str:
    pieces = draw(st.lists(token, min_size=0, max_size=8))
    out = []
    for piece in pieces:
        text = html.escape(piece, quote=False)
        wrap = draw(st.sampled_from(["", "", "", "b", "i", "a", "code", "spoiler"]))
        if wrap == "a":
            text = f'<a href="{html.escape(draw(st.sampled_from(URLS)))}">{text}</a>'
        elif wrap == "spoiler":
            text = f'<span class="tg-spoiler">{text}</span>'
        elif wrap:
            text = f"<{wrap}>{text}</{wrap}>"
        out.append(text)
    return " ".join(out)


@st.composite
def html_texts(draw) -> str:
    lines = draw(st.lists(html_line(), min_size=1, max_size=4))
    text = "\n".join(lines)
    if draw(st.booleans()) and len(lines) > 1:          # a tag spanning a line break
        text = f"<blockquote>{text}</blockquote>"
    return text


def protected_in(text: str) -> Counter:
    return Counter(m.group(0) for m in PROTECTED.finditer(text))


def assert_kept(original: str, result: str, *, is_html: bool) -> None:
    for item in PROTECTED_ITEMS:
        shown = html.escape(item, quote=False) if is_html else item
        assert result.count(shown) >= original.count(shown), (item, original, result)
    assert re.findall(r"\{\w*\}", result) == [p for p in re.findall(r"\{\w*\}", original)] or \
        sorted(re.findall(r"\{\w*\}", result)) == sorted(re.findall(r"\{\w*\}", original))
    assert result.count("\n") == original.count("\n")
    for before, after in zip(original.split("\n"), result.split("\n")):
        if not before.strip():
            assert after == before                     # blank lines stay exactly where they were
    if is_html:
        assert telegram_html_problem(result) is None, result
        assert tags(result) == tags(original), (original, result)


SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(text=plain_texts(), move=st.booleans())
async def test_plain_texts_keep_everything_protected(text, move):
    result = await ProtectingTranslator(Polite(move)).translate(text, None, "de")
    assert_kept(text, result.text, is_html=False)


@SETTINGS
@given(text=html_texts(), move=st.booleans())
async def test_telegram_html_keeps_tags_and_everything_protected(text, move):
    translator = ProtectingTranslator(Polite(move))
    result = await translator.translate(text, "de", "tr", html=True)
    assert_kept(text, result.text, is_html=True)
    assert translator.fallbacks == 0                   # a service that keeps markup needs no fallback


@SETTINGS
@given(text=st.one_of(html_texts(), plain_texts().map(lambda t: html.escape(t, quote=False))),
       how=st.sampled_from(["drop", "double", "unclose", "attribute", "count"]))
async def test_a_service_that_breaks_markup_is_caught_and_the_fallback_keeps_it(text, how):
    translator = ProtectingTranslator(Careless(how))
    result = await translator.translate(text, "de", "tr", html=True)
    assert_kept(text, result.text, is_html=True)


# --- examples ---------------------------------------------------------------------------------------------
async def test_a_resident_text_keeps_its_lines_numbers_and_addresses():
    engine = Polite()
    text = ("Merhaba, bahçeye bir bank istiyoruz.\n\nBeni arayın: 0176-12345678 veya ayse@example.org\n"
            "Bilgi: https://qm-badstrasse.de/ideen?a=1&b=2.")
    result = await ProtectingTranslator(engine).translate(text, "tr", "de")
    assert result.text == ("MERHABA, BAHÇEYE BIR BANK ISTIYORUZ.\n\nBENI ARAYIN: 0176-12345678 VEYA ayse@example.org\n"
                           "BILGI: https://qm-badstrasse.de/ideen?a=1&b=2.")
    [(sent, as_html)] = engine.calls
    assert as_html and len(sent) == 3                       # one item per line; the blank line is not sent
    assert "0176-12345678</span>" in sent[1] and "ayse@example.org" in sent[1]


async def test_dates_amounts_and_times_are_translated_as_text_not_protected():
    prepared = Prepared("Am 07.02.2027 um 18:00, höchstens 1.500 €, Postleitzahl 13359", html=False)
    assert not prepared.as_html and prepared.payload() == ["Am 07.02.2027 um 18:00, höchstens 1.500 €, "
                                                           "Postleitzahl 13359"]


async def test_lines_without_words_are_not_sent_at_all():
    engine = Polite()
    result = await ProtectingTranslator(engine).translate("030 4660 3111\n👍\n\nhttps://t.me/kiezbot", "de", "tr")
    assert result.text == "030 4660 3111\n👍\n\nhttps://t.me/kiezbot" and engine.calls == []


async def test_a_link_keeps_its_address_and_its_text_is_translated():
    engine = Polite()
    text = 'Mehr auf <a href="https://qm-pankstrasse.de/fest?x=1&amp;y=2">unserer Seite</a>!'
    result = await ProtectingTranslator(engine).translate(text, "de", "tr", html=True)
    assert result.text == 'MEHR AUF <a href="https://qm-pankstrasse.de/fest?x=1&amp;y=2">UNSERER SEITE</a>!'
    assert "qm-pankstrasse" not in engine.calls[0][0][0]       # the address is not even sent


@pytest.mark.parametrize("how", ["drop", "double", "unclose", "attribute"])
async def test_the_fallback_translates_between_the_protected_parts(how):
    translator = ProtectingTranslator(Careless(how))
    text = "<b>Sprechstunde</b> am Dienstag: ruf {name} an unter 030 4660 3111, Ref BAD-2026-014"
    result = await translator.translate(text, "de", "tr", html=True)
    assert result.text == ("<b>SPRECHSTUNDE</b> AM DIENSTAG: RUF {name} AN UNTER 030 4660 3111, REF BAD-2026-014")
    assert translator.fallbacks == 1
