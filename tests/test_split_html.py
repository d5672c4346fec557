"""Issue 15 item 6: a long text is split into parts Telegram accepts, without losing text or formatting.

Every part is balanced HTML that Telegram's parser (the port in tests/fake_telegram.py) accepts, has at
most the limit of visible characters, and the parts read one after the other give exactly the original
text, each character with the same formatting (an element open at a cut is closed and opened again).
"""
from __future__ import annotations

import html
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from dialogs.core.messages import MAX_TEXT
from dialogs.core.text import esc, plain, split_for_telegram, visible_length
from tests.fake_telegram import parse_html
from tests.test_ideas_telegram import telegram  # noqa: F401 — the fixture: kiezbot behind the fake Telegram

_PIECE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)[^<>]*>|&(?:#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);|.", re.DOTALL)


def styled(html_text: str) -> list[tuple[str, tuple[str, ...]]]:
    """Each visible character with the opening tags (as written) of the elements around it."""
    out, stack = [], []
    for match in _PIECE.finditer(html_text):
        if match.group(2):
            if match.group(1):
                stack.pop()
            else:
                stack.append(match.group(0))
        else:
            out.extend((ch, tuple(stack)) for ch in html.unescape(match.group(0)))
    return out


WORDS = st.one_of(
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=12),
    st.sampled_from(["🎉", "🏳️‍🌈", "👨‍👩‍👧", "👍🏽", "é", "ü", "مرحبا", "Straße", "&", "<", ">", "\n", "\n\n", " ", "  ",
                     "x" * 40, "🙂" * 30]))
TEXT = st.lists(WORDS, max_size=12).map(lambda words: esc("".join(words)))
TAGS = ["b", "i", "u", "s", "tg-spoiler", 'a href="https://example.org/?a=1&amp;b=2"', 'span class="tg-spoiler"']


def elements(depth: int = 0):
    if depth >= 3:
        return TEXT
    child = st.deferred(lambda: elements(depth + 1))
    wrapped = st.tuples(st.sampled_from(TAGS), st.lists(child, min_size=1, max_size=4)).map(
        lambda pair: f"<{pair[0]}>{''.join(pair[1])}</{pair[0].split()[0]}>")
    return st.one_of(TEXT, wrapped, st.lists(child, min_size=1, max_size=5).map("".join))


def longest_whitespace(text: str) -> int:
    return max((len(run) for run in re.findall(r"\s+", text)), default=0)


@settings(max_examples=300, deadline=None)
@given(st.lists(elements(), min_size=1, max_size=8).map("".join), st.integers(8, 300))
def test_every_part_is_balanced_html_within_the_limit_and_nothing_is_lost(text, limit):
    parse_html(text)                                   # the generator builds what Telegram accepts
    parts = split_for_telegram(text, limit)
    for part in parts:
        parse_html(part)                               # raises like Telegram's "can't find end tag"
        assert visible_length(part) <= limit
        assert plain(part).strip() or parts == [text]  # Telegram refuses an empty message
    joined = [c for p in parts for c in styled(p)]
    assert [c for c in joined if not c[0].isspace()] == [c for c in styled(text) if not c[0].isspace()]
    seen = plain(text)
    if longest_whitespace(seen) < limit // 2 and seen == seen.strip():   # nothing only whitespace to leave out
        assert joined == styled(text)


def test_the_whole_text_in_italics_is_cut_with_the_italics_closed_and_reopened():
    text = "<b>Summary</b>\n\n<i>" + esc("Fest 🎉 <mit> & ohne 🏳️‍🌈\n" * 300) + "</i>\n\nEnd"
    parts = split_for_telegram(text)
    assert len(parts) == 3
    assert parts[0].endswith("</i>") and parts[1].startswith("<i>") and parts[1].endswith("</i>")
    assert all(visible_length(p) <= MAX_TEXT for p in parts)
    assert [c for p in parts for c in styled(p)] == styled(text)


def test_an_emoji_with_its_modifiers_is_never_cut_in_half():
    parts = split_for_telegram("👍🏽" * 100, 51)
    assert all(p == "👍🏽" * (len(p) // 2) for p in parts)


async def test_a_long_emoji_heavy_description_still_gets_its_summary_and_send_button(telegram):  # noqa: F811
    tg, _ = telegram
    ada = tg.user(1201, "Ada", language_code="en")

    async def step(action, n: int = 1):
        await action
        return await ada.wait_messages(n, timeout=10)

    await step(ada.send("/start"))
    await step(ada.press(None, "lang:en"))
    await step(ada.press(None, "consent:yes"))
    await step(ada.press(None, "idea:new"))
    await step(ada.press(None, "idea:kind:project"))
    await step(ada.press(None, "idea:area:badstrasse"))
    title = "<Fest> & " + "🎉" * 71                                            # 80 characters, the most
    await step(ada.send(title))
    description = "\n".join("🎉🎈🌻🎶"[i % 4] * 98 + "🏳️‍🌈"[:1] for i in range(20))   # emoji count twice
    assert len(description) <= 2000 and len(description.encode("utf-16-le")) // 2 + 151 > MAX_TEXT
    summary = await step(ada.send(description), 2)
    assert title in summary[0].text
    assert summary[-1].buttons and any("Send" in label for row in summary[-1].buttons for label, _ in row)
    assert "".join(m.text for m in summary).count("🏳") == 20
