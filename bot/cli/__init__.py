"""The ``kiezbot`` command line.

    kiezbot run [--webhook]     serve residents and staff on Telegram
    kiezbot console             serve the staff console alone (KIEZBOT_CONSOLE_HOST/PORT)
    kiezbot chat [--lang de]    talk to kiezbot in this terminal (no Telegram needed)
    kiezbot db upgrade|downgrade|current
    kiezbot seed [--areas FILE] load the areas file and Berlin's address list (idempotent)
    kiezbot areas export FILE   write the current areas (offices, hours, mapping) for editing
    kiezbot i18n update|status  keep the translation catalogs in step with the code
    kiezbot i18n unreviewed LANG / reviewed LANG [CATALOG …]   machine translations waiting for a reviewer
    kiezbot staff add USER_ID --name NAME | remove USER_ID | list
    kiezbot export ideas [--area KEY] [--status S] [--format csv] [--output FILE]
    kiezbot events import|list  neighbourhood events from the team's calendar (bot/cli/events.py)
    kiezbot export signups ID   an event's sign-ups as CSV
    kiezbot meetings add|list|cancel|import   council and jury sessions (see bot/cli/meetings.py)
    kiezbot broadcast (--area KEY | --all) [--body council|jury] --text-de TEXT [--text-en TEXT …] [--yes]
                                send one message to many residents (or to the subscribers of a body),
                                with a progress bar
    kiezbot broadcast … --at '24.12.2026 18:00'   schedule it instead of sending now
    kiezbot broadcast --stop ID stop a running or scheduled broadcast
    kiezbot retention run [--dry-run]            apply the retention rules (the daily job) and say what it did
    kiezbot privacy export|erase|log ...         a resident's data on request (every access is logged)
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys
from pathlib import Path

from bot.settings import ConfigError, Settings, load_settings

EXIT_CONFIG = 2

NO_TOKEN = """kiezbot needs a Telegram bot token to run on Telegram.

  1. In Telegram, talk to @BotFather, send /newbot and follow the steps.
  2. Put the token it gives you into the environment or a .env file:
         KIEZBOT_BOT_TOKEN=123456789:AA...
  3. Run `kiezbot run` again.

To try kiezbot without Telegram, run `kiezbot chat`."""


def _settings() -> Settings:
    return load_settings()


def _logging(settings: Settings) -> None:
    from bot.logredact import redact_secrets
    redact_secrets(settings.bot_token.get_secret_value() if settings.bot_token else None,
                   settings.webhook_secret.get_secret_value() if settings.webhook_secret else None)
    from bot.logformat import configure_logging
    configure_logging(settings.log_level, settings.log_format, settings.instance_id)


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


def text_options() -> dict[str, str]:
    """--text-<language> option names -> language codes (Einfache Sprache: --text-de-simple)."""
    from locales import languages
    return {f"text_{lang.code}": lang.code for lang in languages()}


async def _broadcast(args: argparse.Namespace) -> int:
    from bot.delivery.broadcasts import audience_languages, create_broadcast, stop_broadcast
    from bot.runtime import open_runtime
    from dialogs.broadcasts.sending import Audience, text_for

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

            from dialogs.events.staff_flow import parse_when
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
        if settings.bot_token is None:
            print(f"Broadcast #{broadcast_id} is queued. `kiezbot run` will send it "
                  "(no KIEZBOT_BOT_TOKEN here to send it myself).")
            return 0
        return await _send_broadcast(runtime, settings, broadcast_id, total)
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
    from storage.repositories import SqlAreas
    async with runtime.sessions() as session:
        return await SqlAreas(session).all()


async def _send_broadcast(runtime, settings: Settings, broadcast_id: int, total: int) -> int:  # noqa: ANN001
    from tqdm import tqdm

    from bot.delivery.outbox_sender import TelegramSender
    from bot.scheduler import build_delivery
    from bot.telegram import make_bot
    from storage.broadcasts import BroadcastJobs

    assert settings.bot_token is not None
    bot = make_bot(settings.bot_token.get_secret_value(), settings.api_base_url)
    delivery = build_delivery(settings, runtime.sessions, runtime.dialogs, TelegramSender(bot),
                              clock=runtime.dialogs.clock, broadcast_id=broadcast_id)
    jobs = BroadcastJobs(runtime.sessions)
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

    watcher = asyncio.create_task(watch())
    try:
        while True:
            await delivery.drain()
            info = await jobs.get(broadcast_id)
            if info is None or (info.state in ("done", "stopped") and not
                                {"pending", "claimed", "sending"} & set(info.counts)):
                break
            await asyncio.sleep(1.0)      # retries wait for their time; a stop from the staff chat ends it
    except (asyncio.CancelledError, KeyboardInterrupt):
        print(f"\nInterrupted: the rest of broadcast #{broadcast_id} stays queued for `kiezbot run`; "
              f"stop it with `kiezbot broadcast --stop {broadcast_id}`.", file=sys.stderr)
        raise
    finally:
        done.set()
        await watcher
        bar.close()
        await delivery.close()
        await bot.session.close()
    info = await jobs.get(broadcast_id)
    if info is not None:
        print(f"Broadcast #{broadcast_id} {'stopped' if info.state == 'stopped' else 'finished'}: "
              f"{info.sent} sent, {info.failed} failed, {info.blocked} blocked, {info.cancelled} not sent.")
    return 0


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


async def _db(args: argparse.Namespace) -> int:
    from storage import migrate
    from storage.db import create_engine

    settings = _settings()
    engine = create_engine(settings.database_url)
    try:
        if args.action == "upgrade":
            await migrate.upgrade(engine, args.revision or "head")
        elif args.action == "downgrade":
            await migrate.downgrade(engine, args.revision or "base")
        print(f"database at revision {await migrate.current_revision(engine) or '(empty)'}"
              f" (latest: {migrate.head_revision()})")
    finally:
        await engine.dispose()
    return 0


async def _seed(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from storage import migrate
    from storage.db import create_engine, session_factory
    from storage.seed import ADDRESSES_FILE, AREAS_FILE, SeedError, count_address_rows, seed_all

    settings = _settings()
    areas = Path(args.areas) if args.areas else AREAS_FILE
    engine = create_engine(settings.database_url)
    try:
        await migrate.upgrade(engine)
        bar = tqdm(total=count_address_rows(ADDRESSES_FILE), unit=" addresses", desc="Address list",
                   file=sys.stderr, leave=False)
        try:
            report = await seed_all(session_factory(engine), areas_file=areas, progress=bar.update)
        except SeedError as exc:
            print(f"kiezbot seed: {exc}", file=sys.stderr)
            return EXIT_CONFIG
        finally:
            bar.close()
        print(f"{report.areas} areas, {report.overrides} overrides, {report.streets} streets.")
        print("Changed: " + ("; ".join(report.changed) if report.changed else "nothing (already up to date)"))
    finally:
        await engine.dispose()
    return 0


async def _areas_export(args: argparse.Namespace) -> int:
    from storage.areas_file import export_areas
    from storage.db import create_engine, session_factory
    from storage import migrate

    settings = _settings()
    engine = create_engine(settings.database_url)
    try:
        await migrate.upgrade(engine)
        text = await export_areas(session_factory(engine))
    finally:
        await engine.dispose()
    if args.file == "-":
        sys.stdout.write(text)
    else:
        Path(args.file).write_text(text, encoding="utf-8")
        print(f"written to {args.file}; edit it and load it with: kiezbot seed --areas {args.file}")
    return 0


async def _i18n(args: argparse.Namespace) -> int:
    from locales import catalog_tool

    if args.action in ("unreviewed", "reviewed"):
        if not args.language:
            print(f"kiezbot i18n {args.action}: name a language, e.g. `kiezbot i18n {args.action} tr`", file=sys.stderr)
            return EXIT_CONFIG
        try:
            if args.action == "reviewed":
                count = catalog_tool.mark_reviewed(args.language, set(args.files) if args.files else None)
                print(f"{args.language}: {count} translation(s) marked as reviewed")
                return 0
            entries = catalog_tool.unreviewed(args.language)
        except KeyError as exc:
            print(f"kiezbot i18n: {exc.args[0]}", file=sys.stderr)
            return EXIT_CONFIG
        for domain, message in entries:
            source = message.id if isinstance(message.id, str) else message.id[0]
            target = message.string if isinstance(message.string, str) else " | ".join(message.string)
            print(f"[{domain}] {source}\n    -> {target}")
        print(f"{args.language}: {len(entries)} unreviewed translation(s)")
        return 0
    if args.action == "update":
        try:
            added = catalog_tool.update()
        except catalog_tool.PluralRuleChange as exc:
            print(f"kiezbot i18n update: {exc}", file=sys.stderr)
            return EXIT_CONFIG
        for code, count in added.items():
            print(f"{code}: {count} new string(s)")
    problems = 0
    for code, st in catalog_tool.status().items():
        problems += st.untranslated + st.fuzzy
        print(f"{code}: {st.total} strings, {st.untranslated} untranslated, {st.fuzzy} fuzzy, "
              f"{st.unreviewed} unreviewed")
    return 1 if problems and args.action == "status" else 0


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


async def _retention(args: argparse.Namespace) -> int:
    from dialogs.core.engine import utc_now
    from dialogs.privacy.resident_flow import erase_resident
    from storage.retention import run_retention

    settings = _settings()
    engine, sessions = await _open_sessions(settings)
    try:
        dialogs = _offline_dialogs(settings, sessions)
        report = await run_retention(sessions, utc_now(), settings, dry_run=args.dry_run, translator=dialogs.translator,
                                     erase=lambda store, chat_id, at: erase_resident(store, dialogs, chat_id, at))
    finally:
        await engine.dispose()
    print("Retention" + (" (dry run: nothing changed)" if args.dry_run else "") + ":")
    for line in report.lines():
        print("  " + line)
    if not args.dry_run and settings.staff_chat_id is not None and report.changed:
        print("  a summary for the staff chat is in the outbox")
    return 0


def _actor(args: argparse.Namespace) -> str:
    import getpass
    who = args.by or getpass.getuser()
    return f"cli:{who}"[:160]


async def _privacy(args: argparse.Namespace) -> int:
    from dialogs.core.engine import Operator, utc_now
    from dialogs.privacy.resident_flow import erase_resident, export_document, has_personal_data
    from storage.unit_of_work import SqlUnitOfWork

    settings = _settings()
    engine, sessions = await _open_sessions(settings)
    now = utc_now()
    try:
        uow = SqlUnitOfWork(sessions, addresses=None)  # type: ignore[arg-type]
        if args.privacy_command == "log":
            async with uow(0) as store:
                entries = await store.access_log.entries(args.resident, limit=args.limit)
                if args.resident is not None:
                    print(f"resident {args.resident} is {await store.access_log.pseudonym(args.resident)} in the log")
            for e in entries:
                print(f"{e.at:%Y-%m-%d %H:%M} {e.actor:<30} {e.action:<8} {e.subject:<20} {e.detail}")
            if not entries:
                print("no entries")
            return 0
        async with uow(args.chat_id) as store:
            data = await store.personal_data.export(args.chat_id, now)
            if not has_personal_data(data):
                print(f"kiezbot stores nothing about {args.chat_id}", file=sys.stderr)
                return 1
            if args.privacy_command == "export":
                content = export_document(Operator(name=settings.operator_name, email=settings.privacy_contact),
                                          args.chat_id, now, data)
                await store.access_log.record(actor=_actor(args), action="export", chat_id=args.chat_id, at=now,
                                              detail=args.reason or "")
                if args.out == "-":
                    sys.stdout.write(content.decode("utf-8") + "\n")
                else:
                    Path(args.out).write_bytes(content)
                    print(f"written to {args.out} ({', '.join(data)}); the access is logged")
                return 0
            # erase
            if not args.yes:
                print(f"would erase for {args.chat_id}: {', '.join(data)}. Add --yes to erase.")
                return 1
            report = await erase_resident(store, _offline_dialogs(settings, sessions), args.chat_id, now)
            await store.access_log.record(actor=_actor(args), action="erase", chat_id=args.chat_id, at=now,
                                          detail=args.reason or "", subject=report.erased_as)
            print("erased: " + ", ".join(f"{name} {n}" for name, n in report.erased.items() if n))
            return 0
    finally:
        await engine.dispose()


async def _staff(args: argparse.Namespace) -> int:
    from storage import migrate
    from storage.db import create_engine, session_factory
    from storage.staff import add_staff, list_staff, remove_staff

    settings = _settings()
    engine = create_engine(settings.database_url)
    try:
        await migrate.upgrade(engine)
        sessions = session_factory(engine)
        if args.staff_command == "add":
            new = await add_staff(sessions, args.user_id, args.name)
            print(f"{'added' if new else 'renamed'}: {args.user_id} {args.name}")
        elif args.staff_command == "remove":
            if not await remove_staff(sessions, args.user_id):
                print(f"kiezbot staff: {args.user_id} is not a team member", file=sys.stderr)
                return 1
            print(f"removed: {args.user_id}")
        else:
            members = await list_staff(sessions)
            for user_id, name in members:
                print(f"{user_id}\t{name}")
            if not members:
                print("no team members yet: kiezbot staff add USER_ID --name NAME", file=sys.stderr)
    finally:
        await engine.dispose()
    return 0


async def _export_ideas(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from bot.cli.export_ideas import write_csv
    from dialogs.core.i18n import Translator
    from dialogs.ideas.rules import OPEN, STATUSES
    from bot.runtime import prepare_database
    from locales import load_catalogs
    from storage.db import create_engine, session_factory
    from storage.ideas import count_for_export, export_rows
    from storage.repositories import SqlAreas

    settings = _settings()
    statuses = None
    if args.status:
        statuses = list(OPEN) if args.status == "open" else [args.status]
        if args.status != "open" and args.status not in STATUSES:
            raise ConfigError(f"--status: {args.status!r} is not one of open, {', '.join(STATUSES)}")
    catalogs = load_catalogs(all_languages=True)
    if args.lang not in catalogs.by_code:
        raise ConfigError(f"--lang: {args.lang!r} is not one of {', '.join(catalogs.by_code)}")
    engine = create_engine(settings.database_url)
    try:
        await prepare_database(engine)
        sessions = session_factory(engine)
        if args.area:
            async with sessions() as session:
                known = [a.key for a in await SqlAreas(session).all()]
            if args.area not in known:
                raise ConfigError(f"--area: {args.area!r} is not one of {', '.join(known)}")
        total = await count_for_export(sessions, args.area, statuses)
        t = Translator(catalogs.language(args.lang), catalogs.translations(args.lang), settings.timezone)
        with contextlib.ExitStack() as stack:
            out = sys.stdout
            if args.output != "-":
                # utf-8-sig: spreadsheet programs recognise the file as UTF-8 (umlauts, Arabic, Cyrillic)
                out = stack.enter_context(open(args.output, "w", encoding="utf-8-sig", newline=""))  # noqa: ASYNC230
            bar = stack.enter_context(tqdm(total=total, unit=" submissions", desc="Export", file=sys.stderr,
                                           leave=False))
            written = await write_csv(export_rows(sessions, args.area, statuses), out, t,
                                      language_name=lambda code: catalogs.language(code).name,
                                      progress=bar.update, delimiter=args.delimiter)
        if args.output != "-":
            print(f"{written} submission(s) written to {args.output}", file=sys.stderr)
    finally:
        await engine.dispose()
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kiezbot", description="kiezbot — your neighbourhood office in the messenger")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = sub.add_parser("run", help="serve on Telegram (long polling, or --webhook)")
    run.add_argument("--webhook", action="store_true", help="receive updates by webhook (KIEZBOT_WEBHOOK_URL)")
    run.set_defaults(func=_run)
    sub.add_parser("console", help="serve the staff console alone (sign-in links come from the bot's /console)"
                   ).set_defaults(func=_console)
    chat = sub.add_parser("chat", help="talk to kiezbot in this terminal")
    chat.add_argument("--lang", help="language to use (skips the language question)")
    chat.add_argument("--chat-id", type=int, default=1, help="which resident you are (default 1)")
    chat.set_defaults(func=_chat)
    db = sub.add_parser("db", help="database migrations")
    db.add_argument("action", choices=["upgrade", "downgrade", "current"])
    db.add_argument("revision", nargs="?", help="target revision (default: head / base)")
    db.set_defaults(func=_db)
    seed = sub.add_parser("seed", help="load areas and Berlin's address list (safe to repeat)")
    seed.add_argument("--areas", help="areas file (YAML); default: the one shipped with kiezbot")
    seed.set_defaults(func=_seed)
    areas = sub.add_parser("areas", help="areas, offices and the address-to-area mapping")
    areas_sub = areas.add_subparsers(dest="areas_command", required=True, metavar="ACTION")
    export = areas_sub.add_parser("export", help="write the current areas to a YAML file for editing")
    export.add_argument("file", help="target file, or - for standard output")
    export.set_defaults(func=_areas_export)
    i18n = sub.add_parser("i18n", help="translations: update the catalogs from the code, show status")
    i18n.add_argument("action", choices=["update", "status", "unreviewed", "reviewed"],
                      help="update | status | unreviewed LANG (list them) | reviewed LANG [CATALOG …] (drop the marks)")
    i18n.add_argument("language", nargs="?", help="language code for unreviewed/reviewed, e.g. tr")
    i18n.add_argument("files", nargs="*", help="only these catalogs (e.g. office start) for reviewed")
    i18n.set_defaults(func=_i18n)
    staff = sub.add_parser("staff", help="the team: who may moderate")
    staff_sub = staff.add_subparsers(dest="staff_command", required=True, metavar="ACTION")
    staff_add = staff_sub.add_parser("add", help="add a team member (or rename one) by Telegram user id")
    staff_add.add_argument("user_id", type=int)
    staff_add.add_argument("--name", required=True, help="shown on cards and decisions, e.g. Dana")
    staff_add.set_defaults(func=_staff)
    staff_remove = staff_sub.add_parser("remove", help="remove a team member")
    staff_remove.add_argument("user_id", type=int)
    staff_remove.set_defaults(func=_staff)
    staff_sub.add_parser("list", help="list the team").set_defaults(func=_staff)
    export_cmd = sub.add_parser("export", help="export data for the neighbourhood council or the jury")
    export_sub = export_cmd.add_subparsers(dest="export_command", required=True, metavar="WHAT")
    ideas = export_sub.add_parser("ideas", help="submissions as CSV (no Telegram ids)")
    ideas.add_argument("--area", help="only this area (key, e.g. badstrasse)")
    ideas.add_argument("--status", help="only this state: open, new, approved, rejected, …")
    ideas.add_argument("--format", choices=["csv"], default="csv")
    ideas.add_argument("--output", default="-", help="file to write (default: standard output)")
    ideas.add_argument("--lang", default="de", help="language of kinds and states (default de)")
    ideas.add_argument("--delimiter", default=",", help="field separator, e.g. ';' for German Excel")
    ideas.set_defaults(func=_export_ideas)
    from bot.cli import events as events_cli
    events_cli.add_parsers(sub, export_sub)
    from bot.cli import meetings as meetings_cli
    meetings_cli.add_parser(sub)
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
    retention = sub.add_parser("retention", help="data retention: warn and delete inactive residents, purge old rows")
    retention_sub = retention.add_subparsers(dest="retention_command", required=True, metavar="ACTION")
    retention_run = retention_sub.add_parser("run", help="apply the retention rules now (the daily job)")
    retention_run.add_argument("--dry-run", action="store_true", help="only say what would be done")
    retention_run.set_defaults(func=_retention)
    privacy = sub.add_parser("privacy", help="a resident's personal data on request (access is logged)")
    privacy_sub = privacy.add_subparsers(dest="privacy_command", required=True, metavar="ACTION")
    export_data = privacy_sub.add_parser("export", help="write everything stored about a resident as JSON")
    export_data.add_argument("chat_id", type=int, help="the resident's Telegram chat id")
    export_data.add_argument("--out", default="-", help="target file (default: standard output)")
    erase_data = privacy_sub.add_parser("erase", help="erase a resident's data, as /delete does")
    erase_data.add_argument("chat_id", type=int, help="the resident's Telegram chat id")
    erase_data.add_argument("--yes", action="store_true", help="really erase (without it: show what would go)")
    for command in (export_data, erase_data):
        command.add_argument("--by", help="who you are, for the access log (default: your login name)")
        command.add_argument("--reason", help="why, for the access log (e.g. 'request by letter of 3 May')")
    access = privacy_sub.add_parser("log", help="show the access log (newest first)")
    access.add_argument("--resident", type=int, help="only accesses to this resident's data (chat id)")
    access.add_argument("--limit", type=int, default=50, help="at most this many lines (default 50)")
    privacy.set_defaults(func=_privacy)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return asyncio.run(args.func(args))
    except ConfigError as exc:
        print(f"kiezbot: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `kiezbot … | head`: the reader left; say nothing more (and let Python's exit flush go nowhere)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())
