"""The ``kiezbot`` command line: the parser and ``main``; each command group lives in its own module.

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
import os
import sys

from bot.cli import broadcast, data, events, export, i18n, meetings, privacy, serve, staff
from bot.cli.common import EXIT_CONFIG
from bot.settings import ConfigError


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kiezbot", description="kiezbot — your neighbourhood office in the messenger")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve.add_parsers(sub)              # run, console, chat
    data.add_parsers(sub)               # db, seed, areas
    i18n.add_parser(sub)
    staff.add_parser(sub)
    export_sub = export.add_parser(sub)  # export ideas (events adds export signups)
    events.add_parsers(sub, export_sub)
    meetings.add_parser(sub)
    broadcast.add_parser(sub)
    privacy.add_parsers(sub)            # retention, privacy
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
