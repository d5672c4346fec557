"""``kiezbot i18n``: keep the translation catalogs in step with the code; machine translations to review."""
from __future__ import annotations

import argparse
import sys

from bot.cli.common import EXIT_CONFIG

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


def add_parser(sub) -> None:  # noqa: ANN001
    i18n = sub.add_parser("i18n", help="translations: update the catalogs from the code, show status")
    i18n.add_argument("action", choices=["update", "status", "unreviewed", "reviewed"],
                      help="update | status | unreviewed LANG (list them) | reviewed LANG [CATALOG …] (drop the marks)")
    i18n.add_argument("language", nargs="?", help="language code for unreviewed/reviewed, e.g. tr")
    i18n.add_argument("files", nargs="*", help="only these catalogs (e.g. office start) for reviewed")
    i18n.set_defaults(func=_i18n)
