"""The event form of the console: what it shows for a stored event, and how what the team typed is read.

Dates, times and reminder lead times are read by the staff chat's own grammar
(:mod:`dialogs.core.staff_input`: "14.02.2027 18:00", "2027-02-14 18:00"; "2d 2h", "90 min"), in the
team's time zone, refusing a time that the spring switch skips. Limits are the chat's
(:mod:`dialogs.events.staff_texts`, :mod:`dialogs.events.rules`). Titles and descriptions per bot language:
German is required, residents whose language has none read the German one (as in the chat).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timezone, tzinfo

from console.forms import Form
from console.pages.overview import number
from dialogs.core.i18n import N_
from dialogs.core.staff_input import InputError, local_time, parse_leads, parse_time, read_when
from dialogs.events.rules import (DEFAULT_MAX_PARTY, DEFAULT_REMINDER_LEADS, FALLBACK_LANGUAGE, MAX_DESCRIPTION,
                                  MAX_PLACE, MAX_TITLE, Event, EventText, NewEvent)
from dialogs.events.staff_texts import MAX_CAPACITY, MAX_PARTY
from locales import languages

EXAMPLE = "14.02.2027 18:00"


@dataclass(frozen=True)
class EventDraft:
    """A complete, checked event as the form gives it."""

    texts: dict[str, EventText]
    area_key: str | None
    place: str
    starts_at: datetime
    ends_at: datetime | None
    deadline: datetime | None
    capacity: int | None
    max_party: int
    leads: tuple[int, ...]

    def new_event(self) -> NewEvent:
        return NewEvent(texts=self.texts, place=self.place, starts_at=self.starts_at, ends_at=self.ends_at,
                        area_key=self.area_key, capacity=self.capacity, max_party=self.max_party,
                        registration_deadline=self.deadline, reminder_leads=self.leads, source="staff")


def leads_input(leads: tuple[int, ...] | list[int]) -> str:
    """Minutes before the start as the grammar reads them back: (2880, 120) -> "2d 2h"."""
    parts = []
    for lead in sorted(leads, reverse=True):
        parts.append(f"{lead // 1440}d" if lead % 1440 == 0 else f"{lead // 60}h" if lead % 60 == 0 else f"{lead}m")
    return " ".join(parts)


def fingerprint(event: Event) -> str:
    """What the form was filled from: a form whose fingerprint no longer matches is refused (someone else
    saved, or the event was moved or cancelled meanwhile). Sign-ups do not count: they change all the time
    and the form does not show them."""
    facts = (sorted((k, v.title, v.description) for k, v in event.texts.items()), event.area_key, event.place,
             event.starts_at.isoformat(), event.ends_at.isoformat() if event.ends_at else "",
             event.registration_deadline.isoformat() if event.registration_deadline else "", event.capacity,
             event.max_party, tuple(event.reminder_leads), event.status, event.sequence)
    return hashlib.sha256(repr(facts).encode()).hexdigest()[:32]


def blank_values() -> dict[str, str]:
    return {"max_party": str(DEFAULT_MAX_PARTY), "reminders": leads_input(DEFAULT_REMINDER_LEADS), "area": ""}


def form_values(event: Event, tz: tzinfo) -> dict[str, str]:
    """The form as the stored event fills it in."""
    def when(value: datetime | None) -> str:
        return value.astimezone(tz).strftime("%d.%m.%Y %H:%M") if value else ""

    values = {"area": event.area_key or "", "place": event.place, "start": when(event.starts_at),
              "end": "", "deadline": when(event.registration_deadline),
              "capacity": "" if event.capacity is None else str(event.capacity), "max_party": str(event.max_party),
              "reminders": leads_input(event.reminder_leads), "fingerprint": fingerprint(event)}
    if event.ends_at:
        same_day = event.ends_at.astimezone(tz).date() == event.starts_at.astimezone(tz).date()
        values["end"] = event.ends_at.astimezone(tz).strftime("%H:%M") if same_day else when(event.ends_at)
    for code, text in event.texts.items():
        values[f"title_{code}"], values[f"description_{code}"] = text.title, text.description
    return values


def _when(form: Form, name: str, label: str, now: datetime, tz: tzinfo, *, day_of: datetime | None = None
          ) -> datetime | None:
    """A date and time (or, with ``day_of``, also a bare clock time on that day) typed into ``name``."""
    typed = form.text(name, label, max_length=40)
    if not typed or name in form.errors:
        return None
    clock = parse_time(typed) if day_of is not None else None
    try:
        if clock is not None and day_of is not None:
            return local_time(day_of.astimezone(tz).date(), clock, tz, typed).astimezone(timezone.utc)
        # in UTC at once: Python finds no time of the autumn switch's repeated hour == to another zone's
        return read_when(typed, now, tz, example=EXAMPLE).astimezone(timezone.utc)
    except InputError as error:
        if error.kind == "gap":
            form.error(name, N_("%(field)s: %(value)s does not exist: the clocks are put forward that night. "
                                "Please choose another time."), field=form.t.gettext(label), value=typed)
        elif error.kind == "invalid":
            form.error(name, N_("%(field)s: “%(value)s” is not a valid date and time."),
                       field=form.t.gettext(label), value=typed)
        else:
            form.error(name, N_("%(field)s: “%(value)s” is not a date and time like %(example)s."),
                       field=form.t.gettext(label), value=typed, example=EXAMPLE)
        return None


def whole_number(form: Form, name: str, label: str, lowest: int, highest: int, *, empty_ok: bool) -> int | None:
    typed = form.text(name, label, max_length=12)
    if not typed and empty_ok:
        return None
    if typed.isdecimal() and lowest <= int(typed) <= highest:
        return int(typed)
    if empty_ok:
        form.error(name, N_("%(field)s: a whole number from %(low)s to %(high)s, or empty for no limit."),
                   field=form.t.gettext(label), low=number(form.t, lowest), high=number(form.t, highest))
    else:
        form.error(name, N_("%(field)s: a whole number from %(low)s to %(high)s."), field=form.t.gettext(label),
                   low=number(form.t, lowest), high=number(form.t, highest))
    return None


def _texts(form: Form) -> dict[str, EventText]:
    texts = {}
    for lang in languages():
        code = lang.code
        german = code == FALLBACK_LANGUAGE
        title = form.text(f"title_{code}", N_("Title (German)") if german else
                          form.t._("Title (%(language)s)", language=lang.name), max_length=MAX_TITLE, required=german)
        description = form.text(f"description_{code}", N_("Description (German)") if german else
                                form.t._("Description (%(language)s)", language=lang.name),
                                max_length=MAX_DESCRIPTION, multiline=True)
        if description and not title and not german:
            form.error(f"title_{code}", N_("%(language)s: a description needs a title too."), language=lang.name)
        if title:
            texts[code] = EventText(title, description.replace("\r\n", "\n"))
    return texts


def read_event(form: Form, now: datetime, tz: tzinfo, areas: dict[str, str], *,
               current: Event | None = None) -> EventDraft | None:
    """Every field checked (errors per field in ``form``); the draft when all are right, else None.
    ``current``: the stored event being edited (an unchanged start may lie in the past: it is running)."""
    texts = _texts(form)
    area = form.text("area", N_("Area"), max_length=64)
    if area and area not in areas:
        form.error("area", N_("Area: please pick one from the list."))
    place = form.text("place", N_("Place"), max_length=MAX_PLACE, required=True)
    start = _when(form, "start", N_("Start"), now, tz)
    if start is not None and start <= now and (current is None or start != current.starts_at):
        form.error("start", N_("Start: this time is in the past. Please give a future date and time."))
    if "start" not in form.errors and start is None:
        form.error("start", N_("%(field)s: please fill this in."), field=form.t.gettext(N_("Start")))
    end = _when(form, "end", N_("End"), now, tz, day_of=start) if start else None
    if start and end and end <= start:
        form.error("end", N_("End: the end must be after the start."))
    deadline = _when(form, "deadline", N_("Registration until"), now, tz)
    if deadline is not None and start is not None and deadline > start:
        form.error("deadline", N_("Registration until: must not be after the start."))
    elif deadline is not None and deadline <= now and (current is None or deadline != current.registration_deadline):
        form.error("deadline", N_("Registration until: this time is in the past."))
    capacity = whole_number(form, "capacity", N_("Places"), 1, MAX_CAPACITY, empty_ok=True)
    if capacity is not None and current is not None and capacity < current.seats_taken:
        form.error("capacity", N_("Places: %(taken)s places are already taken, so there must be at least that "
                                  "many."), taken=number(form.t, current.seats_taken))
    max_party = whole_number(form, "max_party", N_("People per sign-up"), 1, MAX_PARTY, empty_ok=False)
    reminders = form.text("reminders", N_("Reminders"), max_length=80)
    try:
        leads = tuple(sorted({lead.total_minutes for lead in parse_leads(reminders)}, reverse=True))
    except ValueError:
        form.error("reminders", N_("Reminders: “%(value)s” is not understood. Examples: 2d 2h, 1d, 90m; leave "
                                   "empty for none."), value=reminders)
        leads = ()
    if not form.ok or start is None or max_party is None:
        return None
    return EventDraft(texts, area or None, place, start, end, deadline, capacity, max_party, leads)
