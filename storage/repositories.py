"""SQL implementations of the dialog ports, bound to one session (one transaction) per update."""
from __future__ import annotations

from collections.abc import Sequence
from contextlib import asynccontextmanager
from typing import AsyncIterator

from datetime import datetime

from sqlalchemy import insert, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialogs.addresses import AddressBook, AreaMap, AreaOverride, parse_ranges
from dialogs.messages import Reply, reply_to_dict
from dialogs.model import Area, OpeningHours, Office, Resident
from dialogs.ports import ChatState, Outgoing, StaffMember
from storage.broadcasts import SqlBroadcasts
from storage.db import writer_session_factory
from storage.ideas import SqlSubmissions
from storage.events import SqlEvents
from storage.meetings import SqlMeetings
from storage.personal_data import SqlPersonalData
from storage.privacy import SqlAccessLog
from storage.models import (AreaOverrideRow, AreaRow, ConversationRow, OfficeRow, OutboxRow, PlanningAreaRow,
                            ResidentRow, StaffRow, utcnow)


class SqlResidents:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, chat_id: int) -> Resident | None:
        row = await self.session.get(ResidentRow, chat_id)
        if row is None:
            return None
        return Resident(chat_id=row.chat_id, language=row.language, consent_at=row.consent_at,
                        area_key=row.area_key, display_name=row.display_name)

    async def save(self, resident: Resident) -> None:
        if resident.language is None:
            return
        seen = resident.last_seen_at or utcnow()
        row = await self.session.get(ResidentRow, resident.chat_id)
        if row is None:
            row = ResidentRow(chat_id=resident.chat_id, language=resident.language, created_at=seen)
            self.session.add(row)
        row.language = resident.language
        if resident.consent_at is not None:   # nothing beyond id and language before consent
            row.consent_at = resident.consent_at
            row.area_key = resident.area_key
            row.display_name = resident.display_name
        row.last_seen_at = seen           # retention counts inactivity from here
        row.unreachable_at = None        # whoever writes to kiezbot has not blocked it (any more)


class SqlConversations:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def load(self, chat_id: int, user_id: int) -> ChatState:
        row = await self.session.get(ConversationRow, (chat_id, user_id))
        return ChatState(row.step, dict(row.data or {})) if row else ChatState()

    async def save(self, chat_id: int, user_id: int, state: ChatState) -> None:
        row = await self.session.get(ConversationRow, (chat_id, user_id))
        if row is None:
            if not state.step and not state.data:
                return
            row = ConversationRow(chat_id=chat_id, user_id=user_id)
            self.session.add(row)
        row.step = state.step
        row.data = dict(state.data)


def area_from_rows(area: AreaRow, office: OfficeRow | None) -> Area:
    if office is None:
        office_model = Office(address="")
    else:
        office_model = Office(address=office.address, phone=office.phone, email=office.email,
                              hours=OpeningHours.from_mapping(office.opening_hours),
                              latitude=office.latitude, longitude=office.longitude)
    return Area(key=area.key, name=area.name, office=office_model, website=area.website,
                ortsteil=area.ortsteil, description=area.description, notes=dict(area.notes or {}))


class SqlAreas:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def all(self) -> Sequence[Area]:
        rows = await self.session.execute(
            select(AreaRow, OfficeRow).outerjoin(OfficeRow, OfficeRow.area_key == AreaRow.key)
            .where(AreaRow.active.is_(True)).order_by(AreaRow.position, AreaRow.key))
        return [area_from_rows(a, o) for a, o in rows.all()]

    async def get(self, key: str) -> Area | None:
        row = (await self.session.execute(
            select(AreaRow, OfficeRow).outerjoin(OfficeRow, OfficeRow.area_key == AreaRow.key)
            .where(AreaRow.key == key, AreaRow.active.is_(True)))).first()
        return area_from_rows(*row) if row else None

    async def area_map(self) -> AreaMap:
        plrs = await self.session.execute(
            select(PlanningAreaRow.id, PlanningAreaRow.area_key).where(PlanningAreaRow.area_key.is_not(None)))
        overrides = (await self.session.execute(select(AreaOverrideRow).order_by(AreaOverrideRow.id))).scalars()
        return AreaMap(plr_to_area={plr: key for plr, key in plrs.all()},
                       overrides=[AreaOverride(o.area_key, o.street, o.postcode, parse_ranges(o.numbers))
                                  for o in overrides])


class SqlStaff:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def is_staff(self, user_id: int) -> bool:
        return await self.session.get(StaffRow, user_id) is not None

    async def get(self, user_id: int) -> StaffMember | None:
        row = await self.session.get(StaffRow, user_id)
        return StaffMember(row.user_id, row.name) if row else None

    async def all(self) -> Sequence[StaffMember]:
        rows = (await self.session.execute(select(StaffRow).order_by(StaffRow.name, StaffRow.user_id))).scalars()
        return [StaffMember(r.user_id, r.name) for r in rows]


class SqlOutbox:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def enqueue(self, chat_id: int, reply: Reply, *, due_at: datetime | None = None,
                      key: str | None = None, purpose: str = "") -> None:
        if key is not None:
            existing = await self.session.scalar(select(OutboxRow.id).where(OutboxRow.dedupe_key == key))
            if existing is not None:
                return
        self.session.add(OutboxRow(chat_id=chat_id, payload=reply_to_dict(reply), due_at=due_at or utcnow(),
                                   dedupe_key=key, purpose=purpose))
        await self.session.flush()

    async def cancel(self, key_prefix: str) -> int:
        result = await self.session.execute(
            # "claimed": a delivering process holds it but has not started sending, and will skip it now
            update(OutboxRow).where(OutboxRow.state.in_(("pending", "claimed")),
                                    OutboxRow.dedupe_key.startswith(key_prefix))
            .values(state="cancelled", claimed_by=None, claimed_until=None))
        return result.rowcount or 0

    async def sent_messages(self, key_prefixes: Sequence[str]) -> dict[int, list[int]]:
        if not key_prefixes:
            return {}
        rows = await self.session.execute(
            select(OutboxRow.chat_id, OutboxRow.message_ids, OutboxRow.message_id)
            .where(OutboxRow.state == "sent",
                   or_(*(OutboxRow.dedupe_key.startswith(prefix) for prefix in key_prefixes)))
            .order_by(OutboxRow.id))
        found: dict[int, list[int]] = {}
        for chat_id, ids, single in rows.all():
            found.setdefault(chat_id, []).extend(ids or ([single] if single is not None else []))
        return found

    async def enqueue_many(self, messages: Sequence[Outgoing]) -> int:
        """Like ``enqueue`` for each message (keys already stored are skipped); returns how many were added."""
        keys = [m.key for m in messages if m.key is not None]
        existing: set[str] = set()
        for i in range(0, len(keys), 500):
            existing.update(await self.session.scalars(
                select(OutboxRow.dedupe_key).where(OutboxRow.dedupe_key.in_(keys[i:i + 500]))))
        now, seen, rows = utcnow(), set(existing), []
        for m in messages:
            if m.key is not None:
                if m.key in seen:
                    continue
                seen.add(m.key)
            rows.append({"chat_id": m.chat_id, "payload": reply_to_dict(m.reply), "due_at": m.due_at or now,
                         "dedupe_key": m.key, "purpose": m.purpose})
        if rows:
            await self.session.execute(insert(OutboxRow), rows)
        return len(rows)


class SqlStore:
    def __init__(self, session: AsyncSession, addresses: AddressBook) -> None:
        self.session = session
        self.residents = SqlResidents(session)
        self.conversations = SqlConversations(session)
        self.areas = SqlAreas(session)
        self.outbox = SqlOutbox(session)
        self.staff = SqlStaff(session)
        self.meetings = SqlMeetings(session)
        self.submissions = SqlSubmissions(session)
        self.events = SqlEvents(session)
        self.addresses = addresses
        self.broadcasts = SqlBroadcasts(session)
        self.personal_data = SqlPersonalData(session)
        self.access_log = SqlAccessLog(session)


class SqlUnitOfWork:
    """One transaction per update. On PostgreSQL a transaction-scoped advisory lock on the chat id
    serialises one chat's updates across processes; on SQLite the transaction takes the write lock
    at BEGIN (IMMEDIATE), which serialises all updates."""

    def __init__(self, sessions: async_sessionmaker, addresses: AddressBook) -> None:
        self.sessions = writer_session_factory(sessions.kw["bind"])
        self.addresses = addresses

    @asynccontextmanager
    async def __call__(self, chat_id: int) -> AsyncIterator[SqlStore]:
        async with self.sessions() as session:
            async with session.begin():
                if session.bind.dialect.name == "postgresql":
                    await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": chat_id})
                yield SqlStore(session, self.addresses)
