"""Machine translations the team is offered for texts many residents read: broadcasts, events, sessions.

Staff write German (the team's language), perhaps a version or two of their own. On request the
preview offers a machine translation for every language still missing — each to accept, edit or drop::

    [🌐 Offer machine translations] ─> one message per missing language:
        "🌐 Machine translation into Turkish: …"  [✅ Accept] [✏️ Edit] [🗑 Drop]
    Accept ─> stored, marked for residents ("🌐 Machine translation from German", in their language)
    Edit   ─> the flow asks for the text in that language (the translation is shown to copy); what the
              team sends is theirs and unmarked
    Drop   ─> residents of that language get the German text, as without a service

A text the team typed always wins: :func:`fill_missing` never translates into a language that has one,
:func:`typed` forgets the offer and the machine mark when the team writes that language themselves, and
:func:`stale` withdraws accepted translations when the German text changes.

Two layers: :func:`fill_missing` and :func:`accepted` know nothing of chats (a console page uses them
for its forms); :func:`offer`, :func:`decide`, :func:`typed` and :func:`stale` keep the offers in a
staff member's draft (``ctx.data``) for the chat flows, whose buttons are ``<prefix>:mt`` (make the
offers) and ``<prefix>:mtok|mted|mtno:<language>``.
"""
from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from typing import Any

from dialogs.core.engine import Context
from dialogs.core.messages import Button
from dialogs.core.text import esc
from dialogs.translation import flows
from dialogs.translation.languages import base_code, language_name
from dialogs.translation.view import MACHINE_FROM, MARK

OFFERED = "machine"              # draft key: {language: {field: translation}} offered, not yet decided
ACCEPTED = "machine_codes"       # draft key: languages whose text is an accepted machine translation
ACTIONS = ("mtok", "mted", "mtno")


# --- without a chat (also for the console) -----------------------------------------------------------
def available(app: Any) -> bool:
    """Whether a translation service answers previews in this kiezbot."""
    return flows.settings(app).live is not None


async def fill_missing(app: Any, original: Mapping[str, str], have: Iterable[str],
                       languages: Iterable[str]) -> dict[str, dict[str, str]]:
    """Machine translations of ``original`` (fields in the team's language, e.g. ``{"title": …,
    "description": …}``) for every language in ``languages`` not in ``have`` (the languages with a text
    of their own, which always win; Einfache Sprache reads German; one request per language, not per
    variant), translated now and at once. A language is left out unless every non-empty field came back
    within the preview's bound; empty fields stay empty. ``{}`` without a service."""
    p = flows.policy(app)
    fields = {name: text for name, text in original.items() if text.strip()}
    if not available(app) or not fields:
        return {}
    own = set(have)
    seen: dict[str, str] = {}
    for code in languages:
        if code not in own and base_code(code) not in {base_code(c) for c in own} | set(seen) \
                and flows.for_reader(app, code):
            seen[base_code(code)] = code
    codes = list(seen.values())
    asked = [(code, name) for code in codes for name in fields]
    found = await asyncio.gather(*(flows.preview(app, fields[name], code) for code, name in asked))
    done: dict[str, dict[str, str]] = {code: {name: "" for name in original} for code in codes}
    for (code, name), text in zip(asked, found):
        if text is None:
            done.pop(code, None)
        elif code in done:
            done[code][name] = text
    return done


def mark(app: Any, code: str, text: str) -> str:
    """``text`` as residents reading ``code`` get an accepted machine translation: marked, in their language."""
    return marked(app.translator(code), flows.policy(app).team_language, text)


def marked(t: Any, source: str, text: str) -> str:
    """``text``, machine-translated from ``source``, with the mark for readers of ``t``'s language (the chat's
    previews and the staff console store accepted translations alike)."""
    head = f"{MARK} {t._(MACHINE_FROM, language=language_name(source, t.language.locale) or source)}"
    return f"{head}\n\n{text}" if text.strip() else head


def accepted(app: Any, code: str, fields: Mapping[str, str], marked: str) -> dict[str, str]:
    """The fields of an accepted translation as stored: field ``marked`` carries the machine mark
    (a description, an agenda, a broadcast's text), the others stay as translated (a title)."""
    return {name: mark(app, code, text) if name == marked else text for name, text in fields.items()}


# --- in a staff member's draft ------------------------------------------------------------------------
def offer_button(ctx: Context, prefix: str) -> list[Button]:
    return [Button("🌐 " + ctx._("Offer machine translations"), f"{prefix}:mt")]


def can_offer(ctx: Context, original: str, have: Iterable[str]) -> bool:
    """Whether the preview shows :func:`offer_button`: a service, a German text, a language without a text."""
    own = {base_code(code) for code in have}
    return bool(original.strip()) and available(ctx.engine) and \
        any(base_code(lang.code) not in own and flows.for_reader(ctx.engine, lang.code)
            for lang in ctx.engine.catalogs.languages)


async def offer(ctx: Context, prefix: str, original: Mapping[str, str], have: Iterable[str]) -> bool:
    """Translate now and post one offer per missing language; False (and a note) when none came back."""
    codes = [lang.code for lang in ctx.engine.catalogs.languages]
    made = await fill_missing(ctx.engine, original, have, codes)
    ctx.data[OFFERED] = made
    if not made:
        ctx.say("🌐 " + ctx._("The translation service did not answer in time; residents without a version in "
                              "their language get the German text."))
        return False
    for code, fields in made.items():
        ctx.say("🌐 " + ctx._("Machine translation into {language}:", language=_name(ctx, code)) + "\n\n"
                + "\n\n".join(esc(text) for text in fields.values() if text.strip()),
                [[Button("✅ " + ctx._("Accept"), f"{prefix}:mtok:{code}"),
                  Button("✏️ " + ctx._("Edit"), f"{prefix}:mted:{code}"),
                  Button("🗑 " + ctx._("Drop"), f"{prefix}:mtno:{code}")]])
    return True


def decide(ctx: Context, action: str, code: str, marked: str) -> dict[str, str] | None:
    """A press on an offer. ``mtok``: the fields to store (marked, see :func:`accepted`); ``mted``: the
    fields as translated, for the team to copy and change (the offer stays until their text comes);
    ``mtno``: ``{}``. ``None`` (with a toast) when the offer is gone."""
    offered: dict[str, dict[str, str]] = ctx.data.get(OFFERED, {})
    if action not in ACTIONS or code not in offered:
        ctx.toast = ctx._("This button is no longer valid.")
        return None
    if action == "mted":
        return dict(offered[code])
    fields = offered.pop(code)
    if action == "mtno":
        return {}
    ctx.data.setdefault(ACCEPTED, []).append(code)
    return accepted(ctx.engine, code, fields, marked)


def typed(ctx: Context, code: str) -> None:
    """The team wrote the ``code`` text themselves: it wins over an offer and loses the machine mark."""
    ctx.data.get(OFFERED, {}).pop(code, None)
    if code in ctx.data.get(ACCEPTED, []):
        ctx.data[ACCEPTED].remove(code)


def stale(ctx: Context) -> list[str]:
    """The German text changed: offers are withdrawn; returns the languages whose accepted machine
    translations the caller removes (they translate the old text)."""
    ctx.data.pop(OFFERED, None)
    return ctx.data.pop(ACCEPTED, [])


def machine_made(ctx: Context) -> set[str]:
    """Languages in the draft whose text is an accepted machine translation (the team may still type theirs)."""
    return set(ctx.data.get(ACCEPTED, []))


def _name(ctx: Context, code: str) -> str:
    return ctx.t.ltr(ctx.engine.language(code).name)


__all__ = ["ACTIONS", "accepted", "available", "can_offer", "decide", "fill_missing", "machine_made", "mark",
           "offer", "offer_button", "stale", "typed"]
