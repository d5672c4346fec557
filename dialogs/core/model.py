"""Plain data the flows work with: residents, areas and their offices."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time


@dataclass
class Resident:
    chat_id: int
    language: str | None = None          # None until the resident picked one
    consent_at: datetime | None = None   # when the privacy notice was acknowledged
    area_key: str | None = None          # last area the office finder found for them
    display_name: str = ""
    is_staff: bool = False
    last_seen_at: datetime | None = None  # set by the engine on every update (retention counts from it)


@dataclass(frozen=True)
class Interval:
    start: time
    end: time


WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# "10:00-13:00" as the areas file has it; also "10-13", "9.30–12" as people type them in the console.
_SPAN = re.compile(r"^\s*(\d{1,2})(?:[:.](\d{2}))?\s*[-\u2013\u2014]\s*(\d{1,2})(?:[:.](\d{2}))?\s*$")
_GERMAN_DATE = re.compile(r"^\s*(\d{1,2})\.(\d{1,2})\.(\d{4})\s*$")


def parse_span(text: str) -> Interval:
    """One opening span; raises ValueError for anything that is not a time range that ends after it starts."""
    match = _SPAN.match(str(text))
    if match is None:
        raise ValueError(f"{text!r} is not like 10:00-13:00")
    h1, m1, h2, m2 = match.groups()
    try:
        start, end = time(int(h1), int(m1 or 0)), time(int(h2), int(m2 or 0))
    except ValueError as exc:
        raise ValueError(f"{text!r} is not like 10:00-13:00") from exc
    if end <= start:
        raise ValueError(f"{text!r} ends before it starts")
    return Interval(start, end)


def parse_day(value: object) -> date:
    """A calendar day as YAML gives it (a date), ISO text (2026-12-24) or German text (24.12.2026)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    german = _GERMAN_DATE.match(text)
    try:
        if german:
            day, month, year = (int(g) for g in german.groups())
            return date(year, month, day)
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a date like 2026-12-24") from exc


@dataclass(frozen=True)
class Closure:
    """Days the office is closed although the weekly hours say open (holidays, a team day)."""

    first: date
    last: date
    note: dict[str, str] = field(default_factory=dict)   # per language, e.g. {"de": "Weihnachten"}

    def covers(self, day: date) -> bool:
        return self.first <= day <= self.last

    def to_mapping(self) -> dict:
        out: dict = {"from": self.first.isoformat(), "to": self.last.isoformat()}
        if self.note:
            out["note"] = dict(self.note)
        return out


@dataclass(frozen=True)
class OpeningHours:
    """Regular weekly hours; ``days[0]`` is Monday. An empty week means "not known".
    ``closures``: days closed in spite of the weekly hours, oldest first."""

    days: tuple[tuple[Interval, ...], ...] = ((),) * 7
    note: dict[str, str] = field(default_factory=dict)   # per language, e.g. "by appointment"
    closures: tuple[Closure, ...] = ()

    @property
    def known(self) -> bool:
        return any(self.days)

    def closure_on(self, day: date) -> Closure | None:
        return next((c for c in self.closures if c.covers(day)), None)

    @staticmethod
    def from_mapping(data: dict | None) -> "OpeningHours":
        """``{"mon": ["10:00-13:00", "14:00-16:00"], ..., "closures": [{"from": "2026-12-24", "to":
        "2026-12-26", "note": {"de": "Weihnachten"}}]}`` as staff write it in the areas file."""
        if not data:
            return OpeningHours()
        unknown = set(data) - set(WEEKDAY_KEYS) - {"note", "closures"}
        if unknown:
            raise ValueError(f"unknown weekday(s) in opening hours: {', '.join(sorted(unknown))}")
        days = []
        for key in WEEKDAY_KEYS:
            spans = []
            for span in data.get(key) or []:
                try:
                    spans.append(parse_span(span))
                except ValueError as exc:
                    raise ValueError(f"opening hours {key}: {exc}") from exc
            days.append(tuple(spans))
        note = data.get("note") or {}
        if isinstance(note, str):
            note = {"de": note}
        closures = []
        for entry in data.get("closures") or []:
            if not isinstance(entry, dict) or "from" not in entry:
                raise ValueError("closures: every closure needs 'from' (and 'to' for more than one day)")
            first = parse_day(entry["from"])
            last = parse_day(entry.get("to") or entry["from"])
            if last < first:
                raise ValueError(f"closures: {first.isoformat()} to {last.isoformat()} ends before it starts")
            closure_note = entry.get("note") or {}
            closures.append(Closure(first, last, {"de": closure_note} if isinstance(closure_note, str)
                                    else {str(k): str(v) for k, v in closure_note.items()}))
        return OpeningHours(tuple(days), dict(note), tuple(sorted(closures, key=lambda c: (c.first, c.last))))

    def to_mapping(self) -> dict:
        out: dict = {k: [f"{i.start:%H:%M}-{i.end:%H:%M}" for i in spans]
                     for k, spans in zip(WEEKDAY_KEYS, self.days) if spans}
        if self.note:
            out["note"] = dict(self.note)
        if self.closures:
            out["closures"] = [c.to_mapping() for c in self.closures]
        return out


@dataclass(frozen=True)
class Office:
    address: str
    phone: str | None = None
    email: str | None = None
    hours: OpeningHours = field(default_factory=OpeningHours)
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True)
class Area:
    key: str
    name: str
    office: Office
    website: str | None = None
    ortsteil: str = ""
    description: str = ""
    notes: dict[str, str] = field(default_factory=dict)   # staff note per language, German fallback
