"""What the flows need from the outside world. ``storage/`` implements these; tests may fake them."""
from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from dialogs.core.messages import Reply
from dialogs.core.model import Area, Resident

if TYPE_CHECKING:
    # Each feature's own port, named here only to type the Store: the features build on the core, so the
    # core must not import them when it runs (that would tie every package of dialogs/ to every other).
    from dialogs.broadcasts.sending import Broadcasts
    from dialogs.console_signin.ports import ConsoleSignIn
    from dialogs.events.rules import Events
    from dialogs.ideas.rules import Submissions
    from dialogs.office.addresses import AddressBook, AreaMap
    from dialogs.translation.ports import TranslationJobs


class Clock(Protocol):
    def __call__(self) -> datetime: ...   # timezone-aware, UTC


@dataclass
class ChatState:
    """Where a chat is in a conversation: the step and the draft typed so far (JSON-able)."""

    step: str = ""
    data: dict[str, Any] = field(default_factory=dict)


class Residents(Protocol):
    async def get(self, chat_id: int) -> Resident | None: ...
    async def save(self, resident: Resident) -> None: ...


class Areas(Protocol):
    async def all(self) -> Sequence[Area]: ...
    async def get(self, key: str) -> Area | None: ...
    async def area_map(self) -> AreaMap: ...


class Conversations(Protocol):
    """State per chat and person (in the staff group every team member has their own)."""

    async def load(self, chat_id: int, user_id: int) -> ChatState: ...
    async def save(self, chat_id: int, user_id: int, state: ChatState) -> None: ...


@dataclass(frozen=True)
class StaffMember:
    user_id: int
    name: str


class Staff(Protocol):
    async def is_staff(self, user_id: int) -> bool: ...
    async def get(self, user_id: int) -> StaffMember | None: ...
    async def all(self) -> Sequence[StaffMember]: ...


@dataclass(frozen=True)
class Outgoing:
    """One message for :meth:`Outbox.enqueue_many` (same meaning as the arguments of ``enqueue``)."""

    chat_id: int
    reply: Reply
    due_at: datetime | None = None
    key: str | None = None
    purpose: str = ""


class Outbox(Protocol):
    """Messages to send later or to another chat (staff chat, other residents, reminders).

    Rows are committed with the update's transaction and delivered by the delivery engine, so a
    crash between "decided" and "told" loses nothing. ``key`` makes an enqueue idempotent (the same
    key is stored once) and lets pending messages be cancelled (``cancel("event:12:")``).
    """

    async def enqueue(self, chat_id: int, reply: Reply, *, due_at: datetime | None = None,
                      key: str | None = None, purpose: str = "") -> None: ...
    async def cancel(self, key_prefix: str) -> int: ...
    # Many at once (reminders of every subscriber): one round trip instead of two per message.
    async def enqueue_many(self, messages: Sequence[Outgoing]) -> int: ...
    # Telegram ids of delivered messages, per chat, whose key is one of ``keys`` or one of them
    # followed by ":…" ("card:BAD-2026-001" also finds "card:BAD-2026-001:r1", not "card:BAD-2026-0010").
    async def sent_messages(self, keys: Sequence[str]) -> dict[int, list[int]]: ...
    # The Telegram id of the first message delivered under exactly ``key`` in ``chat_id`` (a card to draw
    # again in place), None when it is not delivered (yet).
    async def first_message(self, chat_id: int, key: str) -> int | None: ...


@dataclass(frozen=True)
class JurySession:
    """The next session of an area's Aktionsfonds jury and its submission deadline."""

    area_key: str
    starts_at: datetime
    deadline: datetime | None


BODIES = ("council", "jury")      # the area's Quartiersrat and its Aktionsfondsjury


@dataclass(frozen=True)
class Meeting:
    """A session of an area's Quartiersrat ("council") or Aktionsfondsjury ("jury").

    ``agenda`` holds the agenda per language (German is the fallback); ``deadline`` (jury only) is
    the end of the submission day; ``revision`` counts moves, so reminders planned for an earlier
    date can be told apart from the current ones.
    """

    area_key: str
    body: str
    starts_at: datetime
    place: str
    ends_at: datetime | None = None
    agenda: dict[str, str] = field(default_factory=dict)
    agenda_url: str | None = None
    deadline: datetime | None = None
    status: str = "scheduled"          # scheduled, cancelled
    revision: int = 0
    id: int = 0
    uid: str | None = None             # iCalendar UID when imported from a calendar file
    imported: dict[str, str] | None = None   # what the calendar said at the last import (meeting_import.py)


@dataclass(frozen=True)
class Subscriber:
    """A resident who wants reminders for one body of one area, in their language."""

    chat_id: int
    language: str
    subscription_id: int


class Meetings(Protocol):
    async def next_jury_session(self, area_key: str, now: datetime) -> JurySession | None: ...
    # --- the meetings feature (dialogs/meetings/resident_flow.py, dialogs/meetings/staff_flow.py) ---
    async def get(self, meeting_id: int) -> Meeting | None: ...
    async def upcoming(self, now: datetime, *, area_key: str | None = None, body: str | None = None,
                       limit: int = 20) -> Sequence[Meeting]: ...
    async def add(self, meeting: Meeting) -> Meeting: ...
    async def move(self, meeting_id: int, revision: int, starts_at: datetime, ends_at: datetime | None,
                   deadline: datetime | None) -> Meeting | None: ...
    async def cancel(self, meeting_id: int) -> Meeting | None: ...
    async def by_uid(self, uid: str) -> Meeting | None: ...
    async def revise(self, meeting_id: int, revision: int, **values: object) -> Meeting | None: ...
    async def remember_import(self, meeting_id: int, said: dict[str, str]) -> None: ...
    async def lock_topic(self, body: str, area_key: str) -> None: ...
    async def subscriptions(self, chat_id: int) -> set[tuple[str, str]]: ...
    async def subscribe(self, chat_id: int, body: str, area_key: str) -> Subscriber | None: ...
    async def unsubscribe(self, chat_id: int, body: str, area_key: str) -> bool: ...
    async def subscribers(self, body: str, area_key: str) -> Sequence[Subscriber]: ...
    async def cancel_reminders(self, chat_id: int, meeting_ids: Sequence[int]) -> int: ...


@dataclass
class ErasureReport:
    """What erasing one person's data did: rows deleted or anonymised per contributor (feature)."""

    erased: dict[str, int] = field(default_factory=dict)
    # The random pseudonym the person's access-log lines carry from now on; an erasure's own log line
    # uses it too (record(..., subject=erased_as)), never the chat id's keyed pseudonym.
    erased_as: str = ""

    @property
    def total(self) -> int:
        return sum(self.erased.values())


class PersonalData(Protocol):
    """Everything kiezbot stores about one resident, across all features (GDPR Art. 15 and 17).

    Implemented by a registry of per-feature contributors (``storage/personal_data.py``): a feature
    that stores something about a resident registers how to export and how to erase it there.
    """

    async def export(self, chat_id: int, now: datetime | None = None) -> dict[str, Any]: ...
    async def erase(self, chat_id: int, now: datetime | None = None) -> ErasureReport: ...


@dataclass
class RetentionReport:
    """What one run of the retention job did (or, with ``dry_run``, would do)."""

    dry_run: bool = False
    warned: dict[int, int] = field(default_factory=dict)   # days before deletion -> residents warned
    erased_residents: int = 0                               # inactive residents whose data were erased
    unfinished_removed: int = 0                             # first contacts that never agreed to the notice
    outbox_purged: int = 0                                  # delivered/failed/cancelled messages deleted
    access_log_purged: int = 0                              # access-log lines past their retention
    rules: dict[str, int] = field(default_factory=dict)     # feature rules, e.g. decided submissions unlinked

    @property
    def changed(self) -> bool:
        return bool(sum(self.warned.values()) or self.erased_residents or self.unfinished_removed
                    or self.outbox_purged
                    or self.access_log_purged or sum(self.rules.values()))

    def lines(self) -> list[str]:
        """Plain English lines for the command line and the log."""
        verb = "would be" if self.dry_run else "were"
        out = [f"residents warned {days} days before deletion: {n}" for days, n in sorted(self.warned.items(),
                                                                                        reverse=True)]
        out.append(f"inactive residents whose data {verb} erased: {self.erased_residents}")
        out.append(f"first contacts without consent that {verb} forgotten: {self.unfinished_removed}")
        out += [f"{name}: {n}" for name, n in sorted(self.rules.items())]
        out.append(f"delivered/failed/cancelled messages that {verb} purged: {self.outbox_purged}")
        out.append(f"access-log lines that {verb} purged: {self.access_log_purged}")
        return out


@dataclass(frozen=True)
class AccessEntry:
    """One line of the staff access log: who looked at (or exported, erased) whose data, when."""

    at: datetime
    actor: str          # "staff:<telegram user id> <name>" or "cli:<login name>" or "system:retention"
    action: str         # "export", "erase", "show", ... (what was done)
    subject: str        # a pseudonymous resident reference ("r-3f9a…"), never the raw chat id
    detail: str = ""


class AccessLog(Protocol):
    """Append-only log of staff access to residents' personal data (who, when, what, about whom)."""

    async def record(self, *, actor: str, action: str, chat_id: int | None, detail: str = "",
                     at: datetime | None = None, subject: str | None = None) -> str: ...
    async def pseudonym(self, chat_id: int) -> str: ...
    async def entries(self, chat_id: int | None = None, limit: int = 100) -> Sequence[AccessEntry]: ...


class Store(Protocol):
    """Everything one update may read or write, inside one transaction."""

    residents: Residents
    areas: Areas
    addresses: AddressBook
    conversations: Conversations
    outbox: Outbox
    staff: Staff
    meetings: Meetings
    broadcasts: Broadcasts
    submissions: Submissions
    events: Events
    personal_data: PersonalData
    access_log: AccessLog
    console: ConsoleSignIn
    translations: TranslationJobs

    @property
    def queued(self) -> bool:
        """Whether this transaction gave the delivery engine something to do now (outbox rows added, a
        broadcast created or stopped): read after the commit, the caller then kicks delivery."""
        ...


class UnitOfWork(Protocol):
    """Opens a transaction for one chat's update; commits on clean exit, rolls back on error.

    Implementations serialise updates of the same chat (also across processes where the
    database allows it), so one resident's messages are never handled interleaved.
    """

    def __call__(self, chat_id: int) -> AbstractAsyncContextManager[Store]: ...
