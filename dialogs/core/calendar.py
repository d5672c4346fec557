"""One entry of a team's calendar file (.ics): the record both calendar imports take.

``storage/ical.py`` reads and checks the file and returns these; the events import
(``dialogs/events/staff_services.py`` :func:`import_events`) and the council and jury sessions import
(``dialogs/meetings/calendar_import.py`` :func:`import_sessions`) take them as they are, so the two
imports cannot drift apart in what they read from a calendar. The reader decides no policy: all-day and
recurring entries come marked as such, and :func:`single_dates` sets aside what neither import takes.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from dialogs.core.text import clip


@dataclass(frozen=True)
class CalendarEntry:
    uid: str
    summary: str
    description: str
    location: str
    starts_at: datetime            # UTC; for an all-day entry midnight of ``day`` in the calendar's zone
    ends_at: datetime | None       # None when the entry gives neither DTEND nor DURATION
    all_day: bool = False
    day: date | None = None        # the first day of an all-day entry
    recurring: bool = False        # has RRULE or RDATE: a series, not a single date
    recurrence_id: bool = False    # an exception of a series (one changed instance)
    cancelled: bool = False        # STATUS:CANCELLED, or the calendar is a METHOD:CANCEL message
    sequence: int = 0
    categories: tuple[str, ...] = ()
    url: str = ""
    extra: dict[str, str] = field(default_factory=dict)    # X- properties: upper-cased name -> text
    notes: tuple[str, ...] = ()    # what the icalendar library warned about reading this entry, one line each

    def describe(self, width: int | None = None) -> str:
        """“Title” (UID …) for the team's report; the title clipped to ``width`` characters if given."""
        title = self.summary or "(no title)"
        return f"“{clip(title, width) if width else title}” (UID {self.uid})"


def single_dates(entries: Iterable[CalendarEntry]) -> tuple[list[CalendarEntry], list[CalendarEntry],
                                                             list[CalendarEntry]]:
    """(timed single dates, all-day entries, recurring series and their exceptions): the imports take the
    first and report the others as skipped (an event or a session needs a time; kiezbot plans single dates)."""
    timed: list[CalendarEntry] = []
    all_day: list[CalendarEntry] = []
    series: list[CalendarEntry] = []
    for entry in entries:
        if entry.all_day:
            all_day.append(entry)
        elif entry.recurring or entry.recurrence_id:
            series.append(entry)
        else:
            timed.append(entry)
    return timed, all_day, series


__all__ = ["CalendarEntry", "single_dates"]
