"""Arabic reads right to left in Telegram: every paragraph starts with a right-to-left character, and
every left-to-right insert (address, phone, e-mail, URL, name, street, command) sits in an isolate
(U+2068 … U+2069). Checked on every message of every flow (the walk in tests/i18n_walk.py)."""
from __future__ import annotations

import html
import re
import unicodedata

import pytest
from sqlalchemy import select

from dialogs.core.replies import rtl_lines
from dialogs.core.messages import Reply
from storage.models import OutboxRow
from tests.chat import ChatClient

FSI, PDI, RLM = "\u2068", "\u2069", "\u200f"
LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")
ARABIC = re.compile(r"[\u0600-\u06ff]")


def paragraphs(text: str) -> list[str]:
    text = html.unescape(re.sub(r"<[^>]+>", "", text))
    return [p for p in text.split("\n") if p.strip()]


def first_strong(paragraph: str) -> str | None:
    """Bidi class of the paragraph's first strong character, skipping isolates (UBA rule P2)."""
    depth = 0
    for ch in paragraph:
        if ch in "\u2066\u2067\u2068":
            depth += 1
        elif ch == PDI:
            depth = max(0, depth - 1)
        elif depth == 0 and unicodedata.bidirectional(ch) in ("L", "R", "AL"):
            return unicodedata.bidirectional(ch)
    return None


def outside_isolates(text: str) -> str:
    out, depth = [], 0
    for ch in text:
        if ch == FSI:
            depth += 1
        elif ch == PDI:
            depth -= 1
        elif depth == 0:
            out.append(ch)
    return "".join(out)


def rtl_problems(text: str) -> list[str]:
    problems = []
    depth = 0
    for ch in text:
        depth += (ch == FSI) - (ch == PDI)
        if depth < 0:
            problems.append("U+2069 without U+2068")
            depth = 0
    if depth:
        problems.append("U+2068 not closed")
    for paragraph in paragraphs(text):
        if first_strong(paragraph) not in ("R", "AL"):
            problems.append(f"starts left to right: {paragraph[:60]!r}")
        latin = LATIN.findall(outside_isolates(paragraph))
        if latin:
            problems.append(f"Latin text outside an isolate: {paragraph[:80]!r}")
    return problems


def test_the_rtl_check_catches_a_bare_insert_and_a_left_to_right_start():
    assert rtl_problems(RLM + "المكتب: " + FSI + "Bellermannstraße 81" + PDI) == []
    assert rtl_problems(RLM + "المكتب: Bellermannstraße 81")[0].startswith("Latin text outside")
    assert rtl_problems("QM Badstraße\n" + RLM + "مرحبا")[0].startswith("starts left to right")
    assert rtl_problems(RLM + FSI + "x") == ["U+2068 not closed"]


def test_every_arabic_message_of_every_flow_reads_right_to_left(flow_walks):
    replies = flow_walks["ar"].replies
    assert sum(1 for r in replies if r.text) > 40
    problems = []
    for reply in replies:
        for text in [reply.text, reply.document.caption if reply.document else ""] + [m.caption for m in reply.media]:
            if text:
                problems += rtl_problems(text)
    assert not problems, "\n".join(dict.fromkeys(problems))


def test_arabic_button_labels_read_right_to_left(flow_walks):
    labels = {b.label for r in flow_walks["ar"].replies for row in r.buttons for b in row}
    assert any(ARABIC.search(label) for label in labels)
    wrong = [label for label in labels if ARABIC.search(label) and not label.startswith(RLM)]
    assert not wrong
    # Data labels (area and street names) stay plain left-to-right text.
    assert "QM Badstraße" in labels


def test_inserts_in_an_arabic_office_card_are_isolated(flow_walks):
    text = "\n".join(r.text for r in flow_walks["ar"].replies)
    for insert in ("Bellermannstraße 81, 13357 Berlin", "030 221 90 900", "qm-badstrasse@list-gmbh.de",
                   "badstrasse-quartier.de", "Badstraße 10, 13357 Berlin-Gesundbrunnen", "Xyzzystraße 5",
                   "/privacy", "QM Badstraße"):
        assert FSI + insert + PDI in text, insert


@pytest.mark.parametrize("code", ["de", "de_simple", "en", "tr", "ru", "uk", "pl", "bg", "ro"])
def test_left_to_right_languages_carry_no_direction_marks(flow_walks, code):
    for reply in flow_walks[code].replies:
        assert not set(reply.text) & {RLM, FSI, PDI}, reply.text[:80]
        assert not any(RLM in b.label for row in reply.buttons for b in row)


def test_every_line_gets_the_mark_but_empty_lines_stay_empty():
    assert rtl_lines("a\n\nb") == f"{RLM}a\n\n{RLM}b"
    assert rtl_lines(RLM + "a") == RLM + "a"


async def test_a_message_to_another_arabic_reader_gets_the_marks_too(dialogs, db):
    async def tell(ctx):
        t = ctx.engine.translator("ar")
        await ctx.notify(4242, Reply(t._("Cancelled.") + "\n" + t.ltr("QM Badstraße")), language="ar")
        await ctx.notify(4343, Reply("Abgebrochen."), language="de")

    dialogs.command("tell", tell)
    client = ChatClient(dialogs, chat_id=7100, language_code="de")
    await client.onboard("de")
    await client.says("/tell")
    async with db.sessions() as session:
        rows = {r.chat_id: r.payload["text"] for r in (await session.scalars(select(OutboxRow))).all()}
    assert rows[4242] == f"{RLM}تم الإلغاء.\n{RLM}{FSI}QM Badstraße{PDI}"
    assert rows[4343] == "Abgebrochen."
