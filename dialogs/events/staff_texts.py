"""What the staff chat about events shows and reads: event cards, draft lines, reminder and
capacity texts, the time span and lead times typed (grammar: :mod:`dialogs.core.staff_input`)."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

from dialogs.core.engine import Context
from dialogs.core.i18n import Translator
from dialogs.core.ports import ChatState
from dialogs.core.staff_input import InputError, local_time, parse_leads, parse_time, parse_when
from dialogs.core.text import clip, esc
from dialogs.events.resident_flow import title_of, when_of
from dialogs.events.rules import Event

MAX_CAPACITY = 10000
MAX_PARTY = 20


# --- reading what staff type: dialogs.core.staff_input (one grammar for every staff flow) -------
def parse_span(text: str, now: datetime, tz: str, duration: timedelta | None
               ) -> tuple[datetime, datetime | None] | None:
    """ "24.12.2026 18:00-20:00" -> (start, end); "24.12.2026 18:00" -> (start, start + ``duration``)."""
    match = _SPAN.match(text.strip())
    if match:
        start = parse_when(match.group(1), now, tz)
        end_clock = parse_time(match.group(2))
        if start is not None and end_clock is not None:
            try:
                return start, local_time(start.date(), end_clock, tz, match.group(2))
            except InputError:
                return None
    start = parse_when(text, now, tz)
    if start is None:
        return None
    return start, (start + duration if duration is not None else None)


_SPAN = re.compile(r"^(.*\d)\s*[-–]\s*(\d{1,2}(?:[:.]\d{2})?\s*(?:uhr|h)?)$", re.I)


def read_leads(text: str) -> tuple[int, ...] | None:
    """ "3d 1h", "2 Tage, 2 Stunden", "90 min" -> minutes before the start, largest first; None: unreadable."""
    try:
        leads = parse_leads(text)
    except ValueError:
        return None
    return tuple(sorted({lead.total_minutes for lead in leads}, reverse=True))


def leads_text(t: Translator, leads: tuple[int, ...] | list[int]) -> str:
    if not leads:
        return t._("no reminders")
    items = []
    for lead in sorted(leads, reverse=True):
        if lead % 1440 == 0:
            items.append(t.ngettext("{n} day before", "{n} days before", lead // 1440))
        elif lead % 60 == 0:
            items.append(t.ngettext("{n} hour before", "{n} hours before", lead // 60))
        else:
            items.append(t.ngettext("{n} minute before", "{n} minutes before", lead))
    return ", ".join(items)


def capacity_text(t: Translator, capacity: int | None) -> str:
    return t._("no limit") if capacity is None else t.number(capacity)



def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _stay(ctx: Context, step: str) -> None:
    ctx.state = ChatState(f"evadm.{step}", ctx.data)


def _language_name(ctx: Context, code: str) -> str:
    return ctx.engine.language(code).name if code in ctx.engine.catalogs.by_code else code



def draft_lines(ctx: Context) -> list[str]:
    t, d = ctx.t, ctx.data
    lines = []
    for code, text in d.get("texts", {}).items():
        own = code == t.code                      # text in another language: isolated in Arabic
        title, description = esc(text["title"]), esc(clip(text.get("description", ""), 300))
        lines.append(f"<b>{title if own else t.ltr(title)}</b> ({esc(_language_name(ctx, code))})")
        if description:
            lines.append(description if own else t.ltr(description))
    start, end, deadline = _dt(d.get("start")), _dt(d.get("end")), _dt(d.get("deadline"))
    area = t.ltr(esc(d["area_name"])) if d.get("area_name") else t._("All areas")
    lines.append(t._("Area: {area}", area=area))
    lines.append(t._("Place: {place}", place=t.ltr(esc(d.get("place", "")))))
    if start:
        if end and t.date(end) == t.date(start):
            when = t._("{date}, {start} – {end}", date=t.date(start), start=t.time(start), end=t.time(end))
        else:
            when = t.datetime(start, "short") + (f" – {t.datetime(end, 'short')}" if end else "")
        lines.append(t._("When: {when}", when=when))
    lines.append(t._("Places: {capacity}", capacity=capacity_text(t, d.get("capacity"))))
    lines.append(t._("At most {n} people per sign-up", n=t.number(d.get("max_party", 1))))
    lines.append(t._("Registration until: {deadline}",
                     deadline=t.datetime(deadline, "short") if deadline else t._("the start")))
    lines.append(t._("Reminders: {leads}", leads=leads_text(t, d.get("leads", []))))
    return lines



def event_card(ctx: Context, event: Event) -> str:
    t = ctx.t
    lines = [f"<b>{event.id}. {title_of(t, event)}</b>", "🕒 " + when_of(t, event)]
    if event.place:
        lines.append("📍 " + t.ltr(esc(event.place)))
    taken = t._("{taken} of {capacity} places taken", taken=t.number(event.seats_taken),
                capacity=capacity_text(t, event.capacity))
    lines.append("👥 " + taken + " · " + t.ngettext("{n} waiting", "{n} waiting", event.waitlisted))
    status = {"open": t._("registration open"), "closed": t._("registration closed"),
              "cancelled": t._("cancelled")}[event.status]
    lines.append(t._("Status: {status}", status=status))
    lines.append(t._("Reminders: {leads}", leads=leads_text(t, event.reminder_leads)))
    return "\n".join(lines)
