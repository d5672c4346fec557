"""When sessions and deadlines are reminded: the lead-time grammar ("1d,2h"), the configured leads, and
the reminder times of one session."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from dialogs.core.engine import Dialogs
from dialogs.core.ports import Meeting, Subscriber

DEADLINE_REMINDER_TIME = time(10, 0)     # a friendly hour for "n days before the deadline"


# --- lead times ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Lead:
    """How long before a session (or deadline) a reminder goes out: "1d", "2h", "30m"."""

    label: str
    days: int = 0
    minutes: int = 0


@dataclass(frozen=True)
class ReminderLeads:
    sessions: tuple[Lead, ...]
    deadlines: tuple[Lead, ...]


_LEAD = re.compile(r"^(\d{1,3})\s*([dhm])$")


def parse_leads(text: str) -> tuple[Lead, ...]:
    """``"1d,2h"`` -> leads, longest first. Empty or "none" means no reminders. Raises ValueError."""
    text = (text or "").strip().lower()
    if text in ("", "none", "off"):
        return ()
    leads: dict[str, Lead] = {}
    for part in text.split(","):
        match = _LEAD.match(part.strip())
        if not match:
            raise ValueError(f"{part.strip()!r} is not a lead time like 1d, 2h or 30m")
        amount, unit = int(match.group(1)), match.group(2)
        if amount == 0:
            raise ValueError(f"{part.strip()!r}: a lead time must be more than zero")
        lead = Lead(f"{amount}{unit}", days=amount) if unit == "d" else \
            Lead(f"{amount}{unit}", minutes=amount * (60 if unit == "h" else 1))
        if lead.days > 60 or lead.minutes > 60 * 24 * 60:
            raise ValueError(f"{part.strip()!r}: at most 60 days")
        leads[lead.label] = lead
    return tuple(sorted(leads.values(), key=lambda lead: (lead.days, lead.minutes), reverse=True))


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
