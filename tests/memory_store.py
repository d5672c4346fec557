"""An in-memory :class:`~dialogs.core.ports.Store` and :class:`~dialogs.core.ports.UnitOfWork`, for tests
of flows that do not test storage (as aiogram-dialog tests dialogs without a database).

``MemoryUnitOfWork`` behaves like ``storage.unit_of_work.SqlUnitOfWork`` as far as the flows can tell
(``tests/test_store_contract.py`` runs the same assertions against both):

* one transaction per update, serialised (one asyncio lock, as SQLite's write lock serialises them);
* copy-on-begin: the update works on a deep copy of the committed tables, which replaces them only on
  a clean exit — an exception leaves nothing behind;
* the same write rules: nothing but the language is kept before the privacy notice was accepted, an
  outbox key is stored once (also after it was cancelled), an empty conversation is not stored …

Implemented: residents, conversations, areas and offices (from the shipped areas file), the address
book (Berlin's address list, ``tests/address_book_memory.py``), staff, outbox, access log and personal
data (export and erasure of what these hold). Not implemented: meetings, events, ideas, broadcasts,
console sign-in — those attributes answer "nothing stored" where the core flows ask (a resident's
sign-ups and submissions before an erasure) and raise :class:`NotInMemory` for anything else, so a test
that needs them uses the SQL ``dialogs`` fixture instead.

Tests set data up through :class:`MemoryData` (``uow.data.add_staff(…)``) and read it back there
(``uow.data.residents[chat_id]``), the way SQL tests use ``db.sessions()``.
"""
from __future__ import annotations

import asyncio
import copy
import secrets
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from functools import cache
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from dialogs.core.messages import Reply, reply_from_dict, reply_to_dict
from dialogs.core.model import Area, OpeningHours, Office, Resident
from dialogs.core.ports import AccessEntry, ChatState, ErasureReport, Outgoing, StaffMember
from dialogs.office.addresses import AddressBook, AreaMap
from storage.personal_data import ACTOR_KINDS, jsonable, outbox_entry
from storage.privacy import erased_pseudonym, pseudonym_with
from storage.seed import AREAS_FILE, read_areas_file
from tests.address_book_memory import load_address_book, load_area_map


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class NotInMemory(NotImplementedError):
    """A port (or method) the memory store does not implement: use the SQL fixtures for this test."""


# --- the tables -----------------------------------------------------------------------------------

@dataclass
class ResidentRecord:
    chat_id: int
    language: str
    consent_at: datetime | None = None
    area_key: str | None = None
    display_name: str = ""
    created_at: datetime | None = None
    last_seen_at: datetime | None = None
    unreachable_at: datetime | None = None


@dataclass
class OutboxRecord:
    """One row of the outbox, with the columns the flows and the export read."""

    id: int
    chat_id: int
    payload: dict[str, Any]
    due_at: datetime
    dedupe_key: str | None = None
    purpose: str = ""
    state: str = "pending"         # pending, claimed, sending, sent, failed, blocked, cancelled
    sent_at: datetime | None = None
    message_id: int | None = None
    message_ids: list[int] | None = None

    @property
    def reply(self) -> Reply:
        return reply_from_dict(self.payload)


@dataclass
class AccessRecord:
    id: int
    at: datetime
    actor: str
    action: str
    subject: str
    detail: str = ""


@dataclass
class Tables:
    """What one transaction may change (deep-copied at begin, swapped in at commit)."""

    residents: dict[int, ResidentRecord] = field(default_factory=dict)
    conversations: dict[tuple[int, int], tuple[str, dict, datetime]] = field(default_factory=dict)
    staff: dict[int, str] = field(default_factory=dict)
    outbox: list[OutboxRecord] = field(default_factory=list)
    access_log: list[AccessRecord] = field(default_factory=list)
    retention_notices: dict[int, dict[str, Any]] = field(default_factory=dict)
    next_id: int = 0

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id


@cache
def shipped_areas(path: Path = AREAS_FILE) -> tuple[Area, ...]:
    """The active areas of the areas file, in its order, as ``storage.seed`` + ``SqlAreas`` make them."""
    out = []
    for entry in read_areas_file(path):
        if entry.get("active", True) is False:
            continue
        office = entry.get("office") or {}
        if office.get("address"):
            office_model = Office(address=office["address"], phone=office.get("phone"), email=office.get("email"),
                                  hours=OpeningHours.from_mapping(
                                      OpeningHours.from_mapping(office.get("opening_hours")).to_mapping()),
                                  latitude=office.get("latitude"), longitude=office.get("longitude"))
        else:
            office_model = Office(address="")
        out.append(Area(key=entry["key"], name=entry["name"], office=office_model, website=entry.get("website"),
                        ortsteil=entry.get("ortsteil") or "", description=entry.get("description") or "",
                        notes=dict(entry.get("notes") or {})))
    return tuple(out)


class MemoryData:
    """The committed state, plus the reference data (areas, address book) that updates only read."""

    def __init__(self, addresses: AddressBook | None = None, areas: Sequence[Area] | None = None,
                 area_map: AreaMap | None = None) -> None:
        self.tables = Tables()
        self.areas: list[Area] = list(shipped_areas() if areas is None else areas)
        self._addresses = addresses
        self._area_map = area_map
        self.pseudonym_key = secrets.token_bytes(32)

    @property
    def addresses(self) -> AddressBook:
        if self._addresses is None:
            self._addresses = load_address_book()      # ~1 s, once per process
        return self._addresses

    @property
    def area_map(self) -> AreaMap:
        if self._area_map is None:
            self._area_map = load_area_map()
        return self._area_map

    # --- for tests: set up and read back, outside any update ---
    @property
    def residents(self) -> dict[int, ResidentRecord]:
        return self.tables.residents

    @property
    def outbox(self) -> list[OutboxRecord]:
        return self.tables.outbox

    def conversation(self, chat_id: int, user_id: int | None = None) -> ChatState | None:
        row = self.tables.conversations.get((chat_id, chat_id if user_id is None else user_id))
        return None if row is None else ChatState(row[0], copy.deepcopy(row[1]))

    def add_staff(self, user_id: int, name: str = "Dana") -> None:
        """Put ``user_id`` on the team (what `kiezbot staff add` does)."""
        self.tables.staff[user_id] = name

    def office_of(self, area_key: str) -> Office:
        return next(a.office for a in self.areas if a.key == area_key)

    def set_office(self, area_key: str, **values: Any) -> None:
        """Change an office as staff do through the areas file (``hours`` as an OpeningHours mapping)."""
        if "opening_hours" in values:
            values["hours"] = OpeningHours.from_mapping(values.pop("opening_hours"))
        self.areas = [replace(a, office=replace(a.office, **values)) if a.key == area_key else a
                      for a in self.areas]


# --- the ports ------------------------------------------------------------------------------------

class MemoryResidents:
    def __init__(self, tables: Tables) -> None:
        self.t = tables

    async def get(self, chat_id: int) -> Resident | None:
        row = self.t.residents.get(chat_id)
        if row is None:
            return None
        return Resident(chat_id=chat_id, language=row.language, consent_at=row.consent_at, area_key=row.area_key,
                        display_name=row.display_name)

    async def save(self, resident: Resident) -> None:
        if resident.language is None:
            return
        seen = resident.last_seen_at or utcnow()
        row = self.t.residents.get(resident.chat_id)
        if row is None:
            row = self.t.residents[resident.chat_id] = ResidentRecord(resident.chat_id, resident.language,
                                                                      created_at=seen)
        row.language, row.last_seen_at, row.unreachable_at = resident.language, seen, None
        if resident.consent_at is not None:     # nothing beyond id and language before consent
            row.consent_at, row.area_key, row.display_name = (resident.consent_at, resident.area_key,
                                                              resident.display_name)


class MemoryConversations:
    def __init__(self, tables: Tables) -> None:
        self.t = tables

    async def load(self, chat_id: int, user_id: int) -> ChatState:
        row = self.t.conversations.get((chat_id, user_id))
        return ChatState(row[0], copy.deepcopy(row[1])) if row else ChatState()

    async def save(self, chat_id: int, user_id: int, state: ChatState) -> None:
        key = (chat_id, user_id)
        if key not in self.t.conversations and not state.step and not state.data:
            return
        self.t.conversations[key] = (state.step, copy.deepcopy(dict(state.data)), utcnow())


class MemoryAreas:
    def __init__(self, data: MemoryData) -> None:
        self.data = data

    async def all(self) -> Sequence[Area]:
        return list(self.data.areas)

    async def get(self, key: str) -> Area | None:
        return next((a for a in self.data.areas if a.key == key), None)

    async def area_map(self) -> AreaMap:
        return self.data.area_map


class MemoryStaff:
    def __init__(self, tables: Tables) -> None:
        self.t = tables

    async def is_staff(self, user_id: int) -> bool:
        return user_id in self.t.staff

    async def get(self, user_id: int) -> StaffMember | None:
        name = self.t.staff.get(user_id)
        return None if name is None else StaffMember(user_id, name)

    async def all(self) -> Sequence[StaffMember]:
        return [StaffMember(u, n) for u, n in sorted(self.t.staff.items(), key=lambda item: (item[1], item[0]))]


class MemoryOutbox:
    def __init__(self, tables: Tables) -> None:
        self.t = tables
        self.queued = False           # a row was added in this transaction (as SqlOutbox)

    def _keys(self) -> set[str]:
        return {r.dedupe_key for r in self.t.outbox if r.dedupe_key is not None}

    def _add(self, chat_id: int, reply: Reply, due_at: datetime | None, key: str | None, purpose: str) -> None:
        self.t.outbox.append(OutboxRecord(self.t.new_id(), chat_id, reply_to_dict(reply), due_at or utcnow(),
                                          key, purpose))

    async def enqueue(self, chat_id: int, reply: Reply, *, due_at: datetime | None = None,
                      key: str | None = None, purpose: str = "") -> None:
        if key is not None and key in self._keys():
            return
        self._add(chat_id, reply, due_at, key, purpose)
        self.queued = True

    async def cancel(self, key_prefix: str) -> int:
        if not key_prefix:
            raise ValueError("an empty prefix would cancel everything")
        cancelled = 0
        for row in self.t.outbox:
            if row.dedupe_key is not None and row.dedupe_key.startswith(key_prefix) \
                    and row.state in ("pending", "claimed"):
                row.state = "cancelled"
                cancelled += 1
        return cancelled

    async def enqueue_many(self, messages: Sequence[Outgoing]) -> int:
        seen, added = self._keys(), 0
        for m in messages:
            if m.key is not None:
                if m.key in seen:
                    continue
                seen.add(m.key)
            self._add(m.chat_id, m.reply, m.due_at, m.key, m.purpose)
            added += 1
        self.queued = self.queued or added > 0
        return added

    async def sent_messages(self, keys: Sequence[str]) -> dict[int, list[int]]:
        found: dict[int, list[int]] = {}
        for row in self.t.outbox:
            if row.state != "sent" or row.dedupe_key is None:
                continue
            if any(row.dedupe_key == k or row.dedupe_key.startswith(k + ":") for k in keys):
                ids = row.message_ids or ([row.message_id] if row.message_id is not None else [])
                found.setdefault(row.chat_id, []).extend(ids)
        return found


    async def first_message(self, chat_id: int, key: str) -> int | None:
        for row in self.t.outbox:
            if row.state == "sent" and row.chat_id == chat_id and row.dedupe_key == key:
                return row.message_ids[0] if row.message_ids else row.message_id
        return None


class MemoryAccessLog:
    def __init__(self, data: MemoryData, tables: Tables) -> None:
        self.key = data.pseudonym_key
        self.t = tables

    async def pseudonym(self, chat_id: int) -> str:
        return pseudonym_with(self.key, chat_id)

    async def record(self, *, actor: str, action: str, chat_id: int | None, detail: str = "",
                     at: datetime | None = None, subject: str | None = None) -> str:
        if subject is None:
            subject = await self.pseudonym(chat_id) if chat_id is not None else ""
        self.t.access_log.append(AccessRecord(self.t.new_id(), at or utcnow(), actor[:160], action[:32], subject,
                                              detail))
        return subject

    async def entries(self, chat_id: int | None = None, limit: int = 100) -> Sequence[AccessEntry]:
        rows = self.t.access_log
        if chat_id is not None:
            subject = await self.pseudonym(chat_id)
            rows = [r for r in rows if r.subject == subject]
        rows = sorted(rows, key=lambda r: (r.at, r.id), reverse=True)[:limit]
        return [AccessEntry(r.at, r.actor, r.action, r.subject, r.detail) for r in rows]


class MemoryPersonalData:
    """Export and erasure of what this store holds, with the sections and shapes of ``SqlPersonalData``."""

    def __init__(self, tables: Tables, access_log: MemoryAccessLog) -> None:
        self.t = tables
        self.access_log = access_log

    async def export(self, chat_id: int, now: datetime | None = None) -> dict[str, Any]:
        t, subject = self.t, await self.access_log.pseudonym(chat_id)
        sections: dict[str, Any] = {}
        sections["outbox"] = [outbox_entry(SimpleNamespace(**vars(r))) for r in
                              sorted((r for r in t.outbox if r.chat_id == chat_id), key=lambda r: (r.due_at, r.id))]
        notice = t.retention_notices.get(chat_id)
        sections["retention"] = notice and {"warning_days_before": notice["stage"], "warned_at": notice["warned_at"],
                                            "deletion_announced_for": notice["delete_on"]}
        sections["staff_access"] = [
            {"at": r.at, "action": r.action, "by": ACTOR_KINDS.get(r.actor.split(":", 1)[0], "neighbourhood team")}
            for r in sorted((r for r in t.access_log if r.subject == subject), key=lambda r: r.at)]
        sections["conversations"] = [{"in_private_chat": c == u, "step": step, "draft": data, "updated_at": at}
                                     for (c, u), (step, data, at) in t.conversations.items()
                                     if chat_id in (c, u)]
        row = t.residents.get(chat_id)
        sections["profile"] = row and {
            "telegram_chat_id": row.chat_id, "language": row.language, "privacy_notice_accepted_at": row.consent_at,
            "area": row.area_key, "name_from_telegram": row.display_name, "first_contact_at": row.created_at,
            "last_contact_at": row.last_seen_at, "unreachable_since": row.unreachable_at}
        return {name: jsonable(value) for name, value in sections.items() if value not in (None, [], {})}

    async def erase(self, chat_id: int, now: datetime | None = None) -> ErasureReport:
        t, subject = self.t, await self.access_log.pseudonym(chat_id)
        report = ErasureReport(erased_as=erased_pseudonym())
        before = len(t.outbox)
        t.outbox[:] = [r for r in t.outbox if r.chat_id != chat_id]
        report.erased["outbox"] = before - len(t.outbox)
        report.erased["retention"] = int(t.retention_notices.pop(chat_id, None) is not None)
        unlinked = [r for r in t.access_log if r.subject == subject]
        for r in unlinked:
            r.subject = report.erased_as
        report.erased["staff_access"] = len(unlinked)
        mine = [k for k in t.conversations if chat_id in k]
        for k in mine:
            del t.conversations[k]
        report.erased["conversations"] = len(mine)
        report.erased["profile"] = int(t.residents.pop(chat_id, None) is not None)
        return report


class NoFeature:
    """A feature port the memory store does not implement: the reads named in ``empty`` answer as the SQL
    store does when the feature holds nothing (the memory store never holds any); every other call
    raises :class:`NotInMemory`."""

    def __init__(self, name: str, empty: dict[str, Any] | None = None) -> None:
        self._name = name
        self._empty = dict(empty or {})

    def __getattr__(self, method: str):  # noqa: ANN204
        if method.startswith("_"):
            raise AttributeError(method)
        if method in self._empty:
            answer = self._empty[method]

            async def nothing(*args: Any, **kwargs: Any) -> Any:
                return copy.copy(answer)
            return nothing
        raise NotInMemory(f"the memory store has no {self._name} ({self._name}.{method}); "
                          "use the SQL fixtures (tests/conftest.py) for this test")


class MemoryStore:
    """What one update sees: the ports over one transaction's copy of the tables."""

    def __init__(self, data: MemoryData, tables: Tables) -> None:
        self.residents = MemoryResidents(tables)
        self.conversations = MemoryConversations(tables)
        self.data = data
        self.areas = MemoryAreas(data)
        self.staff = MemoryStaff(tables)
        self.outbox = MemoryOutbox(tables)
        self.access_log = MemoryAccessLog(data, tables)
        self.personal_data = MemoryPersonalData(tables, self.access_log)
        # Asked by the core flows: before an erasure (sign-ups, submissions), on free text (an answer
        # to the team's question about a submission?).
        self.events = NoFeature("events", empty={"signups_of": []})
        self.submissions = NoFeature("submissions", empty={"of_resident": [], "waiting_for": None})
        self.meetings = NoFeature("meetings")
        self.broadcasts = NoFeature("broadcasts")
        self.console = NoFeature("console")

    @property
    def addresses(self) -> AddressBook:
        return self.data.addresses         # loaded on first use (~1 s once per process)

    @property
    def queued(self) -> bool:
        return self.outbox.queued           # the features that could queue otherwise are not implemented here


class MemoryUnitOfWork:
    """One transaction per update over :class:`MemoryData`: all updates take turns (one lock per event
    loop); the update works on a deep copy, committed on a clean exit and dropped on an exception."""

    def __init__(self, data: MemoryData | None = None) -> None:
        self.data = data or MemoryData()
        self._locks: dict[asyncio.AbstractEventLoop, asyncio.Lock] = {}

    def _lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        lock = self._locks.get(loop)
        if lock is None:
            lock = self._locks[loop] = asyncio.Lock()
        return lock

    @asynccontextmanager
    async def __call__(self, chat_id: int) -> AsyncIterator[MemoryStore]:
        async with self._lock():
            working = copy.deepcopy(self.data.tables)
            yield MemoryStore(self.data, working)
            self.data.tables = working          # reached only on a clean exit: commit

    def queued_copies(self, chat_id: int, after_id: int) -> list[OutboxRecord]:
        """Copies of a submission queued for ``chat_id`` (``card:…:copy:…``) after outbox row ``after_id``
        (what ``tests.chat.ChatClient`` shows as part of the answer)."""
        return [r for r in self.data.tables.outbox
                if r.chat_id == chat_id and r.dedupe_key and ":copy:" in r.dedupe_key and r.id > after_id]


def memory_dialogs(uow: MemoryUnitOfWork, clock: Any, **options: Any):  # noqa: ANN201 — a Dialogs
    """The app with every flow, on the memory store (what ``tests.conftest.dialogs`` builds on SQL)."""
    from dialogs.app import build_dialogs
    from locales import load_catalogs
    return build_dialogs(uow, load_catalogs(), clock=clock, **options)
