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

from bot.cli import broadcast as broadcast_cli
from bot.cli.common import EXIT_CONFIG, _logging, _offline_dialogs, _open_sessions, _settings  # noqa: F401
from bot.settings import ConfigError

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


async def _retention(args: argparse.Namespace) -> int:
    from dialogs.core.engine import utc_now
    from dialogs.privacy.resident_flow import erase_resident
    from bot.retention import retention_policy
    from storage.retention import run_retention

    settings = _settings()
    engine, sessions = await _open_sessions(settings)
    try:
        dialogs = _offline_dialogs(settings, sessions)
        report = await run_retention(sessions, utc_now(), retention_policy(settings), dry_run=args.dry_run,
                                     staff_chat_id=settings.staff_chat_id, translator=dialogs.translator,
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
    from storage.repositories import all_areas

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
            known = [a.key for a in await all_areas(sessions)]
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
    broadcast_cli.add_parser(sub)
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
