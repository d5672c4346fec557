"""Plural forms by meaning: every plural message, in every language, picks the form of the number's CLDR
category (zero, one, two, few, many, other) under the Babel installed — whatever order that Babel version
writes the forms in — and `kiezbot i18n update` moves translations with their category, or refuses.
"""
from __future__ import annotations

import gettext
import io
import shutil

import pytest
from babel import Locale
from babel.messages.pofile import read_po
from babel.support import Translations

import locales
from bot import cli
from locales import catalog_tool, languages

NUMBERS = (0, 1, 2, 3, 5, 11, 21, 22, 25, 100, 101, 102, 111)
LANGS = {lang.code: lang for lang in languages()}

# Arabic's rule as Babel 2.18 and Babel 2.19 write it: the same six categories, "many" and "other" swapped.
ARABIC_BABEL_2_18 = ("nplurals=6; plural=(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 : "
                     "n%100>=0 && n%100<=2 ? 4 : 5);")
ARABIC_BABEL_2_19 = ("nplurals=6; plural=(n == 0 ? 0 : n == 1 ? 1 : n == 2 ? 2 : n % 100 >= 3 && n % 100 <= 10 ? 3 "
                     ": n % 100 >= 11 && n % 100 <= 99 ? 4 : 5);")

# What a reader of each language expects for "{n} person" — written by hand, so these hold whatever order
# the catalog's forms are in.
PERSON = {
    "ar": {1: "شخص واحد", 2: "شخصان", 3: "3 أشخاص", 10: "10 أشخاص", 11: "11 شخصًا", 99: "99 شخصًا",
           100: "100 شخص", 102: "102 شخص", 103: "103 أشخاص", 111: "111 شخصًا"},
    "ru": {1: "1 человек", 2: "2 человека", 5: "5 человек", 11: "11 человек", 21: "21 человек",
           22: "22 человека", 25: "25 человек", 111: "111 человек"},
    "uk": {1: "1 особа", 2: "2 особи", 5: "5 осіб", 11: "11 осіб", 21: "21 особа", 22: "22 особи", 111: "111 осіб"},
    "pl": {1: "1 osoba", 2: "2 osoby", 5: "5 osób", 12: "12 osób", 21: "21 osób", 22: "22 osoby"},
    "ro": {1: "1 persoană", 2: "2 persoane", 19: "19 persoane", 20: "20 de persoane", 101: "101 persoane",
           120: "120 de persoane"},
    "bg": {1: "1 човек", 2: "2 души", 21: "21 души"},
    "de": {1: "1 Person", 2: "2 Personen", 0: "0 Personen"},
    "tr": {1: "1 kişi", 2: "2 kişi"},
}


def _plural_messages(code: str):
    lang = LANGS[code]
    for path in catalog_tool.po_paths(code):
        catalog = catalog_tool.read_catalog(path, lang.locale)
        for message in catalog:
            if message.id and message.pluralizable:
                yield path.stem, catalog, message


@pytest.mark.parametrize("code", sorted(locales.offered_codes()))
def test_every_plural_message_picks_the_form_of_the_numbers_category(code):
    """Each catalog as kiezbot compiles it at start-up (header included) against Babel's CLDR categories."""
    lang = LANGS[code]
    category = Locale.parse(lang.locale).plural_form
    checked = 0
    for domain, catalog, message in _plural_messages(code):
        path = locales.ROOT / code / "LC_MESSAGES" / f"{domain}.po"
        translations = Translations(io.BytesIO(locales._mo_bytes(path, code, lang.locale)), domain=domain)
        # Which form stands for which category, read from the catalog's own header and today's CLDR data:
        # raises (and fails the test) when the header and CLDR disagree.
        forms = catalog_tool.form_categories(catalog.plural_forms, lang.locale)
        for n in NUMBERS:
            chosen = translations.ngettext(message.id[0], message.id[1], n)
            wanted = message.string[forms.index(category(n))]
            assert chosen == wanted, f"{code}/{domain}: {message.id[0]!r} for n={n} ({category(n)})"
            checked += 1
    assert checked >= 20 * len(NUMBERS)


@pytest.mark.parametrize("code", sorted(PERSON))
def test_people_are_counted_as_a_reader_of_the_language_expects(code):
    translations = locales.load_catalogs().translations(code)
    for n, expected in PERSON[code].items():
        assert translations.ngettext("{n} person", "{n} people", n).format(n=n) == expected, n


def test_arabic_reads_the_same_under_either_babel_versions_header():
    assert catalog_tool.form_categories(ARABIC_BABEL_2_18, "ar") == ("zero", "one", "two", "few", "other", "many")
    assert catalog_tool.form_categories(ARABIC_BABEL_2_19, "ar") == ("zero", "one", "two", "few", "many", "other")


def _person_in(catalog) -> dict[int, str]:
    message = catalog.get(("{n} person", "{n} people"))
    if message is None:
        message = next(m for m in catalog if m.pluralizable and m.id[0] == "{n} person")
    choose = gettext.c2py(catalog_tool.parse_plural_forms(catalog.plural_forms)[1])
    return {n: message.string[choose(n)].format(n=n) for n in (11, 100)}


@pytest.mark.parametrize("start, target", [(ARABIC_BABEL_2_18, ARABIC_BABEL_2_19),
                                           (ARABIC_BABEL_2_19, ARABIC_BABEL_2_18)])
def test_a_new_header_moves_every_translation_with_its_category(start, target):
    path = locales.ROOT / "ar" / "LC_MESSAGES" / "events.po"
    catalog = catalog_tool.read_catalog(path, "ar")
    catalog_tool._set_plural_forms(catalog, start, "ar")
    assert _person_in(catalog) == {11: "11 شخصًا", 100: "100 شخص"}
    catalog_tool._set_plural_forms(catalog, target, "ar")
    assert _person_in(catalog) == {11: "11 شخصًا", 100: "100 شخص"}
    buf = io.BytesIO()
    catalog_tool.write_po(buf, catalog)
    reread = read_po(io.BytesIO(buf.getvalue()), locale="ar")
    assert _person_in(reread) == {11: "11 شخصًا", 100: "100 شخص"}


def test_update_refuses_a_rule_with_other_categories_and_changes_nothing(tmp_path, monkeypatch, capsys):
    copy = tmp_path / "locales"
    shutil.copytree(locales.ROOT, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(catalog_tool, "ROOT", copy)
    before = {p: p.read_bytes() for p in copy.rglob("*.po")}
    real = catalog_tool.plural_forms
    monkeypatch.setattr(catalog_tool, "plural_forms",
                        lambda code: "nplurals=2; plural=(n != 1);" if code == "ru" else real(code))
    with pytest.raises(catalog_tool.PluralRuleChange, match=r"ru/LC_MESSAGES/\w+\.po: .*Nothing was changed"):
        catalog_tool.update()
    assert {p: p.read_bytes() for p in copy.rglob("*.po")} == before

    assert cli.main(["i18n", "update"]) == cli.EXIT_CONFIG
    err = capsys.readouterr().err
    assert "kiezbot i18n update: ru/LC_MESSAGES/" in err and "a translator has to write the forms" in err
    assert "Traceback" not in err
    assert {p: p.read_bytes() for p in copy.rglob("*.po")} == before


def test_a_header_that_mixes_categories_is_named_as_such():
    with pytest.raises(catalog_tool.PluralRuleChange, match="form 0 is chosen for numbers of the categories"):
        catalog_tool.form_categories("nplurals=2; plural=(n > 1);", "ru")
