"""Reading what staff type for a session: start, end, place, agenda link, jury deadline.

Dates and times follow the one staff grammar of :mod:`dialogs.core.staff_input` (Europe/Berlin, a
time skipped at the spring switch refused, the first of two at the autumn switch); here come the
checks that belong to sessions (in the future, within two years, end after start, deadline before).
"""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone

from dialogs.core.i18n import N_
from dialogs.core.staff_input import InputError, local_time, parse_clock, read_date, read_when
from dialogs.core.text import clip
from dialogs.meetings.reminders import end_of_day

MAX_PLACE = 200
MAX_AGENDA = 3000
MAX_AHEAD_DAYS = 2 * 366
EXAMPLE_START = "14.02.2027 18:00"
EXAMPLE_DATE = "07.02.2027"

_URL = re.compile(r"^https?://[^\s<>\"]+$")


def parse_datetime(text: str, tz, now: datetime) -> datetime:
    """"14.02.2027 18:00" or "2027-02-14 18:00" in local time -> UTC; in the future, within two years."""
    typed = " ".join(text.split())
    moment = read_when(typed, now, tz, example=EXAMPLE_START).astimezone(timezone.utc)
    if moment <= now:
        raise InputError(N_("{text} is in the past. Please type a date in the future."), text=typed)
    if moment > now + timedelta(days=MAX_AHEAD_DAYS):
        raise InputError(N_("{text} is more than two years ahead. Please check the year."), text=typed)
    return moment


def parse_date(text: str, today: date) -> date:
    """"07.02.2027" or "2027-02-07"."""
    return read_date(text, today, example=EXAMPLE_DATE)


def parse_end(text: str, start: datetime, tz, now: datetime) -> datetime:
    """End of a session: a time on the start day ("20:00") or a full date and time; after the start."""
    typed = " ".join(text.split())
    clock = parse_clock(typed)
    if clock is not None:
        hour, minute = clock
        if hour > 23 or minute > 59:
            raise InputError(N_("“{text}” is not a valid time. Please type it like 20:00."), text=typed)
        end = local_time(start.astimezone(tz).date(), time(hour, minute),
                         tz, typed).astimezone(timezone.utc)
    else:
        try:
            end = parse_datetime(typed, tz, now)
        except InputError:
            raise InputError(N_("I could not read “{text}”. Please type the time the session ends, like 20:00."),
                             text=clip(typed, 60)) from None
    if end <= start:
        raise InputError(N_("The session cannot end at {text}: that is not after its start."), text=typed)
    if end - start > timedelta(hours=24):
        raise InputError(N_("The session cannot end at {text}: that is more than a day after its start."),
                         text=typed)
    return end


def parse_deadline(text: str, start: datetime, tz, now: datetime) -> datetime:
    """The jury's submission deadline: a date on or before the session day, not past."""
    day = parse_date(text, now.astimezone(tz).date())
    if day > start.astimezone(tz).date():
        raise InputError(N_("The deadline {text} is after the session. Please type a date before it."),
                         text=" ".join(text.split()))
    deadline = end_of_day(day, tz).astimezone(timezone.utc)
    if deadline <= now:
        raise InputError(N_("{text} is in the past. Please type a date in the future."), text=" ".join(text.split()))
    return deadline


def parse_place(text: str) -> str:
    place = " ".join(text.split())
    if not place:
        raise InputError(N_("Please type where the session takes place."))
    if len(place) > MAX_PLACE:
        raise InputError(N_("That is too long for a place ({n} characters). Please keep it under {limit}."),
                         n=str(len(place)), limit=str(MAX_PLACE))
    return place


def parse_agenda_url(text: str) -> str:
    url = text.strip()
    if not _URL.match(url) or len(url) > 500:
        raise InputError(N_("“{text}” is not a web link. Please start it with https://."), text=clip(url, 60))
    return url


def is_link(text: str) -> bool:
    return bool(_URL.match(text.strip()))
