"""What the events import takes from a calendar file, and what it skips and why — one rule for
``kiezbot events import`` and the console's upload.

An event needs a start time and a single date: all-day entries and recurring series (and changed
instances of a series) are skipped with a note for the team (:func:`dialogs.core.calendar.single_dates`,
as for council and jury sessions), as are entries already over. The rest goes as it is to
:func:`dialogs.events.staff_services.import_events`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from dialogs.core.calendar import CalendarEntry, single_dates


@dataclass(frozen=True)
class EventImportPlan:
    wanted: list[CalendarEntry]
    all_day: list[CalendarEntry]
    series: list[CalendarEntry]
    past: list[CalendarEntry]


def plan_event_import(entries: list[CalendarEntry], now: datetime) -> EventImportPlan:
    timed, all_day, series = single_dates(entries)
    past = [e for e in timed if (e.ends_at or e.starts_at) <= now]
    wanted = [e for e in timed if (e.ends_at or e.starts_at) > now]
    return EventImportPlan(wanted, all_day, series, past)
