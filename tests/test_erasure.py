"""After /delete, no table holds anything that identifies the resident — checked generically.

The test fills every feature's tables through the samples registered in ``storage/personal_data.py``,
runs /delete as the resident, then searches every column of every table in ``Base.metadata`` for the
resident's chat id, name, phone, e-mail and file ids. A table added later is covered the moment it
exists: it must register an eraser (with a sample) or be declared free of personal data, or the
first test here fails and says which.
"""
from __future__ import annotations

import json
from datetime import datetime

import pytest
from sqlalchemy import String, cast, func, or_, select

import storage.all_models  # noqa: F401
from storage import personal_data
from storage.models import Base
from tests.chat import ChatClient

PERSON_CHAT_ID = 987650432101


def person(now: datetime) -> personal_data.SamplePerson:
    # Distinctive values, so that a hit can only be this person; a non-ASCII name also checks
    # JSON columns, which store it escaped (\u00e4).
    return personal_data.SamplePerson(
        chat_id=PERSON_CHAT_ID, display_name="Zyxwä Quokkason", phone="+49 30 5550 9731",
        email="zyxwa.quokkason@example.org", photo_file_id="AgACAgIAAxkBAAIPHOTOzyxwaQuokka",
        voice_file_id="AwACAgIAAxkBAAIVOICEzyxwaQuokka", now=now)


def search_terms(p: personal_data.SamplePerson) -> list[str]:
    terms = set()
    for identifier in p.identifiers():
        terms.add(identifier)
        terms.add(json.dumps(identifier)[1:-1])            # as JSON columns store it
    return sorted(terms)


def like_pattern(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def contains_any(column, terms: list[str]):
    text = cast(column, String)
    return or_(*(text.like(like_pattern(t), escape="\\") for t in terms))


async def find_identifiers(db, terms: list[str], tables: list[str] | None = None) -> dict[str, int]:
    """``{"table.column": rows}`` for every column of every table (or of ``tables``) containing one of ``terms``."""
    hits: dict[str, int] = {}
    async with db.sessions() as session:
        for table in Base.metadata.sorted_tables:
            if tables is not None and table.name not in tables:
                continue
            # One pass over the table (the address list has 401k rows), then column by column on a hit.
            anywhere = or_(*(contains_any(column, terms) for column in table.columns))
            if not await session.scalar(select(func.count()).select_from(table).where(anywhere)):
                continue
            for column in table.columns:
                found = await session.scalar(select(func.count()).select_from(table).where(contains_any(column, terms)))
                if found:
                    hits[f"{table.name}.{column.name}"] = found
    return hits


def test_every_table_either_registers_an_eraser_or_holds_no_personal_data():
    uncovered = personal_data.uncovered_tables(Base.metadata)
    assert uncovered == [], (
        f"tables {uncovered} are not covered by the personal-data registry: register an exporter, an eraser "
        "and a sample with storage.personal_data.register_personal_data(...), or declare them with "
        "declare_no_personal_data(...) (see the docstring of storage/personal_data.py)")


async def test_delete_leaves_no_trace_of_the_resident_in_any_table(dialogs, db, clock):
    p = person(clock.now)
    resident = ChatClient(dialogs, chat_id=p.chat_id, language_code="en", name=p.display_name)
    await resident.onboard("en")
    await resident.taps("Find my office")
    await resident.says("Badstraße 10")                         # area remembered
    await resident.taps("Other area")                           # a step in progress
    async with db.sessions() as session, session.begin():
        for contributor in personal_data.contributors():
            if contributor.sample is not None:
                await contributor.sample(session, p)

    async with db.sessions() as session:
        for contributor in personal_data.contributors():
            for table in contributor.tables:
                rows = await session.scalar(select(func.count()).select_from(Base.metadata.tables[table]))
                assert rows, f"the sample of {contributor.name!r} left {table} empty: the scan would prove nothing"
    before = await find_identifiers(db, search_terms(p), tables=[t for c in personal_data.contributors() for t in c.tables])
    assert {"residents.chat_id", "residents.display_name", "conversations.chat_id", "outbox.chat_id",
            "outbox.payload"} <= set(before)

    await resident.says("/delete")
    done = await resident.taps("Yes, delete everything")
    assert "deleted all your data" in done.text

    assert await find_identifiers(db, search_terms(p)) == {}
    async with db.sessions() as session:               # kept by design: the pseudonymous access log
        assert await session.scalar(select(func.count()).select_from(Base.metadata.tables["access_log"])) == 1


@pytest.mark.parametrize("kind", ["other people's data", "reference data"])
async def test_deleting_one_resident_keeps_everyone_else(dialogs, db, clock, kind):
    neighbour = ChatClient(dialogs, chat_id=4711, language_code="de", name="Nachbarin")
    await neighbour.onboard("de")
    resident = ChatClient(dialogs, chat_id=PERSON_CHAT_ID, language_code="en")
    await resident.onboard("en")
    async with db.sessions() as session, session.begin():
        for contributor in personal_data.contributors():
            if contributor.sample is not None:
                await contributor.sample(session, person(clock.now))
    tables = ["residents", "conversations"] if kind == "other people's data" else ["areas", "addresses", "streets"]
    async with db.sessions() as session:
        before = {t: await session.scalar(select(func.count()).select_from(Base.metadata.tables[t])) for t in tables}
    await resident.says("/delete")
    await resident.taps("Yes, delete everything")
    async with db.sessions() as session:
        after = {t: await session.scalar(select(func.count()).select_from(Base.metadata.tables[t])) for t in tables}
    if kind == "reference data":
        assert after == before
    else:
        assert after["residents"] == before["residents"] - 1
        assert (await neighbour.says("/menu")).buttons[0] == "📍 Büro finden"    # the neighbour carries on


def test_kiezbot_refuses_to_start_while_a_table_has_no_export_and_erasure_handler(seeded_file, tmp_path):
    """A table in the database that no feature registered (here: made by hand) stops every entry point with
    one line, before it could answer /mydata or /delete without it."""
    import sqlite3

    from tests.test_cli import kiezbot
    with sqlite3.connect(seeded_file) as db:
        db.execute("CREATE TABLE resident_notes (chat_id BIGINT, note TEXT)")
    env = {"KIEZBOT_DATABASE_URL": f"sqlite:///{seeded_file}", "KIEZBOT_BOT_TOKEN": "123456:TEST-TOKEN",
           "KIEZBOT_API_BASE_URL": "http://127.0.0.1:9"}
    for command in (["run"], ["chat"], ["privacy", "export", "4242"], ["retention", "run"], ["staff", "list"]):
        result = kiezbot(*command, env=env, stdin="", cwd=tmp_path)
        assert result.returncode == 2, (command, result.stderr)
        [line] = result.stderr.strip().splitlines()
        assert "resident_notes" in line and "refusing to start" in line and "Traceback" not in result.stderr


def test_the_check_names_a_model_whose_feature_registered_nothing():
    from sqlalchemy import BigInteger, Column, MetaData, Table

    from storage.wiring import coverage_problems
    metadata = MetaData()
    for table in Base.metadata.sorted_tables:
        table.to_metadata(metadata)
    Table("resident_notes", metadata, Column("chat_id", BigInteger))
    assert coverage_problems(metadata) == ["resident_notes"]
    assert coverage_problems(Base.metadata, {"alembic_version"}) == []
