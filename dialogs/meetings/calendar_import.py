"""Council and jury sessions from a team's calendar file: the rules of ``kiezbot meetings import``.

The command line reads the file (``storage.ical``, shared with the events import) and hands its timed
single dates here as they are (:class:`dialogs.core.calendar.CalendarEntry`, the record both imports
take). Everything happens in the caller's transaction; a problem with the
file raises :class:`ImportProblem` (one line, for the terminal) and nothing is kept.

Which body and area an entry belongs to — the first that answers:

1. the command line: ``--body`` / ``--area`` hold for every entry of the file;
2. the entry's ``X-KIEZBOT-BODY`` (council, jury, Quartiersrat, Aktionsfondsjury) and ``X-KIEZBOT-AREA``
   (an area key such as ``pankstrasse`` or its name); an unknown value is an error in the file;
3. its CATEGORIES, then its SUMMARY: "Quartiersrat" means the council, "Aktionsfonds…"/"Jury" the jury;
   an area's key or name ("Pankstraße", "QM Badstraße") names the area.

A *new* entry whose body or area stays open (or is ambiguous) is skipped and reported. A session imported
before keeps its body and area; everything else follows the file:

* UID known, time changed: a move — pending reminders cancelled, subscribers told ("new date"), new
  reminders planned. Only the place changed: subscribers told ("new place"). Agenda (DESCRIPTION), agenda
  link (URL) or deadline changed: reminders planned anew, nobody told.
* ``STATUS:CANCELLED`` (or a ``METHOD:CANCEL`` file): cancelled, subscribers told. An entry missing from
  the file is *not* cancelled (a file may hold only part of the calendar); the report lists it.
* Entries that have begun or are over, all-day entries and recurring series are skipped.

The jury's submission deadline: ``X-KIEZBOT-DEADLINE`` (``20270207``, ``2027-02-07`` or ``07.02.2027``),
else a line ``Frist: 07.02.2027`` (also Einreichungsfrist, Antragsfrist, Deadline) in the DESCRIPTION,
which is then not shown as agenda. Without one there is no deadline (as ``kiezbot meetings add``
without ``--deadline``): no deadline reminders. It ends with that day, must not be after the session
day, and may be past (a re-import after the deadline is fine). Council sessions have none.

No user-facing strings: the report is for the team's terminal (English, like the rest of the CLI).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from dialogs.core.calendar import CalendarEntry
from dialogs.core.engine import Dialogs
from dialogs.meetings.resident_flow import cancel_session, end_of_day, revise_session, schedule_session
from dialogs.core.model import Area
from dialogs.core.ports import BODIES, Meeting, Store
from dialogs.core.text import clip

MAX_PLACE = 200
MAX_AGENDA = 3000
MAX_LENGTH = timedelta(hours=24)
TITLE_WIDTH = 60                 # an entry's title in the report's lines and problems, clipped

BODY_WORDS = {"council": "council", "quartiersrat": "council", "qr": "council",
              "jury": "jury", "aktionsfondsjury": "jury", "aktionsfonds": "jury"}
_JURY = re.compile(r"aktionsfonds|\bjury\b")
_COUNCIL = re.compile(r"quartiersrat|\bneighbou?rhood council\b")
_DEADLINE_LINE = re.compile(r"^\s*(?:einreichungsfrist|antragsfrist|bewerbungsfrist|frist|deadline)\s*:\s*(\S+)\s*$",
                            re.IGNORECASE | re.MULTILINE)
_URL = re.compile(r"^https?://[^\s<>\"]+$")


class ImportProblem(ValueError):
    """The file cannot be imported as it is; one line saying which entry and why."""


@dataclass
class Line:
    """What happened to one entry: new, moved, changed, cancelled, unchanged, skipped, absent."""

    action: str
    entry: CalendarEntry | None
    meeting: Meeting | None = None
    old: Meeting | None = None
    subscribers: int = 0
    reminders: int = 0
    told: int = 0
    note: str = ""


@dataclass
class ImportReport:
    lines: list[Line] = field(default_factory=list)
    past: int = 0

    def count(self, action: str) -> int:
        return sum(1 for line in self.lines if line.action == action)

    @property
    def told(self) -> int:
        return sum(line.told for line in self.lines)

    @property
    def reminders(self) -> int:
        return sum(line.reminders for line in self.lines)


# --- reading one entry -----------------------------------------------------------------------------
def fold(text: str) -> str:
    """Lower case, umlauts spelt out, anything else than letters and digits a single space."""
    text = text.casefold().replace("ß", "ss").replace("ä", "ae").replace("ö", "oe").replace("ü", "ue")
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text).split())


def body_of(entry: CalendarEntry, option: str | None) -> tuple[str | None, str]:
    """(body or None, how it was found or why not)."""
    if option:
        return option, "--body"
    given = entry.extra.get("X-KIEZBOT-BODY", "").strip()
    if given:
        body = BODY_WORDS.get(fold(given).replace(" ", ""))
        if body is None:
            raise ImportProblem(f"{entry.describe(TITLE_WIDTH)}: X-KIEZBOT-BODY {given!r} is not council or jury")
        return body, "X-KIEZBOT-BODY"
    for source, text in (("CATEGORIES", " / ".join(entry.categories)), ("SUMMARY", entry.summary)):
        folded = fold(text)
        found = {b for b, pattern in (("jury", _JURY), ("council", _COUNCIL)) if pattern.search(folded)}
        if len(found) == 1:
            return found.pop(), source
        if len(found) > 1:
            return None, f"its {source} names both the Quartiersrat and the jury (give --body or X-KIEZBOT-BODY)"
    return None, "not recognisable as a Quartiersrat or jury session (give --body, or X-KIEZBOT-BODY in the file)"


def _names(area: Area) -> set[str]:
    name = fold(area.name)
    names = {fold(area.key), name}
    if name.startswith("qm "):
        names.add(name[3:])
    return {n for n in names if len(n) >= 4}


def area_of(entry: CalendarEntry, option: str | None, areas: list[Area]) -> tuple[str | None, str]:
    if option:
        return option, "--area"
    given = entry.extra.get("X-KIEZBOT-AREA", "").strip()
    if given:
        matches = [a.key for a in areas if fold(given) in _names(a)]
        if len(matches) != 1:
            raise ImportProblem(f"{entry.describe(TITLE_WIDTH)}: X-KIEZBOT-AREA {given!r} is not an area "
                                f"(known: {', '.join(a.key for a in areas)})")
        return matches[0], "X-KIEZBOT-AREA"
    for source, texts in (("CATEGORIES", entry.categories), ("SUMMARY", (entry.summary,))):
        folded = [f" {fold(text)} " for text in texts]
        matches = {a.key for a in areas for name in _names(a) for text in folded if f" {name} " in text}
        if len(matches) == 1:
            return matches.pop(), source
        if len(matches) > 1:
            return None, f"its {source} names more than one area ({', '.join(sorted(matches))}; give --area)"
    return None, "no area recognisable (give --area, or X-KIEZBOT-AREA in the file)"


def _date(text: str) -> date | None:
    text = text.strip()
    for pattern, order in ((r"^(\d{4})(\d{2})(\d{2})(?:T[\dZ]*)?$", "ymd"), (r"^(\d{4})-(\d{1,2})-(\d{1,2})$", "ymd"),
                           (r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$", "dmy")):
        match = re.match(pattern, text)
        if match:
            a, b, c = (int(g) for g in match.groups())
            try:
                return date(a, b, c) if order == "ymd" else date(c, b, a)
            except ValueError:
                return None
    return None


def deadline_of(entry: CalendarEntry, tz) -> tuple[date | None, str, str]:  # noqa: ANN001
    """(deadline day or None, where it came from, the description without a deadline line)."""
    given = entry.extra.get("X-KIEZBOT-DEADLINE", "").strip()
    if given:
        day = _date(given)
        if day is None:
            raise ImportProblem(f"{entry.describe(TITLE_WIDTH)}: X-KIEZBOT-DEADLINE {given!r} is not a date like 20270207, "
                                "2027-02-07 or 07.02.2027")
        return day, "X-KIEZBOT-DEADLINE", entry.description
    match = _DEADLINE_LINE.search(entry.description)
    if match:
        day = _date(match.group(1))
        if day is None:
            raise ImportProblem(f"{entry.describe(TITLE_WIDTH)}: the deadline line {match.group(0).strip()!r} has no date "
                                "like 07.02.2027")
        rest = (entry.description[:match.start()] + entry.description[match.end():]).strip()
        return day, "DESCRIPTION", re.sub(r"\n{3,}", "\n\n", rest)
    return None, "", entry.description


@dataclass(frozen=True)
class Wanted:
    """What the file says about one session, checked."""

    place: str
    starts_at: datetime
    ends_at: datetime | None
    agenda_de: str
    agenda_url: str | None
    deadline: datetime | None
    deadline_from: str


_FIELD_NAMES = {"time": "time", "place": "place", "agenda": "agenda", "agenda_url": "agenda link",
                "deadline": "deadline"}


def said_of(wanted: Wanted) -> dict[str, str]:
    """What the calendar says, field by field as text: kept at each import, so the next one can tell what
    the calendar changed since from what the team changed in kiezbot (a session moved in the chat)."""
    def when(value: datetime | None) -> str:
        return value.astimezone(timezone.utc).isoformat() if value is not None else ""
    return {"time": f"{when(wanted.starts_at)}/{when(wanted.ends_at)}", "place": wanted.place,
            "agenda": wanted.agenda_de, "agenda_url": wanted.agenda_url or "", "deadline": when(wanted.deadline)}


def wanted_of(entry: CalendarEntry, body: str, tz) -> tuple[Wanted, str]:  # noqa: ANN001
    """The session's details from the entry, and a note for the report (or "")."""
    place = clip(" ".join(entry.location.split()), MAX_PLACE)
    if not place:
        raise ImportProblem(f"{entry.describe(TITLE_WIDTH)} has no LOCATION; a session needs a place")
    if entry.ends_at is not None and entry.ends_at - entry.starts_at > MAX_LENGTH:
        raise ImportProblem(f"{entry.describe(TITLE_WIDTH)} lasts more than a day; is the end (DTEND) right?")
    note = ""
    day, source, description = deadline_of(entry, tz)
    deadline = None
    if day is not None and body != "jury":
        if source == "X-KIEZBOT-DEADLINE":
            note = "deadline ignored: only the jury has one"
        description = entry.description          # a council's "Frist:" line is just part of its agenda
    elif day is not None:
        if day > entry.starts_at.astimezone(tz).date():
            raise ImportProblem(f"{entry.describe(TITLE_WIDTH)}: the deadline {day:%Y-%m-%d} is after the session")
        deadline = end_of_day(day, tz).astimezone(timezone.utc)
    url = entry.url.strip() or entry.extra.get("X-KIEZBOT-AGENDA-URL", "").strip()
    agenda_url = url if url and _URL.match(url) and len(url) <= 500 else None
    if url and agenda_url is None:
        note = (note + "; " if note else "") + f"URL {clip(url, 40)!r} ignored (not an https:// link)"
    return Wanted(place, entry.starts_at, entry.ends_at, clip(description.strip(), MAX_AGENDA), agenda_url,
                  deadline, source if deadline else ""), note


def _agenda(current: dict[str, str], german: str) -> dict[str, str]:
    """The file's DESCRIPTION is the German agenda; other languages stay while there is a German one."""
    if not german:
        return {}
    return {**{k: v for k, v in current.items() if k != "de"}, "de": german}


# --- the import ------------------------------------------------------------------------------------
async def import_sessions(app: Dialogs, store: Store, entries: list[CalendarEntry], now: datetime, *,
                          body: str | None = None, area_key: str | None = None) -> ImportReport:
    """Create, move, change or cancel sessions by their calendar UID (idempotent; see the module doc)."""
    if body is not None and body not in BODIES:
        raise ImportProblem(f"--body {body!r} is not council or jury")
    areas = list(await store.areas.all())
    if area_key is not None and area_key not in {a.key for a in areas}:
        raise ImportProblem(f"--area {area_key!r} is not an area (known: {', '.join(a.key for a in areas)})")
    tz = app.translator("de").tz
    report = ImportReport()
    in_file: set[str] = set()
    topics: set[tuple[str, str]] = set()
    for entry in sorted(entries, key=lambda e: (e.starts_at, e.uid)):
        in_file.add(entry.uid)
        existing = await store.meetings.by_uid(entry.uid)
        if existing is not None:
            topics.add((existing.body, existing.area_key))
        if entry.starts_at <= now or (existing is not None and existing.starts_at <= now):
            report.past += 1
            continue
        if existing is None:
            report.lines.append(await _new(app, store, entry, now, body, area_key, areas, tz, topics))
        else:
            report.lines.append(await _existing(app, store, entry, existing, now, body, area_key, areas, tz))
    for topic_body, topic_area in sorted(topics):
        for meeting in await store.meetings.upcoming(now, area_key=topic_area, body=topic_body, limit=500):
            if meeting.uid and meeting.uid not in in_file:
                report.lines.append(Line("absent", None, meeting, note=(
                    f"UID {meeting.uid} is not in this file: kept (mark it STATUS:CANCELLED in the calendar, or "
                    f"`kiezbot meetings cancel {meeting.id}`)")))
    return report


async def _new(app: Dialogs, store: Store, entry: CalendarEntry, now: datetime, body_option: str | None,
               area_option: str | None, areas: list[Area], tz, topics: set) -> Line:  # noqa: ANN001
    if entry.cancelled:
        return Line("skipped", entry, note="cancelled in the calendar and never imported: nothing to do")
    body, body_from = body_of(entry, body_option)
    if body is None:
        return Line("skipped", entry, note=body_from)
    area_key, area_from = area_of(entry, area_option, areas)
    if area_key is None:
        return Line("skipped", entry, note=area_from)
    wanted, note = wanted_of(entry, body, tz)
    planned = await schedule_session(app, store, Meeting(
        area_key=area_key, body=body, starts_at=wanted.starts_at, ends_at=wanted.ends_at, place=wanted.place,
        agenda={"de": wanted.agenda_de} if wanted.agenda_de else {}, agenda_url=wanted.agenda_url,
        deadline=wanted.deadline, uid=entry.uid), now)
    await store.meetings.remember_import(planned.meeting.id, said_of(wanted))
    topics.add((body, area_key))
    sources = [f"body from {body_from}", f"area from {area_from}"]
    if wanted.deadline_from:
        sources.append(f"deadline from {wanted.deadline_from}")
    return Line("new", entry, planned.meeting, subscribers=planned.subscribers, reminders=planned.reminders,
                note="; ".join(sources + ([note] if note else [])))


async def _existing(app: Dialogs, store: Store, entry: CalendarEntry, existing: Meeting, now: datetime,
                    body_option: str | None, area_option: str | None, areas: list[Area], tz) -> Line:  # noqa: ANN001
    if existing.status == "cancelled":
        note = "" if entry.cancelled else "cancelled in kiezbot; an import does not bring it back (plan it anew)"
        return Line("unchanged", entry, existing, note=note)
    if entry.cancelled:
        planned = await cancel_session(app, store, existing.id, now)
        if planned is None:
            raise ImportProblem(f"session #{existing.id} was changed meanwhile; run the import again")
        return Line("cancelled", entry, planned.meeting, old=existing, subscribers=planned.subscribers,
                    told=planned.subscribers)
    notes = []
    body, _ = body_of(entry, body_option)
    area_key, _ = area_of(entry, area_option, areas)
    if (body and body != existing.body) or (area_key and area_key != existing.area_key):
        notes.append(f"stays {existing.body} {existing.area_key} (an import does not change body or area; "
                     "cancel it and plan it anew)")
    wanted, note = wanted_of(entry, existing.body, tz)
    if note:
        notes.append(note)
    said = said_of(wanted)
    last = existing.imported or {}
    kept: list[str] = []

    def calendar_changed(field: str, differs: bool) -> bool:
        """Take the calendar's value where it differs from kiezbot's, unless the calendar still says what
        it said at the last import: then the team changed it in kiezbot, and that stays."""
        if differs and field in last and last[field] == said[field]:
            kept.append(field)
            return False
        return differs

    changes: dict = {}
    if calendar_changed("time", (wanted.starts_at, wanted.ends_at) != (existing.starts_at, existing.ends_at)):
        changes.update(starts_at=wanted.starts_at, ends_at=wanted.ends_at)
    if calendar_changed("place", wanted.place != existing.place):
        changes["place"] = wanted.place
    agenda = _agenda(existing.agenda, wanted.agenda_de)
    if calendar_changed("agenda", agenda != existing.agenda):
        changes["agenda"] = agenda
    if calendar_changed("agenda_url", wanted.agenda_url != existing.agenda_url):
        changes["agenda_url"] = wanted.agenda_url
    if calendar_changed("deadline", wanted.deadline != existing.deadline):
        changes["deadline"] = wanted.deadline
    if kept:
        notes.append(f"kept {', '.join(_FIELD_NAMES[f] for f in kept)} as changed in kiezbot since the last import "
                     "(the calendar still says what it said then)")
    if said != existing.imported:
        await store.meetings.remember_import(existing.id, said)
    if not changes:
        return Line("unchanged", entry, existing, note="; ".join(notes))
    revised = await revise_session(app, store, existing.id, existing.revision, changes, now)
    if revised is None:
        raise ImportProblem(f"session #{existing.id} was changed meanwhile; run the import again")
    names = {"starts_at": "time", "ends_at": "time", "place": "place", "agenda": "agenda",
             "agenda_url": "agenda link", "deadline": "deadline"}
    what = ", ".join(dict.fromkeys(names[key] for key in changes))
    notes.insert(0, f"changed: {what}")
    action = "moved" if "starts_at" in changes else "changed"
    return Line(action, entry, revised.meeting, old=existing, subscribers=revised.subscribers,
                reminders=revised.reminders, told=revised.told, note="; ".join(notes))
