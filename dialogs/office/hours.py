"""Opening hours: "open now?" in Europe/Berlin time, and the weekly table in the resident's language.

Closures (holidays, a team day) win over the weekly hours: a closed day is skipped when looking for
the next opening, and the card lists the closures coming up (:func:`closure_lines`)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from dialogs.core.i18n import Translator
from dialogs.core.model import OpeningHours

LOOK_AHEAD_DAYS = 60     # how far ahead the next opening is searched (a closure may last weeks)
CLOSURES_SHOWN = 3       # closures listed on the card, the next ones first


@dataclass(frozen=True)
class OpenStatus:
    open: bool
    until: datetime | None = None       # when open: closing time today
    next_open: datetime | None = None   # when closed: the next opening within a week


def status(hours: OpeningHours, now: datetime, tz) -> OpenStatus | None:
    """None when the hours are not known."""
    if not hours.known:
        return None
    local = now.astimezone(tz)
    for offset in range(LOOK_AHEAD_DAYS + 1):
        day = (local + timedelta(days=offset)).date()
        if hours.closure_on(day) is not None:
            continue
        for span in hours.days[day.weekday()]:
            start = datetime.combine(day, span.start, tz)
            end = datetime.combine(day, span.end, tz)
            if offset == 0 and start <= local < end:
                return OpenStatus(True, until=end)
            if start > local:
                return OpenStatus(False, next_open=start)
    return OpenStatus(False)


def describe_status(st: OpenStatus, t: Translator, now: datetime) -> str:
    if st.open and st.until is not None:
        return t._("🟢 Open now, until {time}", time=t.ltr(t.time(st.until)))
    if st.next_open is not None:
        today = now.astimezone(t.tz).date()
        day = st.next_open.date()
        if day == today:
            return t._("🔴 Closed now, opens today at {time}", time=t.ltr(t.time(st.next_open)))
        if day == today + timedelta(days=1):
            return t._("🔴 Closed now, opens tomorrow at {time}", time=t.ltr(t.time(st.next_open)))
        if day < today + timedelta(days=7):
            return t._("🔴 Closed now, opens {weekday} at {time}",
                       weekday=t.weekday(day.weekday()), time=t.ltr(t.time(st.next_open)))
        return t._("🔴 Closed now, opens on {date} at {time}",
                   date=t.ltr(t.date(day, "medium")), time=t.ltr(t.time(st.next_open)))
    return t._("🔴 Closed now")


def weekly_lines(hours: OpeningHours, t: Translator) -> list[str]:
    lines = []
    for index, spans in enumerate(hours.days):
        if spans:
            times = ", ".join(t._("{start}–{end}", start=t.ltr(t.time(s.start)), end=t.ltr(t.time(s.end)))
                              for s in spans)
            lines.append(t._("{weekday}: {times}", weekday=t.weekday(index), times=times))
    return lines


def closure_lines(hours: OpeningHours, t: Translator, today: date) -> list[str]:
    """The closures that are not over yet and begin within :data:`LOOK_AHEAD_DAYS`, as HTML lines."""
    lines = []
    coming = [c for c in hours.closures if c.last >= today and c.first <= today + timedelta(days=LOOK_AHEAD_DAYS)]
    for closure in coming[:CLOSURES_SHOWN]:
        note = t.staff_text(closure.note)
        if closure.first == closure.last:
            line = (t._("🚫 Closed on {date}: {note}", date=t.ltr(t.date(closure.first, "medium")), note=note)
                    if note else t._("🚫 Closed on {date}", date=t.ltr(t.date(closure.first, "medium"))))
        else:
            dates = {"first": t.ltr(t.date(closure.first, "medium")), "last": t.ltr(t.date(closure.last, "medium"))}
            line = (t._("🚫 Closed from {first} to {last}: {note}", note=note, **dates) if note
                    else t._("🚫 Closed from {first} to {last}", **dates))
        lines.append(line)
    return lines
