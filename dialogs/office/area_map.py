"""Berlin's address rows, the address-book port and the mapping of addresses to QM areas
(planning areas plus per-street overrides). Part of :mod:`dialogs.office.addresses`."""
from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol


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


