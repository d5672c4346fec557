"""``kiezbot i18n``: keep the catalogs in step with the code.

    kiezbot i18n update   extract every translatable string of dialogs/ and add new ones to each
                          language's .po files (existing translations are kept; changed ones get fuzzy)
    kiezbot i18n status   per language: how many strings are missing or fuzzy

Catalog file per dialog module: ``dialogs/office.py`` -> ``locales/<lang>/LC_MESSAGES/office.po``;
a sub-package ``dialogs/events/`` -> ``events.po``.
"""
from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po, write_po

from locales import ROOT, languages

SOURCE = ROOT.parent / "dialogs"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}


def domain_of(path: Path) -> str:
    rel = path.relative_to(SOURCE)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def templates() -> dict[str, Catalog]:
    catalogs: dict[str, Catalog] = defaultdict(lambda: Catalog(project="kiezbot", charset="utf-8"))
    for path in sorted(SOURCE.rglob("*.py")):
        domain = domain_of(path)
        for lineno, message, comments, _context in extract_from_file(
                "python", str(path), keywords=KEYWORDS, comment_tags=("Translators:",)):
            catalogs[domain].add(message, locations=[(str(path.relative_to(ROOT.parent)), lineno)],
                                 auto_comments=comments)
    return dict(catalogs)


def update(unreviewed_flag: bool = True) -> dict[str, int]:
    """Merge the templates into every language's catalogs. Returns new strings per language."""
    added: dict[str, int] = {}
    for lang in languages():
        folder = ROOT / lang.code / "LC_MESSAGES"
        folder.mkdir(parents=True, exist_ok=True)
        count = 0
        for domain, template in templates().items():
            path = folder / f"{domain}.po"
            if path.exists():
                with path.open("rb") as fh:
                    catalog = read_po(fh, locale=lang.locale)
            else:
                catalog = Catalog(locale=lang.locale, domain=domain, project="kiezbot", version="1",
                                  copyright_holder="kiezbot contributors", charset="utf-8",
                                  language_team=lang.name,
                                  last_translator="kiezbot contributors", fuzzy=False)
            before = {m.id for m in catalog if m.id}
            catalog.update(template, no_fuzzy_matching=True)
            count += len({m.id for m in catalog if m.id} - before)
            with path.open("wb") as fh:
                # No line numbers: they would change with every edit of the code and make merges noisy.
                write_po(fh, catalog, width=100, ignore_obsolete=True, include_lineno=False)
        if lang.code == "en":       # msgids are English: the English catalog confirms them
            _confirm_english(folder)
        for stale in set(p.stem for p in folder.glob("*.po")) - set(templates()):
            (folder / f"{stale}.po").unlink()
        added[lang.code] = count
    return added


def status() -> dict[str, tuple[int, int, int]]:
    """language -> (total, untranslated, fuzzy)."""
    out = {}
    for lang in languages():
        total = missing = fuzzy = 0
        for path in sorted((ROOT / lang.code / "LC_MESSAGES").glob("*.po")):
            with path.open("rb") as fh:
                catalog = read_po(fh, locale=lang.locale)
            for message in catalog:
                if not message.id:
                    continue
                total += 1
                strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
                if not all(strings):
                    missing += 1
                elif message.fuzzy:
                    fuzzy += 1
        out[lang.code] = (total, missing, fuzzy)
    return out


def _confirm_english(folder: Path) -> None:
    for path in folder.glob("*.po"):
        with path.open("rb") as fh:
            catalog = read_po(fh, locale="en")
        for message in catalog:
            if message.id and not message.string:
                message.string = message.id
        with path.open("wb") as fh:
            write_po(fh, catalog, width=100, ignore_obsolete=True, include_lineno=False)
