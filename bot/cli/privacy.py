"""``kiezbot retention`` and ``kiezbot privacy``: retention rules and a resident's data on request."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.cli.common import _offline_dialogs, _open_sessions, _settings

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


def add_parsers(sub) -> None:  # noqa: ANN001
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
