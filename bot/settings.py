"""Configuration from environment variables (prefix ``KIEZBOT_``) or a ``.env`` file."""
from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

TELEGRAM_API = "https://api.telegram.org"


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
    meeting_reminders: str = Field("1d,2h", description="lead times of session reminders, e.g. 1d,2h (none: off)")
    deadline_reminders: str = Field("3d", description="lead times of jury deadline reminders, e.g. 3d")
    # Delivery engine (bot/delivery.py). The rate limits are per bot token: with several processes
    # on one token, give each its share (e.g. 15 each for two).
    rate_global_per_sec: float = Field(30.0, gt=0, description="messages per second overall (Telegram: ~30)")
    rate_private_per_sec: float = Field(1.0, gt=0, description="messages per second to one private chat")
    rate_group_per_min: float = Field(20.0, gt=0, description="messages per minute to one group")
    delivery_interval: float = Field(1.0, gt=0, description="seconds between looks for due outbox messages")
    delivery_max_attempts: int = Field(5, ge=1, description="tries before a message counts as failed")
    outbox_keep_days: int = Field(30, ge=1, description="days delivered outbox messages are kept")

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}, e.g. Europe/Berlin") from exc
        return value

    @field_validator("api_base_url", "webhook_url")
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

    @field_validator("meeting_reminders", "deadline_reminders")
    @classmethod
    def _leads(cls, value: str) -> str:
        from dialogs.meetings import parse_leads
        parse_leads(value)          # raises ValueError with a readable message
        return value

    @field_validator("webhook_port")
    @classmethod
    def _port(cls, value: int) -> int:
        if not 0 < value < 65536:
            raise ValueError("must be a port number between 1 and 65535")
        return value


class ConfigError(Exception):
    """A configuration value is wrong: one line naming the variable."""


def load_settings(**overrides) -> Settings:
    from pydantic import ValidationError
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = str(err["loc"][0]) if err["loc"] else "?"
        raise ConfigError(f"KIEZBOT_{field.upper()}: {err['msg'].removeprefix('Value error, ')}") from None
