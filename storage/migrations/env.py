"""Alembic environment. Runs on a connection handed in by :mod:`storage.migrate` (the normal way),
or, from the ``alembic`` command line, on the URL in ``sqlalchemy.url``/``KIEZBOT_DATABASE_URL``."""
from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy.engine import Connection

import storage.all_models  # noqa: F401  (registers every table on Base.metadata)
from storage.db import create_engine
from storage.models import Base

config = context.config
target_metadata = Base.metadata


def run_with(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == "sqlite", compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        run_with(connection)
        return
    url = os.environ.get("KIEZBOT_DATABASE_URL") or config.get_main_option("sqlalchemy.url") or "sqlite:///kiezbot.db"

    async def _run() -> None:
        engine = create_engine(url)
        async with engine.begin() as conn:
            await conn.run_sync(run_with)
        await engine.dispose()

    asyncio.run(_run())


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_online()
