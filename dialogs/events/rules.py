"""Neighbourhood events as plain data, the port that keeps them, and the rules without any wording.

The wording (what residents and staff read) lives in :mod:`dialogs.events.resident_flow` and
:mod:`dialogs.events.staff_flow`; this module has no user-facing strings, so it has no catalog.

Capacity is counted in *seats*: a sign-up for a party of three takes three seats. An event's
``seats_taken`` only changes through :meth:`Events.take_seats` (a conditional update that never goes
over capacity) and :meth:`Events.release_seats`, both after :meth:`Events.lock` inside the update's
transaction — so two residents pressing "sign up" at once can never both get the last seat.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from datetime import datetime, timedelta, timezone
from typing import Literal, Protocol
from zoneinfo import ZoneInfo

EventStatus = Literal["open", "closed", "cancelled"]   # closed: registration closed by staff
SignupStatus = Literal["confirmed", "waitlisted", "cancelled"]

DEFAULT_REMINDER_LEADS = (2 * 24 * 60, 2 * 60)   # minutes before the start: 2 days and 2 hours
DEFAULT_MAX_PARTY = 4
FALLBACK_LANGUAGE = "de"
MAX_TITLE = 200
MAX_DESCRIPTION = 3000
MAX_PLACE = 256


@dataclass(frozen=True)
class EventText:
    title: str
    description: str = ""


@dataclass(frozen=True)
class Event:
    id: int
    uid: str                          # stable iCalendar UID (imported events keep theirs)
    area_key: str | None              # None: for all areas
    place: str
    starts_at: datetime               # timezone-aware, UTC
    ends_at: datetime | None
    capacity: int | None              # seats; None: no limit
    max_party: int
    seats_taken: int
    registration_deadline: datetime | None   # None: until the start
    reminder_leads: tuple[int, ...]   # minutes before the start
    status: EventStatus
    sequence: int                     # bumped on every change of time or place (iCalendar SEQUENCE)
    texts: dict[str, EventText] = field(default_factory=dict)
    waitlisted: int = 0               # sign-ups waiting (not seats)

    def text(self, language: str | None) -> EventText:
        """Title and description in ``language``, else German, else whatever exists."""
        for code in (language, (language or "").split("_")[0], FALLBACK_LANGUAGE):
            if code and code in self.texts:
                return self.texts[code]
        return next(iter(self.texts.values()), EventText(""))

    def has_text(self, language: str | None) -> bool:
        return bool(language) and language in self.texts

    @property
    def free_places(self) -> int | None:
        return None if self.capacity is None else max(0, self.capacity - self.seats_taken)

    @property
    def registration_ends(self) -> datetime:
        return self.registration_deadline or self.starts_at

    def is_full(self) -> bool:
        return self.capacity is not None and self.seats_taken >= self.capacity


@dataclass(frozen=True)
class Signup:
    id: int                           # ascending in arrival order (the waitlist's order)
    event_id: int
    chat_id: int
    display_name: str
    party_size: int
    status: SignupStatus
    signed_up_at: datetime
    position: int | None = None       # 1-based place on the waitlist, when waitlisted


@dataclass(frozen=True)
class NewEvent:
    """What staff enter (or a calendar file brings) to create an event."""

    texts: dict[str, EventText]
    place: str
    starts_at: datetime
    ends_at: datetime | None
    area_key: str | None = None
    capacity: int | None = None
    max_party: int = DEFAULT_MAX_PARTY
    registration_deadline: datetime | None = None
    reminder_leads: tuple[int, ...] = DEFAULT_REMINDER_LEADS
    uid: str | None = None            # None: the store makes one
    source: str = "staff"


@dataclass(frozen=True)
class EventPage:
    """One page of the upcoming events, and how many there are in all (for "page 2 of 7"); ``exact``
    False: at least ``total`` (the store counts only so far ahead)."""

    events: Sequence[Event]
    total: int
    exact: bool = True


class Events(Protocol):
    """Events, their texts per language, and sign-ups — inside the update's transaction."""

    async def upcoming(self, now: datetime, area_key: str | None = None) -> Sequence[Event]:
        """Events not cancelled that have not ended yet, soonest first; ``area_key``: that area's and
        those for all areas."""
    async def upcoming_page(self, now: datetime, area_key: str | None = None, *, offset: int = 0,
                            limit: int = 5) -> EventPage:
        """``limit`` of :meth:`upcoming` from ``offset`` on (paged in SQL), with the number of all."""
    async def all(self) -> Sequence[Event]: ...
    async def get(self, event_id: int) -> Event | None: ...
    async def by_uid(self, uid: str) -> Event | None: ...
    async def lock(self, event_id: int) -> Event | None:
        """Read the event and hold it until the transaction ends (PostgreSQL: SELECT … FOR UPDATE;
        SQLite: take the database's write lock), so reads-then-writes cannot interleave."""
    async def create(self, new: NewEvent) -> Event: ...
    async def update(self, event_id: int, **fields: object) -> None:
        """Change plain fields (place, starts_at, ends_at, capacity, status, registration_deadline,
        reminder_leads, sequence, max_party); never ``seats_taken``."""
    async def set_texts(self, event_id: int, texts: dict[str, EventText]) -> None: ...
    async def take_seats(self, event_id: int, seats: int) -> bool:
        """Add ``seats`` only if that stays within capacity (one conditional UPDATE); False if not."""
    async def release_seats(self, event_id: int, seats: int) -> None: ...
    async def add_signup(self, event_id: int, chat_id: int, display_name: str, party_size: int,
                         status: SignupStatus, now: datetime) -> Signup: ...
    async def signup(self, signup_id: int) -> Signup | None: ...
    async def active_signup(self, event_id: int, chat_id: int) -> Signup | None: ...
    async def signups(self, event_id: int, statuses: Sequence[SignupStatus] = ("confirmed", "waitlisted")
                      ) -> Sequence[Signup]:
        """In arrival order; waitlisted ones carry their position."""
    async def signups_of(self, chat_id: int, now: datetime) -> Sequence[tuple[Signup, Event]]:
        """A resident's active sign-ups for events that have not ended and are not cancelled."""
    async def set_signup_status(self, signup_id: int, status: SignupStatus) -> None: ...
    async def next_reminder_round(self, signup_id: int) -> int:
        """A fresh number for this sign-up's reminder keys (cancelled outbox keys are never reused)."""
    async def reminders_enabled(self, chat_id: int) -> bool: ...
    async def set_reminders_enabled(self, chat_id: int, enabled: bool) -> None: ...


# --- rules without words ----------------------------------------------------------------------
def reminder_prefix(event_id: int, signup_id: int | None = None) -> str:
    base = f"event:{event_id}:remind:"
    return base if signup_id is None else f"{base}{signup_id}:"


def reminder_key(event_id: int, signup_id: int, lead: int, round_: int) -> str:
    return f"{reminder_prefix(event_id, signup_id)}{lead}:{round_}"


def reminder_times(event: Event, now: datetime) -> list[tuple[int, datetime]]:
    """(lead in minutes, when) of the reminders still ahead."""
    out = []
    for lead in sorted(set(event.reminder_leads), reverse=True):
        due = event.starts_at - timedelta(minutes=lead)
        if due > now:
            out.append((lead, due))
    return out


def as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def calendar_file(event: Event, language: str | None, now: datetime, tz: str = "Europe/Berlin") -> bytes:
    """An .ics file with this event, for the resident's phone calendar.

    The UID stays the same for the event's life and SEQUENCE grows with every change, so a calendar
    that already has the event updates it instead of adding a second one.
    """
    text = event.text(language)
    body = _calendar_body(event.uid, event.sequence, event.starts_at, event.ends_at, text.title,
                          event.place, text.description, event.status == "cancelled", tz)
    # Only DTSTAMP (when this copy was made) differs between the files of one event version.
    return body.replace(_STAMP_MARK, as_utc(now).strftime("%Y%m%dT%H%M%SZ").encode(), 1)


_STAMP_MARK = b"19700101T000000Z"


@lru_cache(maxsize=512)
def _calendar_body(uid: str, sequence: int, starts_at: datetime, ends_at: datetime | None, title: str,
                   place: str, description: str, cancelled: bool, tz: str) -> bytes:
    """The file of one version of an event in one language, with a placeholder DTSTAMP. Built once:
    icalendar takes about a millisecond per file, and a popular event's sign-ups all want the same one."""
    from icalendar import Calendar
    from icalendar import Event as VEvent

    zone = ZoneInfo(tz)
    cal = Calendar()
    cal.add("prodid", "-//kiezbot//Neighbourhood events//EN")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    vevent = VEvent()
    vevent.add("uid", uid)
    vevent.add("dtstamp", datetime(1970, 1, 1, tzinfo=timezone.utc))
    vevent.add("sequence", sequence)
    vevent.add("dtstart", starts_at.astimezone(zone))
    if ends_at is not None:
        vevent.add("dtend", ends_at.astimezone(zone))
    vevent.add("summary", title)
    if place:
        vevent.add("location", place)
    if description:
        vevent.add("description", description)
    vevent.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    cal.add_component(vevent)
    # The calendar's properties, then the VTIMEZONE block, then the event: what adding both components
    # gives, with the time zone serialised once per process instead of once per file (content lines are
    # folded one by one, so the bytes are the same).
    head, begin_event, rest = cal.to_ical().partition(b"BEGIN:VEVENT\r\n")
    assert b"DTSTAMP:" + _STAMP_MARK in rest
    return head + _vtimezone_ical(tz) + begin_event + rest


@lru_cache(maxsize=4)
def _vtimezone(tz: str):  # noqa: ANN202  (an icalendar Timezone component)
    """The VTIMEZONE block for ``tz``, computed once: building it takes tens of milliseconds, and it is
    built while the sign-up holds the event."""
    from icalendar import Timezone

    return Timezone.from_tzinfo(ZoneInfo(tz))


@lru_cache(maxsize=4)
def _vtimezone_ical(tz: str) -> bytes:
    """The VTIMEZONE block as bytes (serialising its many transitions cost more than the rest of a file)."""
    return _vtimezone(tz).to_ical()


def refusal_reason(event: Event | None, now: datetime) -> str:
    """Why nobody can sign up for ``event`` now ("" when they can)."""
    if event is None:
        return "gone"
    if event.status == "cancelled":
        return "cancelled"
    if event.starts_at <= now:
        return "past"
    if event.registration_ends <= now:
        return "deadline"
    if event.status == "closed":
        return "closed"
    return ""


def registration_open(event: Event, now: datetime) -> bool:
    return refusal_reason(event, now) == ""


SIGNUP_ORDER = {"confirmed": 0, "waitlisted": 1, "cancelled": 2}


def signup_rows(signups: Sequence[Signup], tz: str | ZoneInfo) -> list[list[object]]:
    """An event's sign-ups as a spreadsheet's rows (the CLI's and the console's CSV): display name, party
    size, time of sign-up in the team's zone, status, waitlist position — no chat ids. Signed up first,
    then the waitlist in its order, then cancelled ones."""
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    return [[s.display_name, s.party_size, s.signed_up_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"), s.status,
             s.position if s.position is not None else ""]
            for s in sorted(signups, key=lambda s: (SIGNUP_ORDER[s.status], s.id))]
