"""``kiezbot i18n``: keep the catalogs in step with the code, and show what is left to do.

    kiezbot i18n update          extract every translatable string of dialogs/ and add new ones to each
                                 language's .po files (existing translations are kept; changed ones get fuzzy)
    kiezbot i18n status          per language: strings, untranslated, fuzzy, unreviewed
    kiezbot i18n unreviewed LANG list the translations of LANG no native speaker has reviewed yet
    kiezbot i18n reviewed LANG [FILE …]
                                 a reviewer checked LANG (or only these catalogs, e.g. ``office``): drop the marks

Catalog file per feature package: ``dialogs/office/`` -> ``locales/<lang>/LC_MESSAGES/office.po``;
(``dialogs/core/`` -> ``core.po``).

The staff console (``console/``: its Python code and its Jinja2 templates) has one catalog of its own, the
``console`` domain, in German and English only (staff pages; the chat's ``/console`` message is a dialog and
speaks all ten): ``locales/console/<lang>/LC_MESSAGES/console.po``.

Unreviewed translations: a translation nobody who speaks the language has checked (machine
translation, a developer's best effort) carries the translator comment ``# unreviewed (machine
translation)``. It is used at run time like any other (fuzzy entries are not, and the tests forbid
them); reviewers find it in Poedit (comment panel, search in comments), in Weblate (comments of the file
show as "source string description": search ``note:unreviewed``), with grep, or with
``kiezbot i18n unreviewed LANG``. Whoever reviews an entry deletes the comment line.

Plural forms: the ``Plural-Forms`` header of a new catalog comes from Babel, unless
``locales/languages.yaml`` names one for the language (``plural_forms:``, e.g. Turkish, where CLDR has
two forms and Babel's gettext table one); ``update`` keeps every catalog's header in step with it.

A header is read by meaning, not by its text: each ``msgstr[i]`` stands for one CLDR plural category
(zero, one, two, few, many, other) — the category of the numbers the header sends to form ``i``
(:func:`form_categories`). Babel versions order the forms differently (Arabic's ``many`` and ``other``
swapped places between Babel 2.18 and 2.19), so when the header changes, ``update`` moves every
existing translation to the form of the same category. When the categories themselves change (a form
more or less, or numbers moving between categories), it refuses with :class:`PluralRuleChange` rather
than guess: a translator has to write the new form.
"""
from __future__ import annotations

import gettext
from collections import defaultdict
from pathlib import Path
from typing import NamedTuple

import babel
import yaml
from babel import Locale
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_file
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po, write_po

from locales import ROOT, languages

SOURCE = ROOT.parent / "dialogs"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
CONSOLE_SOURCE = ROOT.parent / "console"
CONSOLE_DOMAIN = "console"
CONSOLE_LANGUAGES = ("de", "en")


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


def console_template() -> Catalog:
    """The console's strings: ``_()``/``N_()`` in its Python code, ``_()``/``ngettext()`` in its templates."""
    from jinja2.ext import babel_extract

    catalog = Catalog(project="kiezbot", charset="utf-8")
    sources = [("python", p) for p in sorted(CONSOLE_SOURCE.rglob("*.py"))]
    sources += [(babel_extract, p) for p in sorted((CONSOLE_SOURCE / "templates").rglob("*.html"))]
    for method, path in sources:
        for lineno, message, comments, _context in extract_from_file(
                method, str(path), keywords=KEYWORDS, comment_tags=("Translators:",),
                options={"extensions": "jinja2.ext.i18n"}):
            catalog.add(message, locations=[(str(path.relative_to(CONSOLE_SOURCE.parent)), lineno)],
                        auto_comments=comments)
    return catalog


def console_catalog_path(code: str) -> Path:
    return ROOT / CONSOLE_DOMAIN / code / "LC_MESSAGES" / f"{CONSOLE_DOMAIN}.po"


def catalog_paths(code: str) -> list[Path]:
    """Every catalog of a language: the dialogs' and, for German and English, the console's."""
    console = [console_catalog_path(code)] if code in CONSOLE_LANGUAGES else []
    return sorted((ROOT / code / "LC_MESSAGES").glob("*.po")) + [p for p in console if p.exists()]


def plural_forms(code: str) -> str:
    """The ``Plural-Forms`` header a language's catalogs must have."""
    entries = yaml.safe_load((ROOT / "languages.yaml").read_text(encoding="utf-8"))
    for entry in entries:
        if entry["code"] == code:
            return entry.get("plural_forms") or get_plural(entry["locale"]).plural_forms
    raise KeyError(code)


class PluralRuleChange(Exception):
    """A catalog's plural forms cannot be carried over to the new rule without a translator."""


# Whole numbers the plural rules are compared on: every rule kiezbot's languages have repeats within 0-999
# (they look at n % 100 and n % 10), plus the large ones where some rules (e.g. French "many") differ.
_SAMPLE_NUMBERS = (*range(1000), 1000, 10_000, 100_000, 1_000_000, 1_000_001, 2_000_000)


def parse_plural_forms(header: str) -> tuple[int, str]:
    """``nplurals=3; plural=(…);`` -> (3, "(…)")."""
    params = dict(part.strip().split("=", 1) for part in header.strip().rstrip(";").split(";") if "=" in part)
    return int(params["nplurals"]), params["plural"].strip()


def form_categories(header: str, locale: str) -> tuple[str, ...]:
    """The CLDR category each form of a ``Plural-Forms`` header stands for, under the Babel installed.

    ``("zero", "one", "two", "few", "other", "many")`` for Babel 2.18's Arabic header: form 4 is chosen
    for 100-102 ("other"), form 5 for 11-99 ("many"). Raises :class:`PluralRuleChange` when the header
    and CLDR disagree: a form that serves numbers of two categories, a category spread over two forms, or
    a form no whole number reaches.
    """
    nplurals, expression = parse_plural_forms(header)
    choose = gettext.c2py(expression)
    category = Locale.parse(locale).plural_form
    per_form: dict[int, set[str]] = {}
    per_category: dict[str, set[int]] = {}
    for n in _SAMPLE_NUMBERS:
        form, cat = choose(n), category(n)
        per_form.setdefault(form, set()).add(cat)
        per_category.setdefault(cat, set()).add(form)
    problems = [f"form {form} is chosen for numbers of the categories {', '.join(sorted(cats))}"
                for form, cats in sorted(per_form.items()) if len(cats) > 1]
    problems += [f"CLDR category {cat!r} is spread over the forms {sorted(forms)}"
                 for cat, forms in sorted(per_category.items()) if len(forms) > 1]
    if sorted(per_form) != list(range(nplurals)):
        problems.append(f"nplurals={nplurals}, but whole numbers reach the forms {sorted(per_form)}")
    if problems:
        raise PluralRuleChange(f"{locale}: the header {header!r} does not match CLDR's plural rule in "
                               f"Babel {babel.__version__}: " + "; ".join(problems))
    return tuple(next(iter(per_form[i])) for i in range(nplurals))


def move_plural_forms(strings: tuple[str, ...], old: tuple[str, ...], new: tuple[str, ...]) -> tuple[str, ...]:
    """The same translations, re-ordered from the categories ``old`` to the categories ``new``."""
    by_category = dict(zip(old, strings))
    return tuple(by_category[cat] for cat in new)


def read_catalog(path: Path, locale: str) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh, locale=locale)


def write_catalog(path: Path, catalog: Catalog) -> None:
    with path.open("wb") as fh:
        # No line numbers: they would change with every edit of the code and make merges noisy.
        write_po(fh, catalog, width=100, ignore_obsolete=True, include_lineno=False)


def _normalised(header: str) -> str:
    return header.replace(" ", "").rstrip(";")


def _set_plural_forms(catalog: Catalog, forms: str, locale: str, where: str = "") -> None:
    """Give ``catalog`` the header ``forms``, moving every translated plural form to its category's place.

    Raises :class:`PluralRuleChange` (and changes nothing) when the categories differ.
    """
    old_header = catalog.plural_forms
    moves = None
    if _normalised(old_header) != _normalised(forms) and any(m.id and m.pluralizable for m in catalog):
        try:
            old = form_categories(old_header, locale)
            new = form_categories(forms, locale)
        except PluralRuleChange as exc:
            raise PluralRuleChange(
                f"{where}: {exc}. Nothing was changed: the translations' forms cannot be matched to the new "
                f"rule {forms!r} by category; a translator has to write the forms for it by hand.") from None
        if sorted(old) != sorted(new):
            raise PluralRuleChange(
                f"{where}: the plural rule of {locale!r} changed: the catalog has the forms "
                f"{', '.join(old)}, the rule now has {', '.join(new)}. Nothing was changed; a translator "
                f"has to write the forms for the new categories (set the header to {forms!r} by hand).")
        moves = (old, new)
    catalog.mime_headers = [("Plural-Forms", forms)]          # the setter parses nplurals and plural
    for message in catalog:
        if message.id and message.pluralizable:
            strings = list(message.string) if isinstance(message.string, (list, tuple)) else [message.string]
            if moves and len(strings) == len(moves[0]):
                strings = list(move_plural_forms(tuple(strings), *moves))
            strings = (strings + [""] * catalog.num_plurals)[:catalog.num_plurals]
            message.string = tuple(strings)


def update() -> dict[str, int]:
    """Merge the templates into every language's catalogs. Returns new strings per language.

    Checks every catalog's plural forms first and raises :class:`PluralRuleChange` before writing anything
    when one of them cannot be carried over to today's rule.
    """
    for lang in languages():
        for path in catalog_paths(lang.code):
            _set_plural_forms(read_catalog(path, lang.locale), plural_forms(lang.code), lang.locale,
                              str(path.relative_to(ROOT)))
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
            _set_plural_forms(catalog, plural_forms(lang.code), lang.locale, str(path.relative_to(ROOT)))
            count += len({m.id for m in catalog if m.id} - before)
            write_catalog(path, catalog)
        if lang.code == "en":       # msgids are English: the English catalog confirms them
            _confirm_english(folder)
        for stale in {p.stem for p in folder.glob("*.po")} - set(found):
            (folder / f"{stale}.po").unlink()
        added[lang.code] = count + _update_console(lang)
    return added


def _update_console(lang) -> int:  # noqa: ANN001 — a locales Language
    """Merge the console's strings into its German or English catalog (as :func:`update` does per dialog)."""
    if lang.code not in CONSOLE_LANGUAGES:
        return 0
    path = console_catalog_path(lang.code)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        catalog = read_catalog(path, lang.locale)
    else:
        catalog = Catalog(locale=lang.locale, domain=CONSOLE_DOMAIN, project="kiezbot", version="1",
                          copyright_holder="kiezbot contributors", charset="utf-8", language_team=lang.name,
                          last_translator="kiezbot contributors", fuzzy=False)
    before = {m.id for m in catalog if m.id}
    created = catalog.creation_date
    catalog.update(console_template(), no_fuzzy_matching=True)
    if path.exists():
        catalog.creation_date = created
    _set_plural_forms(catalog, plural_forms(lang.code), lang.locale, str(path.relative_to(ROOT)))
    if lang.code == "en":
        for message in catalog:
            if message.id and not is_translated(message):
                message.string = message.id
    write_catalog(path, catalog)
    return len({m.id for m in catalog if m.id} - before)


def po_paths(code: str) -> list[Path]:
    return sorted((ROOT / code / "LC_MESSAGES").glob("*.po"))


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
        for path in catalog_paths(lang.code):
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
    for path in catalog_paths(lang.code):
        out += [(path.stem, m) for m in read_catalog(path, lang.locale)
                if m.id and is_unreviewed(m) and is_translated(m)]
    return out


def mark_reviewed(code: str, domains: set[str] | None = None) -> int:
    """A reviewer checked ``code`` (or only these catalogs): remove the unreviewed marks."""
    def drop(message: Message) -> None:
        message.user_comments = [c for c in message.user_comments if not c.strip().startswith("unreviewed")]
    return _edit_marks(code, domains, is_unreviewed, drop)


def _language(code: str):
    for lang in languages():
        if lang.code == code:
            return lang
    raise KeyError(f"unknown language {code!r}; languages: {', '.join(lang.code for lang in languages())}")


def _edit_marks(code: str, domains: set[str] | None, select, change) -> int:
    lang = _language(code)
    changed = 0
    for path in catalog_paths(lang.code):
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
