"""Reading the session forms of the console with the staff chat's own rules.

Dates and times go through :mod:`dialogs.meetings.staff_parsing` (the one DST-safe staff grammar of
:mod:`dialogs.core.staff_input`: "14.02.2027 18:00" in Berlin time, a time skipped at the spring switch
refused, in the future and within two years, the end after the start, the jury deadline on or before
the session day), so the console accepts and refuses exactly what the chat does, with the chat's own
words in the team member's language. Each field's problem is kept for the form; nothing is saved while
any field is wrong.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from aiohttp import web

from console.forms import Form
from console.pages.decide import resident_texts
from console.web import CONFIG, TEXTS, user_of
from dialogs.core.i18n import N_
from dialogs.core.ports import BODIES, Meeting
from dialogs.core.staff_input import InputError
from dialogs.meetings.staff_parsing import (MAX_AGENDA, MAX_PLACE, parse_agenda_url, parse_datetime,
                                            parse_deadline, parse_end, parse_place)
from locales import languages


def engine(request: web.Request):  # noqa: ANN201 — the dialogs engine, or the console's ResidentTexts
    """What the shared session rules plan messages with: the bot's dialogs in ``kiezbot run``, else the
    residents' catalogs with the configured reminder lead times (``kiezbot console``)."""
    config = request.config_dict[CONFIG]
    return request.config_dict.get(TEXTS) or resident_texts(config.resident_default_language, config.timezone)


def actor(request: web.Request) -> str:
    user = user_of(request)
    assert user is not None
    return f"staff:{user.user_id} {user.name}".strip()


def form_time(value: datetime | None, tz, fmt: str = "%d.%m.%Y %H:%M") -> str:  # noqa: ANN001
    """A stored time as the staff grammar reads it back (the form's own input format, not a display)."""
    return value.astimezone(tz).strftime(fmt) if value is not None else ""


def _checked(form: Form, name: str, bot, parse, *args):  # noqa: ANN001, ANN002, ANN202
    """``parse(*args)``; an InputError becomes this field's error in the chat's words."""
    try:
        return parse(*args)
    except InputError as error:
        form.errors.setdefault(name, bot._(error.msgid, **error.values))
        return None


def bot_translator(request: web.Request, code: str):  # noqa: ANN201
    return engine(request).translator(code)


@dataclass
class NewSession:
    meeting: Meeting | None          # None while any field is wrong


def read_new(form: Form, bot, area_keys: set[str], now: datetime) -> NewSession:  # noqa: ANN001
    """The "new session" form -> a Meeting to schedule (or None, with the errors in ``form``)."""
    tz = bot.tz
    body = form.raw("body").strip()
    form.values["body"] = body
    if body not in BODIES:
        form.error("body", N_("Please choose the Quartiersrat or the Aktionsfondsjury."))
    area = form.raw("area").strip()
    form.values["area"] = area
    if area not in area_keys:
        form.error("area", N_("Please choose an area."))
    start, end, place = _when_and_where(form, bot, tz, now)
    agenda = {}
    for lang in languages():
        text = form.text(f"agenda_{lang.code}", N_("Agenda"), max_length=MAX_AGENDA, multiline=True)
        if text:
            agenda[lang.code] = text
    if agenda and "de" not in agenda:
        form.error("agenda_de", N_("Please give the agenda in German too: residents without their own "
                                   "language's agenda see the German one."))
    url_text = form.text("agenda_url", N_("Link to the agenda"), max_length=500)
    agenda_url = _checked(form, "agenda_url", bot, parse_agenda_url, url_text) if url_text else None
    deadline_text = form.text("deadline", N_("Deadline for applications"), max_length=30)
    deadline = None
    if deadline_text and body != "jury":
        form.error("deadline", N_("Only the Aktionsfondsjury has a deadline for applications."))
    elif deadline_text and start is not None:
        deadline = _checked(form, "deadline", bot, parse_deadline, deadline_text, start, tz, now)
    if not form.ok or start is None or place is None:
        return NewSession(None)
    return NewSession(Meeting(area_key=area, body=body, starts_at=start, ends_at=end, place=place,
                              agenda=agenda, agenda_url=agenda_url, deadline=deadline))


@dataclass
class Change:
    """What the change form asks for; ``fields``: only what differs from the session as stored."""

    starts_at: datetime
    ends_at: datetime | None
    place: str
    deadline: datetime | None
    fields: dict


def change_values(meeting: Meeting, tz) -> dict[str, str]:  # noqa: ANN001
    """The change form filled in from the stored session."""
    same_day = meeting.ends_at is not None and \
        meeting.ends_at.astimezone(tz).date() == meeting.starts_at.astimezone(tz).date()
    return {"start": form_time(meeting.starts_at, tz),
            "end": form_time(meeting.ends_at, tz, "%H:%M" if same_day else "%d.%m.%Y %H:%M"),
            "place": meeting.place, "deadline": form_time(meeting.deadline, tz, "%d.%m.%Y"),
            "revision": str(meeting.revision)}


def _when_and_where(form: Form, bot, tz, now: datetime):  # noqa: ANN001, ANN202
    """Start, end and place as the new-session and the change form both ask for them (None where wrong)."""
    start_text = form.text("start", N_("Start"), max_length=60, required=True)
    start = _checked(form, "start", bot, parse_datetime, start_text, tz, now) if start_text else None
    end_text = form.text("end", N_("End"), max_length=60)
    end = _checked(form, "end", bot, parse_end, end_text, start, tz, now) if end_text and start else None
    place_text = form.text("place", N_("Place"), max_length=MAX_PLACE, required=True)
    place = _checked(form, "place", bot, parse_place, place_text) if place_text else None
    return start, end, place


def read_change(form: Form, bot, current: Meeting, now: datetime) -> Change | None:  # noqa: ANN001
    """The change form of a planned session -> the change, or None (errors in ``form``)."""
    tz = bot.tz
    start, end, place = _when_and_where(form, bot, tz, now)
    deadline_text = form.text("deadline", N_("Deadline for applications"), max_length=30)
    deadline = None
    if deadline_text and current.body != "jury":
        form.error("deadline", N_("Only the Aktionsfondsjury has a deadline for applications."))
    elif deadline_text and start is not None:
        if current.deadline is not None and " ".join(deadline_text.split()) == form_time(current.deadline, tz,
                                                                                         "%d.%m.%Y"):
            deadline = current.deadline          # kept as it is (it may have passed: the session has not)
            if deadline.astimezone(tz).date() > start.astimezone(tz).date():
                form.error("deadline", N_("The current deadline is after the new date. Please type a new "
                                          "deadline."))
        else:
            deadline = _checked(form, "deadline", bot, parse_deadline, deadline_text, start, tz, now)
    if not form.ok or start is None or place is None:
        return None
    wanted = {"starts_at": start, "ends_at": end, "place": place, "deadline": deadline}
    fields = {k: v for k, v in wanted.items() if v != getattr(current, k)}
    return Change(start, end, place, deadline, fields)
