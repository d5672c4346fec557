"""What every ``kiezbot`` command shares: settings, logging, opening the database, exit codes."""
from __future__ import annotations

from bot.settings import ConfigError, Settings, load_settings

EXIT_CONFIG = 2

__all__ = ["EXIT_CONFIG", "ConfigError", "Settings", "_logging", "_offline_dialogs", "_open_sessions", "_settings"]


def _settings() -> Settings:
    return load_settings()


def _logging(settings: Settings) -> None:
    from bot.logredact import redact_secrets
    redact_secrets(settings.bot_token.get_secret_value() if settings.bot_token else None,
                   settings.webhook_secret.get_secret_value() if settings.webhook_secret else None)
    from bot.logformat import configure_logging
    configure_logging(settings.log_level, settings.log_format, settings.instance_id)


async def _open_sessions(settings: Settings):
    from bot.runtime import open_database
    from storage.db import session_factory

    engine = await open_database(settings)      # migrated, every feature wired, the registry checked
    return engine, session_factory(engine)


def _offline_dialogs(settings: Settings, sessions):
    """The flows without Telegram or the address list: for erasures from the command line."""
    from dialogs.app import build_dialogs
    from locales import load_catalogs
    from storage.unit_of_work import SqlUnitOfWork
    return build_dialogs(SqlUnitOfWork(sessions, addresses=None), load_catalogs(),  # type: ignore[arg-type]
                         timezone=settings.timezone, default_language=settings.default_locale,
                         staff_chat_id=settings.staff_chat_id)


