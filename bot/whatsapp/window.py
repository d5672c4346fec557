"""WhatsApp's 24-hour customer-service window, message templates, and STOP.

Meta lets a business send free-form messages (text, buttons, lists) only within 24 hours of the user's
last message to it; outside that window only a pre-approved **message template** may go. kiezbot's
outbox knows each message's *purpose*; this module decides per message:

* a reply to something the resident just asked (no purpose of the table below): free-form — it is inside
  the window by construction; should it wait so long that the window closed, it is *not sendable*;
* a message kiezbot sends on its own (reminders, event changes, decisions, broadcasts, retention
  warnings): free-form inside the window; outside it the template configured for its purpose and the
  resident's language (``KIEZBOT_WHATSAPP_TEMPLATES_FILE``), else *not sendable on WhatsApp* — recorded
  on the outbox row as the reason it failed (never dropped silently, never retried);
* after "STOP" (or "Abmelden", "DUR", "توقف" … :data:`STOP_WORDS`) nothing of the second kind goes
  at all, until "START" (:data:`START_WORDS`); replies to what the resident asks still do.

Templates file (YAML), one entry per purpose and language; ``params`` lists what fills the template's
body variables ``{{1}}``, ``{{2}}`` … in order: ``text`` (the whole message as one line) or
``first_line`` (its first line, usually the bold title)::

    reminder:                       # meeting-reminder, event-reminder
      de: {name: kiezbot_erinnerung, params: [first_line, text]}
      tr: {name: kiezbot_hatirlatma, params: [text]}
    event_change: {de: {name: kiezbot_termin_aenderung, params: [text]}}   # event/meeting changes
    decision: {de: {name: kiezbot_entscheidung, params: [text]}}           # a staff decision on an idea
    broadcast: {de: {name: kiezbot_rundbrief, params: [text]}}
    retention_warning: {de: {name: kiezbot_loeschhinweis, params: [text]}}

``language`` (optional) is the template's language code at Meta when it differs from kiezbot's
(``de_simple`` → ``de``, the default for variants). A resident's language without a template falls back
to its base language (``de_simple`` → ``de``), never to another language.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import yaml

from bot.whatsapp.render import to_whatsapp

WINDOW = timedelta(hours=24)

# outbox purpose -> template purpose. Purposes not listed are replies a resident asked for.
UNREQUESTED = {
    "meeting-reminder": "reminder", "event-reminder": "reminder",
    "event-change": "event_change", "event-cancelled": "event_change", "event-promoted": "event_change",
    "event-message": "event_change",
    "meeting-notice": "event_change",
    "idea_notice": "decision",
    "broadcast": "broadcast",
    "retention": "retention_warning",
}
TEMPLATE_PURPOSES = ("reminder", "event_change", "decision", "broadcast", "retention_warning")
PARAM_SOURCES = ("text", "first_line")
PARAM_LIMIT = 900           # Meta: a body of at most 1024 characters, the template's own text included

# Whole messages (case, accents and punctuation ignored) that end all unrequested messages, in every
# language kiezbot offers: de, de_simple, en, tr, ar, ru, uk, pl, bg, ro.
STOP_WORDS = frozenset({
    "stop", "stopp", "abmelden", "abbestellen", "austragen", "keine nachrichten", "unsubscribe",
    "dur", "durdur", "abonelikten cik", "abonelikten çık", "abonelik iptal",
    "توقف", "توقف عن الإرسال", "الغاء الاشتراك", "إلغاء الاشتراك",
    "стоп", "отписаться", "отписка",
    "відписатися", "зупинити", "припинити",
    "wypisz", "wypisz mnie", "rezygnuje", "rezygnuję", "zatrzymaj",
    "спри", "отпиши", "отписване",
    "dezabonare", "dezabonez", "opreste", "oprește",
})
START_WORDS = frozenset({"start", "anmelden", "basla", "başla", "ابدأ", "ابدا", "старт", "почати", "zapisz",
                         "abonare", "pornire"})


def _normal(text: str) -> str:
    """Case, accents, diacritics, punctuation and spacing folded away: "Oprește!" -> "opreste"."""
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    text = re.sub(r"[!.?¡¿،؟…\"'*]+", "", text)
    return re.sub(r"[\s\u200f\u200e]+", " ", text).strip()


_STOP = frozenset(_normal(w) for w in STOP_WORDS)
_START = frozenset(_normal(w) for w in START_WORDS)


def is_stop(text: str) -> bool:
    """The whole message asks to stop (``"Stopp!"``, ``"ABMELDEN"``, ``"توقف"``); a sentence that
    merely contains the word does not."""
    return _normal(text) in _STOP


def is_start(text: str) -> bool:
    return _normal(text) in _START


def in_window(last_inbound_at: datetime | None, now: datetime) -> bool:
    return last_inbound_at is not None and now - last_inbound_at < WINDOW


@dataclass(frozen=True)
class TemplateSpec:
    name: str
    language: str
    params: tuple[str, ...] = ("text",)


class TemplatesError(ValueError):
    pass


class Templates:
    def __init__(self, table: dict[tuple[str, str], TemplateSpec] | None = None) -> None:
        self.table = dict(table or {})

    @classmethod
    def from_mapping(cls, data: object) -> "Templates":
        if data in (None, ""):
            return cls()
        if not isinstance(data, dict):
            raise TemplatesError("must map purposes to languages to templates")
        table = {}
        for purpose, per_language in data.items():
            if purpose not in TEMPLATE_PURPOSES:
                raise TemplatesError(f"unknown purpose {purpose!r} (one of {', '.join(TEMPLATE_PURPOSES)})")
            if not isinstance(per_language, dict):
                raise TemplatesError(f"{purpose}: must map languages to templates")
            for language, entry in per_language.items():
                if not isinstance(entry, dict) or not str(entry.get("name") or "").strip():
                    raise TemplatesError(f"{purpose}/{language}: needs a name")
                params = tuple(entry.get("params") or ("text",))
                unknown = [p for p in params if p not in PARAM_SOURCES]
                if unknown:
                    raise TemplatesError(f"{purpose}/{language}: unknown params {unknown} (use {PARAM_SOURCES})")
                table[(purpose, str(language))] = TemplateSpec(str(entry["name"]).strip(),
                                                               str(entry.get("language") or
                                                                   str(language).split("_")[0]), params)
        return cls(table)

    @classmethod
    def from_file(cls, path: Path | None) -> "Templates":
        if path is None:
            return cls()
        try:
            return cls.from_mapping(yaml.safe_load(Path(path).read_text(encoding="utf-8")))
        except (OSError, yaml.YAMLError) as exc:
            raise TemplatesError(f"{path}: {exc}") from None

    def find(self, purpose: str, language: str) -> TemplateSpec | None:
        return self.table.get((purpose, language)) or self.table.get((purpose, language.split("_")[0]))


def one_line(html_text: str) -> str:
    """A message as a template parameter: WhatsApp markup, lines joined with " · ", no runs of spaces
    (Meta refuses new lines, tabs and more than four spaces in a row), at most :data:`PARAM_LIMIT`."""
    lines = [re.sub(r"[ \t]+", " ", line).strip() for line in to_whatsapp(html_text).split("\n")]
    value = " · ".join(line for line in lines if line)
    return value if len(value) <= PARAM_LIMIT else value[:PARAM_LIMIT - 1].rstrip() + "…"


def first_line(html_text: str) -> str:
    for line in to_whatsapp(html_text).split("\n"):
        line = re.sub(r"[ \t]+", " ", line).strip().strip("*_~").strip()
        if line:
            return line[:PARAM_LIMIT]
    return "…"


@dataclass(frozen=True)
class Decision:
    """``free`` (send the rendered reply), ``template`` (send ``template`` with ``params``), or
    ``not_sendable`` with the ``reason`` recorded on the outbox row."""

    kind: str
    template: TemplateSpec | None = None
    params: tuple[str, ...] = ()
    reason: str = ""


def decide(*, purpose: str, language: str, text: str, last_inbound_at: datetime | None, now: datetime,
           stopped: bool, templates: Templates) -> Decision:
    unrequested = UNREQUESTED.get(purpose)
    if unrequested and stopped:
        return Decision("not_sendable", reason="not sendable on WhatsApp: the resident sent STOP")
    if in_window(last_inbound_at, now):
        return Decision("free")
    if unrequested is None:
        return Decision("not_sendable", reason="not sendable on WhatsApp: the 24-hour window closed before "
                                               "this reply went out")
    spec = templates.find(unrequested, language)
    if spec is None:
        return Decision("not_sendable", reason=f"not sendable on WhatsApp: outside the 24-hour window and no "
                                               f"template for {unrequested}/{language}")
    values = tuple(one_line(text) if p == "text" else first_line(text) for p in spec.params)
    return Decision("template", spec, tuple(v if v.strip() else "…" for v in values))
