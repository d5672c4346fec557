"""``kiezbot meetings add|list|cancel``: keep council and jury sessions from a terminal.

    kiezbot meetings add --area pankstrasse --body council --start "2027-02-14 18:00" [--end 20:00]
                         --place "Vor-Ort-Büro, Prinzenallee 30" [--deadline 2027-02-07]
                         [--agenda-de "…"] [--agenda-en "…"] [--agenda-url https://…]
    kiezbot meetings list [--area KEY]
    kiezbot meetings cancel ID
    kiezbot meetings import FILE.ics [--area KEY] [--body council|jury] [--dry-run]

Same rules as the guided /newmeeting in the staff chat (the parsers are shared); reminders of
subscribers are planned or cancelled in the same transaction. Every error is one line, exit code 2.

The import reads the whole file first (``storage.ical``, as ``kiezbot events import`` does) and applies
it in one transaction by calendar UID, so a bad file changes nothing and the same file twice changes
nothing either; the rules are in :mod:`dialogs.meetings.calendar_import`.
"""
from __future__ import annotations

import argparse
import sys
from typing import NoReturn

EXIT_USAGE = 2
PROG = "kiezbot meetings"


class UsageError(Exception):
    """Wrong input on the command line: one line, exit code 2."""


class OneLineParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        print(f"{self.prog}: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def add_parser(sub: argparse._SubParsersAction) -> None:
    from locales import languages

    meetings = sub.add_parser("meetings", help="council and jury sessions: add, list, cancel, import")
    meetings.set_defaults(func=run)
    actions = meetings.add_subparsers(dest="meetings_command", required=True, metavar="ACTION",
                                      parser_class=OneLineParser)
    add = actions.add_parser("add", help="plan a session (reminders of subscribers are planned too)")
    add.add_argument("--area", required=True, help="area key, e.g. pankstrasse (see `kiezbot meetings list`)")
    add.add_argument("--body", required=True, help="council (Quartiersrat) or jury (Aktionsfondsjury)")
    add.add_argument("--start", required=True, help='"2027-02-14 18:00" or "14.02.2027 18:00" (Berlin time)')
    add.add_argument("--end", help='"20:00" on the same day, or a full date and time')
    add.add_argument("--place", required=True, help="where it takes place")
    add.add_argument("--deadline", help='jury only: last day for applications, "2027-02-07"')
    add.add_argument("--agenda-url", help="link to the agenda document (https://…)")
    for lang in languages():
        add.add_argument(f"--agenda-{lang.code.replace('_', '-')}", dest=f"agenda_{lang.code}", metavar="TEXT",
                         help=f"agenda in {lang.name}" + (" (shown to everyone without their own)"
                                                          if lang.code == "de" else ""))
    add.set_defaults(meetings_action=_add)
    show = actions.add_parser("list", help="upcoming sessions with their numbers")
    show.add_argument("--area", help="only this area")
    show.set_defaults(meetings_action=_list)
    cancel = actions.add_parser("cancel", help="cancel a session and tell its subscribers")
    cancel.add_argument("id", help="number of the session (see `kiezbot meetings list`)")
    cancel.set_defaults(meetings_action=_cancel)
    imp = actions.add_parser(
        "import", help="create, move or cancel sessions from an iCalendar (.ics) file",
        formatter_class=argparse.RawDescriptionHelpFormatter, description=IMPORT_HELP)
    imp.add_argument("file", help="the .ics file (at most 1 MB)")
    imp.add_argument("--area", help="area key for every session in the file, e.g. pankstrasse")
    imp.add_argument("--body", help="council (Quartiersrat) or jury (Aktionsfondsjury) for every session in the file")
    imp.add_argument("--dry-run", action="store_true", help="only show what would happen; save and send nothing")
    imp.set_defaults(meetings_action=_import)


IMPORT_HELP = """\
Sessions are recognised by their calendar UID: importing the same file again changes nothing.

Body and area of each entry, the first that answers:
  1. --body / --area on the command line (for every entry of the file);
  2. the entry's X-KIEZBOT-BODY (council | jury) and X-KIEZBOT-AREA (area key or name);
  3. its CATEGORIES, then its SUMMARY: "Quartiersrat" = council, "Aktionsfonds…" or "Jury" = jury;
     an area's key or name ("Pankstraße", "QM Badstraße") = that area.
  New entries that stay unclear are skipped and listed. Imported sessions keep their body and area.

Jury deadline: X-KIEZBOT-DEADLINE:20270207, or a DESCRIPTION line "Frist: 07.02.2027"
(also Einreichungsfrist / Antragsfrist / Deadline). Without one: no deadline (as `meetings add`).

A changed time is a move (subscribers told, reminders re-planned); a changed place is announced too;
STATUS:CANCELLED (or a METHOD:CANCEL file) cancels and tells subscribers. Entries missing from the
file are kept. Past, all-day and recurring entries are skipped. Place = LOCATION, agenda = DESCRIPTION
(German), agenda link = URL. A broken file: one line on stderr, exit code 2, nothing changed."""


async def run(args: argparse.Namespace) -> int:
    from bot.cli.common import _settings
    from bot.runtime import open_runtime

    if args.meetings_command == "import":
        from storage.ical import CalendarError, read_calendar_file
        try:
            args.entries = read_calendar_file(args.file)     # checked before the database is opened
        except CalendarError as exc:
            print(f"{PROG} import: {args.file}: {exc}; nothing was imported", file=sys.stderr)
            return EXIT_USAGE
    runtime = await open_runtime(_settings(), quiet=True)
    try:
        return await args.meetings_action(args, runtime)
    except UsageError as exc:
        print(f"{PROG} {args.meetings_command}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        await runtime.close()


def _local(dt, tz) -> str:
    return dt.astimezone(tz).strftime("%Y-%m-%d %H:%M")


async def _add(args: argparse.Namespace, runtime) -> int:
    from dialogs.meetings.resident_flow import schedule_session
    from dialogs.meetings.staff_flow import (InputError, parse_agenda_url, parse_datetime, parse_deadline, parse_end,
                                        parse_place)
    from dialogs.core.ports import BODIES, Meeting
    from locales import languages

    app = runtime.dialogs
    now = app.clock()
    tz = app.translator("en").tz
    body = args.body.strip().lower()
    if body not in BODIES:
        raise UsageError(f"--body: {args.body!r} is not one of: council (Quartiersrat), jury (Aktionsfondsjury)")

    def check(option: str, parse, *values):
        try:
            return parse(*values)
        except InputError as exc:
            raise UsageError(f"{option}: {exc}") from None

    start = check("--start", parse_datetime, args.start, tz, now)
    end = check("--end", parse_end, args.end, start, tz, now) if args.end else None
    place = check("--place", parse_place, args.place)
    if args.deadline and body != "jury":
        raise UsageError("--deadline: only the jury has a submission deadline")
    deadline = check("--deadline", parse_deadline, args.deadline, start, tz, now) if args.deadline else None
    agenda_url = check("--agenda-url", parse_agenda_url, args.agenda_url) if args.agenda_url else None
    agenda = {lang.code: text.strip() for lang in languages()
              if (text := getattr(args, f"agenda_{lang.code}", None)) and text.strip()}
    if agenda and "de" not in agenda:
        raise UsageError("--agenda-de: the German agenda is needed too (it is shown to everyone else)")
    async with app.uow(0) as store:
        area = await store.areas.get(args.area)
        if area is None:
            known = ", ".join(a.key for a in await store.areas.all())
            raise UsageError(f"--area: there is no area {args.area!r}; known: {known}")
        planned = await schedule_session(app, store, Meeting(
            area_key=area.key, body=body, starts_at=start, ends_at=end, place=place, agenda=agenda,
            agenda_url=agenda_url, deadline=deadline), now)
    print(f"session #{planned.meeting.id} saved: {body} {area.key} {_local(start, tz)} ({tz.key}); "
          f"{planned.reminders} reminder(s) planned for {planned.subscribers} subscriber(s)")
    return 0


async def _list(args: argparse.Namespace, runtime) -> int:
    app = runtime.dialogs
    tz = app.translator("en").tz
    async with app.uow(0) as store:
        if args.area and await store.areas.get(args.area) is None:
            known = ", ".join(a.key for a in await store.areas.all())
            raise UsageError(f"--area: there is no area {args.area!r}; known: {known}")
        meetings = await store.meetings.upcoming(app.clock(), area_key=args.area, limit=500)
        counts = {}
        for m in meetings:
            if (m.body, m.area_key) not in counts:
                counts[(m.body, m.area_key)] = len(await store.meetings.subscribers(m.body, m.area_key))
    if not meetings:
        print("no upcoming sessions" + (f" in {args.area}" if args.area else ""))
        return 0
    for m in meetings:
        end = f"-{m.ends_at.astimezone(tz):%H:%M}" if m.ends_at else ""
        deadline = f"  deadline {m.deadline.astimezone(tz):%Y-%m-%d}" if m.deadline else ""
        print(f"#{m.id:<4} {_local(m.starts_at, tz)}{end:<6}  {m.body:<7}  {m.area_key:<15}  {m.place}{deadline}"
              f"  [{counts[(m.body, m.area_key)]} subscriber(s)]")
    return 0


async def _cancel(args: argparse.Namespace, runtime) -> int:
    from dialogs.meetings.resident_flow import cancel_session

    raw = args.id.strip().lstrip("#")
    if not raw.isdigit() or len(raw) > 9:
        raise UsageError(f"{args.id!r} is not a session number (see `kiezbot meetings list`)")
    app = runtime.dialogs
    async with app.uow(0) as store:
        meeting = await store.meetings.get(int(raw))
        if meeting is None:
            raise UsageError(f"there is no session #{raw}")
        if meeting.status == "cancelled":
            raise UsageError(f"session #{raw} is already cancelled")
        if meeting.starts_at <= app.clock():
            raise UsageError(f"session #{raw} has already begun or is over")
        planned = await cancel_session(app, store, meeting.id, app.clock())
        if planned is None:
            raise UsageError(f"session #{raw} was cancelled meanwhile")
    print(f"session #{raw} cancelled; {planned.subscribers} subscriber(s) will be told")
    return 0


class _DryRun(Exception):
    pass


async def import_calendar(app, entries, *, source: str, area: str | None, body: str | None,  # noqa: ANN001
                          dry_run: bool = False, out=None) -> int:  # noqa: ANN001
    """Apply a calendar file's sessions and print one line per entry; the exit code."""
    from dialogs.core.calendar import single_dates
    from dialogs.meetings.calendar_import import BODY_WORDS, ImportProblem, fold, import_sessions

    out = out or sys.stdout
    if body is not None:
        if fold(body).replace(" ", "") not in BODY_WORDS:
            raise UsageError(f"--body: {body!r} is not one of: council (Quartiersrat), jury (Aktionsfondsjury)")
        body = BODY_WORDS[fold(body).replace(" ", "")]
    sessions, all_day, series = single_dates(entries)
    now = app.clock()
    report = None
    try:
        async with app.uow(0) as store:
            report = await import_sessions(app, store, sessions, now, body=body, area_key=area)
            if dry_run:
                raise _DryRun
    except ImportProblem as exc:
        raise UsageError(f"{source}: {exc}; nothing was imported") from None
    except _DryRun:
        pass
    assert report is not None
    print(format_report(app, report, source=source, dry_run=dry_run, all_day=all_day, series=series), file=out)
    for entry in entries:
        for note in entry.notes:                # what the calendar library warned about, one line each
            print(f"  note: {entry.describe()}: {note}", file=out)
    return 0


def format_report(app, report, *, source: str, dry_run: bool, all_day, series) -> str:  # noqa: ANN001
    from dialogs.meetings.calendar_import import TITLE_WIDTH

    tz = app.translator("en").tz
    would = "would be " if dry_run else ""
    counts = ", ".join(f"{report.count(a)} {would if a != 'unchanged' else ''}{a}"
                       for a in ("new", "moved", "changed", "cancelled", "unchanged", "skipped"))
    lines = [("DRY RUN — nothing saved, nobody told. " if dry_run else "") +
             f"{source}: {counts}; {report.told} subscriber notice(s) and {report.reminders} reminder(s) "
             + ("would be queued." if dry_run else "queued.")]
    for line in report.lines:
        m = line.meeting
        number = "" if m is None or (dry_run and line.action == "new") else f"#{m.id}"
        head = f"  {line.action:<9} {number:<5}"
        if m is not None:
            end = f"-{m.ends_at.astimezone(tz):%H:%M}" if m.ends_at else ""
            head += f" {m.body:<7} {m.area_key:<15} {_local(m.starts_at, tz)}{end}"
            if line.action == "moved" and line.old is not None:
                head += f" (was {_local(line.old.starts_at, tz)})"
        text = head + (f"  {line.entry.describe(TITLE_WIDTH)}" if line.entry is not None else "")
        facts = []
        if line.action == "new":
            facts.append(f"{line.reminders} reminder(s) for {line.subscribers} subscriber(s)")
        elif line.action in ("moved", "changed", "cancelled"):
            facts.append(f"{line.told} subscriber(s) {'would be ' if dry_run else ''}told")
            if line.action != "cancelled":
                facts.append(f"{line.reminders} reminder(s) re-planned")
        if m is not None and m.deadline is not None and line.action in ("new", "moved", "changed"):
            facts.append(f"deadline {m.deadline.astimezone(tz):%Y-%m-%d}")
        if line.note:
            facts.append(line.note)
        lines.append(text + (" — " + "; ".join(facts) if facts else ""))
    for kind, skipped, why in (("all-day", all_day, "a session needs a start time"),
                               ("recurring", series, "kiezbot imports single dates; export them as single events")):
        if skipped:
            lines.append(f"Skipped {len(skipped)} {kind} entr{'y' if len(skipped) == 1 else 'ies'} ({why}): "
                         + "; ".join(e.describe() for e in skipped[:5]) + (" …" if len(skipped) > 5 else ""))
    if report.past:
        lines.append(f"Skipped {report.past} session(s) that have already begun or are over.")
    return "\n".join(lines)


async def _import(args: argparse.Namespace, runtime) -> int:
    return await import_calendar(runtime.dialogs, args.entries, source=args.file, area=args.area, body=args.body,
                                 dry_run=args.dry_run)
