"""What the team types into the staff chat (and the command line): dates and times, reminder lead times.

One grammar for every staff flow (events, meetings, broadcasts, ``kiezbot broadcast --at``).

Date and time (:func:`read_when` raises :class:`InputError`, :func:`parse_when` returns None)::

    "24.12.2026 18:00"   "24.12.26 18:00"   "24.12. 18 Uhr" (the next 24 December)
    "24.12.2026, 18:00 Uhr"   "24.12.2026 um 18.00"   "2026-12-24 18:00"   "2026-12-24T18:00"

The wall-clock time is read in the team's time zone (Europe/Berlin) and returned as an aware datetime
in that zone. Daylight saving time:

* Spring switch (last Sunday of March, 02:00 -> 03:00): 02:00–02:59 does not exist on that day
  ("29.03.2026 02:30"); it is refused with "the clocks are put forward", never silently shifted.
* Autumn switch (last Sunday of October, 03:00 -> 02:00): 02:00–02:59 happens twice
  ("25.10.2026 02:30"); the *first* one is meant (still summer time, ``fold=0``: 00:30 UTC). Mind that
  Python never finds such a time ``==`` to one in another zone (PEP 495); compare in UTC.

Lead times before an event or session (:func:`parse_leads`, raises ValueError)::

    "1d,2h"   "3d 1h"   "2 Tage, 2 Stunden"   "90 min"   "2 days and 2 hours"   "" / "none" / "off" (none)
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timezone, tzinfo
from zoneinfo import ZoneInfo

from dialogs.core.i18n import N_, Translator
from dialogs.core.text import clip, esc

EXAMPLE_WHEN = "14.02.2027 18:00"
MAX_LEAD_DAYS = 60


class InputError(ValueError):
    """A typed value that cannot be used: a translatable message (msgid) and its values.

    ``kind``: "unreadable", "invalid" (date or time that is no date or time), "gap" (a local time
    that does not exist at the spring switch), or "" for checks of the calling flow.
    """

    def __init__(self, msgid: str, kind: str = "", **values: str) -> None:
        super().__init__(msgid.format(**values))
        self.msgid = msgid
        self.kind = kind
        self.values = values

    def html(self, t: Translator) -> str:
        return t._(self.msgid, **{k: esc(v) for k, v in self.values.items()})


def zone_of(tz: str | tzinfo) -> tzinfo:
    return ZoneInfo(tz) if isinstance(tz, str) else tz


# --- date and time -----------------------------------------------------------------------------
_DATE_DE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{2}|\d{4})?$")
_DATE_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_CLOCK = re.compile(r"^(\d{1,2})(?:[:.](\d{2}))?(?:\s*(?:uhr|h))?$", re.I)


def parse_clock(text: str) -> tuple[int, int] | None:
    """ "18:00", "18.00", "18 Uhr", "9h" -> (hour, minute) as typed (not checked), or None."""
    match = _CLOCK.match(text.strip())
    return (int(match.group(1)), int(match.group(2) or 0)) if match else None


def parse_time(text: str) -> time | None:
    clock = parse_clock(text)
    if clock is None:
        return None
    hour, minute = clock
    return time(hour, minute) if hour < 24 and minute < 60 else None


def _date_parts(text: str, today: date) -> tuple[int, int, int] | None:
    """(year, month, day) as typed; a date without year is the next one from ``today``."""
    text = text.strip().rstrip(",")
    if match := _DATE_DE.match(text):
        day, month, year = int(match.group(1)), int(match.group(2)), match.group(3)
        if year is None:
            try:
                return (today.year if date(today.year, month, day) >= today else today.year + 1), month, day
            except ValueError:
                return today.year, month, day               # invalid anyway: reported by the caller
        return int(year) + (2000 if len(year) == 2 else 0), month, day
    if match := _DATE_ISO.match(text):
        return int(match.group(1)), int(match.group(2)), int(match.group(3))
    return None


def parse_date(text: str, today: date) -> date | None:
    parts = _date_parts(text, today)
    try:
        return date(*parts) if parts else None
    except ValueError:
        return None


def read_date(text: str, today: date, *, example: str) -> date:
    """A date typed by staff ("07.02.2027", "7.2.", "2027-02-07"). Raises :class:`InputError`."""
    typed = " ".join(text.split())
    parts = _date_parts(typed, today)
    if parts is None:
        raise InputError(N_("I could not read “{text}”. Please type a date like {example}."),
                         "unreadable", text=clip(typed, 60), example=example)
    try:
        return date(*parts)
    except ValueError:
        raise InputError(N_("“{text}” is not a valid date. Please type it like {example}."),
                         "invalid", text=typed, example=example) from None


def local_time(day: date, clock: time, tz: str | tzinfo, typed: str) -> datetime:
    """``day`` at ``clock`` in the zone; refuses a time skipped at the spring switch; the first of two
    at the autumn switch."""
    zone = zone_of(tz)
    aware = datetime.combine(day, clock, tzinfo=zone)
    if aware.astimezone(timezone.utc).astimezone(zone).replace(tzinfo=None) != aware.replace(tzinfo=None):
        raise InputError(N_("{text} does not exist: the clocks are put forward that night. "
                            "Please choose another time."), "gap", text=typed)
    return aware


def read_when(text: str, now: datetime, tz: str | tzinfo, *, example: str = EXAMPLE_WHEN) -> datetime:
    """Date and time typed by staff -> aware datetime in ``tz``. Raises :class:`InputError`."""
    typed = " ".join(text.split())
    cleaned = re.sub(r"^(\d{4}-\d{1,2}-\d{1,2})T", r"\1 ", typed)
    cleaned = re.sub(r"\b(um|at)\b", " ", cleaned, flags=re.I).replace(",", " ")
    parts = cleaned.split()
    zone = zone_of(tz)
    day = _date_parts(parts[0], now.astimezone(zone).date()) if len(parts) >= 2 else None
    clock = parse_clock(" ".join(parts[1:])) if len(parts) >= 2 else None
    if day is None or clock is None:
        raise InputError(N_("I could not read “{text}”. Please type date and time like {example}."),
                         "unreadable", text=clip(typed, 60), example=example)
    try:
        when_day, when_clock = date(*day), time(*clock)
    except ValueError:
        raise InputError(N_("“{text}” is not a valid date and time. Please type it like {example}."),
                         "invalid", text=typed, example=example) from None
    return local_time(when_day, when_clock, zone, typed)


def parse_when(text: str, now: datetime, tz: str | tzinfo) -> datetime | None:
    """Like :func:`read_when`, None instead of an error."""
    try:
        return read_when(text, now, tz)
    except InputError:
        return None


# --- lead times --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Lead:
    """How long before a session, event or deadline a reminder goes out: "1d", "2h", "30m".

    Days keep the wall-clock time across a DST switch (where the caller honours ``days``)."""

    label: str
    days: int = 0
    minutes: int = 0

    @property
    def total_minutes(self) -> int:
        return self.days * 1440 + self.minutes


_LEAD = re.compile(r"(\d+)\s*(tage|tag|t|days|day|d|stunden|stunde|std|hours|hour|h|minuten|min|minutes|m)\b", re.I)
_LEAD_GLUE = re.compile(r"[\s,+&]|\bund\b|\band\b")
_UNIT = {"t": "d", "d": "d", "s": "h", "h": "h", "m": "m"}


def parse_leads(text: str | None) -> tuple[Lead, ...]:
    """``"1d,2h"``, ``"3d 1h"``, ``"2 Tage, 2 Stunden"`` -> leads, longest first, each at most 60 days.
    Empty, "none" or "off": no reminders. Raises ValueError with a readable message."""
    cleaned = (text or "").strip().lower()
    if cleaned in ("", "none", "off"):
        return ()
    found = _LEAD.findall(cleaned)
    if not found or _LEAD_GLUE.sub("", _LEAD.sub("", cleaned)):
        raise ValueError(f"{(text or '').strip()!r} is not a lead time like 1d, 2h or 30m")
    leads: dict[str, Lead] = {}
    for number, word in found:
        amount, unit = int(number), _UNIT[word[0]]
        label = f"{amount}{unit}"
        if amount == 0:
            raise ValueError(f"{label!r}: a lead time must be more than zero")
        lead = Lead(label, days=amount) if unit == "d" else \
            Lead(label, minutes=amount * (60 if unit == "h" else 1))
        if lead.total_minutes > MAX_LEAD_DAYS * 1440:
            raise ValueError(f"{label!r}: at most {MAX_LEAD_DAYS} days")
        leads[label] = lead
    return tuple(sorted(leads.values(), key=lambda lead: (lead.days, lead.minutes), reverse=True))
