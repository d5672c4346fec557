"""Submissions (ideas, Aktionsfonds applications, hints, questions): the data, the rules, the port.

Life of a submission::

    new ──ask back──> waiting ──resident answers──> answered
     │  └─please revise─> needs_revision ──resident resends──> revised
     │                                                         │
     └──(any open state)── approve ─> approved    reject ─> rejected    reply (questions) ─> replied

``new``, ``waiting``, ``answered``, ``needs_revision`` and ``revised`` are open; the last three are
final. Every change is one conditional UPDATE (status and version must still be what the deciding
person saw), so when two team members press at once exactly one wins; each change appends one row to
the audit log, which the code never updates or deletes.

Pure: standard library, Babel and rapidfuzz only.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from typing import Protocol, TypeVar
from zoneinfo import ZoneInfo

from rapidfuzz import fuzz, process, utils

from dialogs.core.i18n import N_

# --- limits (Telegram allows more; these keep a card readable and the team's work manageable) -----
MAX_TITLE = 80
MAX_TEXT = 2000
MAX_PHOTOS = 5
MAX_VOICES = 2
MAX_VOICE_SECONDS = 5 * 60
DEFAULT_MAX_PER_DAY = 5
AKTIONSFONDS_CAP = Decimal("1500")        # euros per action (programme rule)
# The largest amount the bot still reads back as an amount (one million euros): anything above it is a typo
# or a test, and is answered with a request for a realistic amount instead of "more than the cap".
REALISTIC_AMOUNT_MAX = Decimal("1000000")

# --- kinds, states, reasons ---------------------------------------------------------------------
KINDS: dict[str, str] = {
    "aktionsfonds": N_("Aktionsfonds application"),
    "project": N_("Project idea"),
    "hint": N_("Hint about the neighbourhood"),
    "question": N_("Question to the team"),
}
KIND_ICONS = {"aktionsfonds": "💶", "project": "💡", "hint": "📌", "question": "❓"}

OPEN = ("new", "waiting", "answered", "needs_revision", "revised")
FINAL = ("approved", "rejected", "replied")
STATUSES = OPEN + FINAL

# Short labels, for the team's cards, /queue, /stats and exports.
STATUS_LABELS: dict[str, str] = {
    "new": N_("new"),
    "waiting": N_("question to the resident"),
    "answered": N_("resident answered"),
    "needs_revision": N_("revision requested"),
    "revised": N_("revised"),
    "approved": N_("approved"),
    "rejected": N_("rejected"),
    "replied": N_("answered by the team"),
}
# What a resident reads in /myideas.
RESIDENT_STATUS: dict[str, str] = {
    "new": N_("received, the team will look at it"),
    "waiting": N_("the team has a question for you"),
    "answered": N_("your answer is with the team"),
    "needs_revision": N_("the team asks you to revise it"),
    "revised": N_("revised, with the team again"),
    "approved": N_("accepted"),
    "rejected": N_("not accepted"),
    "replied": N_("answered"),
}
STATUS_ICONS = {"new": "🆕", "waiting": "⏳", "answered": "💬", "needs_revision": "✏️", "revised": "🔁",
                "approved": "✅", "rejected": "❌", "replied": "✅"}

# Reasons for a rejection: short label for the team, sentence for the resident.
REJECT_REASONS: dict[str, tuple[str, str]] = {
    "dup": (N_("Duplicate"), N_("It is the same as an earlier submission.")),
    "area": (N_("Outside our areas"), N_("It is outside the areas of our neighbourhood offices.")),
    "fund": (N_("Not eligible for the Aktionsfonds"),
             N_("The Aktionsfonds cannot pay for it (it pays only for material, no fees, and nothing bought "
                "before the decision).")),
    "rules": (N_("Against the rules"), N_("It goes against the rules of the programme or of this chat.")),
    "other": (N_("Other reason"), ""),
}

# Reference codes per area (BAD-2026-014); areas not listed get the first letters of their key.
AREA_CODES = {"pankstrasse": "PAN", "brunnenstrasse": "BRU", "badstrasse": "BAD", "soldiner": "SOL"}
REF_PATTERN = re.compile(r"^\s*([A-Za-z]{2,4})-(\d{4})-(\d{1,6})\s*$")


def area_code(area_key: str) -> str:
    return AREA_CODES.get(area_key) or (re.sub(r"[^A-Za-z]", "", area_key)[:3].upper() or "QM")


def format_ref(code: str, year: int, number: int) -> str:
    return f"{code}-{year}-{number:03d}"


def normalise_ref(text: str) -> str | None:
    """What staff type (``bad-2026-14``) -> the stored form (``BAD-2026-014``), or None."""
    match = REF_PATTERN.match(text)
    if not match:
        return None
    return format_ref(match.group(1).upper(), int(match.group(2)), int(match.group(3)))


def start_of_day(now: datetime, tz: str = "Europe/Berlin") -> datetime:
    """Midnight of ``now``'s calendar day in Berlin, in UTC (the flood limit counts per day)."""
    local = now.astimezone(ZoneInfo(tz))
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight.astimezone(timezone.utc)


# --- amounts -------------------------------------------------------------------------------------
_CURRENCY = re.compile(r"€|\beuros?\b|\beur\b|евро|євро|\blei\b|\bлв\b", re.IGNORECASE)
_TOKEN = re.compile(r"\d+(?:[.,' \u00a0\u202f\u066b\u066c]\d+)*")
# thousands: . , ' space (and the Arabic ٬); decimal mark: . , (and the Arabic ٫); Arabic-Indic digits too
_AMOUNT = re.compile(r"(?P<whole>\d{1,3}(?P<th>[.,' \u00a0\u202f\u066c])\d{3}(?:(?P=th)\d{3})*|\d+)"
                     r"(?:(?P<dec>[.,\u066b])(?P<cents>\d{1,2}))?")


def parse_amount(text: str) -> Decimal | None:
    """A resident's amount in euros: "150", "150,50", "1.200 €", "1200 euro", "150,-", "ca. 300".

    A dot, comma, apostrophe or space followed by exactly three digits separates thousands
    ("1.200", "1,200", "1 200"); a dot or comma followed by one or two digits marks the cents
    ("150,5", "150.50"). Anything that is not exactly one such amount ("100-200", "viel",
    "1.20.0", "-50") gives None.
    """
    cleaned = _CURRENCY.sub(" ", text)
    cleaned = re.sub(r"(\d)[.,]-+", r"\1", cleaned)          # "150,-" is how Germans write whole euros
    if "-" in cleaned or "−" in cleaned:                     # a range or a negative amount
        return None
    tokens = _TOKEN.findall(cleaned)
    if len(tokens) != 1:
        return None
    match = _AMOUNT.fullmatch(tokens[0])
    if match is None or (match["th"] and match["dec"] and match["th"] == match["dec"]):
        return None
    whole = re.sub(r"\D", "", match["whole"])
    return Decimal(f"{whole}.{(match['cents'] or '0').ljust(2, '0')}")


def cents(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


def euros(cents_value: int) -> Decimal:
    return (Decimal(cents_value) / 100).quantize(Decimal("0.01"))


# --- data ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Attachment:
    kind: str                 # "photo" | "voice"
    file_id: str              # the messenger's file id: files stay on Telegram's servers
    duration: int = 0         # voice notes: seconds


@dataclass
class Content:
    """What a resident sends: a new submission, or a revised one."""

    area_key: str
    kind: str
    title: str
    text: str
    attachments: list[Attachment] = field(default_factory=list)
    costs_cents: int | None = None
    latitude: float | None = None
    longitude: float | None = None


@dataclass
class Submission:
    id: int
    ref: str
    chat_id: int              # the resident's chat
    language: str             # the resident's language when sending
    content: Content
    status: str
    version: int
    created_at: datetime
    updated_at: datetime
    assignee_id: int | None = None
    assignee_name: str = ""
    decided_by_name: str = ""
    decided_at: datetime | None = None
    decision_reason: str = ""
    decision_note: str = ""
    revisions: int = 0

    @property
    def kind(self) -> str:
        return self.content.kind

    @property
    def area_key(self) -> str:
        return self.content.area_key

    @property
    def title(self) -> str:
        return self.content.title

    @property
    def text(self) -> str:
        return self.content.text

    @property
    def photos(self) -> list[Attachment]:
        return [a for a in self.content.attachments if a.kind == "photo"]

    @property
    def voices(self) -> list[Attachment]:
        return [a for a in self.content.attachments if a.kind == "voice"]

    @property
    def is_open(self) -> bool:
        return self.status in OPEN


@dataclass(frozen=True)
class Event:
    """One line of the audit log: who changed what, when, from which state to which, and why."""

    action: str               # created, assigned, asked, answered, revision_requested, resubmitted, approved, ...
    actor_kind: str           # "resident" | "staff"
    actor_id: int | None
    actor_name: str
    to_status: str
    from_status: str | None = None
    reason: str = ""
    note: str = ""
    at: datetime | None = None


@dataclass(frozen=True)
class Note:
    """A message between the team and the resident about one submission (questions, answers, notes)."""

    author: str               # "staff" | "resident"
    name: str
    text: str
    at: datetime
    voice_file_id: str | None = None
    id: int = 0


@dataclass(frozen=True)
class Decision:
    """The decided fields, set together with a final state."""

    by_id: int
    by_name: str
    reason: str = ""
    note: str = ""


@dataclass(frozen=True)
class CountRow:
    area_key: str
    kind: str
    status: str
    language: str
    count: int


class Submissions(Protocol):
    async def create(self, content: Content, *, chat_id: int, language: str, now: datetime,
                     actor_name: str) -> Submission: ...
    async def get(self, submission_id: int) -> Submission | None: ...
    async def by_ref(self, ref: str) -> Submission | None: ...
    async def of_resident(self, chat_id: int, limit: int = 10) -> Sequence[Submission]: ...
    async def count_since(self, chat_id: int, since: datetime) -> int: ...
    async def open_items(self, limit: int = 50) -> Sequence[Submission]: ...
    async def in_area(self, area_key: str, *, exclude_id: int, limit: int = 500) -> Sequence[Earlier]:
        """The newest ``limit`` submissions of an area but one, for the similarity check."""
        ...
    async def waiting_for(self, chat_id: int) -> Submission | None: ...
    async def transition(self, sub: Submission, *, to_status: str, event: Event, now: datetime,
                         assignee: tuple[int, str] | None = None, decision: Decision | None = None,
                         content: Content | None = None) -> bool:
        """Change ``sub`` only if its status and version are still those of ``sub``; log ``event``."""
        ...
    async def add_note(self, submission_id: int, note: Note, *, staff_id: int | None = None) -> int: ...
    async def notes(self, submission_id: int, limit: int = 5) -> Sequence[Note]: ...
    async def last_team_notes(self, submission_ids: Sequence[int]) -> dict[int, Note]: ...
    async def events(self, submission_id: int) -> Sequence[Event]: ...
    async def counts(self) -> Sequence[CountRow]: ...


# --- similar earlier submissions -----------------------------------------------------------------
SIMILAR_THRESHOLD = 62   # sample pairs: duplicates scored 64–84, unrelated ideas in one kiez 48–60
SIMILAR_LIMIT = 3


@dataclass(frozen=True)
class Earlier:
    """An earlier submission as the similarity check and a card's list of similar ones need it (the
    check reads up to 500 of them for every new card: no dates, attachments or decisions)."""
    id: int
    ref: str
    title: str
    text: str
    status: str


class _Comparable(Protocol):
    @property
    def title(self) -> str: ...
    @property
    def text(self) -> str: ...


C = TypeVar("C", bound=_Comparable)


def _similarity_key(title: str, text: str) -> str:
    return utils.default_process(f"{title} {text}")


def find_similar(title: str, text: str, candidates: Sequence[C], *,
                 limit: int = SIMILAR_LIMIT, threshold: int = SIMILAR_THRESHOLD) -> list[tuple[C, float]]:
    """Earlier submissions that read alike (rapidfuzz token_set_ratio on title and text), best first."""
    query = _similarity_key(title, text)
    if not query or not candidates:
        return []
    choices = [_similarity_key(c.title, c.text) for c in candidates]
    found = process.extract(query, choices, scorer=fuzz.token_set_ratio, processor=None,
                            limit=limit, score_cutoff=threshold)
    return [(candidates[index], score) for _choice, score, index in found]
