"""``kiezbot export …``: data for the neighbourhood council or the jury (the CSV itself: export_ideas.py)."""
from __future__ import annotations

import argparse
import contextlib
import sys

from bot.cli.common import ConfigError, _settings

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


def add_parser(sub):  # noqa: ANN001, ANN201
    """Add `kiezbot export ideas`; returns the `export` sub-parsers for other groups (events: signups)."""
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
    return export_sub
