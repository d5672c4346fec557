"""What the flows need from the outside world. ``storage/`` implements these; tests may fake them."""
from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from dialogs.addresses import AddressBook, AreaMap
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


class Outbox(Protocol):
    """Messages to send later or to another chat (staff chat, other residents, reminders).

    Rows are committed with the update's transaction and delivered by the delivery engine, so a
    crash between "decided" and "told" loses nothing. ``key`` makes an enqueue idempotent (the same
    key is stored once) and lets pending messages be cancelled (``cancel("event:12:")``).
    """

    async def enqueue(self, chat_id: int, reply: Reply, *, due_at: datetime | None = None,
                      key: str | None = None, purpose: str = "") -> None: ...
    async def cancel(self, key_prefix: str) -> int: ...


@dataclass(frozen=True)
class JurySession:
    """The next session of an area's Aktionsfonds jury and its submission deadline."""

    area_key: str
    starts_at: datetime
    deadline: datetime | None


class Meetings(Protocol):
    async def next_jury_session(self, area_key: str, now: datetime) -> JurySession | None: ...


class Store(Protocol):
    """Everything one update may read or write, inside one transaction."""

    residents: Residents
    areas: Areas
    addresses: AddressBook
    conversations: Conversations
    outbox: Outbox
    staff: Staff
    meetings: Meetings
    submissions: Submissions
    events: Events


class UnitOfWork(Protocol):
    """Opens a transaction for one chat's update; commits on clean exit, rolls back on error.

    Implementations serialise updates of the same chat (also across processes where the
    database allows it), so one resident's messages are never handled interleaved.
    """

    def __call__(self, chat_id: int) -> AbstractAsyncContextManager[Store]: ...
