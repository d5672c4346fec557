"""Wiring: database, migrations, reference data, catalogs and the dialogs — the one place it happens."""
from __future__ import annotations

import logging
import sys
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from tqdm import tqdm

from dialogs.app import build_dialogs
from dialogs.engine import Dialogs, Operator, utc_now
from dialogs.ports import Clock
from locales import load_catalogs
from storage import migrate
from storage.address_book import SqlAddressBook
from storage.db import create_engine, session_factory
from storage.models import DatasetRow
from storage.repositories import SqlUnitOfWork
from storage.seed import count_address_rows, seed_all

from bot.settings import ConfigError, Settings

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker
    addresses: SqlAddressBook
    dialogs: Dialogs

    async def close(self) -> None:
        await self.engine.dispose()


async def needs_seed(sessions: async_sessionmaker) -> bool:
    async with sessions() as session:
        return await session.scalar(select(DatasetRow.name).where(DatasetRow.name == "addresses")) is None


async def seed_with_progress(sessions: async_sessionmaker, quiet: bool = False) -> None:
    total = count_address_rows()
    bar = tqdm(total=total, unit=" addresses", desc="Loading Berlin's address list", file=sys.stderr,
               disable=quiet, leave=False)
    try:
        report = await seed_all(sessions, progress=bar.update)
    finally:
        bar.close()
    log.info("seeded: %s", "; ".join(report.changed) or "nothing changed")


async def open_runtime(settings: Settings, *, clock: Clock = utc_now, quiet: bool = False) -> Runtime:
    catalogs = load_catalogs()
    if settings.default_locale not in catalogs.by_code:
        raise ConfigError(f"KIEZBOT_DEFAULT_LOCALE: {settings.default_locale!r} is not one of "
                          f"{', '.join(catalogs.by_code)}")
    engine = create_engine(settings.database_url)
    try:
        await migrate.upgrade(engine)
    except Exception as exc:   # an unreachable server or a bad URL: one clear line, not a traceback
        await engine.dispose()
        raise ConfigError(f"KIEZBOT_DATABASE_URL: cannot open the database: {exc.__class__.__name__}: "
                          f"{str(exc).splitlines()[0] if str(exc) else ''}") from exc
    sessions = session_factory(engine)
    if await needs_seed(sessions):
        await seed_with_progress(sessions, quiet=quiet)
    addresses = await SqlAddressBook(sessions).load()
    operator = Operator(name=settings.operator_name, email=settings.privacy_contact, privacy_url=settings.privacy_url)
    dialogs = build_dialogs(SqlUnitOfWork(sessions, addresses), catalogs, clock=clock, timezone=settings.timezone,
                            default_language=settings.default_locale, operator=operator,
                            staff_chat_id=settings.staff_chat_id,
                            max_submissions_per_day=settings.max_submissions_per_day,
                            meeting_reminders=settings.meeting_reminders,
                            deadline_reminders=settings.deadline_reminders)
    return Runtime(settings, engine, sessions, addresses, dialogs)
