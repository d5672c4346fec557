"""Compiled catalogs are cached by the .po file's content: an edit is seen at the next start."""
from __future__ import annotations

import io

import locales
from babel.support import Translations

PO = '''msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"

msgid "Hello"
msgstr "{}"
'''


def translate(data: bytes) -> str:
    return Translations(io.BytesIO(data), domain="greeting").gettext("Hello")


def test_the_cache_follows_the_po_file(tmp_path, monkeypatch):
    monkeypatch.setattr(locales, "CACHE", tmp_path / "cache")
    po = tmp_path / "greeting.po"
    po.write_text(PO.format("Hallo"), encoding="utf-8")
    assert translate(locales._mo_bytes(po, "de", "de_DE")) == "Hallo"
    assert len(list((tmp_path / "cache").glob("de.greeting.*.mo"))) == 1

    def no_parsing(*args, **kwargs):
        raise AssertionError("an unchanged .po file was parsed again")

    monkeypatch.setattr(locales, "read_po", no_parsing)
    assert translate(locales._mo_bytes(po, "de", "de_DE")) == "Hallo"      # from the cache
    monkeypatch.undo()
    monkeypatch.setattr(locales, "CACHE", tmp_path / "cache")

    po.write_text(PO.format("Servus"), encoding="utf-8")                   # edited: compiled again
    assert translate(locales._mo_bytes(po, "de", "de_DE")) == "Servus"
    assert len(list((tmp_path / "cache").glob("de.greeting.*.mo"))) == 1    # the old one is gone


def test_an_unwritable_cache_only_costs_time(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setattr(locales, "CACHE", blocker / "cache")
    po = tmp_path / "greeting.po"
    po.write_text(PO.format("Merhaba"), encoding="utf-8")
    assert translate(locales._mo_bytes(po, "tr", "tr_TR")) == "Merhaba"


def test_cached_catalogs_translate_like_fresh_ones(tmp_path, monkeypatch):
    monkeypatch.setattr(locales, "CACHE", tmp_path / "cache")
    fresh = {code: t for code, (_, t) in locales.load_catalogs.__wrapped__().by_code.items()}   # compiled
    again = {code: t for code, (_, t) in locales.load_catalogs.__wrapped__().by_code.items()}   # cached
    assert len(fresh) >= 9
    for code, translations in fresh.items():
        assert translations._catalog == again[code]._catalog, code
