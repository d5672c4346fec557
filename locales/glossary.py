"""The glossary (``locales/glossary.yaml``) and the reviewed fixes (``locales/review-fixes.yaml``) as code.

:func:`violations` lists every catalog entry that breaks the glossary (used by tests/test_glossary.py);
:func:`apply` rewrites the catalogs: the glossary's ``fix`` rules, then the review fixes (exact
find/replace per language and msgid). Both are idempotent, so ``tools/apply-glossary`` can be re-run after
merging branches that brought new strings. A changed translation keeps (or gets) the translator comment
``# unreviewed (machine translation)``: a developer's fix is no native speaker's review (except in the
source languages German and English).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from babel.messages.catalog import Catalog, Message

ROOT = Path(__file__).resolve().parent
UNREVIEWED = "unreviewed (machine translation)"
SOURCE_LANGUAGES = ("de", "en")      # written by the developers, who review them as they write them
_PLACEHOLDER = re.compile(r"\{[^{}]*\}|<[^<>]*>")


@lru_cache(maxsize=1)
def glossary() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "glossary.yaml").read_text(encoding="utf-8"))["terms"]


@lru_cache(maxsize=1)
def review_fixes() -> list[dict[str, str]]:
    path = ROOT / "review-fixes.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8")) or [] if path.exists() else []


@dataclass(frozen=True)
class Violation:
    code: str
    catalog: str
    term: str
    msgid: str
    msgstr: str
    reason: str

    def __str__(self) -> str:
        return f"{self.code}/{self.catalog}.po [{self.term}] {self.reason}: {self.msgid[:60]!r} -> {self.msgstr[:90]!r}"


def texts(message: Message) -> tuple[list[str], list[str]]:
    ids = list(message.id) if isinstance(message.id, (tuple, list)) else [message.id]
    strs = list(message.string) if isinstance(message.string, (tuple, list)) else [message.string or ""]
    return [i for i in ids if i], [s or "" for s in strs]


def source_text(msgid: str) -> str:
    """The msgid without placeholders and markup: "{deadline}" is no mention of a deadline."""
    return _PLACEHOLDER.sub(" ", msgid)


def check(code: str, catalog: str, message: Message) -> list[Violation]:
    ids, strs = texts(message)
    if not ids or not any(strs):
        return []
    out = []
    for term, entry in glossary().items():
        rule = (entry.get("languages") or {}).get(code)
        if not rule or not any(re.search(entry["source"], source_text(i), re.I) for i in ids):
            continue
        for s in strs:
            if not s:
                continue
            if rule.get("use") and not re.search(rule["use"], s, re.I):
                out.append(Violation(code, catalog, term, ids[0], s, f"does not use «{rule['name']}»"))
            for banned in rule.get("banned") or ():
                if re.search(banned, s, re.I):
                    out.append(Violation(code, catalog, term, ids[0], s, f"uses banned «{banned}»"))
    return out


def _key(message: Message) -> str:
    ids, _ = texts(message)
    return ids[0] if ids else ""


def rename_msgids(catalog: Catalog) -> int:
    """Source strings the review changed (``{rename: old msgid, to: new msgid}``): the entry keeps its
    translation under the new msgid (the translation fixes for the new wording follow as ordinary fixes)."""
    renamed = 0
    for fix in review_fixes():
        if "rename" not in fix:
            continue
        old = catalog.get(fix["rename"])
        if old is None or catalog.get(fix["to"]) is not None:
            continue
        catalog.delete(fix["rename"])
        catalog.add(fix["to"], string=old.string, locations=old.locations, flags=old.flags,
                    auto_comments=old.auto_comments, user_comments=old.user_comments, context=old.context)
        renamed += 1
    return renamed


def fix_message(code: str, message: Message) -> bool:
    """Apply glossary fix rules and review fixes to one message; True when it changed."""
    ids, strs = texts(message)
    if not ids or not any(strs):
        return False
    new = list(strs)
    for entry in glossary().values():
        rule = (entry.get("languages") or {}).get(code) or {}
        for pattern, replacement in rule.get("fix") or ():
            new = [re.sub(pattern, replacement, s) for s in new]
    for fix in review_fixes():
        if fix.get("lang") != code:
            continue
        if "msgid" in fix and fix["msgid"] != ids[0]:
            continue
        if "find" in fix:
            new = [s.replace(fix["find"], fix["replace"]) for s in new]
        elif "pattern" in fix:
            new = [re.sub(fix["pattern"], fix["replace"], s) for s in new]
        elif "msgstr" in fix:
            values = fix["msgstr"] if isinstance(fix["msgstr"], list) else [fix["msgstr"]]
            new = list(values) if len(values) == len(new) else new
    if new == strs:
        return False
    message.string = tuple(new) if isinstance(message.string, (tuple, list)) else new[0]
    if code not in SOURCE_LANGUAGES and not any(c.strip().startswith("unreviewed") for c in message.user_comments):
        message.user_comments = [*message.user_comments, UNREVIEWED]
    return True
