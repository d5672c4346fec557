"""Berlin street names written in Cyrillic or Arabic script, back to the Latin letters of the address list.

Residents who read Russian, Ukrainian, Bulgarian or Arabic often write a German street as they hear it:
«Бадштрассе 10», «Свинемюндер штрассе 64», «بادشتراسه ١٠». :func:`to_latin` spells such text the German way
(ш → sch, ю → ü, х → ch, ц → z, в → w; ش → sch, final ه → e, short vowels missing), and turns the "scht"
a German "st" is heard as back into "st" ("schtrasse" → "strasse", "Schpandau" → "Spandau"). The result
goes through the normal matching (exact keys, then rapidfuzz), which absorbs what is left (missing
Arabic short vowels, "Колоништрассе" for Koloniestraße). Arabic has no "p": :func:`p_variant` gives the
spellings with "p" for "b" and "o" for "u" (:func:`variants`), tried when the first finds no street
(«بانكشتراسه» → Pankstraße, «كولونيشتراسه» → Koloniestraße).
"""
from __future__ import annotations

import re

_CYRILLIC = {
    "а": "a", "б": "b", "в": "w", "г": "g", "ґ": "g", "д": "d", "е": "e", "ё": "ö", "є": "je", "ж": "sch", "з": "s",
    "и": "i", "і": "i", "ї": "ji", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "ch", "ц": "z", "ч": "tsch", "ш": "sch", "щ": "schtsch", "ъ": "",
    "ы": "i", "ь": "", "э": "e", "ю": "ü", "я": "ja",
}
_ARABIC = {
    "ا": "a", "أ": "a", "إ": "i", "آ": "a", "ٱ": "a", "ب": "b", "پ": "p", "ت": "t", "ث": "s", "ج": "g", "چ": "tsch",
    "ح": "h", "خ": "ch", "د": "d", "ذ": "s", "ر": "r", "ز": "s", "س": "s", "ش": "sch", "ص": "s", "ض": "d", "ط": "t",
    "ظ": "s", "ع": "", "غ": "g", "ف": "f", "ڤ": "w", "ق": "k", "ك": "k", "گ": "g", "ل": "l", "م": "m", "ن": "n",
    "ه": "h", "ة": "e", "و": "u", "ي": "i", "ى": "a", "ء": "", "ؤ": "u", "ئ": "i", "ـ": "",
}
_TABLE = str.maketrans({**_CYRILLIC, **{k.upper(): v for k, v in _CYRILLIC.items() if k.upper() != k}, **_ARABIC})
_ARABIC_STREET_NAME = re.compile(r"(?:ال)?شارع\s+([\u0600-\u06ff]+)")
_FINAL_HEH = re.compile(r"ه(?=\s|$|[^\w])")
_ARABIC_STREET = re.compile(r"(?:^|\s)(?:ال)?شارع(?=\s|$)")        # "شارع باد ١٠": the word "street" itself
_SCHT = re.compile(r"sch(?=t[rs]|p)|(?<=[a-z])scht(?=r)")
_HAS_FOREIGN = re.compile(r"[\u0400-\u04ff\u0600-\u06ff]")
_FIRST_B = re.compile(r"\bb")


def needs_transliteration(text: str) -> bool:
    return bool(_HAS_FOREIGN.search(text))


def to_latin(text: str) -> str:
    """«Бадштрассе 10» → "Badstrasse 10"; text without Cyrillic or Arabic letters is returned unchanged."""
    if not needs_transliteration(text):
        return text
    text = _ARABIC_STREET_NAME.sub(r"\1 strasse", text)      # "شارع باد ١٠" ("street Bad") → "bad strasse"
    text = _ARABIC_STREET.sub(" ", text)
    text = _FINAL_HEH.sub("e", text)
    latin = text.translate(_TABLE).casefold()
    return _SCHT.sub("s", latin).replace("sstr", "str").strip()


def variants(latin: str, arabic: bool) -> list[str]:
    """Other readings of an Arabic-script spelling: "p" for a word-initial "b" (ب is both), "o" for "u"
    (و is both), and the two together; Cyrillic spells both apart, so it has none."""
    if not arabic:
        return []
    out = []
    p = _FIRST_B.sub("p", latin, count=1)
    o = latin.replace("u", "o")
    for candidate in (p, o, p.replace("u", "o")):
        if candidate != latin and candidate not in out:
            out.append(candidate)
    return out


def is_arabic(text: str) -> bool:
    return bool(re.search(r"[\u0600-\u06ff]", text))
