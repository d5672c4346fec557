"""What the events import takes from a calendar file, and what it skips and why — one rule for
``kiezbot events import`` and the console's upload.

An event needs a start time and a single date: all-day entries and recurring series (and changed
instances of a series) are skipped with a note for the team, as are entries already over. The rest
becomes :class:`ImportedEvent` for :func:`dialogs.events.staff_services.import_events`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from dialogs.events.rules import ImportedEvent
from storage.ical import CalendarEntry


@dataclass(frozen=True)
class EventImportPlan:
    wanted: list[ImportedEvent]
    all_day: list[CalendarEntry]
    series: list[CalendarEntry]
    past: list[CalendarEntry]


def plan_event_import(entries: list[CalendarEntry], now: datetime) -> EventImportPlan:
    all_day = [e for e in entries if e.all_day]
    series = [e for e in entries if not e.all_day and (e.recurring or e.recurrence_id)]
    timed = [e for e in entries if not e.all_day and not e.recurring and not e.recurrence_id]
    past = [e for e in timed if (e.ends_at or e.starts_at) <= now]
    wanted = [ImportedEvent(uid=e.uid, title=e.summary, description=e.description, place=e.location,
                            starts_at=e.starts_at, ends_at=e.ends_at, cancelled=e.cancelled)
              for e in timed if (e.ends_at or e.starts_at) > now]
    return EventImportPlan(wanted, all_day, series, past)
