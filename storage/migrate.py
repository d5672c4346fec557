"""Apply Alembic migrations from code (``kiezbot db upgrade``, start-up, tests).

At every start kiezbot upgrades to the head revision. When the database is there already (the usual
case) that is one ``SELECT`` from ``alembic_version`` compared with the revisions written in the
migration files — Alembic itself (0.2 s and 8 MB to import) is loaded only when there is work to do.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.leader import xact_lock

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_ASSIGNMENT = re.compile(r"^(revision|down_revision)\s*(?::[^=\n]*)?=\s*(.+?)\s*$", re.M)


def alembic_config() -> Config:
    from alembic.config import Config
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


async def _run(engine: AsyncEngine, action, revision: str) -> None:  # noqa: ANN001
    cfg = alembic_config()

    def run(conn) -> None:  # noqa: ANN001
        cfg.attributes["connection"] = conn
        action(cfg, revision)

    async with engine.begin() as conn:
        # Several processes starting at once on a new PostgreSQL database: one migrates, the others
        # wait here and then find the database at head (the lock ends with this transaction).
        await xact_lock(conn, "migrate")
        await conn.run_sync(run)


def heads_from_files() -> frozenset[str] | None:
    """The head revision(s) as the migration files declare them, read without importing Alembic.

    None when a file says something this reader does not understand (Alembic decides then)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        found = dict(_ASSIGNMENT.findall(path.read_text(encoding="utf-8")))
        try:
            revision = ast.literal_eval(found["revision"])
            down = ast.literal_eval(found["down_revision"])
        except (KeyError, ValueError, SyntaxError):
            return None
        if not isinstance(revision, str):
            return None
        revisions.add(revision)
        if isinstance(down, str):
            parents.add(down)
        elif isinstance(down, (tuple, list)):
            parents.update(down)
        elif down is not None:
            return None
    return frozenset(revisions - parents) or None


async def at_head(engine: AsyncEngine) -> bool:
    """True if the database's revision is the (single) head of the migration files."""
    heads = heads_from_files()
    if heads is None or len(heads) != 1:
        return False
    try:
        async with engine.connect() as conn:
            current = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalars().all()
    except Exception:   # noqa: BLE001  (no alembic_version table yet: a new database)
        return False
    return frozenset(current) == heads


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    if revision == "head" and await at_head(engine):
        return
    from alembic import command
    await _run(engine, command.upgrade, revision)


async def downgrade(engine: AsyncEngine, revision: str = "base") -> None:
    from alembic import command
    await _run(engine, command.downgrade, revision)


async def current_revision(engine: AsyncEngine) -> str | None:
    from alembic.runtime.migration import MigrationContext
    async with engine.connect() as conn:
        return await conn.run_sync(lambda c: MigrationContext.configure(c).get_current_revision())


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory
    return ScriptDirectory.from_config(alembic_config()).get_current_head()
