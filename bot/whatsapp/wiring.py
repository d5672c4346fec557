"""WhatsApp in ``kiezbot run``: everything the server needs, built from the settings in one call.

``bot/server.py`` asks :func:`setup_whatsapp` (``None`` unless KIEZBOT_WHATSAPP_PHONE_NUMBER_ID is set),
routes the delivery engine's sender through it (:meth:`WhatsAppSetup.route`), and registers the webhook
on its aiohttp application (``/whatsapp/webhook``) — in webhook mode on the Telegram webhook's server, in
polling mode on the console/health server (KIEZBOT_CONSOLE_HOST/PORT).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from aiohttp import web

from bot.delivery.outbox_sender import DeliveryEngine, Sender
from bot.logredact import redact_secrets
from bot.settings import ConfigError, Settings
from bot.whatsapp.client import WhatsAppClient
from bot.whatsapp.outbound import RoutingSender, WhatsAppSender, track_rows
from bot.whatsapp.transport import WhatsAppTransport
from bot.whatsapp.webhook import WEBHOOK_PATH, WhatsAppWebhook
from bot.whatsapp.window import Templates, TemplatesError
from dialogs.core.engine import utc_now
from dialogs.core.messages import Reply
from storage import whatsapp as store
from storage.repositories import SqlOutbox


@dataclass
class WhatsAppSetup:
    client: WhatsAppClient
    transport: WhatsAppTransport
    webhook: WhatsAppWebhook
    templates: Templates
    recipient_gap: float = 6.0
    deliveries: list[DeliveryEngine] = field(default_factory=list)

    def route(self, telegram: Sender) -> RoutingSender:
        return RoutingSender(telegram, WhatsAppSender(self.client, self.transport.sessions, self.templates,
                                                      default_language=self.transport.dialogs.default_language))

    def attach(self, delivery: DeliveryEngine) -> None:
        """Outbox rows reach the WhatsApp sender with their purpose; an update's queued messages go at once."""
        track_rows(delivery, self.recipient_gap)
        self.transport.after_update = delivery.tick

    def register(self, app: web.Application) -> None:
        self.webhook.register(app, WEBHOOK_PATH)

    def daily(self, settings: Settings):  # noqa: ANN201
        """The daily housekeeping job: numbers that never became residents, old statuses and ids."""
        async def job() -> int:
            return await store.forget_strangers(self.transport.sessions, utc_now(),
                                                settings.retention_onboarding_days, settings.outbox_keep_days)
        return job

    async def close(self) -> None:
        await self.client.close()


def setup_whatsapp(settings: Settings, sessions, dialogs) -> WhatsAppSetup | None:  # noqa: ANN001
    if not settings.whatsapp_phone_number_id:
        return None
    assert settings.whatsapp_access_token and settings.whatsapp_app_secret and settings.whatsapp_verify_token
    token = settings.whatsapp_access_token.get_secret_value()
    secret = settings.whatsapp_app_secret.get_secret_value()
    verify = settings.whatsapp_verify_token.get_secret_value()
    redact_secrets(token, secret, verify)     # the verify token arrives in a query string (access log)
    try:
        templates = Templates.from_file(settings.whatsapp_templates_file)
    except TemplatesError as exc:
        raise ConfigError(f"KIEZBOT_WHATSAPP_TEMPLATES_FILE: {exc}") from None
    client = WhatsAppClient(settings.whatsapp_api_base_url, settings.whatsapp_phone_number_id, token)

    async def elsewhere(chat_id: int, reply: Reply) -> None:
        """A reply for another chat (the staff group): through the durable outbox."""
        async with store.writer(sessions).begin() as session:
            await SqlOutbox(session).enqueue(chat_id, reply, due_at=utc_now())

    transport = WhatsAppTransport(client, dialogs, sessions, elsewhere=elsewhere)
    webhook = WhatsAppWebhook(verify_token=verify, app_secret=secret, on_message=transport.on_message,
                              on_status=transport.on_status, phone_number_id=settings.whatsapp_phone_number_id)
    return WhatsAppSetup(client, transport, webhook, templates, settings.whatsapp_recipient_gap)
