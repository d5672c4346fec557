"""Migrations, seeding and the settings — what an operator relies on."""
from __future__ import annotations

import pytest
from sqlalchemy import func, inspect, select, text

import storage.all_models  # noqa: F401
from storage import migrate
from storage.models import AddressRecord, AreaOverrideRow, AreaRow, Base, PlanningAreaRow, StreetRow
from storage.seed import SeedError, seed_all, seed_areas
from tests.conftest import backends


@pytest.fixture(params=backends())
def backend(request):
    return request.param


async def table_names(engine) -> set[str]:
    async with engine.connect() as conn:
        return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))


@pytest.mark.parametrize("fresh_db", backends(), indirect=True)
async def test_migrations_upgrade_downgrade_upgrade(fresh_db):
    engine = fresh_db.engine
    expected = {t.name for t in Base.metadata.sorted_tables}
    assert expected <= await table_names(engine)
    assert await migrate.current_revision(engine) == migrate.head_revision()
    await migrate.downgrade(engine, "base")
    assert await table_names(engine) <= {"alembic_version"}
    await migrate.upgrade(engine)
    assert expected <= await table_names(engine)


@pytest.mark.parametrize("fresh_db", backends(), indirect=True)
async def test_start_up_skips_alembic_only_when_the_database_is_at_the_head(fresh_db):
    engine = fresh_db.engine
    assert migrate.heads_from_files() == {migrate.head_revision()}    # the files, read without Alembic
    assert await migrate.at_head(engine)
    await migrate.downgrade(engine, "-1")
    assert not await migrate.at_head(engine)
    await migrate.upgrade(engine)                                     # one step behind: Alembic upgrades
    assert await migrate.current_revision(engine) == migrate.head_revision()
    assert await migrate.at_head(engine)


@pytest.mark.parametrize("fresh_db", backends(), indirect=True)
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based index")
async def test_models_and_migrations_agree(fresh_db):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    def comparable(obj, name, type_, reflected, compare_to):  # noqa: ANN001, ANN202
        return name not in COLLATED_INDEXES      # Alembic cannot compare them: checked below

    async with fresh_db.engine.connect() as conn:
        diff = await conn.run_sync(lambda c: compare_metadata(
            MigrationContext.configure(c, opts={"include_object": comparable}), Base.metadata))
    assert diff == []
    if fresh_db.engine.dialect.name == "postgresql":
        async with fresh_db.engine.connect() as conn:
            found = dict((await conn.execute(text(
                "SELECT indexname, indexdef FROM pg_indexes WHERE indexname = ANY(:names)"),
                {"names": list(COLLATED_INDEXES)})).all())
        assert set(found) == set(COLLATED_INDEXES)
        for name, must_contain in COLLATED_INDEXES.items():
            assert must_contain in found[name], found[name]


# Indexes in a collation of their own (PostgreSQL only): name -> what their definition must contain.
COLLATED_INDEXES = {"ix_outbox_dedupe_key_c": 'dedupe_key COLLATE "C"'}


async def test_seed_is_idempotent_and_complete(seeded_db):
    async with seeded_db.sessions() as session:
        streets = await session.scalar(select(func.count()).select_from(StreetRow))
        addresses = await session.scalar(select(func.count()).select_from(AddressRecord))
        areas = await session.scalar(select(func.count()).select_from(AreaRow).where(AreaRow.active.is_(True)))
        soldiner = set((await session.execute(
            select(PlanningAreaRow.id).where(PlanningAreaRow.area_key == "soldiner"))).scalars())
    assert streets == 9766
    assert addresses == 401032
    assert areas == 4
    assert soldiner == {"01300732", "01300731"}
    report = await seed_all(seeded_db.sessions)          # second run: nothing changes
    assert report.changed == []
    assert report.addresses_loaded == 0


async def test_staff_can_edit_the_mapping_in_the_areas_file(seeded_db, tmp_path):
    from storage.areas_file import export_areas
    from storage.seed import AREAS_FILE

    exported = await export_areas(seeded_db.sessions)
    edited = tmp_path / "areas.yaml"
    edited.write_text(exported.replace('numbers: 17-34, 119-143', 'numbers: 17-34, 119-150'), encoding="utf-8")
    try:
        async with seeded_db.sessions() as session, session.begin():
            report = await seed_areas(session, edited)
        assert report.changed == ["overrides replaced"]
        async with seeded_db.sessions() as session:
            numbers = await session.scalar(select(AreaOverrideRow.numbers))
        assert numbers == "17-34, 119-150"
    finally:
        async with seeded_db.sessions() as session, session.begin():
            await seed_areas(session, AREAS_FILE)


async def test_a_broken_areas_file_is_refused_with_its_place(seeded_db, tmp_path):
    bad = tmp_path / "areas.yaml"
    bad.write_text("areas:\n  - key: x\n    name: X\n    office: {address: A, opening_hours: {mon: ['13:00-10:00']}}\n")
    with pytest.raises(SeedError, match=r"areas\[0\].*ends before it starts"):
        async with seeded_db.sessions() as session, session.begin():
            await seed_areas(session, bad)


async def test_packed_addresses_match_the_address_table(seeded_db):
    """The compact per-street form the office finder reads equals the rows in the database."""
    from storage.address_book import SqlAddressBook

    book = await SqlAddressBook(seeded_db.sessions).load()
    for street in ("Koloniestraße", "Badstraße", "Nettelbeckplatz", "Brunnenstraße"):
        async with seeded_db.sessions() as session:
            rows = (await session.execute(
                select(AddressRecord.number, AddressRecord.suffix, AddressRecord.postcode, AddressRecord.plr_id)
                .join(StreetRow, StreetRow.id == AddressRecord.street_id).where(StreetRow.name == street)
                .order_by(AddressRecord.number, AddressRecord.suffix))).all()
        unpacked = [(r.number, r.suffix, r.postcode, r.plr_id) for r in await book.addresses(street)]
        assert sorted(unpacked) == sorted(tuple(r) for r in rows) and rows


SERVERS = [b for b in backends() if b != "sqlite"]


@pytest.mark.parametrize("fresh_db", SERVERS, indirect=True)
async def test_pooled_connections_are_pinged_only_after_resting(fresh_db, monkeypatch):
    import storage.db
    from storage.db import create_engine

    async def backend_pid(engine) -> int:  # noqa: ANN001
        async with engine.connect() as conn:
            return await conn.scalar(text("SELECT pg_backend_pid()"))

    pings = [0]
    for rest, expected_pings in ((60.0, 0), (0.0, 2)):
        monkeypatch.setattr(storage.db, "PING_AFTER_IDLE", rest)
        engine = create_engine(fresh_db.url)
        real_ping = engine.dialect.do_ping

        def counting(dbapi_connection, real_ping=real_ping):  # noqa: ANN001, ANN202
            pings[0] += 1
            return real_ping(dbapi_connection)

        monkeypatch.setattr(engine.dialect, "do_ping", counting)
        pings[0] = 0
        try:
            first = await backend_pid(engine)
            second = await backend_pid(engine)
            assert first == second                      # the pool gave the same connection back
            if rest == 0.0:                             # the server drops it while it rests
                async with fresh_db.engine.connect() as other:
                    await other.execute(text("SELECT pg_terminate_backend(:p)"), {"p": first})
                third = await backend_pid(engine)
                assert third != first                   # replaced before anyone used it: no error
            assert pings[0] == expected_pings          # steady use: no round trip to check the connection
        finally:
            await engine.dispose()
