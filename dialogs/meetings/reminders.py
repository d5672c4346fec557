"""When sessions and deadlines are reminded: the configured lead times ("1d,2h", read by
:func:`dialogs.core.staff_input.parse_leads`), and
the reminder times of one session."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from dialogs.core.engine import Dialogs
from dialogs.core.ports import Meeting, Subscriber
from dialogs.core.staff_input import _LEAD, Lead, parse_leads  # noqa: F401  (_LEAD: resident_flow re-exports it)

DEADLINE_REMINDER_TIME = time(10, 0)     # a friendly hour for "n days before the deadline"


# --- lead times (the grammar is shared with events: dialogs.core.staff_input) -------------------
@dataclass(frozen=True)
class ReminderLeads:
    sessions: tuple[Lead, ...]
    deadlines: tuple[Lead, ...]


DEFAULT_LEADS = ReminderLeads(sessions=parse_leads("1d,2h"), deadlines=parse_leads("3d"))


def configure(app: Dialogs, meeting_reminders: str = "1d,2h", deadline_reminders: str = "3d") -> None:
    app.options["meetings.leads"] = ReminderLeads(parse_leads(meeting_reminders), parse_leads(deadline_reminders))


def leads_of(app: Dialogs) -> ReminderLeads:
    return app.options.get("meetings.leads") or DEFAULT_LEADS


def reminder_times(meeting: Meeting, leads: ReminderLeads, tz) -> list[tuple[str, str, datetime]]:
    """(kind, key label, due time in UTC) of every reminder of ``meeting``; past ones included."""
    out: list[tuple[str, str, datetime]] = []
    start_local = meeting.starts_at.astimezone(tz)
    for lead in leads.sessions:
        if lead.days:
            # Same wall-clock time n days earlier, whatever the clocks did in between.
            due = (start_local - timedelta(days=lead.days)).replace(fold=0)
        else:
            due = meeting.starts_at - timedelta(minutes=lead.minutes)
        out.append(("session", lead.label, due.astimezone(meeting.starts_at.tzinfo)))
    if meeting.body == "jury" and meeting.deadline is not None:
        day = meeting.deadline.astimezone(tz).date()
        day_end = datetime.combine(day + timedelta(days=1), time(0), tz)
        for lead in leads.deadlines:
            if lead.days:
                due = datetime.combine(day - timedelta(days=lead.days), DEADLINE_REMINDER_TIME, tz)
            else:
                due = day_end - timedelta(minutes=lead.minutes)
            if due < meeting.starts_at:
                out.append(("deadline", "dl" + lead.label, due.astimezone(meeting.starts_at.tzinfo)))
    return out


def reminder_key(meeting: Meeting, label: str, subscriber: Subscriber) -> str:
    return f"meeting:{meeting.id}:{label}:{subscriber.chat_id}:{meeting.revision}.{subscriber.subscription_id}"


def end_of_day(day: date, tz) -> datetime:
    """The last second of ``day`` in the local time zone: a deadline "by 7 February"."""
    return datetime.combine(day, time(23, 59, 59), tz)
