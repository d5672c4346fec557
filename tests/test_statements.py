"""The per-update unit of work: prebuilt statements straight on SQLite's connection, the ORM session on
the same transaction, and both committed or rolled back together (storage/statements.py)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from dialogs.events.rules import EventText
from dialogs.core.model import Resident
from dialogs.core.ports import ChatState
from storage import fast_paths
from storage.events import SqlEvents
from storage.models import ConversationRow, ResidentRow, StaffRow
from storage.unit_of_work import SqlUnitOfWork
from storage.statements import DirectStatements
from tests.event_helpers import add_event

NOW = datetime(2026, 11, 24, 9, 30, tzinfo=timezone.utc)


@pytest.fixture
def uow(db):
    return SqlUnitOfWork(db.sessions, db.addresses)


def direct(store) -> bool:  # noqa: ANN001
    return isinstance(store.sql, DirectStatements)


async def test_rows_written_in_an_update_read_back_with_their_types_and_defaults(uow, db):
    async with uow(4711) as store:
        await store.residents.save(Resident(chat_id=4711, language="ar", consent_at=NOW, area_key="badstrasse",
                                            display_name="Ada", last_seen_at=NOW))
        await store.conversations.save(4711, 4711, ChatState("ideas.text", {"draft": {"title": "Bänke"}, "n": [1]}))
    async with db.sessions() as session:
        resident = await session.get(ResidentRow, 4711)
        conversation = (await session.execute(select(ConversationRow).where(ConversationRow.chat_id == 4711))).scalar_one()
    assert (resident.language, resident.area_key, resident.display_name) == ("ar", "badstrasse", "Ada")
    assert resident.consent_at.replace(tzinfo=timezone.utc) == NOW
    assert resident.created_at is not None                                   # the column's default, filled in
    assert conversation.data == {"draft": {"title": "Bänke"}, "n": [1]}       # JSON both ways
    first_written = conversation.updated_at
    async with uow(4711) as store:
        assert (await store.residents.get(4711)).consent_at.replace(tzinfo=timezone.utc) == NOW
        assert await store.conversations.load(4711, 4711) == ChatState("ideas.text",
                                                                       {"draft": {"title": "Bänke"}, "n": [1]})
        await store.conversations.save(4711, 4711, ChatState("ideas.kind", {}))
    async with db.sessions() as session:
        conversation = (await session.execute(select(ConversationRow).where(ConversationRow.chat_id == 4711))).scalar_one()
    assert conversation.step == "ideas.kind" and conversation.updated_at >= first_written   # onupdate ran


async def test_a_failed_update_keeps_nothing_of_either_path(uow, db):
    with pytest.raises(RuntimeError):
        async with uow(4712) as store:
            await store.residents.save(Resident(chat_id=4712, language="de"))    # a prebuilt statement
            store.session.add(StaffRow(user_id=4712, name="Kim"))                # and the ORM
            await store.session.flush()
            raise RuntimeError("the flow failed half-way")
    async with db.sessions() as session:
        assert await session.get(ResidentRow, 4712) is None
        assert await session.get(StaffRow, 4712) is None
    async with uow(4712) as store:                                            # and the next update works
        await store.residents.save(Resident(chat_id=4712, language="de"))
    async with db.sessions() as session:
        assert (await session.get(ResidentRow, 4712)).language == "de"


async def test_what_the_orm_holds_is_written_before_a_statement_reads(uow, db):
    async with uow(4713) as store:
        store.session.add(StaffRow(user_id=4713, name="Kim"))                 # pending, not flushed
        assert await store.staff.is_staff(4713)
    async with db.sessions() as session:
        assert (await session.get(StaffRow, 4713)).name == "Kim"


async def test_lists_in_statements_and_returning_work_on_every_backend(uow, db):
    one = await add_event(db, title="Hoffest")
    two = await add_event(db, title="Laternenumzug", starts_at=one.starts_at + timedelta(days=1))
    async with uow(4714) as store:
        events = await store.events.upcoming(NOW)                            # IN (…) of both ids
        assert [e.texts["de"].title for e in events] == ["Hoffest", "Laternenumzug"]
        assert await store.events._texts([]) == {}                          # an empty list is no error
        signup = await store.events.add_signup(two.id, 4714, "Ada", 2, "confirmed", NOW)  # INSERT … RETURNING
        assert signup.id and signup.party_size == 2 and signup.signed_up_at == NOW
        assert await store.events.next_reminder_round(signup.id) == 1       # UPDATE … RETURNING
        assert await store.events.next_reminder_round(signup.id) == 2
    async with db.sessions() as session:
        [(mine, event)] = await SqlEvents(session).signups_of(4714, NOW)
    assert mine.id == signup.id and event.texts == {"de": EventText("Laternenumzug", "Essen, Musik, Spiele")}


async def test_the_prebuilt_statements_run_on_the_drivers_connection(uow, db):
    on = fast_paths.enabled("direct_statements") and (db.backend != "sqlite" or fast_paths.enabled("inline_sqlite"))
    async with uow(4715) as store:
        assert direct(store) is on                    # sqlite3's, or asyncpg's (the session's: KIEZBOT_FAST_PATHS)
        if not on:
            return
        await store.residents.get(4715)
        await store.areas.all()
        if db.backend == "sqlite":
            assert store.session.opened is None                  # no ORM session was needed
        plans = len(store.sql.plans)
        await store.session.execute(select(ResidentRow).where(ResidentRow.chat_id == 4715))
        await store.sql.rows(select(StaffRow.user_id).where(StaffRow.user_id == 4715))   # built per call
        assert len(store.sql.plans) == plans                      # … runs through the session, is not kept


async def test_another_process_writing_is_waited_for_without_blocking_the_loop(uow, db, monkeypatch):
    import asyncio
    import sqlite3

    import storage.unit_of_work as unit_of_work

    if db.backend != "sqlite":
        pytest.skip("PostgreSQL serialises with advisory locks (tests/test_scaleout.py)")
    other = sqlite3.connect(db.engine.url.database, isolation_level=None)   # e.g. `kiezbot broadcast` running
    other.execute("BEGIN IMMEDIATE")

    async def update() -> None:
        async with uow(4716) as store:
            await store.residents.save(Resident(chat_id=4716, language="uk"))

    waiting = asyncio.create_task(update())
    ticks = 0
    for _ in range(10):                                  # the loop keeps running other work meanwhile
        await asyncio.sleep(0.01)
        ticks += 1
    assert ticks == 10 and not waiting.done()
    other.execute("COMMIT")
    await asyncio.wait_for(waiting, 5)
    async with db.sessions() as session:
        assert (await session.get(ResidentRow, 4716)).language == "uk"

    if not fast_paths.enabled("inline_sqlite"):        # KIEZBOT_FAST_PATHS: aiosqlite's busy_timeout (30 s)
        other.close()
        return
    monkeypatch.setattr(unit_of_work, "BEGIN_PATIENCE", 0.05)   # held for too long: the update fails …
    other.execute("BEGIN IMMEDIATE")
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        await update()
    other.execute("ROLLBACK")
    other.close()
    await update()                                       # … and the next one goes through


def test_a_statement_run_again_gets_the_sql_and_values_sqlalchemy_would_give():
    """The SQL and values of a kept statement are learnt once per shape (keys, list lengths): the second
    call of each shape must give what SQLAlchemy's own expansion gives, value by value, processed."""
    from sqlalchemy import JSON, Column, Integer, MetaData, String, Table, bindparam, insert, literal, update
    from sqlalchemy.dialects import sqlite

    from storage.statements import _Plan

    t = Table("t", MetaData(), Column("id", Integer, primary_key=True), Column("kind", String),
              Column("data", JSON), Column("n", Integer, default=7))
    dialect = sqlite.dialect()
    in_list = select(t).where(t.c.id.in_(bindparam("ids", expanding=True)), t.c.kind == "fixed",
                              t.c.n > bindparam("n"), t.c.n < bindparam("n") + literal(5))
    plan = _Plan(in_list, dialect, None)
    for ids in ([3, 1, 2], [], [9], [4, 5, 6]):
        for _ in range(2):   # the first call learns the shape, the second uses it
            assert plan.statement({"ids": ids, "n": len(ids)}) == plan._through_sqlalchemy({"ids": ids, "n": len(ids)})
    sql, values = plan.statement({"ids": [4, 5, 6], "n": 1})
    assert sql.count("?") == 7 and values == (4, 5, 6, "fixed", 1, 1, 5)

    json_update = update(t).where(t.c.id == bindparam("b_id")).values(data=bindparam("data"))
    plan = _Plan(json_update, dialect, None)
    for data in ({"a": [1]}, None, {"b": "ü"}):
        assert plan.statement({"b_id": 1, "data": data}) == plan._through_sqlalchemy({"b_id": 1, "data": data})
    assert plan.statement({"b_id": 2, "data": None})[1] == ("null", 2)       # JSON null, as SQLAlchemy stores it

    plan = _Plan(insert(t), dialect, ["id", "kind"])
    assert plan.statement({"id": 1, "kind": "x"}) == plan.statement({"id": 1, "kind": "x"})
    assert plan.statement({"id": 2, "kind": "y"})[1] == (2, "y", 7)        # the column default filled in
