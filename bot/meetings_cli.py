"""``kiezbot meetings add|list|cancel``: keep council and jury sessions from a terminal.

    kiezbot meetings add --area pankstrasse --body council --start "2027-02-14 18:00" [--end 20:00]
                         --place "Vor-Ort-Büro, Prinzenallee 30" [--deadline 2027-02-07]
                         [--agenda-de "…"] [--agenda-en "…"] [--agenda-url https://…]
    kiezbot meetings list [--area KEY]
    kiezbot meetings cancel ID

Same rules as the guided /newmeeting in the staff chat (the parsers are shared); reminders of
subscribers are planned or cancelled in the same transaction. Every error is one line, exit code 2.
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

    meetings = sub.add_parser("meetings", help="council and jury sessions: add, list, cancel")
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


async def run(args: argparse.Namespace) -> int:
    from bot.cli import _settings
    from bot.runtime import open_runtime

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
    from dialogs.meetings import schedule_session
    from dialogs.meetings_staff import (InputError, parse_agenda_url, parse_datetime, parse_deadline, parse_end,
                                        parse_place)
    from dialogs.ports import BODIES, Meeting
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
    from dialogs.meetings import cancel_session

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
