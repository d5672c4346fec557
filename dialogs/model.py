"""Plain data the flows work with: residents, areas and their offices."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time


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


@dataclass(frozen=True)
class OpeningHours:
    """Regular weekly hours; ``days[0]`` is Monday. An empty week means "not known"."""

    days: tuple[tuple[Interval, ...], ...] = ((),) * 7
    note: dict[str, str] = field(default_factory=dict)   # per language, e.g. "by appointment"

    @property
    def known(self) -> bool:
        return any(self.days)

    @staticmethod
    def from_mapping(data: dict | None) -> "OpeningHours":
        """``{"mon": ["10:00-13:00", "14:00-16:00"], ...}`` as staff write it in the areas file."""
        if not data:
            return OpeningHours()
        keys = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        unknown = set(data) - set(keys) - {"note"}
        if unknown:
            raise ValueError(f"unknown weekday(s) in opening hours: {', '.join(sorted(unknown))}")
        days = []
        for key in keys:
            spans = []
            for span in data.get(key) or []:
                try:
                    a, b = (part.strip() for part in str(span).split("-"))
                    start, end = time.fromisoformat(a.zfill(5)), time.fromisoformat(b.zfill(5))
                except ValueError as exc:
                    raise ValueError(f"opening hours {key}: {span!r} is not like 10:00-13:00") from exc
                if end <= start:
                    raise ValueError(f"opening hours {key}: {span!r} ends before it starts")
                spans.append(Interval(start, end))
            days.append(tuple(spans))
        note = data.get("note") or {}
        if isinstance(note, str):
            note = {"de": note}
        return OpeningHours(tuple(days), dict(note))

    def to_mapping(self) -> dict:
        keys = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        out: dict = {k: [f"{i.start:%H:%M}-{i.end:%H:%M}" for i in spans]
                     for k, spans in zip(keys, self.days) if spans}
        if self.note:
            out["note"] = dict(self.note)
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
