"""Wiring: database, migrations, reference data, catalogs and the dialogs — the one place it happens."""
from __future__ import annotations

import gc
import logging
import sys
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from dialogs.console_signin import staff_flow as console_signin
from dialogs.app import build_dialogs
from dialogs.translation import flows as translation_flows
from dialogs.core import logsafe
from dialogs.core.engine import Dialogs, Operator, utc_now
from dialogs.core.ports import Clock
from dialogs.core.text import telegram_html_problem
from locales import languages, load_catalogs
from storage import migrate, wiring
from storage.address_book import SqlAddressBook
from storage.db import create_engine, session_factory
from storage.handles import Engine, Sessions
from storage.leader import exclusive
from storage.privacy import load_pseudonym_key, pseudonym_with
from storage.unit_of_work import SqlUnitOfWork, dispose_inline_engine
from storage.seed import addresses_loaded, count_address_rows, seed_all

from bot.settings import ConfigError, Settings
from bot.translation import policy as translation_policy

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: Sessions
    addresses: SqlAddressBook
    dialogs: Dialogs

    async def close(self) -> None:
        await dispose_inline_engine(self.engine)
        await self.engine.dispose()


async def needs_seed(sessions: Sessions) -> bool:
    return not await addresses_loaded(sessions)


async def seed_with_progress(sessions: Sessions, quiet: bool = False) -> None:
    total = count_address_rows()
    bar = tqdm(total=total, unit=" addresses", desc="Loading Berlin's address list", file=sys.stderr,
               disable=quiet, leave=False)
    try:
        report = await seed_all(sessions, progress=bar.update)
    finally:
        bar.close()
    log.info("seeded: %s", "; ".join(report.changed) or "nothing changed")


def load_privacy_texts(folder: Path | None) -> dict[str, str]:
    """The operator's privacy texts: ``<lang>.html`` (full, /privacy), ``<lang>.notice.html`` (first contact).

    Checked at start, so a text Telegram would refuse stops kiezbot with the file and line named."""
    if folder is None:
        return {}
    if not folder.is_dir():
        raise ConfigError(f"KIEZBOT_PRIVACY_TEXT_DIR: {folder} is not a folder")
    codes = {lang.code for lang in languages()}
    texts: dict[str, str] = {}
    for path in sorted(folder.glob("*.html")):
        key = path.name[: -len(".html")]
        code, _, kind = key.partition(".")
        if code not in codes or kind not in ("", "notice"):
            raise ConfigError(f"KIEZBOT_PRIVACY_TEXT_DIR: {path.name}: expected <language>.html or "
                              f"<language>.notice.html with a language of {', '.join(sorted(codes))}")
        try:
            text = path.read_text(encoding="utf-8").strip()
        except UnicodeDecodeError:
            raise ConfigError(f"KIEZBOT_PRIVACY_TEXT_DIR: {path.name} is not UTF-8 text") from None
        problem = telegram_html_problem(text)
        if problem:
            raise ConfigError(f"KIEZBOT_PRIVACY_TEXT_DIR: {path.name}: {problem}")
        if text:
            texts[key] = text
    return texts


def freeze_startup_objects() -> None:
    """Move everything alive after start-up into the collector's permanent generation (``gc.freeze``).

    Imports, the street index and the catalogs stay for the life of the process; without this, every
    full collection walks them again (hundreds of thousands of objects: a pause of tens of ms on
    whatever update is being handled at that moment). See bench/address_resolve.py.
    """
    gc.collect()
    gc.freeze()


async def prepare_database(engine: Engine) -> None:
    """Migrate, wire every feature's storage and check the personal-data registry (``storage/wiring.py``);
    a table without export and erasure handlers stops kiezbot with one line (ConfigError)."""
    try:
        await wiring.prepare(engine)
    except wiring.UncoveredPersonalData as exc:
        raise ConfigError(f"personal data: {exc}") from None


async def open_database(settings: Settings) -> Engine:
    """The migrated database with every feature's storage wired and the personal-data registry checked
    (``storage/wiring.py``): what every entry point opens. Problems end in one line (ConfigError)."""
    engine = create_engine(settings.database_url)
    try:
        await prepare_database(engine)
    except ConfigError:
        await engine.dispose()
        raise
    except Exception as exc:   # an unreachable server or a bad URL: one clear line, not a traceback
        await engine.dispose()
        raise ConfigError(f"KIEZBOT_DATABASE_URL: cannot open the database: {exc.__class__.__name__}: "
                          f"{str(exc).splitlines()[0] if str(exc) else ''}") from exc
    # Log lines name people by their pseudonym (dialogs/core/logsafe.py): the key is in the database.
    key = await load_pseudonym_key(session_factory(engine))
    logsafe.use(lambda chat_id: pseudonym_with(key, chat_id))
    return engine


async def open_runtime(settings: Settings, *, clock: Clock = utc_now, quiet: bool = False) -> Runtime:
    catalogs = load_catalogs()
    privacy_texts = load_privacy_texts(settings.privacy_text_dir)
    if settings.default_locale not in catalogs.by_code:
        raise ConfigError(f"KIEZBOT_DEFAULT_LOCALE: {settings.default_locale!r} is not one of "
                          f"{', '.join(catalogs.by_code)}")
    engine = await open_database(settings)
    sessions = session_factory(engine)
    if await needs_seed(sessions):
        async with exclusive(engine, "seed"):     # processes starting together: one loads, the others wait
            if await needs_seed(sessions):
                await seed_with_progress(sessions, quiet=quiet)
    addresses = await SqlAddressBook(sessions).load()
    operator = Operator(name=settings.operator_name, email=settings.privacy_contact, privacy_url=settings.privacy_url,
                        privacy_texts=privacy_texts, retention_days=settings.retention_inactive_days)
    dialogs = build_dialogs(SqlUnitOfWork(sessions, addresses), catalogs, clock=clock, timezone=settings.timezone,
                            default_language=settings.default_locale, operator=operator,
                            staff_chat_id=settings.staff_chat_id,
                            max_submissions_per_day=settings.max_submissions_per_day,
                            meeting_reminders=settings.meeting_reminders,
                            deadline_reminders=settings.deadline_reminders,
                            flood_per_minute=settings.flood_messages_per_minute)
    # What flows ask the translation job runner for (nothing when no service is configured: as before).
    translation_flows.configure(dialogs, translation_policy(settings))
    console_signin.configure(dialogs, base_url=settings.console_base_url if settings.console_enabled else None,
                             valid_minutes=settings.console_link_minutes)
    freeze_startup_objects()
    return Runtime(settings, engine, sessions, addresses, dialogs)
