"""Configuration from environment variables (prefix ``KIEZBOT_``) or a ``.env`` file."""
from __future__ import annotations

import logging
import os
import re
import socket
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

TELEGRAM_API = "https://api.telegram.org"
WEBHOOK_SECRET_CHARS = re.compile(r"[A-Za-z0-9_-]{1,256}")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KIEZBOT_", env_file=".env", env_file_encoding="utf-8",
                                      extra="ignore")

    bot_token: SecretStr | None = Field(None, description="Telegram bot token from @BotFather")
    database_url: str = Field("sqlite:///kiezbot.db", description="SQLAlchemy URL; SQLite file by default")
    api_base_url: str = Field(TELEGRAM_API, description="Bot API server (a self-hosted or test server)")
    staff_chat_id: int | None = Field(None, description="id of the staff Telegram group")
    default_locale: str = Field("de", description="language for residents who have not chosen one")
    timezone: str = Field("Europe/Berlin", description="time zone for opening hours, events, reminders")
    webhook_url: str | None = Field(None, description="public HTTPS URL Telegram posts updates to (webhook mode)")
    webhook_secret: SecretStr | None = Field(None, description="secret token Telegram sends in a header")
    webhook_host: str = Field("127.0.0.1", description="address the webhook server listens on")
    webhook_port: int = Field(8080, description="port the webhook server listens on")
    operator_name: str = Field("L.I.S.T. Stadtentwicklungsgesellschaft mbH",
                               description="who runs the bot (privacy notice)")
    privacy_contact: str = Field("", description="data-protection contact e-mail shown in /privacy")
    privacy_url: str = Field("", description="link to the full privacy policy")
    max_submissions_per_day: int = Field(5, ge=1, description="ideas and questions a resident may send per day")
    log_level: str = Field("INFO", description="DEBUG, INFO, WARNING, ERROR")
    log_format: str = Field("text", description="text (for people) or json (one object per line, for a log "
                            "collector)")
    instance_id: str = Field(default_factory=lambda: f"{socket.gethostname()}-{os.getpid()}",
                             description="name of this process in logs and /healthz (default host-pid)")
    meeting_reminders: str = Field("1d,2h", description="lead times of session reminders, e.g. 1d,2h (none: off)")
    deadline_reminders: str = Field("3d", description="lead times of jury deadline reminders, e.g. 3d")
    # Delivery engine (bot/delivery/outbox_sender.py). The rate limits are per bot token: with several processes
    # on one token, give each its share (e.g. 15 each for two).
    rate_global_per_sec: float = Field(30.0, gt=0, description="messages per second overall (Telegram: ~30)")
    rate_private_per_sec: float = Field(1.0, gt=0, description="messages per second to one private chat")
    rate_group_per_min: float = Field(20.0, gt=0, description="messages per minute to one group")
    delivery_interval: float = Field(1.0, gt=0, description="seconds between looks for due outbox messages")
    delivery_max_attempts: int = Field(5, ge=1, description="tries before a message counts as failed")
    outbox_keep_days: int = Field(30, ge=1, description="days finished (sent, failed, blocked, cancelled) outbox "
                                  "messages are kept; the daily retention job deletes older ones")
    privacy_text_dir: Path | None = Field(None, description="folder with the operator's privacy texts: <lang>.html "
                                          "(full, /privacy) and <lang>.notice.html (first contact)")
    retention_inactive_days: int = Field(365, description="residents without contact for this long are deleted")
    retention_warning_days: Annotated[list[int], NoDecode] = Field(
        [30, 7], description="warn inactive residents this many days before deletion (comma-separated)")
    retention_decided_days: int = Field(180, description="decided submissions lose their personal link after this")
    retention_access_log_days: int = Field(730, description="access-log lines are deleted after this")
    retention_onboarding_days: int = Field(2, description="people who never chose a language and agreed to the "
                                           "privacy notice are forgotten this long after their last message")
    flood_messages_per_minute: int = Field(20, description="messages per resident and minute before 'slow down' "
                                           "(0: off)")
    # Translation and voice notes (bot/translation/, README "Translation and voice notes"). Nothing set: "none".
    translate_url: str | None = Field(None, description="LibreTranslate server, e.g. http://127.0.0.1:5000")
    translate_api_key: SecretStr | None = Field(None, description="its API key (if it runs with --api-keys)")
    deepl_key: SecretStr | None = Field(None, description="DeepL API key, instead of LibreTranslate (:fx = Free)")
    transcribe_url: str | None = Field(None, description="Whisper-compatible server (/v1/audio/transcriptions), "
                                       "or faster-whisper (in process, kiezbot[whisper])")
    transcribe_api_key: SecretStr | None = Field(None, description="bearer token for that server, if it wants one")
    transcribe_model: str = Field("Systran/faster-whisper-small", description="the Whisper model to use")
    team_language: str = Field("de", description="the team's language: what residents write is translated into it")
    translate_max_attempts: int = Field(10, ge=1, description="tries before a translation job is given up")

    # The staff console (console/): a web desk under /console, sign-in by a one-time link from the bot.
    console_enabled: bool = Field(False, description="serve the staff console in kiezbot run; /console sends links")
    console_url: str | None = Field(None, description="public base URL of the console's server (/console/... is "
                                    "appended to it in sign-in links); default KIEZBOT_WEBHOOK_URL, else "
                                    "http://KIEZBOT_CONSOLE_HOST:KIEZBOT_CONSOLE_PORT")
    console_host: str = Field("127.0.0.1", description="where `kiezbot console` (and kiezbot run's server in "
                              "polling mode) listens")
    console_port: int = Field(8090, description="port of `kiezbot console` (and of kiezbot run's server in "
                              "polling mode)")
    console_link_minutes: int = Field(10, ge=1, le=60, description="how long a sign-in link works (once)")
    console_idle_minutes: int = Field(30, ge=1, description="a console session ends after this long without use")
    console_session_hours: int = Field(10, ge=1, description="a console session ends this long after sign-in")

    # WhatsApp Business Cloud API (bot/whatsapp/, README "WhatsApp"). Off unless the phone number id is set.
    whatsapp_phone_number_id: str | None = Field(None, description="WhatsApp Cloud API phone number id (Meta's "
                                                  "app dashboard, WhatsApp > API Setup)")
    whatsapp_access_token: SecretStr | None = Field(None, description="a system user's permanent access token")
    whatsapp_app_secret: SecretStr | None = Field(None, description="the Meta app's secret: webhook signatures")
    whatsapp_verify_token: SecretStr | None = Field(None, description="the verify token entered in Meta's webhook "
                                                    "settings")
    whatsapp_api_base_url: str = Field("https://graph.facebook.com/v23.0", description="Graph API with version "
                                       "(a test server in tests)")
    whatsapp_recipient_gap: float = Field(6.0, gt=0, description="seconds between outbox messages to one WhatsApp "
                                          "resident (Meta's pair rate limit: about one per 6 s)")
    whatsapp_templates_file: Path | None = Field(None, description="YAML file: message templates per purpose and "
                                                 "language for messages outside the 24-hour window")
    fast_paths: str = Field("on", description="performance paths into libraries' private internals: on, off, or "
                                              "the names to keep (storage/fast_paths.py reads the same variable)")

    @field_validator("fast_paths")
    @classmethod
    def _fast_paths(cls, value: str) -> str:
        from storage import fast_paths
        try:
            fast_paths.chosen(value)        # an unknown name is refused here, in one line, at start-up
        except ValueError as error:
            raise ValueError(str(error).removeprefix(f"{fast_paths.ENV}: ")) from None
        return value

    @field_validator("database_url")
    @classmethod
    def _database(cls, value: str) -> str:
        scheme = value.split(":", 1)[0].split("+", 1)[0].lower()
        if scheme in ("postgres", "postgresql"):
            try:
                import asyncpg  # noqa: F401  (PostgreSQL's driver: an extra, `kiezbot[postgres]`)
            except ImportError:
                raise ValueError("names PostgreSQL, but its driver is not installed: "
                                 "pip install 'kiezbot[postgres]' (or: pip install asyncpg)") from None
        elif scheme != "sqlite":
            raise ValueError("must be a sqlite:/// or postgresql:// URL") from None
        return value

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}, e.g. Europe/Berlin") from exc
        return value

    @field_validator("api_base_url", "webhook_url", "translate_url", "console_url", "whatsapp_api_base_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/") if value else value

    @field_validator("bot_token")
    @classmethod
    def _token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        token = value.get_secret_value().strip()
        head, _, tail = token.partition(":")
        if not head.isdigit() or not tail:
            raise ValueError("does not look like a bot token (digits:letters, from @BotFather)")
        return SecretStr(token)

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        secret = value.get_secret_value().strip()
        if not WEBHOOK_SECRET_CHARS.fullmatch(secret):     # Telegram's rule for setWebhook's secret_token
            raise ValueError(f"must be 1 to 256 characters of A-Z, a-z, 0-9, _ and - (Telegram's rule); this one "
                             f"has {len(secret)} characters" + ("" if len(secret) > 256 else ", some not allowed"))
        return SecretStr(secret)

    @field_validator("meeting_reminders", "deadline_reminders")
    @classmethod
    def _leads(cls, value: str) -> str:
        from dialogs.meetings.resident_flow import parse_leads
        parse_leads(value)          # raises ValueError with a readable message
        return value

    @field_validator("log_format")
    @classmethod
    def _log_format(cls, value: str) -> str:
        value = value.strip().lower()
        if value not in ("text", "json"):
            raise ValueError("must be text or json")
        return value

    @field_validator("instance_id")
    @classmethod
    def _instance(cls, value: str) -> str:
        value = value.strip()
        if not value or len(value) > 64:
            raise ValueError("must be 1 to 64 characters, e.g. kiezbot-1")
        return value

    @field_validator("webhook_port", "console_port")
    @classmethod
    def _port(cls, value: int) -> int:
        if not 0 < value < 65536:
            raise ValueError("must be a port number between 1 and 65535")
        return value


    @field_validator("retention_warning_days", mode="before")
    @classmethod
    def _days_list(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p.strip() for p in value.replace(";", ",").split(",") if p.strip()]
            if not all(p.isdigit() for p in parts):
                raise ValueError("must be whole numbers of days separated by commas, e.g. 30,7")
            return [int(p) for p in parts]
        return value

    @field_validator("retention_inactive_days", "retention_decided_days",
                     "retention_access_log_days", "retention_onboarding_days")
    @classmethod
    def _positive_days(cls, value: int) -> int:
        if value < 1:
            raise ValueError("must be at least 1 (days)")
        return value

    @field_validator("flood_messages_per_minute")
    @classmethod
    def _flood(cls, value: int) -> int:
        if value < 0:
            raise ValueError("must be 0 (off) or more")
        return value

    @field_validator("translate_api_key", "deepl_key", "transcribe_api_key", "whatsapp_access_token",
                     "whatsapp_app_secret", "whatsapp_verify_token")
    @classmethod
    def _secret(cls, value: SecretStr | None) -> SecretStr | None:
        return SecretStr(value.get_secret_value().strip()) if value and value.get_secret_value().strip() else None

    @field_validator("transcribe_url")
    @classmethod
    def _transcribe(cls, value: str | None) -> str | None:
        value = (value or "").strip()
        if value == "faster-whisper":
            import importlib.util
            if importlib.util.find_spec("faster_whisper") is None:
                raise ValueError("names faster-whisper, which is not installed: pip install 'kiezbot[whisper]'")
            return value
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://, or be faster-whisper")
        return value.rstrip("/") or None

    @field_validator("team_language")
    @classmethod
    def _team_language(cls, value: str) -> str:
        from locales import languages
        codes = [lang.code for lang in languages()]
        if value.strip() not in codes:
            raise ValueError(f"must be one of {', '.join(codes)}")
        return value.strip()

    @model_validator(mode="after")
    def _one_translator(self) -> "Settings":
        if self.translate_url and self.deepl_key:
            raise ValueError("KIEZBOT_TRANSLATE_URL and KIEZBOT_DEEPL_KEY are both set: choose one translation "
                             "service (texts would otherwise leave your server unexpectedly)")
        return self

    @model_validator(mode="after")
    def _whatsapp_complete(self) -> "Settings":
        if self.whatsapp_phone_number_id:
            missing = [f"KIEZBOT_WHATSAPP_{n.upper()}" for n in ("access_token", "app_secret", "verify_token")
                       if not getattr(self, f"whatsapp_{n}")]
            if missing:
                raise ValueError(f"KIEZBOT_WHATSAPP_PHONE_NUMBER_ID is set, so {', '.join(missing)} must be too")
        return self

    @property
    def console_base_url(self) -> str:
        """Where sign-in links point: KIEZBOT_CONSOLE_URL, else the webhook's public URL (the console is
        served on the webhook server), else the console's own address."""
        return self.console_url or self.webhook_url or f"http://{self.console_host}:{self.console_port}"

    @model_validator(mode="after")
    def _warnings_before_deletion(self) -> "Settings":
        for days in self.retention_warning_days:
            if not 0 < days < self.retention_inactive_days:
                raise ValueError(f"KIEZBOT_RETENTION_WARNING_DAYS: {days} must be between 1 and "
                                 f"KIEZBOT_RETENTION_INACTIVE_DAYS ({self.retention_inactive_days}) - 1")
        return self


class ConfigError(Exception):
    """A configuration value is wrong: one line naming the variable."""


# Settings that were removed or renamed: a deployment still setting them gets told what to use.
RETIRED = {"KIEZBOT_RETENTION_OUTBOX_DAYS": "use KIEZBOT_OUTBOX_KEEP_DAYS"}


def warn_unknown_settings(environ: Mapping[str, str] | None = None) -> list[str]:
    """KIEZBOT_* variables that are no setting (a typo, or retired): warned about, not fatal."""
    known = {f"KIEZBOT_{name.upper()}" for name in Settings.model_fields}
    unknown = sorted(key for key in (os.environ if environ is None else environ)
                     if key.startswith("KIEZBOT_") and key not in known and not key.startswith("KIEZBOT_TEST_"))
    for key in unknown:
        logging.getLogger(__name__).warning("%s is not a kiezbot setting and is ignored (%s)", key,
                                            RETIRED.get(key, "a typo? README, Configuration, lists the settings"))
    return unknown


def load_settings(**overrides) -> Settings:
    from pydantic import ValidationError
    warn_unknown_settings()
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        err = exc.errors()[0]
        if not err["loc"]:     # a check across several variables names them itself
            raise ConfigError(err["msg"].removeprefix("Value error, ")) from None
        field = str(err["loc"][0])
        raise ConfigError(f"KIEZBOT_{field.upper()}: {err['msg'].removeprefix('Value error, ')}") from None
