"""Every catalog names the key terms (Aktionsfonds, Quartiersrat, …) as locales/glossary.yaml decides,
and never by a rendering a native reader found wrong («фонд акций» is a stock fund)."""
from __future__ import annotations

import re

import pytest

from locales import languages, offered_codes, po_files
from locales.catalog_tool import read_catalog
from locales.glossary import check, glossary, review_fixes

CODES = sorted(lang.code for lang in languages())


def test_the_glossary_covers_the_key_terms_in_every_language_with_an_explanation():
    terms = glossary()
    assert {"Quartiersmanagement", "QM", "Vor-Ort-Büro", "Quartiersrat", "Aktionsfonds", "Aktionsfondsjury",
            "Frist", "Kiez"} <= set(terms)
    for term, entry in terms.items():
        re.compile(entry["source"])
        assert set(entry["languages"]) >= offered_codes(), f"{term}: languages missing"
        for code, rule in entry["languages"].items():
            assert rule.get("name") and rule.get("explain"), f"{term}/{code}: name and explain"
            for pattern in [rule.get("use") or "", *(rule.get("banned") or ())]:
                re.compile(pattern)


@pytest.mark.parametrize("code", CODES)
def test_every_catalog_uses_the_chosen_terms_and_no_banned_rendering(code):
    locale = next(lang.locale for lang in languages() if lang.code == code)
    problems = [str(v) for path in po_files(code) for m in read_catalog(path, locale) if m.id
                for v in check(code, path.stem, m)]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(("code", "wrong"), [("ru", "фонд акций"), ("uk", "фонду акцій"), ("pl", "funduszu akcji"),
                                             ("ro", "fondul de acțiuni"), ("ar", "صندوق الأنشطة"), ("tr", "Eylem Fonu")])
def test_the_renderings_named_in_the_review_are_gone(code, wrong):
    text = "".join(p.read_text(encoding="utf-8") for p in po_files(code))
    msgstrs = "".join(line for line in text.splitlines() if line.startswith(("msgstr", '"')))
    assert wrong.casefold() not in msgstrs.casefold()


def test_the_checker_finds_a_stock_fund():
    from babel.messages.catalog import Message
    found = check("ru", "ideas", Message("Aktionsfonds application", "Заявка в фонд акций"))
    assert [v.term for v in found] == ["Aktionsfonds", "Aktionsfonds"]      # not the rendering, and banned
    assert not check("ru", "ideas", Message("Aktionsfonds application", "Заявка в фонд инициатив (Aktionsfonds)"))


def test_review_fixes_name_a_language_and_what_to_change():
    for fix in review_fixes():
        if "rename" in fix:
            assert fix["to"], fix
            continue
        assert fix["lang"] in CODES and ("replace" in fix and ("find" in fix or "pattern" in fix) or "msgstr" in fix), fix


def test_the_review_guide_documents_address_and_a_log_line_for_every_language():
    from pathlib import Path
    text = (Path(__file__).resolve().parent.parent / "locales" / "REVIEW.md").read_text(encoding="utf-8")
    assert "kiezbot i18n unreviewed" in text and "Poedit" in text and "Weblate" in text
    for code in offered_codes():
        assert text.count(f"\n| {code} |") >= 2, f"{code}: form of address and review log line"
