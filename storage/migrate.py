"""Apply Alembic migrations from code (``kiezbot db upgrade``, start-up, tests)."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.leader import xact_lock

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config() -> Config:
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


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    await _run(engine, command.upgrade, revision)


async def downgrade(engine: AsyncEngine, revision: str = "base") -> None:
    await _run(engine, command.downgrade, revision)


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as conn:
        return await conn.run_sync(lambda c: MigrationContext.configure(c).get_current_revision())


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()
