"""From what a resident types to an official Berlin address and the QM area it lies in.

Modules: :mod:`.normalise` (steps 1-2), :mod:`.street_match` (steps 3-4), :mod:`.area_map` (address rows,
the AddressBook port, areas), :mod:`.transliterate` (Cyrillic/Arabic script), this one (step 5 and the
entry points :func:`resolve`, :func:`resolve_choice`, :func:`postcode_areas`; it re-exports the others'
public names).

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
from collections.abc import Sequence
from dataclasses import dataclass

from dialogs.office.area_map import (AddressBook, AddressRow, AreaMap, AreaOverride, address_row_from_record,
                                     parse_ranges)
from dialogs.office.normalise import _STOP_AT_END, _parse, fold, street_key
from dialogs.office.street_match import (NEAR_DISTANCE, StreetIndex, StreetOption, _find_street, _has_number, _hints,
                                         _looks_like_address, _Place)
from dialogs.office.transliterate import is_arabic, needs_transliteration, to_latin, variants

__all__ = [
    "NEAR_DISTANCE", "AddressBook", "AddressRow", "AreaMap", "AreaOverride", "ChooseStreet", "Found",
    "NeedNumber", "NoStreet", "NotAnAddress", "PostcodeAreas", "Resolution", "StreetIndex", "StreetOption",
    "address_row_from_record", "fold", "parse_ranges", "postcode_areas", "resolve", "resolve_choice", "street_key",
]

STRONG_SUGGESTION = 75.0   # a sentence with a number and a street this close is still "no street"
CONFIDENT = 92.0           # a fuzzy hit below this that leads outside our areas is a "did you mean"


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
