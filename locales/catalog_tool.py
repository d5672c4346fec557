"""``kiezbot i18n``: keep the catalogs in step with the code, and show what is left to do.

    kiezbot i18n update          extract every translatable string of dialogs/ and add new ones to each
                                 language's .po files (existing translations are kept; changed ones get fuzzy)
    kiezbot i18n status          per language: strings, untranslated, fuzzy, unreviewed
    kiezbot i18n unreviewed LANG list the translations of LANG no native speaker has reviewed yet
    kiezbot i18n reviewed LANG [FILE …]
                                 a reviewer checked LANG (or only these catalogs, e.g. ``office``): drop the marks

Catalog file per dialog module: ``dialogs/office.py`` -> ``locales/<lang>/LC_MESSAGES/office.po``;
a sub-package ``dialogs/events/`` -> ``events.po``.

Unreviewed translations: a translation nobody who speaks the language has checked (machine
translation, a developer's best effort) carries the translator comment ``# unreviewed (machine
translation)``. It is used at run time like any other (fuzzy entries are not, and the tests forbid
them); reviewers find it in Poedit (comment panel, search in comments), in Weblate (comments of the file
show as "source string description": search ``note:unreviewed``), with grep, or with
``kiezbot i18n unreviewed LANG``. Whoever reviews an entry deletes the comment line.

Plural forms: the ``Plural-Forms`` header of a new catalog comes from Babel, unless
``locales/languages.yaml`` names one for the language (``plural_forms:``, e.g. Turkish, where CLDR has
two forms and Babel's gettext table one); ``update`` keeps every catalog's header in step with it.
"""
from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import NamedTuple

import yaml
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_file
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po, write_po

from locales import ROOT, languages

SOURCE = ROOT.parent / "dialogs"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
UNREVIEWED = "unreviewed (machine translation)"


class CatalogStatus(NamedTuple):
    total: int
    untranslated: int
    fuzzy: int
    unreviewed: int


def domain_of(path: Path) -> str:
    rel = path.relative_to(SOURCE)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def templates() -> dict[str, Catalog]:
    catalogs: dict[str, Catalog] = defaultdict(lambda: Catalog(project="kiezbot", charset="utf-8"))
    for path in sorted(SOURCE.rglob("*.py")):
        domain = domain_of(path)
        for lineno, message, comments, _context in extract_from_file(
                "python", str(path), keywords=KEYWORDS, comment_tags=("Translators:",)):
            catalogs[domain].add(message, locations=[(str(path.relative_to(SOURCE.parent)), lineno)],
                                 auto_comments=comments)
    return dict(catalogs)


def plural_forms(code: str) -> str:
    """The ``Plural-Forms`` header a language's catalogs must have."""
    entries = yaml.safe_load((ROOT / "languages.yaml").read_text(encoding="utf-8"))
    for entry in entries:
        if entry["code"] == code:
            return entry.get("plural_forms") or get_plural(entry["locale"]).plural_forms
    raise KeyError(code)


def read_catalog(path: Path, locale: str) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh, locale=locale)


def write_catalog(path: Path, catalog: Catalog) -> None:
    with path.open("wb") as fh:
        # No line numbers: they would change with every edit of the code and make merges noisy.
        write_po(fh, catalog, width=100, ignore_obsolete=True, include_lineno=False)


def _set_plural_forms(catalog: Catalog, forms: str) -> None:
    catalog.mime_headers = [("Plural-Forms", forms)]          # the setter parses nplurals and plural
    for message in catalog:
        if message.id and message.pluralizable:
            strings = list(message.string) if isinstance(message.string, (list, tuple)) else [message.string]
            strings = (strings + [""] * catalog.num_plurals)[:catalog.num_plurals]
            message.string = tuple(strings)


def update() -> dict[str, int]:
    """Merge the templates into every language's catalogs. Returns new strings per language."""
    added: dict[str, int] = {}
    found = templates()
    for lang in languages():
        folder = ROOT / lang.code / "LC_MESSAGES"
        folder.mkdir(parents=True, exist_ok=True)
        count = 0
        for domain, template in found.items():
            path = folder / f"{domain}.po"
            if path.exists():
                catalog = read_catalog(path, lang.locale)
            else:
                catalog = Catalog(locale=lang.locale, domain=domain, project="kiezbot", version="1",
                                  copyright_holder="kiezbot contributors", charset="utf-8",
                                  language_team=lang.name,
                                  last_translator="kiezbot contributors", fuzzy=False)
            before = {m.id for m in catalog if m.id}
            created = catalog.creation_date
            catalog.update(template, no_fuzzy_matching=True)
            if path.exists():
                # Keep the header as it was: a date that changes on every run would make every branch's
                # catalogs conflict at merge time.
                catalog.creation_date = created
            _set_plural_forms(catalog, plural_forms(lang.code))
            count += len({m.id for m in catalog if m.id} - before)
            write_catalog(path, catalog)
        if lang.code == "en":       # msgids are English: the English catalog confirms them
            _confirm_english(folder)
        for stale in set(p.stem for p in folder.glob("*.po")) - set(found):
            (folder / f"{stale}.po").unlink()
        added[lang.code] = count
    return added


def is_unreviewed(message: Message) -> bool:
    return any(comment.strip().startswith("unreviewed") for comment in message.user_comments)


def is_translated(message: Message) -> bool:
    strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
    return all(strings)


def status() -> dict[str, CatalogStatus]:
    """language -> (total, untranslated, fuzzy, unreviewed)."""
    out = {}
    for lang in languages():
        total = missing = fuzzy = unreviewed = 0
        for path in sorted((ROOT / lang.code / "LC_MESSAGES").glob("*.po")):
            for message in read_catalog(path, lang.locale):
                if not message.id:
                    continue
                total += 1
                if not is_translated(message):
                    missing += 1
                elif message.fuzzy:
                    fuzzy += 1
                elif is_unreviewed(message):
                    unreviewed += 1
        out[lang.code] = CatalogStatus(total, missing, fuzzy, unreviewed)
    return out


def unreviewed(code: str) -> list[tuple[str, Message]]:
    """(catalog name, message) of every translation of ``code`` still marked unreviewed."""
    lang = _language(code)
    out = []
    for path in sorted((ROOT / lang.code / "LC_MESSAGES").glob("*.po")):
        out += [(path.stem, m) for m in read_catalog(path, lang.locale)
                if m.id and is_unreviewed(m) and is_translated(m)]
    return out


def mark_unreviewed(code: str, msgids: set[str] | None = None, domains: set[str] | None = None) -> int:
    """Mark translations of ``code`` as unreviewed (all, or those with these msgids / in these catalogs)."""
    return _edit_marks(code, domains, lambda m: (msgids is None or _key(m) in msgids) and not is_unreviewed(m),
                       lambda m: m.user_comments.append(UNREVIEWED))


def mark_reviewed(code: str, domains: set[str] | None = None) -> int:
    """A reviewer checked ``code`` (or only these catalogs): remove the unreviewed marks."""
    def drop(message: Message) -> None:
        message.user_comments = [c for c in message.user_comments if not c.strip().startswith("unreviewed")]
    return _edit_marks(code, domains, is_unreviewed, drop)


def _key(message: Message) -> str:
    return message.id if isinstance(message.id, str) else message.id[0]


def _language(code: str):
    for lang in languages():
        if lang.code == code:
            return lang
    raise KeyError(f"unknown language {code!r}; languages: {', '.join(lang.code for lang in languages())}")


def _edit_marks(code: str, domains: set[str] | None, select, change) -> int:
    lang = _language(code)
    changed = 0
    for path in sorted((ROOT / lang.code / "LC_MESSAGES").glob("*.po")):
        if domains is not None and path.stem not in domains:
            continue
        catalog = read_catalog(path, lang.locale)
        hits = [m for m in catalog if m.id and is_translated(m) and select(m)]
        for message in hits:
            change(message)
        if hits:
            write_catalog(path, catalog)
            changed += len(hits)
    return changed


def _confirm_english(folder: Path) -> None:
    for path in folder.glob("*.po"):
        catalog = read_catalog(path, "en")
        for message in catalog:
            if message.id and not is_translated(message):
                message.string = message.id
        write_catalog(path, catalog)
