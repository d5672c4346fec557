"""From what a resident types to an official Berlin address and the QM area it lies in.

Pure: standard library and rapidfuzz only (no Telegram, SQL or scheduler). The address data come in
through the :class:`AddressBook` port, the area mapping as an :class:`AreaMap`.

How :func:`resolve` reads a message
-----------------------------------
1. **Normalise** (:func:`fold`, :func:`street_key`): casefold, ``ß``→``ss``, ``ä/ö/ü``→``ae/oe/ue``, other
   accents dropped; a word ending in ``strasse`` (or one slip away from it: "strase", "staße", "straße" typed
   as "strasse", "Plancktraße") ends in ``str`` instead, so "Straße", "Str.", "str" and the attached forms
   ("Badstr") agree; "pl." / "pl" → ``platz``; spaces, hyphens, dots and apostrophes vanish
   ("Prinz Eugen Str" = "Prinz-Eugen-Straße" = ``prinzeugenstr``). The keys of all official names are
   computed once per :class:`StreetIndex`, which is cached on the book.
2. **Tokenise**: letters and digits split ("badstr10a" → ``badstr`` ``10`` ``a``). A 5-digit number starting
   with 1 is the postcode. A number of 1-4 digits is a house-number candidate; a single letter right after it
   is its suffix ("10a", "10 A"). A number followed by a dot and a word ("17. Juni") is an ordinal and is
   tried as house number only after the others. "Nr", "Hausnummer" are dropped. Words glued by "-", "." or
   "'" form a group that a street window never splits ("Kaiserin-Augusta-…" is not "Augustastraße").
3. **Find the street**, first pass that hits wins:
   a. exact key of the words right before a house-number candidate, longest first; official names, then
      other spellings (umlaut without e: "Mullerstr"; "Kudamm"), then a "…straße" name without its
      "straße" ("Osloer 12"). An exact hit with more words before it is checked once against a longer,
      mistyped name ending in it ("Stakener Feldstraße" → Staakener Feldstraße);
   b. exact key anywhere ("129 Koloniestraße", "Badstraße bitte"); a one-word hit without a street word
      (str/platz/allee/weg/damm/…) counts only if it is all the text says ("Markt" in a sentence does not);
   c. fuzzy: rapidfuzz ``fuzz.ratio`` on the precomputed keys (``processor=None``), for windows of up to 4
      word groups before each number (or at the end of a text without number), keys bucketed by first
      letter; only if no bucket comes near is the whole list scanned once (first letter mistyped). Cut-off
      82 when there is a number, postcode or street word, else 90, so "asdf" and "hallo" find nothing. An
      exact key always wins over a near one, so a street elsewhere in Berlin is never bent onto a look-alike
      in Wedding. Found.street_exact tells the bot to show the official name it understood.
4. **Places**: the rows of a name are grouped by Ortsteil, and groups are merged into one *place* (one
   physical street) when their addresses (number+suffix) do not overlap and they share a postcode or the
   Bezirk: Brunnenstraße (Mitte 10115/10119 + Gesundbrunnen 13355) is one place; Koloniestraße in
   Gesundbrunnen and in Lichterfelde (both have no. 1…) are two. Known limits: a street crossing a Bezirk
   border without a shared postcode (Karl-Marx-Allee Mitte/Friedrichshain, Friedrichstraße Mitte/Kreuzberg)
   stays two places, and two same-named streets of one Bezirk with disjoint numbers merge (Potsdamer Straße
   Lichtenrade + Schöneberg). With a house number neither matters: the number exists in one place only.
5. **Decide** (:func:`_decide`): a postcode, then Ortsteil words ("Wedding" also means Gesundbrunnen), narrow
   the places when they match one. With a number: the places where it exists — one → :class:`Found`,
   several → :class:`ChooseStreet`; none → the nearest existing number on the same side (same parity), at
   most ``NEAR_DISTANCE`` away → Found with ``number_exact=False``; none near either → if the number exists
   in a place the postcode/Ortsteil excluded, ChooseStreet between them; else as without a number
   (``tried_number``/``typed_number`` say which number failed). Without a number: several places →
   ChooseStreet; one place → Found (representative: lowest number, ``number_exact=False``) when all its
   addresses give the same area-or-outside, else :class:`NeedNumber`.
   A name without numbered addresses (284 squares, islands … in the 2023 list) → NoStreet.
"""
from __future__ import annotations

import re
import unicodedata
import weakref
from bisect import bisect_left, bisect_right
from collections import OrderedDict, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import groupby
from operator import attrgetter
from typing import Any, NamedTuple, Protocol

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA, Levenshtein

from dialogs.office.transliterate import is_arabic, needs_transliteration, to_latin, variants

__all__ = [
    "NEAR_DISTANCE", "AddressBook", "AddressRow", "AreaMap", "AreaOverride", "ChooseStreet", "Found",
    "NeedNumber", "NoStreet", "NotAnAddress", "Resolution", "StreetIndex", "StreetOption",
    "address_row_from_record", "fold", "parse_ranges", "resolve", "resolve_choice", "street_key",
]

NEAR_DISTANCE = 6          # nearest existing number on the same side: at most 3 houses away
MATCH_CUTOFF = 82.0        # fuzzy score (0-100) when the text has a house number or a street word
MATCH_CUTOFF_BARE = 90.0   # … when it has neither (a lone word is rarely an address)
SUGGEST_CUTOFF = 60.0      # NoStreet suggestions
STRONG_SUGGESTION = 75.0   # a sentence with a number and a street this close is still "no street"
CONFIDENT = 95.0           # a fuzzy hit below this that leads outside our areas is a "did you mean"
EXTEND_CUTOFF = 85.0       # an exact hit is the tail of a longer mistyped name ("Stakener Feldstraße")
MAX_TEXT = 300             # longer messages are cut (a resident's address is short)


# --------------------------------------------------------------------------------------------------
# Data

class AddressRow(NamedTuple):
    """One official address.

    A named tuple, not a dataclass: a street's rows are built in bulk when a resident asks for it
    (Hauptstraße has 1,236), and a tuple is built three times faster and is half the size.
    """

    street: str            # official name, e.g. "Prinz-Eugen-Straße"
    number: int
    suffix: str            # "" or "A"
    postcode: str          # "13347"
    ortsteil: str          # "Wedding"
    plr_id: str            # "01401043"
    plr_name: str


def address_row_from_record(rec: Mapping[str, str], keep_unnumbered: bool = False) -> AddressRow | None:
    """A row of ``adressen.csv.gz`` (columns hnr, hnr_zusatz, str_name, plz, ort_name, PLR_NAME, PLR_ID).

    The 296 records without a house number (squares such as Nettelbeckplatz or Leopoldplatz, islands …)
    give None, as in ``storage.seed`` — or, with ``keep_unnumbered``, a row with ``number=0``, which
    :func:`resolve` understands as "the street itself" (never matched by a typed number).
    """
    hnr = (rec.get("hnr") or "").strip()
    if hnr.isdecimal() and int(hnr) > 0:
        number = int(hnr)
    elif not hnr and keep_unnumbered:
        number = 0
    else:
        return None
    return AddressRow(street=rec["str_name"].strip(), number=number,
                      suffix=(rec.get("hnr_zusatz") or "").strip().upper(), postcode=rec["plz"].strip(),
                      ortsteil=rec["ort_name"].strip(), plr_id=rec["PLR_ID"].strip().zfill(8),
                      plr_name=rec["PLR_NAME"].strip())


class AddressBook(Protocol):
    def street_names(self) -> Sequence[str]: ...            # the ~9.8k distinct official street names
    async def addresses(self, street: str) -> Sequence[AddressRow]: ...   # every address of that name


# --------------------------------------------------------------------------------------------------
# Areas

_RANGE = re.compile(r"^(\d{1,5})(?:\s*[-–—]\s*(\d{1,5}))?$")


def parse_ranges(text: str | int) -> tuple[tuple[int, int], ...]:
    """``"17-34, 119-143"`` → ``((17, 34), (119, 143))``; ``"5"`` → ``((5, 5),)``. Inclusive, any parity.

    Raises ValueError with a message staff can act on for empty text, words, ``0``, backwards ranges
    ("34-17") or stray commas.
    """
    source = "" if text is None else str(text).strip()
    if not source:
        raise ValueError("no house numbers given; write e.g. '17-34, 119-143' or '5'")
    ranges: list[tuple[int, int]] = []
    for part in re.split(r"[,;]", source):
        item = part.strip()
        if not item:
            raise ValueError(f"empty entry in house numbers {source!r} (a doubled or trailing comma?)")
        m = _RANGE.match(item)
        if not m:
            raise ValueError(f"{item!r} in {source!r} is neither a house number nor a range like '17-34' "
                             "(suffix letters are not allowed: a range covers every suffix)")
        low = int(m.group(1))
        high = int(m.group(2)) if m.group(2) else low
        if low < 1:
            raise ValueError(f"{item!r} in {source!r}: house numbers start at 1")
        if low > high:
            raise ValueError(f"{item!r} in {source!r} runs backwards: {low} is greater than {high}; "
                             f"write '{high}-{low}'")
        ranges.append((low, high))
    return tuple(ranges)


@dataclass(frozen=True)
class AreaOverride:
    """Those house numbers of that street (in that postcode, if given) belong to ``area_key``."""

    area_key: str
    street: str                   # official spelling, exactly as in the address list
    postcode: str | None
    ranges: tuple[tuple[int, int], ...]

    def covers(self, row: AddressRow) -> bool:
        if row.street != self.street or (self.postcode and row.postcode != self.postcode):
            return False
        return any(low <= row.number <= high for low, high in self.ranges)


@dataclass(frozen=True)
class AreaMap:
    plr_to_area: Mapping[str, str]
    overrides: Sequence[AreaOverride] = ()
    _by_street: Mapping[str, tuple[AreaOverride, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_street: dict[str, list[AreaOverride]] = defaultdict(list)
        for override in self.overrides:
            by_street[override.street].append(override)
        object.__setattr__(self, "_by_street", {k: tuple(v) for k, v in by_street.items()})

    def area_for(self, row: AddressRow) -> str | None:
        """Override first (in the order given), then the row's planning area; None = outside."""
        for override in self._by_street.get(row.street, ()):
            if override.covers(row):
                return override.area_key
        return self.plr_to_area.get(row.plr_id)

    def may_touch(self, plr_ids: Iterable[str], street: str) -> bool:
        """Cheap test: could any address of this street (in these PLRs) lie in one of the areas?"""
        return street in self._by_street or any(p in self.plr_to_area for p in plr_ids)

    def unknown_override_streets(self, street_names: Iterable[str]) -> list[str]:
        """Override streets that are not official names (typos staff should fix: they never match)."""
        known = set(street_names)
        return sorted(s for s in self._by_street if s not in known)

    @classmethod
    def from_config(cls, data: Mapping[str, Any]) -> AreaMap:
        """From the parsed ``qm-areas.yaml`` (``areas: [{key, active?, plr_approx, overrides?}]``).

        Inactive areas (``active: false``) are skipped. A PLR claimed by two areas is an error.
        """
        plr_to_area: dict[str, str] = {}
        overrides: list[AreaOverride] = []
        for entry in data.get("areas") or []:
            if entry.get("active", True) is False:
                continue
            key = str(entry["key"])
            for plr in entry.get("plr_approx") or {}:
                plr = str(plr).strip().zfill(8)
                if plr_to_area.get(plr, key) != key:
                    raise ValueError(f"planning area {plr} is given to both {plr_to_area[plr]!r} and {key!r}")
                plr_to_area[plr] = key
            for o in entry.get("overrides") or []:
                try:
                    ranges = parse_ranges(o["numbers"])
                except ValueError as exc:
                    raise ValueError(f"area {key!r}, override for {o.get('street')!r}: {exc}") from None
                postcode = o.get("postcode")
                overrides.append(AreaOverride(key, str(o["street"]).strip(),
                                              str(postcode).strip() if postcode else None, ranges))
        return cls(plr_to_area, tuple(overrides))


# --------------------------------------------------------------------------------------------------
# Results

@dataclass(frozen=True)
class Found:
    row: AddressRow
    area_key: str | None           # None: in Berlin, outside our areas
    number_exact: bool             # False: no number typed, or the typed one does not exist (row = nearest)
    street_exact: bool = True      # False: the street name was matched fuzzily ("Bellermanstr")
    typed_number: int | None = None


@dataclass(frozen=True)
class NeedNumber:
    street: str
    ortsteil: str                  # the place label, pass it back to resolve_choice
    area_keys: frozenset[str]      # the areas the street touches
    outside: bool = False          # some of its addresses lie outside all areas
    tried_number: int | None = None  # the typed number, when it does not exist on this street


@dataclass(frozen=True)
class StreetOption:
    street: str
    ortsteil: str                  # label: one Ortsteil, or "Mitte / Gesundbrunnen" for a street crossing
    postcodes: tuple[str, ...]
    ortsteile: tuple[str, ...] = ()


@dataclass(frozen=True)
class ChooseStreet:
    options: tuple[StreetOption, ...]
    number: int | None = None      # what was typed, to pass on to resolve_choice
    suffix: str = ""


@dataclass(frozen=True)
class NoStreet:
    text: str
    suggestions: tuple[str, ...] = ()


@dataclass(frozen=True)
class NotAnAddress:
    pass


@dataclass(frozen=True)
class PostcodeAreas:
    """Only a postcode was typed: the areas with addresses of that postcode (and whether it reaches beyond)."""
    postcode: str
    area_keys: frozenset[str]
    outside: bool                  # some of its addresses lie outside all areas


Resolution = Found | NeedNumber | ChooseStreet | NoStreet | NotAnAddress | PostcodeAreas


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
# Street index and places

@dataclass(frozen=True)
class _Place:
    """One physical street: the rows of a street name in one Ortsteil or in neighbouring ones."""

    street: str
    ortsteile: tuple[str, ...]          # most addresses first
    postcodes: tuple[str, ...]
    rows: tuple[AddressRow, ...]        # by number, suffix, postcode
    numbers: tuple[int, ...]            # rows[k].number (sorted): bisected, no dict per street
    plr_ids: frozenset[str]
    hint_keys: frozenset[str]           # normalised Ortsteil names (and aliases) a resident may type

    @property
    def label(self) -> str:
        return " / ".join(self.ortsteile)

    def option(self) -> StreetOption:
        return StreetOption(self.street, self.label, self.postcodes, self.ortsteile)

    def has(self, number: int) -> bool:
        k = bisect_left(self.numbers, number)
        return k < len(self.numbers) and self.numbers[k] == number

    def with_number(self, number: int) -> tuple[AddressRow, ...]:
        return self.rows[bisect_left(self.numbers, number):bisect_right(self.numbers, number)]

    def nearest(self, number: int) -> int | None:
        """The closest existing number on the same side (same parity), lower one first on a tie."""
        for distance in range(2, NEAR_DISTANCE + 1, 2):
            for candidate in (number - distance, number + distance):
                if candidate > 0 and self.has(candidate):
                    return candidate
        return None


_BY_ORTSTEIL = attrgetter("ortsteil")
_ROW_ORDER = attrgetter("number", "suffix", "postcode")
_ADDRESS = attrgetter("number", "suffix")
_NUMBER = attrgetter("number")
_POSTCODE = attrgetter("postcode")
_PLR = attrgetter("plr_id")


@lru_cache(maxsize=None)
def _hint_keys(ortsteil: str) -> frozenset[str]:
    """What a resident may type to name this Ortsteil (its key, and aliases such as "wedding")."""
    return frozenset((street_key(ortsteil), *_ORTSTEIL_ALIASES.get(ortsteil, ())))


def _build_places(street: str, rows: Sequence[AddressRow]) -> tuple[_Place, ...]:
    # Runs once per street a resident asks for (then cached), over up to 1,236 rows (Hauptstraße):
    # the per-row work is done by C iterators (sort, groupby, map with attrgetter), not Python loops.
    groups = [list(g) for _, g in groupby(sorted(rows, key=_BY_ORTSTEIL), key=_BY_ORTSTEIL)]
    # cluster: (ortsteil counts, rows, address keys, postcodes, bezirke)
    clusters = []
    for grows in groups:
        if len(groups) == 1:                    # nothing to merge: the sets are not needed
            clusters.append(({grows[0].ortsteil: len(grows)}, grows, set(), set(map(_POSTCODE, grows)),
                             set()))
            continue
        clusters.append(({grows[0].ortsteil: len(grows)}, grows, set(map(_ADDRESS, grows)),
                         set(map(_POSTCODE, grows)), {p[:2] for p in set(map(_PLR, grows))}))
    clusters.sort(key=lambda c: (-len(c[1]), next(iter(c[0]))))
    for phase in (3, 4):                        # shared postcode first, then same Bezirk
        merged = len(clusters) > 1
        while merged:
            merged = False
            for i in range(len(clusters)):
                for j in range(i + 1, len(clusters)):
                    a, b = clusters[i], clusters[j]
                    if a[phase] & b[phase] and not (a[2] & b[2]):
                        clusters[i] = ({**a[0], **b[0]}, a[1] + b[1], a[2] | b[2], a[3] | b[3], a[4] | b[4])
                        del clusters[j]
                        merged = True
                        break
                if merged:
                    break
    places = []
    for counts, crows, _keys, postcodes, _bez in clusters:
        crows.sort(key=_ROW_ORDER)
        ortsteile = tuple(sorted(counts, key=lambda o: (-counts[o], o)))
        hints = frozenset().union(*map(_hint_keys, ortsteile))
        places.append(_Place(street, ortsteile, tuple(sorted(postcodes)), tuple(crows),
                             tuple(map(_NUMBER, crows)), frozenset(map(_PLR, crows)), hints))
    return tuple(places)


_INDEXES: weakref.WeakKeyDictionary[Any, StreetIndex] = weakref.WeakKeyDictionary()


class StreetIndex:
    """Normalised keys of all official street names, built once per address book.

    ``StreetIndex.for_book(book)`` caches it on the book (attribute ``_street_index``; a book that
    reloads its names drops that attribute), so :func:`resolve` never re-normalises the 9.8k names.
    """

    PLACE_CACHE = 512           # streets whose places are kept (rows of a SQL book stay referenced)

    def __init__(self, names: Iterable[str]) -> None:
        self.names: tuple[str, ...] = tuple(dict.fromkeys(n for n in names if n))
        # each name is normalised once (twice if it has an umlaut): this runs at every start, 9.8k names
        keys: list[str] = []
        self.max_tokens = 1
        exact: dict[str, list[str]] = defaultdict(list)
        for name in self.names:
            tokens = _tokens(fold(name))
            key = "".join(tokens)
            keys.append(key)
            exact[key].append(name)
            self.max_tokens = max(self.max_tokens, len(tokens))
        alt: dict[str, list[str]] = defaultdict(list)
        stems: dict[str, list[str]] = defaultdict(list)
        for name, key in zip(self.names, keys):
            if _UMLAUTS.intersection(unicodedata.normalize("NFC", name).casefold()):
                dropped = street_key(name, _DROP)
                if dropped != key and dropped not in exact:      # "Mullerstr" → Müllerstraße
                    alt[dropped].append(name)
            if key.endswith("str") and len(key) >= 8 and key[:-3] not in exact:   # "osloer" → Osloer Straße
                stems[key[:-3]].append(name)
        for alias, name in _ALIASES.items():
            if name in exact.get(street_key(name), ()) and alias not in exact:
                alt[alias].append(name)
        self._exact = {k: tuple(v) for k, v in exact.items()}
        self._alt = {k: tuple(dict.fromkeys(v)) for k, v in alt.items()}
        self._stems = {k: tuple(dict.fromkeys(v)) for k, v in stems.items() if k not in self._alt}
        self._keys: list[str] = list(self._exact)
        buckets: dict[str, list[str]] = defaultdict(list)
        for key in self._keys:
            buckets[key[:1]].append(key)
        self._buckets = dict(buckets)
        self._places: OrderedDict[str, tuple[Sequence[AddressRow], tuple[_Place, ...]]] = OrderedDict()

    # -- construction and caching
    @classmethod
    def for_book(cls, book: AddressBook) -> StreetIndex:
        index = getattr(book, "_street_index", None)
        if isinstance(index, StreetIndex):
            return index
        try:
            index = _INDEXES.get(book)
        except TypeError:
            index = None
        if index is not None:
            return index
        index = cls(book.street_names())
        try:
            book._street_index = index            # type: ignore[attr-defined]
        except (AttributeError, TypeError):
            try:
                _INDEXES[book] = index
            except TypeError:
                pass                               # not cacheable: rebuilt per call (slow but correct)
        return index

    @staticmethod
    def invalidate(book: AddressBook) -> None:
        """Forget the index of a book whose street names changed."""
        try:
            del book._street_index                 # type: ignore[attr-defined]
        except (AttributeError, TypeError):
            pass
        try:
            _INDEXES.pop(book, None)
        except TypeError:
            pass

    # -- lookups
    def exact(self, key: str) -> tuple[str, ...]:
        return self._exact.get(key, ())

    def alternative(self, key: str) -> tuple[str, ...]:
        """Other spellings: umlaut without e ("Mullerstr"), "Kudamm"."""
        return self._alt.get(key, ())

    def stem(self, key: str) -> tuple[str, ...]:
        """A "…straße" name without its "straße" ("Osloer" → Osloer Straße); used only before a number."""
        return self._stems.get(key, ())

    def fuzzy(self, key: str, cutoff: float, *, whole: bool = False, limit: int = 3
              ) -> list[tuple[str, float]]:
        """Best keys for ``key`` with a score ≥ cutoff: the first-letter bucket, or the whole list."""
        choices = self._keys if whole else self._buckets.get(key[:1], ())
        if not choices:
            return []
        return [(k, s) for k, s, _ in process.extract(key, choices, scorer=fuzz.ratio, processor=None,
                                                       limit=limit, score_cutoff=cutoff)]

    def places(self, street: str, rows: Sequence[AddressRow]) -> tuple[_Place, ...]:
        cached = self._places.get(street)
        if cached is not None and cached[0] is rows:
            self._places.move_to_end(street)
            return cached[1]
        places = _build_places(street, rows)
        self._places[street] = (rows, places)
        if len(self._places) > self.PLACE_CACHE:
            self._places.popitem(last=False)
        return places


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


@dataclass
class _Match:
    names: tuple[str, ...]
    span: tuple[int, int]
    number: _Item | None
    number_index: int | None
    exact: bool


def _number_for_span(parsed: _Parsed, start: int, end: int) -> tuple[_Item | None, int | None]:
    after = [c for c in parsed.candidates if c >= end and not parsed.items[c].ordinal]
    before = [c for c in parsed.candidates if c < start and not parsed.items[c].ordinal]
    if after:
        c = min(after)
    elif before:
        c = max(before)
    else:
        return None, None
    return parsed.items[c], c


def _extend(match: _Match, parsed: _Parsed, index: StreetIndex) -> _Match:
    """An exact hit with words before it: is it the tail of a longer, mistyped name?

    "Stakener Feldstraße 1" hits Feldstraße exactly, but Staakener Feldstraße is meant.
    """
    start, end = match.span
    if start == 0 or parsed.items[start - 1].number is not None:
        return match
    tail = _key(parsed.items[start:end])
    for s in reversed(parsed.starts(start - 6, start)[-3:]):
        if not all(parsed.items[k].number is None for k in range(s, start)):
            break
        for hit, _score in index.fuzzy(_key(parsed.items[s:end]), EXTEND_CUTOFF):
            if hit != tail and hit.endswith(tail):
                return _Match(index.exact(hit), (s, end), match.number, match.number_index, False)
    return match


def _find_street(parsed: _Parsed, index: StreetIndex) -> tuple[_Match | None, tuple[str, ...], float]:
    """The street span in the text, or None plus suggestions and the best fuzzy score seen."""
    items = parsed.items
    limit = min(index.max_tokens, 9)
    # a. exact, right before a house number (longest window first, never splitting "Prinz-Eugen-…")
    for lookup in (index.exact, index.alternative, index.stem):
        for c in parsed.candidates:
            for start in parsed.starts(c - limit, c):
                names = lookup(_key(items[start:c]))
                if names and parsed.has_word(start, c):
                    return _extend(_Match(names, (start, c), items[c], c, True), parsed, index), (), 100.0
    # b. exact anywhere
    words = [k for k, it in enumerate(items) if it.number is None]
    best: tuple[int, int, int] | None = None      # (key length, start, end)
    best_names: tuple[str, ...] = ()
    for lookup in (index.exact, index.alternative):
        for start in parsed.starts(0, len(items)):
            for end in parsed.ends(start, start + limit):
                key = _key(items[start:end])
                names = lookup(key)
                if not names:
                    continue
                inside = [items[k].text for k in range(start, end) if items[k].number is None]
                if not inside:
                    continue
                if len(inside) < 2 and not all(start <= k < end for k in words) and not (
                        _has_street_word(inside[0])):
                    continue                      # "Markt", "Straße 1" inside a longer text
                if best is None or len(key) > best[0]:
                    best, best_names = (len(key), start, end), names
        if best is not None:
            item, c = _number_for_span(parsed, best[1], best[2])
            return _Match(best_names, (best[1], best[2]), item, c, True), (), 100.0
    # c. fuzzy, on windows of up to 4 word groups next to a number (or at the end of the text)
    windows: list[tuple[int, int, int | None]] = []     # (start, end, number index)
    for c in parsed.candidates[:3]:
        windows.extend((s, c, c) for s in reversed(parsed.starts(c - 8, c)[-4:]))
        if not parsed.has_word(0, c):                   # "129 Koloniestrase"
            windows.extend((c + 1, e, c) for e in parsed.ends(c + 1, c + 9)[:4])
    if not parsed.candidates:
        end = len(items)
        while end > 0 and items[end - 1].text in _STOP_AT_END:
            end -= 1
        windows.extend((s, end, None) for s in reversed(parsed.starts(end - 8, end)[-4:]))
    scored: list[tuple[float, int, str, tuple[int, int, int | None]]] = []
    queries: list[tuple[str, tuple[int, int, int | None]]] = []
    for w in windows:
        key = _key(items[w[0]:w[1]])
        if len(key) < 5 or key in _GENERIC or not parsed.has_word(w[0], w[1]):
            continue
        queries.append((key, w))
        for hit, score in index.fuzzy(key, SUGGEST_CUTOFF):
            scored.append((score, w[1] - w[0], hit, w))
    looks_like = bool(parsed.candidates) or parsed.postcode is not None or _street_word_present(items)
    cutoff = MATCH_CUTOFF if looks_like else MATCH_CUTOFF_BARE
    if (not scored or max(s[0] for s in scored) < cutoff) and queries and looks_like:
        # first letter mistyped? one scan of the whole list with the most likely window
        key, w = queries[0]
        scored.extend((score, w[1] - w[0], hit, w)
                      for hit, score in index.fuzzy(key, SUGGEST_CUTOFF, whole=True))
    if not scored:
        return None, (), 0.0
    scored.sort(key=lambda s: (-s[0], -s[1]))
    top = scored[0]
    if top[0] >= cutoff:
        keys = dict.fromkeys(s[2] for s in scored if s[0] == top[0] and s[3] == top[3])
        names = tuple(n for k in keys for n in index.exact(k))
        start, end, c = top[3]
        if c is None:
            item, c = _number_for_span(parsed, start, end)
        else:
            item = items[c]
        near: dict[str, None] = {}
        for _score, _, hit, _ in scored:
            for name in index.exact(hit):
                near.setdefault(name)
        return _Match(names, (start, end), item, c, False), tuple(near)[:3], top[0]
    suggestions: dict[str, None] = {}
    for _score, _, hit, _ in scored:
        for name in index.exact(hit):
            suggestions.setdefault(name)
    return None, tuple(suggestions)[:3], top[0]


def _has_number(parsed: _Parsed) -> bool:
    return bool(parsed.candidates) or parsed.postcode is not None


def _looks_like_address(parsed: _Parsed) -> bool:
    """For a text in which no street was found: NoStreet (True) or NotAnAddress (False)?"""
    words = [it for it in parsed.items if it.number is None and len(it.text) >= 2]
    if not words:
        return False
    if _street_word_present(parsed.items):
        return True
    # a number (or postcode) and one or two words ("Foobar 12"); a sentence with a number is not an address
    return (bool(parsed.candidates) or parsed.postcode is not None) and len(words) <= 2


def _hints(parsed: _Parsed, match: _Match) -> frozenset[str]:
    rest = [it for k, it in enumerate(parsed.items)
            if not (match.span[0] <= k < match.span[1]) and k != match.number_index and it.number is None]
    keys = set()
    for start in range(len(rest)):
        for end in range(start + 1, min(len(rest), start + 3) + 1):
            keys.add(_key(rest[start:end]))
    return frozenset(keys)


# --------------------------------------------------------------------------------------------------
# Deciding

def _representative(rows: Sequence[AddressRow]) -> AddressRow:
    return min(rows, key=lambda r: (r.number <= 0, r.suffix != "", r.number, r.suffix, r.postcode))


def _pick_row(rows: Sequence[AddressRow], suffix: str, postcode: str | None) -> AddressRow:
    if postcode:
        in_postcode = [r for r in rows if r.postcode == postcode]
        rows = in_postcode or rows
    for wanted in (suffix, ""):
        for row in rows:
            if row.suffix == wanted:
                return row
    return rows[0]


def _options(places: Sequence[_Place], areas: AreaMap) -> tuple[StreetOption, ...]:
    ordered = sorted(places, key=lambda p: (not areas.may_touch(p.plr_ids, p.street), -len(p.rows), p.label))
    return tuple(p.option() for p in ordered)


def _without_number(place: _Place, areas: AreaMap, postcode: str | None, street_exact: bool,
                    tried: int | None) -> Resolution:
    rows: Sequence[AddressRow] = place.rows
    if postcode:
        rows = [r for r in rows if r.postcode == postcode] or rows
    if areas.may_touch(place.plr_ids, place.street):
        answers = {areas.area_for(r) for r in rows}
    else:
        answers = {None}
    if len(answers) == 1:
        return Found(_representative(rows), next(iter(answers)), False, street_exact, tried)
    return NeedNumber(place.street, place.label, frozenset(a for a in answers if a is not None),
                      None in answers, tried)


def _decide(places: Sequence[_Place], number: int | None, suffix: str, postcode: str | None,
            hints: frozenset[str], areas: AreaMap, street_exact: bool) -> Resolution | None:
    if not places:
        return None
    everywhere = places
    if postcode:
        with_postcode = [p for p in places if postcode in p.postcodes]
        if with_postcode:
            places = with_postcode
        else:
            postcode = None                      # a mistyped postcode does not veto the street
    if hints and len(places) > 1:
        named = [p for p in places if p.hint_keys & hints]
        if named:
            places = named
    if number is not None:
        exact = [p for p in places if p.has(number)]
        if len(exact) == 1:
            place = exact[0]
            row = _pick_row(place.with_number(number), suffix, postcode)
            return Found(row, areas.area_for(row), True, street_exact, number)
        if exact:
            return ChooseStreet(_options(exact, areas), number, suffix)
        near = [(p, n) for p in places if (n := p.nearest(number)) is not None]
        if len(near) == 1:
            place, n = near[0]
            row = _pick_row(place.with_number(n), suffix, postcode)
            return Found(row, areas.area_for(row), False, street_exact, number)
        if near:
            return ChooseStreet(_options([p for p, _ in near], areas), number, suffix)
        # "Koloniestraße 129, 12209": not in the named place, but elsewhere — postcode or number wrong?
        elsewhere = [p for p in everywhere if p.has(number) and all(p is not q for q in places)]
        if elsewhere:
            return ChooseStreet(_options([*places, *elsewhere], areas), number, suffix)
        if len(places) == 1:
            return _without_number(places[0], areas, postcode, street_exact, number)
        return ChooseStreet(_options(places, areas), number, suffix)
    if len(places) == 1:
        return _without_number(places[0], areas, postcode, street_exact, None)
    return ChooseStreet(_options(places, areas))


# --------------------------------------------------------------------------------------------------
# Entry points

async def resolve(text: str, book: AddressBook, areas: AreaMap) -> Resolution:
    """What the resident typed → Found / NeedNumber / ChooseStreet / NoStreet / NotAnAddress / PostcodeAreas.

    Cyrillic and Arabic-script spellings are read in Latin letters first (:mod:`.transliterate`); Arabic
    writes "b"/"p" and "u"/"o" alike, so a spelling that finds no street is tried with the other letters.
    """
    text = text or ""
    if needs_transliteration(text):
        latin = to_latin(text)
        result = await _resolve(latin, text, book, areas)
        for variant in variants(latin, is_arabic(text)) if isinstance(result, (NoStreet, NotAnAddress)) else ():
            second = await _resolve(variant, text, book, areas)
            if not isinstance(second, (NoStreet, NotAnAddress)):
                return second
        return result
    return await _resolve(text, text, book, areas)


async def _resolve(text: str, typed: str, book: AddressBook, areas: AreaMap) -> Resolution:
    parsed = _parse(text)
    if parsed.postcode is not None and not parsed.candidates and all(
            it.text in _STOP_AT_END for it in parsed.items if it.number is None):
        return await postcode_areas(parsed.postcode, book, areas)     # "13357", "13357 Berlin"
    if not parsed.has_words:
        return NotAnAddress()
    index = StreetIndex.for_book(book)
    match, suggestions, score = _find_street(parsed, index)
    if match is None:
        if _looks_like_address(parsed) or (score >= STRONG_SUGGESTION and _has_number(parsed)):
            return NoStreet(typed.strip(), suggestions)
        return NotAnAddress()
    places: list[_Place] = []
    for name in match.names:
        places.extend(index.places(name, await book.addresses(name)))
    number = match.number.number if match.number is not None else None
    suffix = match.number.suffix if match.number is not None else ""
    result = _decide(places, number, suffix, parsed.postcode, _hints(parsed, match), areas, match.exact)
    if result is None:                          # a name without numbered addresses (a square, an island)
        return NoStreet(typed.strip(), ())
    if not match.exact and score < CONFIDENT and not _in_our_areas(result):
        # A near name that leads out of our areas ("Krönerstraße 48" is not Krossener Straße in
        # Friedrichshain): ask rather than answer with a confident wrong street.
        return NoStreet(typed.strip(), tuple(dict.fromkeys(match.names + suggestions))[:3])
    return result


def _in_our_areas(result: Resolution) -> bool:
    if isinstance(result, Found):
        return result.area_key is not None
    if isinstance(result, NeedNumber):
        return bool(result.area_keys)
    return isinstance(result, ChooseStreet)


async def postcode_areas(postcode: str, book: AddressBook, areas: AreaMap) -> PostcodeAreas | NotAnAddress:
    """The areas with addresses in ``postcode`` (planning areas and overrides), and whether it reaches beyond;
    NotAnAddress for a postcode Berlin's address list does not have.

    The postcode → planning areas table is built once per address book, on the first postcode asked for
    (all streets are read once, about a second), then kept with the book's street index."""
    index = StreetIndex.for_book(book)
    table = getattr(index, "_postcode_places", None)
    if table is None:
        table = {}
        for name in book.street_names():
            for row in await book.addresses(name):
                table.setdefault(row.postcode, {}).setdefault(row.plr_id, row)
        index._postcode_places = table                  # type: ignore[attr-defined]
    places = table.get(postcode)
    if not places:
        return NotAnAddress()                           # not a postcode of Berlin's address list
    keys = {areas.plr_to_area.get(plr) for plr in places}
    keys |= {o.area_key for o in areas.overrides if o.postcode == postcode}
    return PostcodeAreas(postcode, frozenset(k for k in keys if k), None in keys)


async def resolve_choice(street: str, ortsteil: str | None, number: int | str | None, suffix: str | None,
                         book: AddressBook, areas: AreaMap) -> Resolution:
    """After ChooseStreet or NeedNumber: the picked street (name + ``ortsteil`` label) and maybe a number."""
    if isinstance(number, str):
        digits = re.match(r"\s*(\d{1,4})\s*([A-Za-z])?\s*$", number)
        number, suffix = (int(digits.group(1)), digits.group(2) or suffix) if digits else (None, suffix)
    if number is not None and number <= 0:
        number = None
    index = StreetIndex.for_book(book)
    places = index.places(street, await book.addresses(street))
    if not places:
        return NoStreet(street, ())
    if ortsteil:
        wanted = fold(ortsteil)
        chosen = [p for p in places if wanted == fold(p.label) or any(wanted == fold(o) for o in p.ortsteile)]
        places = chosen or places
    result = _decide(places, number, (suffix or "").strip().upper()[:1], None, frozenset(), areas, True)
    return result if result is not None else NoStreet(street, ())
