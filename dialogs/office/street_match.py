"""Finding the street in a message: the index of official names, places, exact and fuzzy matching.
Part of :mod:`dialogs.office.addresses` (see its docstring, steps 3 and 4)."""
from __future__ import annotations

import unicodedata
import weakref
from bisect import bisect_left, bisect_right
from collections import OrderedDict, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import groupby
from operator import attrgetter
from typing import Any

from rapidfuzz import fuzz, process

from dialogs.office.area_map import AddressBook, AddressRow
from dialogs.office.normalise import (_ALIASES, _DROP, _GENERIC, _ORTSTEIL_ALIASES, _STOP_AT_END, _UMLAUTS, _Item,
                                      _key, _Parsed, _has_street_word, _street_word_present, _tokens, fold,
                                      street_key)

MATCH_CUTOFF = 82.0        # fuzzy score (0-100) when the text has a house number or a street word
MATCH_CUTOFF_BARE = 90.0   # … when it has neither (a lone word is rarely an address)
SUGGEST_CUTOFF = 60.0      # NoStreet suggestions
NEAR_DISTANCE = 6          # nearest existing number on the same side: at most 3 houses away
EXTEND_CUTOFF = 85.0       # an exact hit is the tail of a longer mistyped name ("Stakener Feldstraße")


# --------------------------------------------------------------------------------------------------
# Street index and places

@dataclass(frozen=True)
class StreetOption:
    street: str
    ortsteil: str                  # label: one Ortsteil, or "Mitte / Gesundbrunnen" for a street crossing
    postcodes: tuple[str, ...]
    ortsteile: tuple[str, ...] = ()


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


