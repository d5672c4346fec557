"""``kiezbot run``, ``kiezbot console`` and ``kiezbot chat``: serving residents and staff."""
from __future__ import annotations

import argparse
import logging
import sys

from bot.cli.common import EXIT_CONFIG, ConfigError, _logging, _open_sessions, _settings

NO_TOKEN = """kiezbot needs a Telegram bot token to run on Telegram.

  1. In Telegram, talk to @BotFather, send /newbot and follow the steps.
  2. Put the token it gives you into the environment or a .env file:
         KIEZBOT_BOT_TOKEN=123456789:AA...
  3. Run `kiezbot run` again.

To try kiezbot without Telegram, run `kiezbot chat`."""


async def _chat(args: argparse.Namespace) -> int:
    from bot.runtime import open_runtime
    from bot.terminal import TerminalChat

    settings = _settings()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    runtime = await open_runtime(settings)
    try:
        if args.lang and args.lang not in runtime.dialogs.catalogs.by_code:
            raise ConfigError(f"--lang: {args.lang!r} is not one of {', '.join(runtime.dialogs.catalogs.by_code)}")
        chat = TerminalChat(runtime.dialogs, chat_id=args.chat_id, language_code=args.lang)
        delivery = terminal_delivery(runtime, chat)
        chat.after_exchange = delivery.drain
        try:
            await chat.run(language=args.lang)
        finally:
            await delivery.close()
    finally:
        await runtime.close()
    return 0


def terminal_delivery(runtime, chat):  # noqa: ANN001, ANN201
    """The delivery engine for ``kiezbot chat``: shows the outbox messages addressed to the terminal
    user's chat id and leaves every other chat's messages for the Telegram bot sharing the database."""
    from bot.delivery.broadcasts import BroadcastSteps
    from bot.delivery.outbox_sender import DeliveryEngine, TerminalSender
    from bot.delivery.ratelimit import Limits, RateLimiter

    unlimited = RateLimiter(Limits(global_per_sec=1000, private_per_sec=1000, group_per_min=60000))
    return DeliveryEngine(runtime.sessions, TerminalSender(chat.render), unlimited, clock=runtime.dialogs.clock,
                          chat_ids=[chat.sender.chat_id], broadcasts=BroadcastSteps(runtime.sessions, runtime.dialogs))


async def _run(args: argparse.Namespace) -> int:
    settings = _settings()
    if settings.bot_token is None:
        print(NO_TOKEN, file=sys.stderr)
        return EXIT_CONFIG
    _logging(settings)
    from bot.server import serve
    return await serve(settings, webhook=args.webhook)


async def _console(args: argparse.Namespace) -> int:
    settings = _settings()
    _logging(settings)
    from bot.server import serve_console
    engine, sessions = await _open_sessions(settings)
    try:
        return await serve_console(settings, sessions)
    finally:
        await engine.dispose()


def add_parsers(sub) -> None:  # noqa: ANN001
    run = sub.add_parser("run", help="serve on Telegram (long polling, or --webhook)")
    run.add_argument("--webhook", action="store_true", help="receive updates by webhook (KIEZBOT_WEBHOOK_URL)")
    run.set_defaults(func=_run)
    sub.add_parser("console", help="serve the staff console alone (sign-in links come from the bot's /console)"
                   ).set_defaults(func=_console)
    chat = sub.add_parser("chat", help="talk to kiezbot in this terminal")
    chat.add_argument("--lang", help="language to use (skips the language question)")
    chat.add_argument("--chat-id", type=int, default=1, help="which resident you are (default 1)")
    chat.set_defaults(func=_chat)
