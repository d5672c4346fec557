"""Normalising what residents type: folding, street keys and the tokens of a message.
Part of :mod:`dialogs.office.addresses` (see its docstring, steps 1 and 2)."""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz.distance import OSA

MAX_TEXT = 300             # longer messages are cut (a resident's address is short)


# --------------------------------------------------------------------------------------------------
# Normalisation

_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_DROP = str.maketrans({"ä": "a", "ö": "o", "ü": "u", "ß": "ss"})
_UMLAUTS = frozenset("äöü")          # where _FOLD and _DROP differ
_TOKEN = re.compile(r"[a-z]+|[0-9]+")
_PL_DOT = re.compile(r"pl\.(?![a-z])")
_STR_ENDINGS = ("strasse", "strase", "strsse")
# a word ending in one of these looks like a street ("Badstr", "Leopoldplatz") …
_STREET_WORDS = ("str", "platz", "allee", "weg", "damm", "ufer", "chaussee", "gasse", "pfad", "steig",
                 "promenade", "zeile", "bruecke")
# … these alone are no name ("Markt" in "wann ist der nächste Markt")
_GENERIC = frozenset(_STREET_WORDS + ("markt", "ring", "steg", "stieg", "graben", "anger", "winkel", "kehre"))
# … and these count as a street word on their own after another word ("Osloer Straße")
_STANDALONE = frozenset({"str", "platz", "allee", "damm", "chaussee"})
_NOISE = frozenset({"nr", "hausnr", "hausnummer", "no"})
_STOP_AT_END = frozenset({"berlin", "germany", "deutschland", "bitte", "please"})
_ALIASES = {"kudamm": "Kurfürstendamm"}
_ORTSTEIL_ALIASES = {"Gesundbrunnen": ("wedding",)}   # colloquially Gesundbrunnen is "Wedding"


def fold(text: str, table: dict[int, str] = _FOLD) -> str:
    """Casefold; umlauts → ae/oe/ue (or a/o/u with ``_DROP``); ß → ss; other accents dropped."""
    s = unicodedata.normalize("NFC", text).casefold().translate(table)
    if not s.isascii():
        # Any script's decimal digits are house numbers ("Badstraße ١٠", "Badstraße ۱۰", "१०")
        s = "".join(str(unicodedata.digit(c)) if c.isdecimal() and not c.isascii() else c for c in s)
        s = "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))
    return s


def _canon(token: str) -> str:
    if token.isdecimal():
        return str(int(token))
    for ending in _STR_ENDINGS:
        if token.endswith(ending):
            return token[: -len(ending)] + "str"
    if token == "pl":
        return "platz"
    if len(token) >= 6 and token[-1] in "es":
        # "Wernerstreße", "Plancktraße", "Ansgarstaße", "Saraße": one slip in the "straße" itself, a swapped
        # pair counting as one ("Badsrtaße", "Pankstarße")
        for k in (7, 6, 8):
            if len(token) >= k and OSA.distance(token[-k:], "strasse", score_cutoff=1) <= 1:
                return token[:-k] + "str"
    return token


def _tokens(folded: str) -> list[str]:
    return [_canon(t) for t in _TOKEN.findall(_PL_DOT.sub("platz ", folded))]


def street_key(text: str, table: dict[int, str] = _FOLD) -> str:
    """The compact matching key: ``"Prinz-Eugen-Straße"`` and ``"prinz eugen str."`` → ``"prinzeugenstr"``."""
    return "".join(_tokens(fold(text, table)))


def _has_street_word(key: str) -> bool:
    return key not in _GENERIC and key.endswith(_STREET_WORDS)


def _street_word_present(items: Sequence[_Item]) -> bool:
    return any(it.number is None and (_has_street_word(it.text) or (
        it.text in _STANDALONE and k > 0 and items[k - 1].number is None)) for k, it in enumerate(items))


# --------------------------------------------------------------------------------------------------
# Parsing what was typed

@dataclass
class _Item:
    text: str                 # canonical token
    number: int | None        # for digit tokens
    joined: bool = False      # glued to the previous token by "-", "." or "'" (one word group: never split)
    suffix: str = ""
    ordinal: bool = False

    @property
    def key(self) -> str:
        return self.text + self.suffix.lower()


@dataclass
class _Parsed:
    items: list[_Item]
    postcode: str | None
    candidates: list[int]      # indexes of house-number candidates, most plausible first
    has_words: bool

    def starts(self, lo: int, hi: int) -> list[int]:
        """Positions in [lo, hi) where a window may start (not inside a hyphenated word group)."""
        return [k for k in range(max(lo, 0), hi) if k == 0 or not self.items[k].joined]

    def ends(self, lo: int, hi: int) -> list[int]:
        """Positions in (lo, hi] where a window may end."""
        n = len(self.items)
        return [k for k in range(lo + 1, min(hi, n) + 1) if k == n or not self.items[k].joined]

    def has_word(self, start: int, end: int) -> bool:
        return any(self.items[k].number is None for k in range(start, end))


def _parse(text: str) -> _Parsed:
    folded = _PL_DOT.sub("platz ", fold(text[:MAX_TEXT]))
    raw = [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(folded)]
    items: list[_Item] = []
    postcode: str | None = None
    i = 0
    previous_end = 0
    while i < len(raw):
        tok, start, end = raw[i]
        separator = folded[previous_end:start]
        joined = bool(separator) and i > 0 and not any(c.isspace() or c in ",;:/()" for c in separator)
        if tok.isdecimal():
            if len(tok) == 5 and tok[0] == "1":
                postcode = postcode or tok
            elif len(tok) <= 4 and int(tok) > 0:
                item = _Item(str(int(tok)), int(tok), joined)
                nxt = raw[i + 1] if i + 1 < len(raw) else None
                if (nxt and len(nxt[0]) == 1 and nxt[0].isalpha() and not folded[end:nxt[1]].strip()
                        and (i + 2 >= len(raw) or raw[i + 2][1] > nxt[2])):
                    item.suffix = nxt[0].upper()       # "10a", "10 A"
                    end = nxt[2]
                    i += 1
                if folded[end:end + 1] == "." and i + 1 < len(raw) and raw[i + 1][0].isalpha():
                    item.ordinal = True                # "17. Juni"
                items.append(item)
        elif tok not in _NOISE:
            items.append(_Item(_canon(tok), None, joined))
        previous_end = end
        i += 1
    numbers = [k for k, it in enumerate(items) if it.number is not None]
    candidates = [k for k in numbers if not items[k].ordinal] + [k for k in numbers if items[k].ordinal]
    return _Parsed(items, postcode, candidates, any(it.number is None for it in items))


def _key(items: Sequence[_Item]) -> str:
    return "".join(it.key for it in items)

