"""What an anonymised submission keeps of the text a resident typed: the idea, not how to reach them.

When a resident erases their data (or retention unlinks a decided submission), the title, the text and
what the team wrote about it stay with the council — with these replaced by :data:`MASK`:

* **phone numbers**: a run of 7 to 15 digits, with spaces, ``-``, ``/``, ``.`` or brackets between them,
  optionally after ``+`` (``0176 5550 9731``, ``+49 (30) 555-09731``, ``030/5550973``); dates
  (``01.03.2027``), amounts with thousands separators (``1.500.000``), year ranges (``2026-2027``) and
  numbers glued to letters (``BAD-2026-014``) and a house number before a Berlin postcode are not
  phone numbers;
* **e-mail addresses** and **Telegram user names** (``@name``, 5 or more characters);
* **IBANs** (``DE89 3704 0044 0532 0130 00``);
* **the resident's own names** (from their Telegram profile and the names they gave for sign-ups):
  the whole name and each of its words of three or more letters, as whole words, in any case.

Street addresses stay: in an idea they usually name the place it is about.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

MASK = "***"

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
_HANDLE = re.compile(r"(?<![\w@.])@[A-Za-z]\w{4,31}\b")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,4})?\b")
# A digit run with separators; checked further in _phone().
_NUMBER = re.compile(r"(?<![\w.,/-])(?:\+|00)?\(?\d[\d \-/.()]*\d\)?(?![\w])")
_DATE = re.compile(r"\d{1,2}\.\d{1,2}\.(?:\d{2}|\d{4})")
_THOUSANDS = re.compile(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?")
_YEARS = re.compile(r"(?:19|20)\d\d\s*[-/–]\s*(?:19|20)?\d\d")
_HOUSE_POSTCODE = re.compile(r"\d{1,4}\s+1[0-4]\d{3}")          # "Badstraße 10 13357 Berlin"


def _phone(match: re.Match[str]) -> str:
    candidate = match.group(0)
    core = candidate.strip("() ")
    digits = sum(ch.isdigit() for ch in candidate)
    if not 7 <= digits <= 15:
        return candidate
    if any(p.fullmatch(core) for p in (_DATE, _THOUSANDS, _YEARS, _HOUSE_POSTCODE)):
        return candidate
    if " " in core and not any(sep in core for sep in "-/()+") and not core.startswith("0"):
        # "3 10 2027" or "2 500 000": separate numbers, unless it looks like a dialled number (0…)
        groups = core.split()
        if all(len(g) <= 3 for g in groups[1:]) or any(len(g) == 4 and g[:2] in ("19", "20") for g in groups):
            return candidate
    return MASK


def _name_patterns(names: Iterable[str]) -> list[re.Pattern[str]]:
    words: set[str] = set()
    for name in names:
        name = " ".join((name or "").split())
        if len(name) >= 3:
            words.add(name)
        words.update(w for w in re.split(r"[\s,.;:()\"'«»„“”-]+", name) if len(w) >= 3)
    # Longest first, so that "Ada Lovelace" goes as one before "Ada" and "Lovelace" would.
    return [re.compile(r"(?<!\w)" + re.escape(w) + r"(?!\w)", re.IGNORECASE)
            for w in sorted(words, key=len, reverse=True)]


def mask_personal(text: str, names: Iterable[str] = ()) -> str:
    """``text`` with phone numbers, e-mail addresses, user names, IBANs and ``names`` replaced by ***."""
    if not text:
        return text
    text = _EMAIL.sub(MASK, text)
    text = _IBAN.sub(MASK, text)
    text = _HANDLE.sub(MASK, text)
    text = _NUMBER.sub(_phone, text)
    for pattern in _name_patterns(names):
        text = pattern.sub(MASK, text)
    return text


__all__ = ["MASK", "mask_personal"]
