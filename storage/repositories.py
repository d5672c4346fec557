"""SQL implementations of the dialog ports, bound to one session (one transaction) per update."""
from __future__ import annotations

import copy
from collections.abc import Sequence

from datetime import datetime, timedelta, timezone

from sqlalchemy import BigInteger, bindparam, exists, insert, literal_column, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.office.addresses import AddressBook, AreaMap, AreaOverride, parse_ranges
from dialogs.core.messages import Reply, reply_to_dict
from dialogs.core.model import Area, OpeningHours, Office, Resident
from dialogs.core.ports import ChatState, Outgoing, StaffMember
from storage.broadcasts import SqlBroadcasts
from storage.console import SqlConsoleLinks
from storage.ideas import SqlSubmissions
from storage.translation import SqlTranslationJobs
from storage.events import SqlEvents
from storage.meetings import SqlMeetings
from storage.personal_data import SqlPersonalData
from storage.privacy import SqlAccessLog
from storage.statements import SessionStatements, Statements, built_once
from storage.models import (AreaOverrideRow, AreaRow, ConversationRow, OfficeRow, OutboxRow, PlanningAreaRow,
                            ResidentRow, StaffRow, utcnow)


# The per-update rows (resident, conversation, staff flag) go through SQLAlchemy Core on the tables,
# not the ORM: every update reads them and writes them back, and the ORM's identity map, change
# tracking and flush cost more than the statements themselves (see bench/throughput.py).
_RESIDENTS = ResidentRow.__table__
_CONVERSATIONS = ConversationRow.__table__
_STAFF = StaffRow.__table__
_MISSING = object()
# A resident row whose only change is "seen again" is written at most this often: retention counts
# in days (and warns only residents silent for months), so a few minutes change nothing it decides,
# and most updates then write nothing to the residents table.
SEEN_EVERY = timedelta(minutes=5)


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


def _first_contact_query():  # noqa: ANN202
    """Resident, their private-chat conversation and their staff flag in one round trip."""
    key = bindparam("chat_id", type_=BigInteger)
    return (select(_RESIDENTS.c.language, _RESIDENTS.c.consent_at, _RESIDENTS.c.area_key,
                   _RESIDENTS.c.display_name, _RESIDENTS.c.last_seen_at, _RESIDENTS.c.unreachable_at,
                   select(_CONVERSATIONS.c.step).where(_CONVERSATIONS.c.chat_id == key,
                                                       _CONVERSATIONS.c.user_id == key).scalar_subquery()
                   .label("step"),
                   select(_CONVERSATIONS.c.data).where(_CONVERSATIONS.c.chat_id == key,
                                                       _CONVERSATIONS.c.user_id == key).scalar_subquery()
                   .label("data"),
                   exists().where(_STAFF.c.user_id == key).label("is_staff"))
            .select_from(select(key.label("k")).subquery("one"))
            .outerjoin(_RESIDENTS, _RESIDENTS.c.chat_id == key))


_FIRST_CONTACT = built_once(_first_contact_query())
# Built once: constructing a statement costs more than SQLite takes to run it.
_SEEN = {"language": bindparam("b_language"), "last_seen_at": bindparam("b_seen"), "unreachable_at": None}
_CONSENTED = {"consent_at": bindparam("b_consent_at"), "area_key": bindparam("b_area_key"),
              "display_name": bindparam("b_display_name")}
_UPDATE_RESIDENT = built_once(update(_RESIDENTS).where(_RESIDENTS.c.chat_id == bindparam("b_chat_id"))
                              .values(**_SEEN))
_UPDATE_CONSENTED = built_once(update(_RESIDENTS).where(_RESIDENTS.c.chat_id == bindparam("b_chat_id")).values(
    **_SEEN, **_CONSENTED))
_UPDATE_CONVERSATION = built_once(
    update(_CONVERSATIONS)
    .where(_CONVERSATIONS.c.chat_id == bindparam("b_chat_id"),
           _CONVERSATIONS.c.user_id == bindparam("b_user_id"))
    .values(step=bindparam("b_step"), data=bindparam("b_data", type_=_CONVERSATIONS.c.data.type)))
_CONVERSATION = built_once(select(_CONVERSATIONS.c.step, _CONVERSATIONS.c.data).where(
    _CONVERSATIONS.c.chat_id == bindparam("b_chat_id"), _CONVERSATIONS.c.user_id == bindparam("b_user_id")))
_INSERT_RESIDENT = built_once(insert(_RESIDENTS))
_INSERT_CONVERSATION = built_once(insert(_CONVERSATIONS))
_IS_STAFF = built_once(select(_STAFF.c.user_id).where(_STAFF.c.user_id == bindparam("user_id")))


class _UpdateCache:
    """What this transaction already read of the hot rows, so the engine's get/load/is_staff of one
    update cost one query, and an unchanged conversation is not written back. Lives for one unit of
    work (one transaction, one chat serialised), so it cannot go stale."""

    def __init__(self) -> None:
        self.residents: dict[int, tuple | None] = {}           # chat_id -> row tuple (None: no row)
        self.seen: dict[int, tuple[datetime | None, bool]] = {}  # chat_id -> (last_seen_at, unreachable)
        self.conversations: dict[tuple[int, int], tuple[str, dict] | None] = {}
        self.staff: dict[int, bool] = {}

    async def prefetch(self, sql: Statements, chat_id: int) -> None:
        if chat_id in self.residents and (chat_id, chat_id) in self.conversations:
            return
        row = await sql.first(_FIRST_CONTACT, {"chat_id": chat_id})
        language, consent_at, area_key, display_name, last_seen_at, unreachable_at, step, data, is_staff = row
        self.residents[chat_id] = ((language, consent_at, area_key, display_name) if language is not None
                                   else None)
        self.seen[chat_id] = (last_seen_at, unreachable_at is not None)
        self.conversations[(chat_id, chat_id)] = (step, data or {}) if step is not None else None
        self.staff[chat_id] = bool(is_staff)


class SqlResidents:
    def __init__(self, session: AsyncSession, cache: _UpdateCache | None = None,
                 sql: Statements | None = None) -> None:
        self.session = session
        self.cache = cache or _UpdateCache()
        self.sql = sql or SessionStatements(session)

    def _only_seen_again(self, resident: Resident, known: tuple, seen: datetime) -> bool:
        """Nothing to write: the same row, not marked unreachable, and seen less than SEEN_EVERY ago."""
        last_seen, unreachable = self.cache.seen.get(resident.chat_id, (None, True))
        if unreachable or last_seen is None:
            return False
        if resident.consent_at is not None:
            current = (resident.language, resident.consent_at, resident.area_key, resident.display_name)
        else:
            current = (resident.language, *known[1:])
        return current == known and timedelta(0) <= _utc(seen) - _utc(last_seen) < SEEN_EVERY

    async def get(self, chat_id: int) -> Resident | None:
        await self.cache.prefetch(self.sql, chat_id)
        row = self.cache.residents[chat_id]
        if row is None:
            return None
        language, consent_at, area_key, display_name = row
        return Resident(chat_id=chat_id, language=language, consent_at=consent_at, area_key=area_key,
                        display_name=display_name)

    async def save(self, resident: Resident) -> None:
        if resident.language is None:
            return
        seen = resident.last_seen_at or utcnow()
        values: dict = {"language": resident.language, "last_seen_at": seen,
                        "unreachable_at": None}   # whoever writes to kiezbot has not blocked it (any more)
        if resident.consent_at is not None:   # nothing beyond id and language before consent
            values.update(consent_at=resident.consent_at, area_key=resident.area_key,
                          display_name=resident.display_name)
        known = self.cache.residents.get(resident.chat_id, _MISSING)
        if known is not _MISSING and known is not None and self._only_seen_again(resident, known, seen):
            return
        if known is not None:    # read, or may exist: update it (retention counts from last_seen_at)
            params = {"b_chat_id": resident.chat_id, "b_language": resident.language, "b_seen": seen}
            if resident.consent_at is not None:
                params.update(b_consent_at=resident.consent_at, b_area_key=resident.area_key,
                              b_display_name=resident.display_name)
            if await self.sql.run(_UPDATE_CONSENTED if resident.consent_at is not None else _UPDATE_RESIDENT,
                                  params):
                return
        await self.sql.run(_INSERT_RESIDENT, {"chat_id": resident.chat_id, "created_at": seen, **values})
        self.cache.residents[resident.chat_id] = (resident.language, values.get("consent_at"),
                                                   values.get("area_key"), values.get("display_name", ""))


class SqlConversations:
    def __init__(self, session: AsyncSession, cache: _UpdateCache | None = None,
                 sql: Statements | None = None) -> None:
        self.session = session
        self.cache = cache or _UpdateCache()
        self.sql = sql or SessionStatements(session)

    async def _row(self, chat_id: int, user_id: int) -> tuple[str, dict] | None:
        key = (chat_id, user_id)
        if key not in self.cache.conversations:
            if chat_id == user_id:
                await self.cache.prefetch(self.sql, chat_id)
            else:
                row = await self.sql.first(_CONVERSATION, {"b_chat_id": chat_id, "b_user_id": user_id})
                self.cache.conversations[key] = (row[0], row[1] or {}) if row is not None else None
        return self.cache.conversations[key]

    async def load(self, chat_id: int, user_id: int) -> ChatState:
        row = await self._row(chat_id, user_id)
        # A deep copy, so that what the flow changes can be compared with what was stored.
        return ChatState(row[0], copy.deepcopy(row[1])) if row else ChatState()

    async def save(self, chat_id: int, user_id: int, state: ChatState) -> None:
        row = await self._row(chat_id, user_id)
        step, data = state.step, dict(state.data)
        if row is None:
            if not step and not data:
                return
            await self.sql.run(_INSERT_CONVERSATION, {"chat_id": chat_id, "user_id": user_id, "step": step,
                                                      "data": data})
        elif row[0] == step and row[1] == data:
            return                            # unchanged: nothing to write
        else:
            await self.sql.run(_UPDATE_CONVERSATION, {"b_chat_id": chat_id, "b_user_id": user_id,
                                                      "b_step": step, "b_data": data})
        self.cache.conversations[(chat_id, user_id)] = (step, copy.deepcopy(data))


def area_from_rows(area: AreaRow, office: OfficeRow | None) -> Area:
    if office is None:
        office_model = Office(address="")
    else:
        office_model = Office(address=office.address, phone=office.phone, email=office.email,
                              hours=OpeningHours.from_mapping(office.opening_hours),
                              latitude=office.latitude, longitude=office.longitude)
    return Area(key=area.key, name=area.name, office=office_model, website=area.website,
                ortsteil=area.ortsteil, description=area.description, notes=dict(area.notes or {}))


_AREAS, _OFFICES = AreaRow.__table__, OfficeRow.__table__
_AREA_COLUMNS = select(_AREAS.c.key, _AREAS.c.name, _AREAS.c.website, _AREAS.c.ortsteil, _AREAS.c.description,
                       _AREAS.c.notes, _OFFICES.c.area_key.label("office_of"), _OFFICES.c.address,
                       _OFFICES.c.phone, _OFFICES.c.email, _OFFICES.c.opening_hours, _OFFICES.c.latitude,
                       _OFFICES.c.longitude) \
    .select_from(_AREAS.outerjoin(_OFFICES, _OFFICES.c.area_key == _AREAS.c.key)) \
    .where(_AREAS.c.active.is_(True))
_PLR, _OV = PlanningAreaRow.__table__, AreaOverrideRow.__table__
_PLR_AREAS = built_once(select(_PLR.c.id, _PLR.c.area_key).where(_PLR.c.area_key.is_not(None)))
_OVERRIDES = built_once(select(_OV.c.area_key, _OV.c.street, _OV.c.postcode, _OV.c.numbers).order_by(_OV.c.id))
_ALL_AREAS = built_once(_AREA_COLUMNS.order_by(_AREAS.c.position, _AREAS.c.key))
_AREA = built_once(_AREA_COLUMNS.where(_AREAS.c.key == bindparam("key")))


def _area(row) -> Area:  # noqa: ANN001 — a row of _AREA_COLUMNS
    """What :func:`area_from_rows` makes of the two ORM rows, from one Core row."""
    if row.office_of is None:
        office = Office(address="")
    else:
        office = Office(address=row.address, phone=row.phone, email=row.email,
                        hours=OpeningHours.from_mapping(row.opening_hours),
                        latitude=row.latitude, longitude=row.longitude)
    return Area(key=row.key, name=row.name, office=office, website=row.website, ortsteil=row.ortsteil,
                description=row.description, notes=dict(row.notes or {}))


class SqlAreas:
    """Areas with their offices: read on every office-finder update, so through statements built once."""

    def __init__(self, session: AsyncSession, sql: Statements | None = None) -> None:
        self.session = session
        self.sql = sql or SessionStatements(session)

    async def all(self) -> Sequence[Area]:
        return [_area(row) for row in await self.sql.rows(_ALL_AREAS)]

    async def get(self, key: str) -> Area | None:
        row = await self.sql.first(_AREA, {"key": key})
        return _area(row) if row else None

    async def area_map(self) -> AreaMap:
        plrs = await self.sql.rows(_PLR_AREAS)
        overrides = await self.sql.rows(_OVERRIDES)
        return AreaMap(plr_to_area={plr: key for plr, key in plrs},
                       overrides=[AreaOverride(area_key, street, postcode, parse_ranges(numbers))
                                  for area_key, street, postcode, numbers in overrides])



async def all_areas(sessions: async_sessionmaker) -> Sequence[Area]:
    """Every area with its office (for the command line)."""
    async with sessions() as session:
        return await SqlAreas(session).all()

class SqlStaff:
    def __init__(self, session: AsyncSession, cache: _UpdateCache | None = None,
                 sql: Statements | None = None) -> None:
        self.session = session
        self.cache = cache or _UpdateCache()
        self.sql = sql or SessionStatements(session)

    async def is_staff(self, user_id: int) -> bool:
        known = self.cache.staff.get(user_id)
        if known is None:
            known = self.cache.staff[user_id] = (await self.sql.scalar(_IS_STAFF, {"user_id": user_id})) is not None
        return known

    async def get(self, user_id: int) -> StaffMember | None:
        row = await self.session.get(StaffRow, user_id)
        return StaffMember(row.user_id, row.name) if row else None

    async def all(self) -> Sequence[StaffMember]:
        rows = (await self.session.execute(select(StaffRow).order_by(StaffRow.name, StaffRow.user_id))).scalars()
        return [StaffMember(r.user_id, r.name) for r in rows]


_OUTBOX = OutboxRow.__table__
_ENQUEUE = built_once(insert(_OUTBOX))
# A keyed message only if its key is new, in one statement (no look-up first; a concurrent insert of the
# same key waits for the other transaction and then adds nothing, where the look-up would have raised).
_ENQUEUE_KEYED = {"sqlite": built_once(sqlite_insert(_OUTBOX).on_conflict_do_nothing(index_elements=["dedupe_key"])),
                  "postgresql": built_once(pg_insert(_OUTBOX).on_conflict_do_nothing(index_elements=["dedupe_key"]))}
# "claimed": a delivering process holds it but has not started sending, and will skip it now
# The keys that start with a prefix are a range of the unique index on dedupe_key: lo <= key < hi. (As
# "key LIKE prefix%" SQLite read every pending row instead — every reminder not yet due, which grows
# with the sign-ups — as LIKE is case-insensitive there and cannot use the index. PostgreSQL compares
# in the "C" collation, so that the range is exactly the prefix whatever the database's collation; the
# index ix_outbox_dedupe_key_c of migration 0011 serves it.)
# On SQLite "+outbox.state" keeps the planner off the state index, which it would otherwise prefer
# (https://sqlite.org/optoverview.html#disqualifying_where_clause_terms_using_unary_).
_CANCEL = {name: built_once(update(_OUTBOX)
                            .where(key >= bindparam("b_lo"), key < bindparam("b_hi"),
                                   state.in_(("pending", "claimed")))
                            .values(state="cancelled", claimed_by=None, claimed_until=None))
           for name, key, state in (("sqlite", _OUTBOX.c.dedupe_key, literal_column("+outbox.state")),
                                    ("postgresql", _OUTBOX.c.dedupe_key.collate("C"), _OUTBOX.c.state))}


def prefix_range(prefix: str) -> tuple[str, str]:
    """The keys starting with ``prefix`` are those ``lo <= key < hi`` (code point order)."""
    if not prefix:
        raise ValueError("an empty prefix would cancel everything")
    return prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)


class SqlOutbox:
    def __init__(self, session: AsyncSession, sql: Statements | None = None) -> None:
        self.session = session
        self.sql = sql or SessionStatements(session)
        self.queued = False           # a row was added in this transaction (see SqlStore.queued)

    async def enqueue(self, chat_id: int, reply: Reply, *, due_at: datetime | None = None,
                      key: str | None = None, purpose: str = "") -> None:
        values = {"chat_id": chat_id, "payload": reply_to_dict(reply), "due_at": due_at or utcnow(),
                  "dedupe_key": key, "purpose": purpose}
        if key is None:
            await self.sql.run(_ENQUEUE, values)
        elif not await self.sql.run(_ENQUEUE_KEYED[self.sql.dialect_name], values):
            return                                    # that key is queued already
        self.queued = True

    async def cancel(self, key_prefix: str) -> int:
        lo, hi = prefix_range(key_prefix)
        return await self.sql.run(_CANCEL[self.sql.dialect_name], {"b_lo": lo, "b_hi": hi})

    async def sent_messages(self, keys: Sequence[str]) -> dict[int, list[int]]:
        if not keys:
            return {}
        rows = await self.session.execute(
            select(OutboxRow.chat_id, OutboxRow.message_ids, OutboxRow.message_id)
            .where(OutboxRow.state == "sent",
                   or_(OutboxRow.dedupe_key.in_(list(keys)),
                       *(OutboxRow.dedupe_key.startswith(key + ":", autoescape=True) for key in keys)))
            .order_by(OutboxRow.id))
        found: dict[int, list[int]] = {}
        for chat_id, ids, single in rows.all():
            found.setdefault(chat_id, []).extend(ids or ([single] if single is not None else []))
        return found

    async def first_message(self, chat_id: int, key: str) -> int | None:
        row = (await self.session.execute(
            select(OutboxRow.message_ids, OutboxRow.message_id)
            .where(OutboxRow.state == "sent", OutboxRow.chat_id == chat_id, OutboxRow.dedupe_key == key))).first()
        if row is None:
            return None
        ids, single = row
        return ids[0] if ids else single

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
            self.queued = True
        return len(rows)


class SqlStore:
    def __init__(self, session: AsyncSession, addresses: AddressBook, sql: Statements | None = None) -> None:
        self.session = session
        self.sql = sql = sql or SessionStatements(session)
        cache = _UpdateCache()
        self.residents = SqlResidents(session, cache, sql)
        self.conversations = SqlConversations(session, cache, sql)
        self.areas = SqlAreas(session, sql)
        self.outbox = SqlOutbox(session, sql)
        self.staff = SqlStaff(session, cache, sql)
        self.meetings = SqlMeetings(session)
        self.submissions = SqlSubmissions(session, sql)
        self.events = SqlEvents(session, sql)
        self.addresses = addresses
        self.broadcasts = SqlBroadcasts(session)
        self.personal_data = SqlPersonalData(session)
        self.access_log = SqlAccessLog(session)
        self.console = SqlConsoleLinks(session)
        self.translations = SqlTranslationJobs(session)

    @property
    def queued(self) -> bool:
        """Whether this transaction gave the delivery engine something to do now: outbox rows added, a
        broadcast created or stopped. Read once the unit of work committed; the caller then kicks the
        delivery engine (an update that queued nothing, most of them, costs it nothing)."""
        return self.outbox.queued or self.broadcasts.queued
