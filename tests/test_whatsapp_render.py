"""bot/whatsapp/render.py: every reply the flows can build becomes messages the Cloud API takes, and
every choice offered can be made again by tap, number or label."""
from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.whatsapp.render import Menu, render, split_text, to_whatsapp, units
from dialogs.core.messages import Button, Document, Reply, Venue
from dialogs.core.text import esc, plain
from tests.fake_whatsapp import FakeWhatsApp, GraphError

FAKE = FakeWhatsApp()


def accepted(kind: str, content: dict) -> bool:
    """The fake's own checks (Meta's documented limits), without HTTP."""
    try:
        getattr(FAKE, f"_check_{kind}")(content) if kind != "document" else None
    except GraphError as exc:
        raise AssertionError(f"the Cloud API would refuse this {kind}: {exc.details}") from None
    return True


words = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30)
plain_words = st.text(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="*_~`"),
                      min_size=1, max_size=30)


@st.composite
def html_text(draw, alphabet=words) -> str:
    """Telegram HTML as the flows build it: escaped text, tags within a line, lines of any length."""
    lines = []
    for _ in range(draw(st.integers(0, 6))):
        pieces = []
        for _ in range(draw(st.integers(1, 4))):
            piece = esc(draw(alphabet))
            tag = draw(st.sampled_from(["", "b", "i", "code", "u", "a"]))
            if tag == "a":
                piece = f'<a href="https://example.org/x?a=1&amp;b=2">{piece}</a>'
            elif tag:
                piece = f"<{tag}>{piece}</{tag}>"
            pieces.append(piece)
        lines.append(" ".join(pieces))
    if draw(st.booleans()):
        lines.append("lang " * draw(st.integers(0, 1200)))          # long texts: several messages
    return "\n".join(lines)


labels = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40).filter(
    lambda s: s.strip())


@st.composite
def replies(draw, alphabet=words) -> Reply:
    n = draw(st.integers(0, 14))
    titles = draw(st.lists(labels, min_size=n, max_size=n))
    buttons = [Button(t, data=f"x:{i}") for i, t in enumerate(titles)]
    if draw(st.booleans()) and buttons:
        buttons.append(Button("Website", url="https://www.quartiersmanagement-berlin.de"))
    rows = [buttons[i:i + 2] for i in range(0, len(buttons), 2)]
    return Reply(text=draw(html_text(alphabet)), buttons=rows)


@settings(max_examples=200, deadline=None)
@given(replies())
def test_every_reply_becomes_messages_the_cloud_api_takes(reply):
    rendered = render(reply, list_button="Auswählen")
    for message in rendered.messages:
        assert accepted(message.kind, message.content)
    choices = [b for row in reply.buttons for b in row if b.data]
    interactive = [m for m in rendered.messages if m.kind == "interactive"]
    assert len(interactive) <= 1 and (not interactive or interactive[0] is rendered.messages[-1])
    if choices:
        assert rendered.menu is not None and [d for _, d in rendered.menu.choices] == [b.data for b in choices]
    if not reply.text.strip() and not choices:
        assert rendered.messages == [] or all(m.kind == "text" for m in rendered.messages)


@settings(max_examples=200, deadline=None)
@given(replies())
def test_every_choice_comes_back_by_tap_number_or_label(reply):
    rendered = render(reply)
    choices = [b for row in reply.buttons for b in row if b.data]
    if not choices:
        return
    menu = rendered.menu
    last = rendered.messages[-1]
    if last.kind == "interactive":
        inter = last.content
        ids = ([b["reply"]["id"] for b in inter["action"]["buttons"]] if inter["type"] == "button"
               else [r["id"] for r in inter["action"]["sections"][0]["rows"]])
        assert ids == [b.data for b in choices]           # a tap sends the id: the button's data
        assert not menu.numbered
    else:
        assert menu.numbered
        shown = "\n".join(m.content["body"] for m in rendered.messages if m.kind == "text")
        for i, button in enumerate(choices, 1):
            assert f"{i}. {button.label.strip()}" in shown
            assert menu.resolve(f" {i} ") == button.data
    for button in choices:
        typed = button.label.strip().rstrip(".")
        if menu.numbered and typed.isdecimal() and 1 <= int(typed) <= len(choices):
            continue              # in a numbered menu a typed number is the number shown, not a label
        same = [b for b in choices if Menu(((b.label, b.data),)).resolve(button.label)]
        assert menu.resolve(button.label) == same[0].data


@settings(max_examples=200, deadline=None)
@given(html_text(plain_words))
def test_text_survives_conversion_and_splitting(text):
    reply = render(Reply(text=text))
    joined = "".join(m.content["body"] for m in reply.messages)
    without_markers = re.sub(r"```|[*_~]", "", joined)
    expected = plain(re.sub(r'<a href="([^"]*)">(.*?)</a>', lambda m: f"{m.group(2)} ({m.group(1)})", text))
    assert re.sub(r"\s+", "", without_markers) == re.sub(r"\s+", "", expected)
    for message in reply.messages:
        assert 0 < units(message.content["body"]) <= 4096 and message.content["body"].strip()


@given(st.text(min_size=0, max_size=9000), st.integers(20, 4096))
def test_split_parts_are_never_blank_or_too_long(text, limit):
    parts = split_text(text, limit)
    assert all(p.strip() and units(p) <= limit for p in parts)
    assert re.sub(r"\s+", "", "".join(parts)) == re.sub(r"\s+", "", text)


def test_telegram_html_becomes_whatsapp_markup():
    assert to_whatsapp("<b>Quartiersrat</b>\nDienstag") == "*Quartiersrat*\nDienstag"
    assert to_whatsapp("Sitzung <b> morgen </b>um 18 Uhr") == "Sitzung  *morgen* um 18 Uhr"
    assert to_whatsapp("<i>kursiv</i> &amp; &lt;b&gt; bleibt Text") == "_kursiv_ & <b> bleibt Text"
    assert to_whatsapp("<b>zwei\nZeilen</b>") == "*zwei*\n*Zeilen*"
    assert to_whatsapp("<b>fett <i>und kursiv</i></b>") == "*fett _und kursiv_*"
    assert to_whatsapp("<b></b>leer") == "leer"
    assert to_whatsapp('<a href="https://qm-soldiner.de">Website</a>') == "Website (https://qm-soldiner.de)"
    assert to_whatsapp("<u>unter</u><span class=\"tg-spoiler\">x</span>") == "unterx"
    assert to_whatsapp("<code>13347</code>") == "```13347```"


def test_the_form_depends_on_count_and_title_length():
    yes_no = Reply("Einverstanden?", [[Button("Ja", data="y"), Button("Nein", data="n")]])
    assert render(yes_no).messages[-1].content["type"] == "button"
    areas = Reply("Welches Gebiet?", [[Button(f"Gebiet {i}", data=f"a:{i}")] for i in range(8)])
    listing = render(areas, list_button="Auswählen").messages[-1].content
    assert listing["type"] == "list" and listing["action"]["button"] == "Auswählen"
    long_titles = Reply("Thema?", [[Button("Aktionsfondsjury und Quartiersrat", data="t:1"), Button("Kurz", data="t:2")]])
    rendered = render(long_titles)
    # 33 characters fit neither a button (20) nor a list row (24): a numbered text menu
    assert [m.kind for m in rendered.messages] == ["text"] and rendered.menu.numbered
    assert rendered.messages[0].content["body"] == "Thema?\n\n1. Aktionsfondsjury und Quartiersrat\n2. Kurz"
    assert rendered.menu.resolve("1") == "t:1" and rendered.menu.resolve("kurz") == "t:2"
    many = Reply("Sprache?", [[Button(f"Sprache {i}", data=f"l:{i}")] for i in range(11)])
    numbered = render(many)
    assert numbered.menu.numbered and "11. Sprache 10" in numbered.messages[-1].content["body"]
    assert numbered.menu.resolve("11") == "l:10" and numbered.menu.resolve("sprache 3") == "l:3"
    assert numbered.menu.resolve("12") is None and numbered.menu.resolve("0") is None


def test_a_long_text_with_buttons_sends_the_text_first_and_the_buttons_with_its_end():
    text = "\n".join(f"Zeile {i}: " + "x" * 80 for i in range(60))
    rendered = render(Reply(text, [[Button("OK", data="ok")]]))
    kinds = [m.kind for m in rendered.messages]
    assert kinds[-1] == "interactive" and set(kinds[:-1]) == {"text"} and len(kinds) >= 3
    assert units(rendered.messages[-1].content["body"]["text"]) <= 1024


def test_venue_document_and_link_buttons():
    reply = Reply("<b>QM Soldiner Kiez</b>", [[Button("Website", url="https://qm-soldiner.de")]],
                  venue=Venue(52.556, 13.378, "Vor-Ort-Büro", "Koloniestr. 129"),
                  document=Document("meine-daten.json", b"{}", caption="Deine <b>Daten</b>"))
    rendered = render(reply)
    assert [m.kind for m in rendered.messages] == ["text", "location", "document"]
    assert rendered.messages[0].content["body"] == "*QM Soldiner Kiez*\nWebsite: https://qm-soldiner.de"
    assert rendered.messages[2].content["caption"] == "Deine *Daten*" and rendered.menu is None
