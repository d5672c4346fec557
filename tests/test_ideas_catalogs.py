"""The translations of the ideas and moderation flows: complete, and safe to format and send as HTML."""
from __future__ import annotations

import re
import string

import pytest
from babel.messages.pofile import read_po

from locales import ROOT, languages

DOMAINS = ("ideas",)              # the ideas package: the resident flow, moderation and the rules
TAG = re.compile(r"</?[a-z]+>")


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def catalogs():
    for lang in languages():
        for domain in DOMAINS:
            yield pytest.param(lang, domain, id=f"{lang.code}-{domain}")


@pytest.mark.parametrize(("lang", "domain"), list(catalogs()))
def test_every_string_is_translated_with_the_same_placeholders_and_tags(lang, domain):
    with (ROOT / lang.code / "LC_MESSAGES" / f"{domain}.po").open("rb") as fh:
        catalog = read_po(fh, locale=lang.locale)
    values = {"n": 3, "max": 80, "minutes": 5, "cap": "1.500 €", "amount": "150 €", "ref": "BAD-2026-014",
              "title": "T", "text": "X", "name": "Dana", "date": "1.1.", "deadline": "1.1.", "time": "10:00",
              "when": "1.1.", "reason": "R", "kind": "K", "area": "A", "language": "L", "status": "S",
              "url": "U", "length": "5:01", "total": 2, "open": 1, "example": "/idea BAD-2026-014"}
    problems = []
    for message in catalog:
        if not message.id:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        forms = [message.string] if isinstance(message.string, str) else list(message.string)
        if not all(forms) or message.fuzzy:
            problems.append(f"untranslated: {ids[0]!r}")
            continue
        wanted = set().union(*(placeholders(i) for i in ids))
        found = set().union(*(placeholders(f) for f in forms))
        if isinstance(message.id, str) and found != wanted:
            problems.append(f"placeholders {found} != {wanted}: {ids[0]!r}")
        if not isinstance(message.id, str) and (not found <= wanted or not (wanted - {"n"}) <= found):
            problems.append(f"plural placeholders {found} vs {wanted}: {ids[0]!r}")
        for form in forms:
            if sorted(TAG.findall(form)) != sorted(TAG.findall(ids[0])):
                problems.append(f"tags differ: {form!r}")
            form.format(**{name: values.get(name, "X") for name in placeholders(form)})   # formats without error
    assert problems == []


def test_einfache_sprache_uses_short_sentences_and_no_abbreviations():
    too_long, abbreviations = [], []
    for domain in DOMAINS:
        with (ROOT / "de_simple" / "LC_MESSAGES" / f"{domain}.po").open("rb") as fh:
            catalog = read_po(fh, locale="de")
        for message in catalog:
            forms = [message.string] if isinstance(message.string, str) else list(message.string)
            for form in forms:
                if re.search(r"\b(z\. ?B\.|bzw\.|ggf\.|usw\.|d\. ?h\.|u\. ?a\.)", form):
                    abbreviations.append(form)
                for sentence in re.split(r"[.!?:\n]", TAG.sub("", form)):
                    if len(sentence.split()) > 15:
                        too_long.append(sentence.strip())
    assert abbreviations == [] and too_long == []
