"""``kiezbot db``, ``kiezbot seed`` and ``kiezbot areas``: the database, areas and the address list."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.cli.common import EXIT_CONFIG, _settings

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

    from bot.runtime import prepare_database
    from storage.db import create_engine, session_factory
    from storage.seed import ADDRESSES_FILE, AREAS_FILE, SeedError, count_address_rows, seed_all

    settings = _settings()
    areas = Path(args.areas) if args.areas else AREAS_FILE
    engine = create_engine(settings.database_url)
    try:
        await prepare_database(engine)             # migrated, every feature wired, the registry checked
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
    from bot.runtime import prepare_database
    from storage.areas_file import export_areas
    from storage.db import create_engine, session_factory

    settings = _settings()
    engine = create_engine(settings.database_url)
    try:
        await prepare_database(engine)             # migrated, every feature wired, the registry checked
        text = await export_areas(session_factory(engine))
    finally:
        await engine.dispose()
    if args.file == "-":
        sys.stdout.write(text)
    else:
        Path(args.file).write_text(text, encoding="utf-8")
        print(f"written to {args.file}; edit it and load it with: kiezbot seed --areas {args.file}")
    return 0


def add_parsers(sub) -> None:  # noqa: ANN001
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
