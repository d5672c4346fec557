"""``kiezbot run``: long polling, or a webhook server (aiohttp) that checks Telegram's secret token."""
from __future__ import annotations

import logging
import secrets

from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web

from bot.delivery import DeliveryEngine, TelegramSender
from bot.runtime import Runtime, open_runtime
from bot.scheduler import Housekeeping, build_delivery, build_scheduler, purge_outbox
from bot.settings import ConfigError, Settings
from bot.telegram import TelegramTransport, build_dispatcher, make_bot

log = logging.getLogger(__name__)
WEBHOOK_PATH = "/telegram/webhook"


def health_app(runtime: Runtime) -> web.Application:
    app = web.Application()

    async def healthz(_request: web.Request) -> web.Response:
        from sqlalchemy import text
        try:
            async with runtime.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            return web.json_response({"database": "ok"})
        except Exception as exc:  # noqa: BLE001  (report, don't crash the health check)
            return web.json_response({"database": f"error: {exc.__class__.__name__}"}, status=503)

    app.router.add_get("/healthz", healthz)
    return app


def deliver_after_update(delivery: DeliveryEngine):  # noqa: ANN201
    """Outer middleware: messages an update queued for other chats go out now, not at the next tick."""
    async def middleware(handler, event, data):  # noqa: ANN001, ANN202
        try:
            return await handler(event, data)
        finally:
            delivery.tick()
    return middleware


async def serve(settings: Settings, *, webhook: bool = False) -> int:
    assert settings.bot_token is not None
    runtime = await open_runtime(settings, quiet=False)
    bot = make_bot(settings.bot_token.get_secret_value(), settings.api_base_url)
    transport = TelegramTransport(bot, runtime.dialogs)
    dp = build_dispatcher(transport)
    delivery = build_delivery(settings, runtime.sessions, runtime.dialogs, TelegramSender(bot))
    housekeeping = Housekeeping()
    housekeeping.add("purge delivered outbox rows", purge_outbox(runtime.sessions, settings.outbox_keep_days))
    scheduler = build_scheduler(settings, delivery, housekeeping)
    dp.update.outer_middleware(deliver_after_update(delivery))
    try:
        scheduler.start()
        delivery.tick()          # whatever was queued while kiezbot was down
        me = await bot.get_me()
        log.info("connected to the Bot API as @%s", me.username)
        await transport.set_commands()
        if not webhook:
            await bot.delete_webhook(drop_pending_updates=False)
            await dp.start_polling(bot, handle_signals=True, allowed_updates=dp.resolve_used_update_types())
            return 0
        if not settings.webhook_url:
            raise ConfigError("KIEZBOT_WEBHOOK_URL: webhook mode needs the public HTTPS URL Telegram posts to")
        secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else secrets.token_urlsafe(32)
        app = health_app(runtime)
        SimpleRequestHandler(dispatcher=dp, bot=bot, secret_token=secret).register(app, path=WEBHOOK_PATH)
        setup_application(app, dp, bot=bot)
        await bot.set_webhook(settings.webhook_url + WEBHOOK_PATH, secret_token=secret,
                              allowed_updates=dp.resolve_used_update_types())
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, settings.webhook_host, settings.webhook_port)
        await site.start()
        log.info("webhook server on %s:%s%s", settings.webhook_host, settings.webhook_port, WEBHOOK_PATH)
        import asyncio
        import signal
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        await runner.cleanup()
        return 0
    finally:
        scheduler.shutdown(wait=False)
        await delivery.close()
        await bot.session.close()
        await runtime.close()
