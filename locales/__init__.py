"""Gettext catalogs of kiezbot, one folder per language and one ``.po`` file per dialog module.

The ``.po`` files are the only source: they are compiled when kiezbot starts (no ``.mo`` files to
forget to rebuild). Parsing all 160 of them takes a quarter of a second, so the compiled form is kept in
``locales/__pycache__/catalogs/`` under the hash of the ``.po`` file's bytes, the way Python keeps
bytecode: an edited ``.po`` has another hash and is compiled again; an unwritable folder means no cache.
One catalog file per feature package (``dialogs/office/`` -> ``office.po``) lets several people translate different flows at the same time.

Beside the catalogs live the phrase lists for free text (``<lang>/intents.yaml``) and the table that
routes an understood intent to a command (``intents.yaml``); see :mod:`dialogs.intents.resident_flow`.
"""
from __future__ import annotations

import gettext
import hashlib
import io
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import babel
import yaml
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from dialogs.core.i18n import Language

ROOT = Path(__file__).resolve().parent
DEFAULT_LANGUAGE = "de"


@lru_cache(maxsize=1)
def languages() -> tuple[Language, ...]:
    entries = yaml.safe_load((ROOT / "languages.yaml").read_text(encoding="utf-8"))
    return tuple(Language(code=e["code"], name=e["name"], locale=e["locale"], rtl=bool(e.get("rtl")))
                 for e in entries)


@lru_cache(maxsize=1)
def offered_codes() -> frozenset[str]:
    entries = yaml.safe_load((ROOT / "languages.yaml").read_text(encoding="utf-8"))
    return frozenset(e["code"] for e in entries if e.get("offered", True))


def po_files(code: str) -> list[Path]:
    return sorted((ROOT / code / "LC_MESSAGES").glob("*.po"))


CACHE = ROOT / "__pycache__" / "catalogs"


def _mo_bytes(path: Path, code: str, locale: str) -> bytes:
    """The compiled catalog of one .po file, from the cache when the file is unchanged."""
    source = path.read_bytes()
    digest = hashlib.sha256(source + f"|{locale}|{babel.__version__}".encode()).hexdigest()[:20]
    cached = CACHE / f"{code}.{path.stem}.{digest}.mo"
    try:
        return cached.read_bytes()
    except OSError:
        pass
    catalog = read_po(io.BytesIO(source), locale=locale)
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    data = buf.getvalue()
    try:
        CACHE.mkdir(parents=True, exist_ok=True)
        for old in CACHE.glob(f"{code}.{path.stem}.*.mo"):
            old.unlink(missing_ok=True)
        tmp = cached.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, cached)                 # atomic: a concurrent start reads all or nothing
    except OSError:
        pass                                    # read-only install: compile at every start
    return data


def _compile(code: str, locale: str) -> gettext.NullTranslations:
    merged: Translations | None = None
    for path in po_files(code):
        part = Translations(io.BytesIO(_mo_bytes(path, code, locale)), domain=path.stem)
        if merged is None:
            merged = part
        else:
            merged.merge(part)
    return merged if merged is not None else gettext.NullTranslations()


@dataclass(frozen=True)
class Catalogs:
    by_code: dict[str, tuple[Language, gettext.NullTranslations]]

    def language(self, code: str | None) -> Language:
        return self.by_code.get(code or "", self.by_code[DEFAULT_LANGUAGE])[0]

    def translations(self, code: str) -> gettext.NullTranslations:
        return self.by_code.get(code, self.by_code[DEFAULT_LANGUAGE])[1]

    @property
    def languages(self) -> list[Language]:
        return [lang for lang, _ in self.by_code.values()]

    def intents(self) -> dict:
        """Routing table and phrase lists for :class:`dialogs.intents.resident_flow.IntentMatcher`."""
        return intent_data()


@lru_cache(maxsize=1)
def intent_data() -> dict:
    """``{"routes": …, "languages": {code: {"phrases": …, "examples": …}}}`` from the YAML files.

    Phrases of every listed language are used, offered or not: a resident may write in any of them.
    """
    routes = yaml.safe_load((ROOT / "intents.yaml").read_text(encoding="utf-8")) or {}
    per_language = {}
    for lang in languages():
        path = ROOT / lang.code / "intents.yaml"
        if path.exists():
            per_language[lang.code] = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {"routes": routes, "languages": per_language}


@lru_cache(maxsize=1)
def load_catalogs(all_languages: bool = False) -> Catalogs:
    """The catalogs of the languages offered to residents (``all_languages``: also unfinished ones)."""
    offered = offered_codes()
    return Catalogs({lang.code: (lang, _compile(lang.code, lang.locale)) for lang in languages()
                     if all_languages or lang.code in offered})
