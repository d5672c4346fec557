"""A broadcast as the console's form holds it: reading and checking the fields, and the preview of what each
language group of the audience will read.

The rules are the chat's (dialogs/broadcasts/): the German text is required and is what residents without a
version in their language get (:func:`dialogs.broadcasts.sending.text_for`), every resident's message is
:func:`dialogs.broadcasts.staff_flow.resident_message` in their language, an accepted machine translation
carries the chat's mark (:func:`dialogs.broadcasts.staff_flow.machine_marked`), texts are at most as long as
the chat allows, and a time is read by the staff chat's grammar (:func:`dialogs.core.staff_input.read_when`:
Berlin time, a time skipped at the spring switch refused, the first of two at the autumn switch).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

from babel.dates import format_date, format_time
from babel.numbers import format_decimal

from console.forms import Form
from console.i18n import ConsoleTranslator
from dialogs.broadcasts.sending import FALLBACK_LANGUAGE, Audience, text_for
from dialogs.broadcasts.staff_flow import MAX_BROADCAST_TEXT, machine_marked, resident_message
from dialogs.core.i18n import N_
from dialogs.core.model import Area
from dialogs.core.staff_input import EXAMPLE_WHEN, InputError, read_when
from dialogs.core.text import esc, plain, visible_length
from locales import Language, languages

BODY_LABELS = {"council": N_("Quartiersrat (neighbourhood council)"),
               "jury": N_("Aktionsfondsjury (action fund jury)")}
WHEN_ERRORS = {      # staff_input's reasons, in the console's words
    "gap": N_("%(value)s does not exist: the clocks are put forward that night. Please choose another time."),
    "invalid": N_("“%(value)s” is not a valid date and time. Please type it like %(example)s."),
}
WHEN_UNREADABLE = N_("“%(value)s” is not a date and time like %(example)s.")


def number(t: ConsoleTranslator, n: int) -> str:
    return format_decimal(n, locale=t.locale)


def at_text(t: ConsoleTranslator, when: datetime) -> str:
    """"Tuesday, 24 November 2026 at 18:00" in the team's time zone."""
    local = when.astimezone(t.tz)
    return t._("%(day)s at %(time)s", day=format_date(local, "full", locale=t.locale),
               time=format_time(local, "short", locale=t.locale))


@dataclass(frozen=True)
class AudienceChoice:
    value: str                      # Audience.encode()
    label: str                      # in the team's language, for the select and the summaries


def audience_groups(t: ConsoleTranslator, areas: list[Area], bodies: list[str]) -> list[tuple[str, list[AudienceChoice]]]:
    """The audience picker: everyone, one area, or the subscribers of a body (all areas or one)."""
    groups = [("", [AudienceChoice("all", t._("All residents"))]),
              (t._("Residents of one area"), [AudienceChoice(Audience("area", area_key=a.key).encode(), a.name)
                                               for a in areas])]
    for body in bodies:
        name = t.gettext(BODY_LABELS.get(body, body))
        choices = [AudienceChoice(Audience("body", body=body).encode(), t._("Subscribers of the %(body)s, all areas",
                                                                            body=name))]
        choices += [AudienceChoice(Audience("body", area_key=a.key, body=body).encode(),
                                   t._("Subscribers of the %(body)s, %(area)s", body=name, area=a.name)) for a in areas]
        groups.append((t._("Subscribers of the %(body)s", body=name), choices))
    return groups


def audience_label(t: ConsoleTranslator, audience: Audience, areas: list[Area]) -> str:
    names = {a.key: a.name for a in areas}
    if audience.kind == "area":
        return t._("Residents of %(area)s", area=names.get(audience.area_key or "", audience.area_key or ""))
    if audience.kind == "body":
        body = t.gettext(BODY_LABELS.get(audience.body or "", audience.body or ""))
        if audience.area_key:
            return t._("Subscribers of the %(body)s, %(area)s", body=body,
                       area=names.get(audience.area_key, audience.area_key))
        return t._("Subscribers of the %(body)s, all areas", body=body)
    return t._("All residents")


@dataclass
class Draft:
    """What the form says, checked; ``form.errors`` names every problem (nothing is stored while any)."""

    form: Form
    audience: Audience | None = None
    texts: dict[str, str] = field(default_factory=dict)        # as typed, non-empty only
    machine: set[str] = field(default_factory=set)             # languages marked as machine translations
    later: bool = False
    send_at: datetime | None = None                            # UTC, when scheduled

    def stored_texts(self, translator_for) -> dict[str, str]:  # noqa: ANN001
        """The texts as the broadcast stores them: machine translations with the chat's mark."""
        return {code: machine_marked(translator_for(code), text) if code in self.machine else text
                for code, text in self.texts.items()}

    @property
    def values(self) -> dict[str, str]:
        """The fields as typed, to fill the form in again."""
        values = dict(self.form.values)
        values["audience"] = self.form.raw("audience")
        values["when"] = "later" if self.later else "now"
        values["machine_source"] = self.form.raw("machine_source")
        values.setdefault("send_at", self.form.raw("send_at").strip()[:40])
        for code in self.machine:
            values[f"machine_{code}"] = "1"
        return values


def read_draft(form: Form, choices: set[str], now: datetime, *, check_when: bool = True) -> Draft:
    draft = Draft(form)
    value = form.raw("audience")
    if value not in choices:
        form.error("audience", N_("Please choose who receives it."))
    else:
        draft.audience = Audience.decode(value)
    for lang in languages():
        name = f"text_{lang.code}"
        label = N_("German text") if lang.code == FALLBACK_LANGUAGE else lang.name
        text = form.text(name, label, max_length=MAX_BROADCAST_TEXT, required=lang.code == FALLBACK_LANGUAGE,
                         multiline=True)
        if text and name not in form.errors and visible_length(esc(text)) > MAX_BROADCAST_TEXT:
            form.error(name, N_("%(field)s is too long: at most %(max)s characters, this has %(length)s."),
                       field=form.t.gettext(label), max=MAX_BROADCAST_TEXT, length=visible_length(esc(text)))
        if text:
            draft.texts[lang.code] = text
            if form.raw(f"machine_{lang.code}") and lang.code != FALLBACK_LANGUAGE:
                draft.machine.add(lang.code)
    if draft.machine and form.raw("machine_source").strip() != draft.texts.get(FALLBACK_LANGUAGE, ""):
        first = min(draft.machine, key=lambda code: [lang.code for lang in languages()].index(code))
        form.error(f"text_{first}", N_("The German text changed after the machine translations were made. Please "
                                       "fill them in again, or untick “machine translation” where you checked them."))
    draft.later = form.raw("when") == "later"
    if draft.later and check_when:
        draft.send_at = read_send_at(form, now)
    return draft


def read_send_at(form: Form, now: datetime) -> datetime | None:
    """The time to send, typed like in the staff chat; refused when it has passed."""
    typed = form.text("send_at", N_("Date and time"), max_length=40, required=True)
    if not typed or "send_at" in form.errors:
        return None
    try:
        when = read_when(typed, now, form.t.tz)
    except InputError as exc:
        form.error("send_at", WHEN_ERRORS.get(exc.kind, WHEN_UNREADABLE), value=typed, example=EXAMPLE_WHEN)
        return None
    if when <= now:
        form.error("send_at", N_("%(when)s has passed. Please choose a time in the future."),
                   when=at_text(form.t, when))
        return None
    return when.astimezone(timezone.utc)


@dataclass(frozen=True)
class Version:
    """What one language group of the audience reads."""

    language: Language
    residents: int
    kind: str               # own | machine | german (the German text, with a note in their language) | simple
    message: str            # as the resident reads it (plain text: header, note, the team's text)


@dataclass(frozen=True)
class Preview:
    versions: list[Version]
    total: int
    german_fallback: int    # residents who get the German text because there is none in their language
    others: int             # residents whose language kiezbot does not offer (they get German too)

    @property
    def shown(self) -> list[Version]:
        """The versions worth a look: someone reads it, or the team wrote it."""
        return [v for v in self.versions if v.residents or v.kind in ("own", "machine")]


def preview(draft: Draft, by_language: dict[str, int], translator_for) -> Preview:  # noqa: ANN001
    """Every bot language: how many residents of the audience read it and what they get."""
    stored = draft.stored_texts(translator_for)
    known = {lang.code for lang in languages()}
    versions = []
    for lang in languages():
        text, fallback = text_for(stored, lang.code)
        if lang.code in draft.texts:
            kind = "machine" if lang.code in draft.machine else "own"
        else:
            kind = "german" if fallback else "simple"
        message = plain(resident_message(translator_for(lang.code), text, fallback).text) if text else ""
        versions.append(Version(lang, by_language.get(lang.code, 0), kind, message))
    others = sum(n for code, n in by_language.items() if code not in known)
    german = sum(v.residents for v in versions if v.kind == "german") + others
    return Preview(versions, sum(by_language.values()), german, others)
