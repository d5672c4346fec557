"""What the flows need from the outside world. ``storage/`` implements these; tests may fake them."""
from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from dialogs.addresses import AddressBook, AreaMap
from dialogs.broadcasting import Broadcasts
from dialogs.event_rules import Events
from dialogs.messages import Reply
from dialogs.model import Area, Resident
from dialogs.submissions import Submissions


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


@dataclass(frozen=True)
class Subscriber:
    """A resident who wants reminders for one body of one area, in their language."""

    chat_id: int
    language: str
    subscription_id: int


class Meetings(Protocol):
    async def next_jury_session(self, area_key: str, now: datetime) -> JurySession | None: ...
    # --- the meetings feature (dialogs/meetings.py, dialogs/meetings_staff.py) ---
    async def get(self, meeting_id: int) -> Meeting | None: ...
    async def upcoming(self, now: datetime, *, area_key: str | None = None, body: str | None = None,
                       limit: int = 20) -> Sequence[Meeting]: ...
    async def add(self, meeting: Meeting) -> Meeting: ...
    async def move(self, meeting_id: int, revision: int, starts_at: datetime, ends_at: datetime | None,
                   deadline: datetime | None) -> Meeting | None: ...
    async def cancel(self, meeting_id: int) -> Meeting | None: ...
    async def lock_topic(self, body: str, area_key: str) -> None: ...
    async def subscriptions(self, chat_id: int) -> set[tuple[str, str]]: ...
    async def subscribe(self, chat_id: int, body: str, area_key: str) -> Subscriber | None: ...
    async def unsubscribe(self, chat_id: int, body: str, area_key: str) -> bool: ...
    async def subscribers(self, body: str, area_key: str) -> Sequence[Subscriber]: ...
    async def cancel_reminders(self, chat_id: int, meeting_ids: Sequence[int]) -> int: ...


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


class UnitOfWork(Protocol):
    """Opens a transaction for one chat's update; commits on clean exit, rolls back on error.

    Implementations serialise updates of the same chat (also across processes where the
    database allows it), so one resident's messages are never handled interleaved.
    """

    def __call__(self, chat_id: int) -> AbstractAsyncContextManager[Store]: ...
