"""``kiezbot staff``: the team, who may moderate."""
from __future__ import annotations

import argparse
import sys

from bot.cli.common import _open_sessions, _settings

async def _staff(args: argparse.Namespace) -> int:
    from storage.staff import add_staff, list_staff, remove_staff

    engine, sessions = await _open_sessions(_settings())    # migrated, wired, the registry checked
    try:
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


def add_parser(sub) -> None:  # noqa: ANN001
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
