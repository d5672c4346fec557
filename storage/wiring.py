"""Start-up wiring of storage: every table, every feature's personal-data handlers — and a check.

Each feature registers how to export and erase what it stores about a resident next to its models
(``storage/personal_data.py``), and retention rules next to those. Such registrations happen when their
module is imported, so an entry point that imported only what it happened to use would answer ``/mydata``
and ``/delete`` without the ideas, events or meetings. Therefore every entry point that opens the
database calls :func:`prepare` (``bot/runtime.py`` for ``kiezbot run|console|chat|broadcast|meetings``,
the command line for ``kiezbot privacy|retention|export|events|staff|seed|areas``), which

1. migrates (``storage/migrate.py``),
2. imports every model and personal-data module (:func:`wire`, the list in ``storage/all_models.py``), and
3. checks that every table — in ``Base.metadata`` *and* in the database — has an export and an
   erasure handler or is declared free of personal data; otherwise it raises
   :class:`UncoveredPersonalData` and kiezbot refuses to start with one line naming the tables.

Every entry point wires once at start: the ones that open the database through :func:`prepare`, the
tests in ``tests/conftest.py`` through :func:`wire`. The personal-data port and the retention job do not
wire themselves (that import would close a circle: the wiring imports every feature, every feature
imports the personal-data registry); they raise :class:`storage.personal_data.NotWired` in a process
that was not wired, so a future entry point that forgets it fails loudly instead of erasing half.
"""
from __future__ import annotations

from sqlalchemy import MetaData, inspect
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import personal_data

IGNORED_TABLES = {"alembic_version"}      # Alembic's own bookkeeping


class UncoveredPersonalData(Exception):
    """A table with no export/erasure handler and no declaration that it holds no personal data."""


def wire() -> MetaData:
    """Import every model module and every feature's personal-data registrations; returns the metadata."""
    import storage.all_models  # noqa: F401  (registers every table and every handler)
    from storage.models import Base
    personal_data.mark_wired()
    return Base.metadata


def coverage_problems(metadata: MetaData, database_tables: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """Tables (in ``metadata`` or the database) without export and erasure handlers or a declaration."""
    covered = set(personal_data.tables_without_personal_data())
    for contributor in personal_data.contributors():
        if callable(contributor.export) and callable(contributor.erase):
            covered.update(contributor.tables)
    names = {t.name for t in metadata.sorted_tables} | set(database_tables)
    return sorted(names - covered - IGNORED_TABLES)


async def database_tables(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        return set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))


async def check(engine: AsyncEngine) -> None:
    """Raise :class:`UncoveredPersonalData` (one line) unless every table is covered."""
    problems = coverage_problems(wire(), await database_tables(engine))
    if problems:
        raise UncoveredPersonalData(
            f"table(s) {', '.join(problems)} may hold personal data but have no export and erasure handler: "
            "register them with storage.personal_data.register_personal_data(...) or declare them with "
            "declare_no_personal_data(...); refusing to start")


async def prepare(engine: AsyncEngine) -> None:
    """Migrate, wire every feature's storage, and check the personal-data registry (every entry point)."""
    from storage import migrate
    await migrate.upgrade(engine)
    await check(engine)


__all__ = ["UncoveredPersonalData", "check", "coverage_problems", "prepare", "wire"]
