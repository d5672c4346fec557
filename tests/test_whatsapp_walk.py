"""Every reply of every flow, in every language, on WhatsApp: the walk of tests/i18n_walk.py (every command,
every button, sample texts in every step) rendered by bot/whatsapp/render.py and checked against the
Cloud API's documented limits (the fake's checks), with every offered choice reachable again."""
from __future__ import annotations

from collections import Counter

import pytest

from bot.whatsapp.render import render
from bot.whatsapp.transport import LIST_BUTTON
from dialogs.core.messages import Reply
from locales import languages
from tests.fake_whatsapp import FakeWhatsApp, GraphError

FAKE = FakeWhatsApp()
FORMS: dict[str, Counter] = {}


def problems_of(reply: Reply) -> tuple[list[str], str]:
    rendered = render(reply, list_button=LIST_BUTTON)
    problems, form = [], ""
    for message in rendered.messages:
        check = getattr(FAKE, f"_check_{message.kind}")
        try:
            if message.kind != "document":
                check(message.content)
        except GraphError as exc:
            problems.append(f"{reply.text[:50]!r}: {message.kind} refused: {exc.details}")
    choices = [b for row in reply.buttons for b in row if b.data]
    if choices:
        menu = rendered.menu
        last = rendered.messages[-1].content if rendered.messages else {}
        form = "numbered" if menu.numbered else last.get("type", "?")
        for i, button in enumerate(choices, 1):
            typed = str(i) if menu.numbered else button.label
            if menu.resolve(typed) != button.data:
                problems.append(f"{button.label!r} cannot be chosen by typing {typed!r}")
    return problems, form


@pytest.mark.parametrize("code", [lang.code for lang in languages()])
def test_every_reply_of_every_flow_fits_whatsapp(flow_walks, code):
    walk = flow_walks[code]
    assert walk.actions > 40 and any("Bellermannstraße 81" in r.text for r in walk.replies), "the walk got stuck"
    problems: list[str] = []
    forms = FORMS.setdefault(code, Counter())
    for reply in [*walk.replies, *(Reply(text=t) for t in walk.toasts)]:
        found, form = problems_of(reply)
        problems += found
        if form:
            forms[form] += 1
    assert not problems, "\n".join(problems[:30])
    assert forms["button"] and forms["list"], forms      # the native forms carry most menus
    print(code, dict(forms))
