"""Events on the command line, for the team's calendar and spreadsheets.

    kiezbot events import FILE.ics [--area KEY] [--capacity N] [--max-party N]
    kiezbot events list [--all]
    kiezbot export signups EVENT_ID --format csv [--output FILE]

The import reads and checks the whole file first and writes everything in one transaction, so a bad
file (not a calendar, an entry without DTSTART, over 1 MB) changes nothing: one line on stderr, exit
code 2. Importing the same file again changes nothing; a changed time or place is announced to the
participants in their languages, exactly as if the team had changed it in the staff chat.
"""
from __future__ import annotations

import argparse
import io
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from dialogs.app import build_dialogs
from dialogs.core.csv_safe import safe_writer
from dialogs.core.engine import Dialogs
from dialogs.events.rules import signup_rows
from dialogs.events.staff_flow import ImportProblem, import_events
from dialogs.core.calendar import CalendarEntry
from storage.event_import import plan_event_import
from storage.ical import CalendarError, read_calendar_file

EXIT_BAD_INPUT = 2
CSV_COLUMNS = ["display_name", "party_size", "signed_up_at", "status", "waitlist_position"]


@dataclass
class EventsRuntime:
    engine: object
    dialogs: Dialogs

    async def close(self) -> None:
        await self.engine.dispose()  # type: ignore[attr-defined]


async def open_events_runtime(settings) -> EventsRuntime:  # noqa: ANN001
    """Database and dialogs without the address list (events need only the areas)."""
    from bot.runtime import open_database
    from locales import load_catalogs
    from storage.address_book import SqlAddressBook
    from storage.db import session_factory
    from storage.unit_of_work import SqlUnitOfWork
    from storage.seed import ensure_areas

    engine = await open_database(settings)       # migrated, every feature wired, the registry checked
    sessions = session_factory(engine)
    await ensure_areas(sessions)
    dialogs = build_dialogs(SqlUnitOfWork(sessions, SqlAddressBook(sessions)), load_catalogs(),
                            timezone=settings.timezone, default_language=settings.default_locale,
                            staff_chat_id=settings.staff_chat_id)
    return EventsRuntime(engine, dialogs)


def _err(message: str) -> int:
    print(f"kiezbot: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


class _Abort(Exception):
    pass


async def import_calendar(dialogs: Dialogs, entries: list[CalendarEntry], *, source: str, area: str | None,
                          capacity: int | None, max_party: int, out: TextIO = sys.stdout) -> int:
    now = dialogs.clock()
    plan = plan_event_import(entries, now)
    all_day, series, past, wanted = plan.all_day, plan.series, plan.past, plan.wanted
    try:
        async with dialogs.uow(0) as store:
            if area is not None and await store.areas.get(area) is None:
                known = ", ".join(a.key for a in await store.areas.all())
                raise _Abort(f"events import: unknown area {area!r} (known: {known})")
            report = await import_events(store, dialogs, now, wanted, area_key=area, capacity=capacity,
                                         max_party=max_party)
    except ImportProblem as exc:
        return _err(f"events import: {source}: {exc}; nothing was imported")
    except _Abort as exc:
        return _err(str(exc))
    print(f"{source}: {len(report.created)} new, {len(report.updated)} updated, {len(report.cancelled)} cancelled, "
          f"{report.unchanged} unchanged; {report.told} participant notice(s) queued.", file=out)
    for event in report.created:
        print(f"  new #{event.id}: {event.text('de').title} ({event.starts_at.astimezone(dialogs.translator('de').tz):%d.%m.%Y %H:%M})",
              file=out)
    for event in report.updated:
        print(f"  updated #{event.id}: {event.text('de').title}", file=out)
    for event in report.cancelled:
        print(f"  cancelled #{event.id}: {event.text('de').title}", file=out)
    for entry in entries:
        for note in entry.notes:                # what the calendar library warned about, one line each
            print(f"  note: {entry.describe()}: {note}", file=out)
    if all_day:
        print(f"Skipped {len(all_day)} all-day entr{'y' if len(all_day) == 1 else 'ies'} (an event needs a start "
              f"time; give it one in the calendar or use /newevent): "
              + "; ".join(e.describe() for e in all_day[:5]) + (" …" if len(all_day) > 5 else ""), file=out)
    if series:
        print(f"Skipped {len(series)} recurring entr{'y' if len(series) == 1 else 'ies'} (kiezbot imports single "
              "dates; export the dates you want as single events): "
              + "; ".join(e.describe() for e in series[:5]) + (" …" if len(series) > 5 else ""), file=out)
    if past:
        print(f"Skipped {len(past)} event(s) that are already over.", file=out)
    return 0


async def _import(args: argparse.Namespace) -> int:
    from bot.settings import load_settings

    if args.capacity is not None and args.capacity < 1:
        return _err("events import: --capacity must be at least 1 (leave it out for no limit)")
    if not 1 <= args.max_party <= 20:
        return _err("events import: --max-party must be between 1 and 20")
    try:
        entries = read_calendar_file(args.file)         # everything checked before the database is opened
    except CalendarError as exc:
        return _err(f"events import: {args.file}: {exc}; nothing was imported")
    runtime = await open_events_runtime(load_settings())
    try:
        return await import_calendar(runtime.dialogs, entries, source=args.file, area=args.area,
                                     capacity=args.capacity, max_party=args.max_party)
    finally:
        await runtime.close()


def format_events(dialogs: Dialogs, events) -> str:  # noqa: ANN001
    tz = dialogs.translator("de").tz
    lines = [f"{'ID':>4}  {'START':16}  {'AREA':14}  {'PLACES':>9}  {'WAIT':>4}  {'STATUS':9}  TITLE"]
    for e in events:
        places = f"{e.seats_taken}/{e.capacity if e.capacity is not None else '∞'}"
        lines.append(f"{e.id:>4}  {e.starts_at.astimezone(tz):%d.%m.%Y %H:%M}  {(e.area_key or 'all'):14}  "
                     f"{places:>9}  {e.waitlisted:>4}  {e.status:9}  {e.text('de').title}")
    return "\n".join(lines)


async def list_events(dialogs: Dialogs, *, include_past: bool, out: TextIO = sys.stdout) -> int:
    async with dialogs.uow(0) as store:
        events = await (store.events.all() if include_past else store.events.upcoming(dialogs.clock()))
    if not events:
        print("No events." if include_past else "No upcoming events (--all shows past and cancelled ones).", file=out)
        return 0
    print(format_events(dialogs, events), file=out)
    return 0


async def _list(args: argparse.Namespace) -> int:
    from bot.settings import load_settings

    runtime = await open_events_runtime(load_settings())
    try:
        return await list_events(runtime.dialogs, include_past=args.all)
    finally:
        await runtime.close()


async def signups_csv(dialogs: Dialogs, event_id: int, *, include_cancelled: bool = False,
                      actor: str | None = None) -> str | None:
    """The sign-ups of an event as CSV: display name, party size, time of sign-up, status, waitlist
    position — no Telegram ids. None when there is no such event.

    ``actor`` (e.g. ``cli:dana``): recorded in the access log once per resident in the file, so each
    can see in /mydata that the team exported their sign-up."""
    tz = dialogs.translator("de").tz
    statuses = ("confirmed", "waitlisted", "cancelled") if include_cancelled else ("confirmed", "waitlisted")
    async with dialogs.uow(0) as store:
        event = await store.events.get(event_id)
        if event is None:
            return None
        signups = await store.events.signups(event.id, statuses)  # type: ignore[arg-type]
        if actor is not None:
            for s in signups:
                await store.access_log.record(actor=actor, action="export", chat_id=s.chat_id,
                                              detail=f"event {event.id} sign-ups", at=dialogs.clock())
    buffer = io.StringIO()
    writer = safe_writer(buffer, delimiter=",")           # the one CSV guard (dialogs/core/csv_safe.py)
    writer.writerow(CSV_COLUMNS)
    for row in signup_rows(signups, tz):
        writer.writerow(row)
    return buffer.getvalue()


async def _export_signups(args: argparse.Namespace) -> int:
    from bot.settings import load_settings

    runtime = await open_events_runtime(load_settings())
    try:
        import getpass
        text = await signups_csv(runtime.dialogs, args.event_id, include_cancelled=args.include_cancelled,
                                 actor=f"cli:{args.by or getpass.getuser()}"[:160])
    finally:
        await runtime.close()
    if text is None:
        return _err(f"export signups: there is no event {args.event_id} (see `kiezbot events list --all`)")
    if args.output in (None, "-"):
        sys.stdout.write(text)
    else:
        Path(args.output).write_text(text, encoding="utf-8-sig")   # with BOM: Excel reads umlauts right
        print(f"written to {args.output}", file=sys.stderr)
    return 0


def add_parsers(sub, export_sub) -> None:  # noqa: ANN001
    """Add `kiezbot events …` to ``sub`` and `kiezbot export signups` to the shared ``export_sub``."""
    events = sub.add_parser("events", help="neighbourhood events: import a calendar file, list")
    events_sub = events.add_subparsers(dest="events_command", required=True, metavar="ACTION")
    imp = events_sub.add_parser("import", help="create or update events from an iCalendar (.ics) file")
    imp.add_argument("file", help="the .ics file (at most 1 MB)")
    imp.add_argument("--area", help="area key for new events (default: for all areas)")
    imp.add_argument("--capacity", type=int, help="places for new events (default: no limit)")
    imp.add_argument("--max-party", type=int, default=4, help="people per sign-up for new events (default 4)")
    imp.set_defaults(func=_import)
    lst = events_sub.add_parser("list", help="upcoming events with numbers, places and waitlist")
    lst.add_argument("--all", action="store_true", help="also past and cancelled events")
    lst.set_defaults(func=_list)
    signups = export_sub.add_parser("signups", help="the sign-ups of one event")
    signups.add_argument("event_id", type=int, help="event number (see `kiezbot events list`)")
    signups.add_argument("--format", choices=["csv"], default="csv")
    signups.add_argument("--output", help="file to write (default: standard output)")
    signups.add_argument("--include-cancelled", action="store_true", help="also cancelled sign-ups")
    signups.add_argument("--by", help="who exports (for the access log; default: your login name)")
    signups.set_defaults(func=_export_signups)
