"""``kiezbot broadcast``: one message to many residents, from the terminal.

The broadcast is stored like one confirmed in the staff chat, and then there is one rule: one sender
per bot token (Telegram's limits belong to the token). When a `kiezbot run` serves the same database
(a fresh heartbeat, :class:`storage.leader.Senders`) it sends the broadcast, and this command only shows
its progress; only when none runs does this command send, as the one sender (everything due, the
team's messages first), and it hands over to a `kiezbot run` that starts meanwhile.
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from bot.cli.common import ConfigError, Settings, _settings


def text_options() -> dict[str, str]:
    """--text-<language> option names -> language codes (Einfache Sprache: --text-de-simple)."""
    from locales import languages
    return {f"text_{lang.code}": lang.code for lang in languages()}


async def _broadcast(args: argparse.Namespace) -> int:
    from storage.broadcasts import audience_languages, create_broadcast, stop_broadcast
    from bot.runtime import open_runtime
    from dialogs.broadcasts.sending import text_for

    settings = _settings()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    runtime = await open_runtime(settings)
    try:
        now = runtime.dialogs.clock()
        if args.stop is not None:
            if await stop_broadcast(runtime.sessions, args.stop, by="kiezbot broadcast --stop", now=now):
                print(f"Broadcast #{args.stop} stopped; nothing more goes out.")
                return 0
            print(f"kiezbot broadcast: #{args.stop} is unknown, finished or already stopped.", file=sys.stderr)
            return 1
        texts = {code: getattr(args, option).strip() for option, code in text_options().items()
                 if getattr(args, option, None) and getattr(args, option).strip()}
        if "de" not in texts:
            raise ConfigError("--text-de: the German text is needed; residents without their language get it")
        if not args.all and not args.area:
            raise ConfigError("say who receives it: --area KEY or --all")
        if args.area:
            keys = [area.key for area in await _areas(runtime)]
            if args.area not in keys:
                raise ConfigError(f"--area: {args.area!r} is not one of {', '.join(keys)}")
        send_at = None
        if args.at:
            from zoneinfo import ZoneInfo

            from dialogs.core.staff_input import parse_when
            send_at = parse_when(args.at, now, settings.timezone)
            if send_at is None:
                raise ConfigError(f"--at: {args.at!r} is no date and time; write it like '24.12.2026 18:00'")
            if send_at <= now:
                raise ConfigError(f"--at: {send_at:%d.%m.%Y %H:%M} has passed")
            send_at = send_at.astimezone(ZoneInfo("UTC"))
        audience, described = broadcast_audience(args)
        by_language = await audience_languages(runtime.sessions, audience)
        total = sum(by_language.values())
        fallback = sum(n for code, n in by_language.items() if text_for(texts, code)[1])
        print(f"Audience: {described} — {total} resident(s) with consent and reachable; "
              f"{fallback} get the German text.")
        for code, text in texts.items():
            print(f"  [{code}] {text}")
        if total == 0:
            print("Nobody would receive it; nothing sent.")
            return 1
        if not args.yes:
            if not sys.stdin.isatty():
                raise ConfigError("confirm with --yes when not typing at a terminal")
            if input(f"Send to {total} resident(s)? [y/N] ").strip().lower() not in ("y", "yes", "j", "ja"):
                print("Nothing sent.")
                return 1
        broadcast_id = await create_broadcast(runtime.sessions, audience, texts, created_by=0,
                                              created_by_name="kiezbot broadcast (terminal)",
                                              language=settings.default_locale,
                                              report_chat_id=settings.staff_chat_id, now=now, send_at=send_at)
        if send_at is not None:
            local = send_at.astimezone(ZoneInfo(settings.timezone))
            print(f"Broadcast #{broadcast_id} is scheduled for {local:%d.%m.%Y %H:%M} ({settings.timezone}); "
                  f"`kiezbot run` sends it then, to the audience as it is then. "
                  f"Stop it before with `kiezbot broadcast --stop {broadcast_id}`.")
            return 0
        return await send_or_watch(runtime, settings, broadcast_id, total)
    finally:
        await runtime.close()


BODY_NAMES = {"council": "Quartiersrat", "jury": "Aktionsfondsjury"}


def broadcast_audience(args: argparse.Namespace):  # noqa: ANN201
    """The audience the options name, and how to say it: --area/--all say where, --body narrows it to
    the residents subscribed to that body's reminders there (their subscription's area counts)."""
    from dialogs.broadcasts.sending import Audience

    body = (args.body or "").strip().lower() or None
    if body is not None and body not in BODY_NAMES:
        raise ConfigError(f"--body: {args.body!r} is not one of: council (Quartiersrat), jury (Aktionsfondsjury)")
    if body is not None:
        where = f"area {args.area}" if args.area else "all areas"
        return (Audience("body", area_key=args.area or None, body=body),
                f"subscribers of the {BODY_NAMES[body]} ({body}), {where}")
    if args.area:
        return Audience("area", area_key=args.area), f"residents of area {args.area}"
    return Audience("all"), "all residents"


async def _areas(runtime):  # noqa: ANN001, ANN202
    from storage.repositories import all_areas
    return await all_areas(runtime.sessions)


async def send_or_watch(runtime, settings: Settings, broadcast_id: int, total: int) -> int:  # noqa: ANN001
    """Show the broadcast's progress until it is finished or stopped; send it only while no `kiezbot run`
    is alive (and this process holds the sender lease)."""
    from tqdm import tqdm

    from dialogs.core.engine import utc_now
    from storage.broadcasts import BroadcastJobs
    from storage.leader import run_alive

    if settings.bot_token is None and not await run_alive(runtime.engine, utc_now()):
        print(f"Broadcast #{broadcast_id} is queued. `kiezbot run` will send it "
              "(no KIEZBOT_BOT_TOKEN here to send it myself).")
        return 0
    jobs = BroadcastJobs(runtime.sessions)
    sending = None           # (delivery engine, bot, WhatsApp or None) once this process sends
    role = ""
    bar = tqdm(total=total, unit=" msg", desc=f"Broadcast #{broadcast_id}", file=sys.stderr)
    done = asyncio.Event()

    async def watch() -> None:
        while not done.is_set():
            info = await jobs.get(broadcast_id)
            if info is not None:
                bar.total = info.total or total
                bar.n = info.finished
                bar.set_postfix(sent=info.sent, failed=info.failed, blocked=info.blocked, refresh=False)
                bar.refresh()
            try:
                await asyncio.wait_for(done.wait(), 0.5)
            except TimeoutError:
                pass

    def say(text: str) -> None:
        bar.clear()
        print(text, flush=True)

    watcher = asyncio.create_task(watch())
    try:
        while True:
            info = await jobs.get(broadcast_id)
            if info is None or (info.state in ("done", "stopped") and not
                                {"pending", "claimed", "sending"} & set(info.counts)):
                # The team's reports, queued at the end (a group takes 20 messages a minute).
                while sending is not None and sending[0].leading and await jobs.reports_waiting(broadcast_id):
                    if not (await sending[0].drain()).sent:
                        await asyncio.sleep(1.0)
                break
            if await run_alive(runtime.engine, utc_now()) and (sending is None or not sending[0].leading):
                if role != "watch":
                    say(f"kiezbot run serves this database and sends broadcast #{broadcast_id}; "
                        "showing its progress here.")
                    role = "watch"
                await asyncio.sleep(1.0)
                continue
            if settings.bot_token is None:
                say(f"kiezbot run stopped; broadcast #{broadcast_id} stays queued for its next start "
                    "(no KIEZBOT_BOT_TOKEN here to send it myself).")
                return 0
            if sending is None:
                sending = _sender(runtime, settings)
            delivery = sending[0]
            report = await delivery.drain()
            if delivery.leading and role != "send":
                say(f"No kiezbot run serves this database: sending broadcast #{broadcast_id} myself.")
                role = "send"
            if not (report.sent or report.failed or report.blocked or report.retried):
                await asyncio.sleep(1.0)  # retries wait for their time; a stop from the staff chat ends it
    except (asyncio.CancelledError, KeyboardInterrupt):
        if role == "watch":
            say(f"\nStopped watching: kiezbot run goes on sending broadcast #{broadcast_id}; "
                f"stop it with `kiezbot broadcast --stop {broadcast_id}`.")
        else:
            say(f"\nInterrupted: the rest of broadcast #{broadcast_id} stays queued for `kiezbot run`; "
                f"stop it with `kiezbot broadcast --stop {broadcast_id}`.")
        raise
    finally:
        done.set()
        await watcher
        bar.close()
        if sending is not None:
            await sending[0].close()
            await sending[1].session.close()
            if sending[2] is not None:
                await sending[2].close()
    info = await jobs.get(broadcast_id)
    if info is not None:
        print(f"Broadcast #{broadcast_id} {'stopped' if info.state == 'stopped' else 'finished'}: "
              f"{info.sent} sent, {info.failed} failed, {info.blocked} blocked, {info.cancelled} not sent.")
    return 0


def _sender(runtime, settings: Settings):  # noqa: ANN001, ANN202
    """This process as the one sender of the bot token (while no `kiezbot run` is alive): to Telegram, and
    to the residents on WhatsApp when it is configured (as `kiezbot run` does)."""
    from bot.delivery.outbox_sender import TelegramSender
    from bot.scheduler import build_delivery
    from bot.telegram import make_bot
    from bot.whatsapp.wiring import setup_whatsapp

    assert settings.bot_token is not None
    bot = make_bot(settings.bot_token.get_secret_value(), settings.api_base_url)
    sender = TelegramSender(bot)
    wa = setup_whatsapp(settings, runtime.sessions, runtime.dialogs)     # None: WhatsApp not configured
    delivery = build_delivery(settings, runtime.sessions, runtime.dialogs, wa.route(sender) if wa else sender,
                              clock=runtime.dialogs.clock, sender_kind="broadcast")
    if wa:
        wa.attach(delivery)
    return delivery, bot, wa


def add_parser(sub) -> None:  # noqa: ANN001
    broadcast = sub.add_parser("broadcast", help="send one message to many residents (with a progress bar)")
    who = broadcast.add_mutually_exclusive_group()
    who.add_argument("--area", help="residents of this area (its key, e.g. pankstrasse)")
    who.add_argument("--all", action="store_true", help="all residents")
    who.add_argument("--stop", type=int, metavar="ID", help="stop broadcast ID")
    broadcast.add_argument("--body", metavar="BODY",
                           help="only the residents subscribed to this body's session reminders: council "
                                "(Quartiersrat) or jury (Aktionsfondsjury), in --area KEY or --all areas")
    for option, code in text_options().items():
        broadcast.add_argument("--" + option.replace("_", "-"), dest=option, metavar="TEXT",
                               help="the German text (required; the fallback)" if code == "de"
                               else f"the text for {code} readers")
    broadcast.add_argument("--at", metavar="WHEN", help="send it later, e.g. '24.12.2026 18:00' (local time)")
    broadcast.add_argument("--yes", action="store_true", help="send without asking")
    broadcast.set_defaults(func=_broadcast)
