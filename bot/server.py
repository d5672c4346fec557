"""``kiezbot run``: long polling, or a webhook server (aiohttp) that checks Telegram's secret token."""
from __future__ import annotations

import asyncio
import logging
import signal

from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web

from bot.delivery.outbox_sender import TelegramSender
from bot.health import CachedCheck, Health, telegram_check
from bot.logformat import json_formatters, update_context
from bot.logredact import redact_secrets
from bot.retention import daily_retention
from bot.runtime import Runtime, open_runtime
from bot.scheduler import Housekeeping, build_delivery, build_scheduler
from bot.settings import ConfigError, Settings
from bot.telegram import TelegramTransport, build_dispatcher, make_bot
from bot.translation import build_runner, describe, policy
from bot.translation.announce import announcer
from bot.whatsapp.wiring import setup_whatsapp
from dialogs.translation import flows as translation_flows
from storage.leader import FleetJobs, UpdatesMode, UpdatesModeTaken
from storage.privacy import load_pseudonym_key
from storage.webhook import webhook_secret

log = logging.getLogger(__name__)
WEBHOOK_PATH = "/telegram/webhook"


def health_app(runtime: Runtime, telegram: CachedCheck) -> web.Application:
    app = web.Application()
    Health(runtime.engine, telegram, runtime.settings.instance_id).register(app)
    return app


def console_config(settings: Settings):  # noqa: ANN201 — console.web.ConsoleConfig
    from datetime import timedelta

    from console.web import ConsoleConfig
    return ConsoleConfig(public_url=settings.console_base_url, idle=timedelta(minutes=settings.console_idle_minutes),
                         lifetime=timedelta(hours=settings.console_session_hours), timezone=settings.timezone,
                         telegram_api=settings.api_base_url, team_language=settings.team_language,
                         resident_default_language=settings.default_locale,
                         bot_token=settings.bot_token.get_secret_value() if settings.bot_token else "")


def with_console(app: web.Application, settings: Settings, sessions, clock, texts=None,  # noqa: ANN001
                 kick=None) -> web.Application:  # noqa: ANN001
    """The staff console under /console of ``app`` when KIEZBOT_CONSOLE_ENABLED (console/app.py); ``kick``:
    the delivery engine's tick, so what a staff action queued goes out now."""
    if settings.console_enabled:
        from console.app import build_console, mount
        mount(app, build_console(console_config(settings), sessions, clock, texts=texts, kick=kick))
    return app


async def start_site(app: web.Application, host: str, port: int) -> web.AppRunner:
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner


async def serve_console(settings: Settings, sessions) -> int:  # noqa: ANN001
    """``kiezbot console``: the staff console alone, until SIGINT or SIGTERM."""
    from console.app import build_console, standalone
    from bot.translation import build_translator, policy as translation_policy
    from console.pages.decide import ResidentTexts
    from dialogs.meetings import reminders as meeting_reminders
    from dialogs.translation import flows as translation_flows

    texts = ResidentTexts(settings.default_locale, settings.timezone)     # the residents' languages for decisions
    # The team's notes translated as in chat; the composer's "fill in machine translations" asks the service live.
    live = build_translator(settings)
    translation_flows.configure(texts, translation_policy(settings), live=live)
    meeting_reminders.configure(texts, settings.meeting_reminders, settings.deadline_reminders)   # console sessions
    runner = await start_site(standalone(build_console(console_config(settings), sessions, texts=texts)),
                              settings.console_host, settings.console_port)
    log.info("staff console on %s:%s/console (links point to %s)", settings.console_host, settings.console_port,
             settings.console_base_url)
    try:
        await _until_stopped()
    finally:
        await runner.cleanup()
        if live is not None:
            await live.close()
    return 0


async def _until_stopped() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


def daily_jobs(runtime: Runtime) -> Housekeeping:
    """What ``kiezbot run`` does at 03:30, in one process of the fleet."""
    housekeeping = Housekeeping()
    # Retention also deletes finished outbox rows older than KIEZBOT_OUTBOX_KEEP_DAYS (one setting).
    housekeeping.add("retention", lambda: daily_retention(runtime))
    return housekeeping


async def serve(settings: Settings, *, webhook: bool = False) -> int:
    """Polling (one process) or webhook mode (one or many processes on one database, see the README's
    "Deploy" section). Every process delivers outbox messages; housekeeping runs in one per day."""
    assert settings.bot_token is not None
    redact_secrets(settings.bot_token.get_secret_value())
    if webhook and not settings.webhook_url:
        raise ConfigError("KIEZBOT_WEBHOOK_URL: webhook mode needs the public HTTPS URL Telegram posts to")
    runtime = await open_runtime(settings, quiet=False)
    mode = UpdatesMode(runtime.engine)
    try:
        await mode.acquire("webhook" if webhook else "polling")
    except UpdatesModeTaken as exc:
        await runtime.close()
        raise ConfigError(f"kiezbot run{' --webhook' if webhook else ''}: {exc}") from None
    try:
        return await _serve(settings, runtime, webhook)
    finally:
        await mode.release()
        await runtime.close()


async def _serve(settings: Settings, runtime: Runtime, webhook: bool) -> int:
    assert settings.bot_token is not None
    key = await load_pseudonym_key(runtime.sessions)
    for formatter in json_formatters():
        formatter.set_pseudonym_key(key)
    bot = make_bot(settings.bot_token.get_secret_value(), settings.api_base_url)
    transport = TelegramTransport(bot, runtime.dialogs)
    dp = build_dispatcher(transport)
    whatsapp = setup_whatsapp(settings, runtime.sessions, runtime.dialogs)     # None: not configured
    sender = TelegramSender(bot)
    delivery = build_delivery(settings, runtime.sessions, runtime.dialogs,
                              whatsapp.route(sender) if whatsapp else sender, sender_kind="run")
    # Messages an update queued for other chats go out now, not at the next tick: the transports kick the
    # delivery engine after an update whose unit of work queued something (dialogs' Handled.queued).
    transport.after_update = delivery.tick
    if whatsapp is not None:
        whatsapp.attach(delivery)
    housekeeping = daily_jobs(runtime)
    if whatsapp is not None:
        housekeeping.add("whatsapp", whatsapp.daily(settings))
    fleet = FleetJobs(runtime.engine)
    translation = build_runner(settings, runtime.sessions, bot, whatsapp.client if whatsapp else None,
                               clock=runtime.dialogs.clock,
                               announce=announcer(runtime.dialogs, delivery.tick))   # None: no service configured
    if translation is not None:      # the team's previews translate live, through the runner's service
        translation_flows.configure(runtime.dialogs, policy(settings), live=translation.translator)
    scheduler = build_scheduler(settings, delivery, housekeeping, fleet, translation)
    dp.update.outer_middleware(update_context())
    telegram = CachedCheck(telegram_check(bot))
    started: asyncio.Task | None = None
    try:
        scheduler.start()
        delivery.tick()          # whatever was queued while kiezbot was down
        if translation is not None:
            started = asyncio.get_running_loop().create_task(describe(translation))   # a log line, in passing
            translation.tick()
        me = await bot.get_me()
        telegram.remember(True, {"username": me.username})
        log.info("connected to the Bot API as @%s (instance %s)", me.username, settings.instance_id)
        await transport.set_commands()
        if not webhook:
            await bot.delete_webhook(drop_pending_updates=False)
            # A web server only for the console (and /healthz beside it): polling itself needs none.
            site = None
            if settings.console_enabled or whatsapp is not None:     # WhatsApp's webhook needs a server
                try:
                    app = with_console(health_app(runtime, telegram), settings, runtime.sessions,
                                       runtime.dialogs.clock, runtime.dialogs, kick=delivery.tick)
                    if whatsapp is not None:
                        whatsapp.register(app)
                    site = await start_site(app, settings.console_host, settings.console_port)
                    log.info("web server on %s:%s (%s)", settings.console_host, settings.console_port,
                             ", ".join(n for n, on in (("/console", settings.console_enabled),
                                                       ("/whatsapp/webhook", whatsapp is not None)) if on))
                except OSError as exc:    # e.g. `kiezbot console` already serves it on this port
                    log.warning("staff console not served by kiezbot run: %s:%s: %s", settings.console_host,
                                settings.console_port, exc.strerror or exc)
            try:
                await dp.start_polling(bot, handle_signals=True, allowed_updates=dp.resolve_used_update_types())
            finally:
                if site is not None:
                    await site.cleanup()
            return 0
        assert settings.webhook_url is not None
        # Every process registers the same URL and secret: setWebhook is idempotent, so N instances
        # starting (or restarting one by one) never undo each other. Without KIEZBOT_WEBHOOK_SECRET the
        # secret is made once and kept in the shared database — a per-process random one would let
        # only the last process to start accept Telegram's POSTs.
        secret = (settings.webhook_secret.get_secret_value() if settings.webhook_secret
                  else await webhook_secret(runtime.sessions))
        redact_secrets(secret)
        app = with_console(health_app(runtime, telegram), settings, runtime.sessions, runtime.dialogs.clock,
                           runtime.dialogs, kick=delivery.tick)
        if whatsapp is not None:
            whatsapp.register(app)
        # Not in the background: Telegram gets its 200 once the update is handled and committed. The
        # Bot API sends a chat's next update only after the previous one was answered, so one
        # resident's updates stay in order even when the load balancer spreads them over processes;
        # an update whose handling failed is answered 500 and sent again by Telegram.
        SimpleRequestHandler(dispatcher=dp, bot=bot, secret_token=secret,
                             handle_in_background=False).register(app, path=WEBHOOK_PATH)
        setup_application(app, dp, bot=bot)
        await bot.set_webhook(settings.webhook_url + WEBHOOK_PATH, secret_token=secret,
                              allowed_updates=dp.resolve_used_update_types())
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, settings.webhook_host, settings.webhook_port)
        await site.start()
        log.info("webhook server on %s:%s%s", settings.webhook_host, settings.webhook_port, WEBHOOK_PATH)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        await runner.cleanup()
        return 0
    finally:
        scheduler.shutdown(wait=False)
        await fleet.close()
        await delivery.close()
        if started is not None:
            started.cancel()
        if translation is not None:
            await translation.close()
        await bot.session.close()
        if whatsapp is not None:
            await whatsapp.close()
