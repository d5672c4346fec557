"""Reading iCalendar files (.ics) from a team's calendar: events and council/jury sessions share it, and
the record it returns (:class:`dialogs.core.calendar.CalendarEntry`).

:func:`parse_calendar` reads and checks the whole file before anyone writes anything: a file that is
too large, not a calendar, or has an entry without a start time raises :class:`CalendarError` with one
line saying what is wrong and where. It decides no policy: all-day and recurring entries are returned
marked as such, and the caller says what it does with them. Besides the standard fields, each entry
carries its CATEGORIES, its URL and its ``X-`` properties (names upper-cased), so a feature can read
conventions of its own (the meetings import reads ``X-KIEZBOT-BODY``, ``-AREA`` and ``-DEADLINE``).
A calendar sent as a cancellation (``METHOD:CANCEL``, as mail programs do) marks every entry cancelled.

Times come back timezone-aware in UTC. ``TZID`` parameters are resolved by the calendar's own
``VTIMEZONE`` definitions (Outlook's "W. Europe Standard Time" works) or by IANA name; floating
times (no zone at all) are read in ``default_tz``.
"""
from __future__ import annotations

import re
import warnings
from dataclasses import replace
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from dialogs.core.calendar import CalendarEntry

MAX_BYTES = 1024 * 1024
# Longer UIDs are refused (one line naming the entry). Exchange writes UIDs of several hundred characters;
# 2,000 bytes stay below what PostgreSQL's unique index on the column takes (about 2,700 bytes).
MAX_UID_BYTES = 2000
_ESCAPE = re.compile(r"\\([\\;,nN])")


class CalendarError(ValueError):
    """The file cannot be used; the message is one line for the person who gave it."""


def _text(component, name: str) -> str:   # noqa: ANN001
    value = component.get(name)
    if value is None:
        return ""
    if isinstance(value, list):
        value = value[0]
    return str(value).strip()


def _categories(component) -> tuple[str, ...]:   # noqa: ANN001
    value = component.get("CATEGORIES")
    if value is None:
        return ()
    out: list[str] = []
    for item in value if isinstance(value, list) else [value]:
        cats = getattr(item, "cats", None)
        if cats is None:
            cats = str(item).split(",")
        out += [str(c).strip() for c in cats if str(c).strip()]
    return tuple(out)


def _extra(component) -> dict[str, str]:   # noqa: ANN001
    out: dict[str, str] = {}
    for name, value in component.property_items(recursive=False):
        name = name.upper()
        if name.startswith("X-") and name not in out:
            text = value.to_ical().decode("utf-8", "replace") if hasattr(value, "to_ical") else str(value)
            # X- values arrive raw: undo the TEXT escapes (\\, \; \, \n)
            out[name] = _ESCAPE.sub(lambda m: "\n" if m.group(1) in "nN" else m.group(1), text).strip()
    return out


def _as_utc(value: datetime, zone: ZoneInfo) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value.astimezone(timezone.utc)


def _decode(data: bytes) -> str:
    if len(data) > MAX_BYTES:
        raise CalendarError(f"the file is {len(data) / 1024 / 1024:.1f} MB; at most 1 MB is accepted "
                            "(export only the events you need)")
    if not data.strip():
        raise CalendarError("the file is empty")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CalendarError(f"the file is not UTF-8 text (byte {exc.start}); is it really an .ics file?") from None
    if not text.lstrip().upper().startswith("BEGIN:VCALENDAR"):
        raise CalendarError("this is not an iCalendar file: it should start with BEGIN:VCALENDAR")
    return text


def parse_calendar(data: bytes, *, default_tz: str = "Europe/Berlin") -> list[CalendarEntry]:
    """All VEVENTs of a calendar file, checked; raises CalendarError for anything unusable.

    What the icalendar library warns about (e.g. a time zone it had to guess from a vendor's TZID) is not
    printed: each warning becomes one line in the ``notes`` of the entry it concerns, for the import to show.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        entries = _parse(data, default_tz, caught)
    return entries


def _one_line(message: object) -> str:
    return (str(message).splitlines() or [""])[0][:200]


def _with_file_notes(entries: list[CalendarEntry], raws: list[str], file_wide: list[str]) -> list[CalendarEntry]:
    """Warnings raised while the whole file was read go to the entries whose text holds what they quote
    (e.g. a TZID); one that quotes nothing found goes to the first entry."""
    notes: list[list[str]] = [list(e.notes) for e in entries]
    for message in file_wide:
        quoted = re.findall(r"'([^']{3,})'", message)
        hits = [i for i, raw in enumerate(raws) if any(q in raw for q in quoted)] or [0]
        for i in hits:
            notes[i].insert(0, _one_line(message))
    return [replace(e, notes=tuple(dict.fromkeys(n))) if n else e for e, n in zip(entries, notes)]


def _parse(data: bytes, default_tz: str, caught: list[warnings.WarningMessage]) -> list[CalendarEntry]:
    from icalendar import Calendar
    from icalendar.error import IncompleteComponent

    text = _decode(data)
    try:
        calendar = Calendar.from_ical(text)
    except (ValueError, IndexError, KeyError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
        raise CalendarError(f"this is not a valid iCalendar file: {first[:200]}") from None
    if calendar.name != "VCALENDAR":
        raise CalendarError("this is not an iCalendar file: it has no VCALENDAR")
    file_wide = [str(w.message) for w in caught]            # warned while the whole file was read
    zone = ZoneInfo(default_tz)
    cancel_message = _text(calendar, "METHOD").upper() == "CANCEL"
    entries: list[CalendarEntry] = []
    raws: list[str] = []
    seen: set[tuple[str, bool]] = set()
    for index, vevent in enumerate(calendar.walk("VEVENT"), 1):
        warned = len(caught)
        summary = _text(vevent, "SUMMARY")
        uid = _text(vevent, "UID")
        where = f"event {index} “{summary or '(no title)'}”" + (f" (UID {uid})" if uid else "")
        if not uid:
            raise CalendarError(f"{where} has no UID, so a later import could not recognise it")
        if len(uid.encode()) > MAX_UID_BYTES:
            where = f"event {index} “{summary or '(no title)'}” (UID {uid[:40]}…)"
            raise CalendarError(f"{where}: the UID is {len(uid.encode()):,} bytes long; at most {MAX_UID_BYTES:,} "
                                "are accepted")
        if vevent.errors:
            name, message = vevent.errors[0]
            what = f"the property {name}" if name else "a line"
            first = (str(message).splitlines() or [""])[0][:120]
            raise CalendarError(f"{where}: {what} cannot be read: {first}")
        if vevent.get("DTSTART") is None:
            raise CalendarError(f"{where} has no DTSTART (start time)")
        try:
            start = vevent.start
            has_end = vevent.get("DTEND") is not None or vevent.get("DURATION") is not None
            end = vevent.end if has_end else None
        except (IncompleteComponent, ValueError, TypeError) as exc:
            raise CalendarError(f"{where}: start or end cannot be read: {str(exc).splitlines()[0][:120]}") from None
        all_day = not isinstance(start, datetime)
        if all_day:
            day = start
            starts_at = _as_utc(datetime(day.year, day.month, day.day), zone)
            ends_at = _as_utc(datetime(end.year, end.month, end.day), zone) if isinstance(end, date) else None
        else:
            day = None
            starts_at = _as_utc(start, zone)
            ends_at = _as_utc(end, zone) if isinstance(end, datetime) else None
        if ends_at is not None and ends_at < starts_at:
            raise CalendarError(f"{where} ends before it starts")
        is_exception = vevent.get("RECURRENCE-ID") is not None
        key = (uid, is_exception)
        if key in seen and not is_exception:
            raise CalendarError(f"UID {uid} appears twice in the file")
        seen.add(key)
        try:
            sequence = int(str(vevent.get("SEQUENCE") or 0))
        except ValueError:
            sequence = 0
        entries.append(CalendarEntry(
            uid=uid, summary=summary, description=_text(vevent, "DESCRIPTION"), location=_text(vevent, "LOCATION"),
            starts_at=starts_at, ends_at=ends_at, all_day=all_day, day=day,
            recurring=vevent.get("RRULE") is not None or vevent.get("RDATE") is not None,
            recurrence_id=is_exception, cancelled=cancel_message or _text(vevent, "STATUS").upper() == "CANCELLED",
            sequence=sequence, categories=_categories(vevent), url=_text(vevent, "URL"), extra=_extra(vevent),
            notes=tuple(dict.fromkeys(_one_line(w.message) for w in caught[warned:] if str(w.message).strip()))))
        raws.append(vevent.to_ical().decode("utf-8", "replace"))
    if not entries:
        raise CalendarError("the calendar contains no events (VEVENT)")
    return _with_file_notes(entries, raws, file_wide) if file_wide else entries


def read_calendar_file(path) -> list[CalendarEntry]:  # noqa: ANN001
    """Read a file from disk, refusing a large one before loading it."""
    from pathlib import Path

    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise CalendarError(f"cannot read {path}: {exc.strerror or exc}") from None
    if size > MAX_BYTES:
        raise CalendarError(f"the file is {size / 1024 / 1024:.1f} MB; at most 1 MB is accepted "
                            "(export only the events you need)")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CalendarError(f"cannot read {path}: {exc.strerror or exc}") from None
    return parse_calendar(data)
