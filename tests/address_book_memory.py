"""An in-memory AddressBook over the project's copy of Berlin's address list, and the AreaMap of the
areas file — for tests of :mod:`dialogs.office.addresses` without a database.

Loaded once per process (``load_address_book()`` / ``load_area_map()`` are cached): about 1-2 s for the
401k rows. Rows without a house number (squares such as Nettelbeckplatz) are kept with ``number=0``, as
``storage.seed`` keeps them (tests/test_store_contract.py checks that both books agree).
"""
from __future__ import annotations

import csv
import gzip
import io
from collections import defaultdict
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path

import yaml

from dialogs.office.addresses import AddressRow, AreaMap, address_row_from_record

DATA = Path(__file__).resolve().parent.parent / "storage" / "data"
ADDRESSES_FILE = DATA / "adressen.csv.gz"
AREAS_FILE = DATA / "qm-areas.yaml"


class MemoryAddressBook:
    """Implements ``dialogs.office.addresses.AddressBook``; ``addresses()`` returns the same tuple every time.

    ``from_csv`` keeps the raw records per street and builds the AddressRow objects of a street on its
    first ``addresses()`` call, so loading takes about a second, not four.
    """

    def __init__(self, rows: Iterable[AddressRow] = (), extra_names: Iterable[str] = ()) -> None:
        by_street: dict[str, list[AddressRow]] = defaultdict(list)
        for row in rows:
            by_street[row.street].append(row)
        self._rows: dict[str, tuple[AddressRow, ...]] = {
            street: tuple(sorted(v, key=lambda r: (r.number, r.suffix))) for street, v in by_street.items()}
        self._raw: dict[str, list[list[str]]] = {}
        self._header: list[str] = []
        self._names = tuple(sorted(set(self._rows) | set(extra_names)))
        self.calls = 0

    def street_names(self) -> Sequence[str]:
        return self._names

    async def addresses(self, street: str) -> Sequence[AddressRow]:
        self.calls += 1
        return self.rows(street)

    def rows(self, street: str) -> tuple[AddressRow, ...]:
        rows = self._rows.get(street)
        if rows is None:
            records = self._raw.get(street, ())
            built = (address_row_from_record(dict(zip(self._header, rec, strict=True)), keep_unnumbered=True)
                     for rec in records)
            rows = tuple(sorted((r for r in built if r is not None), key=lambda r: (r.number, r.suffix)))
            self._rows[street] = rows
        return rows

    @classmethod
    def from_csv(cls, path: Path = ADDRESSES_FILE) -> MemoryAddressBook:
        book = cls()
        raw: dict[str, list[list[str]]] = defaultdict(list)
        with gzip.open(path, "rb") as fh:
            reader = csv.reader(io.TextIOWrapper(fh, encoding="utf-8", newline=""))
            book._header = next(reader)
            column = book._header.index("str_name")
            for rec in reader:
                raw[rec[column].strip()].append(rec)
        book._raw = dict(raw)
        book._names = tuple(sorted(raw))
        return book


@cache
def load_address_book(path: Path = ADDRESSES_FILE) -> MemoryAddressBook:
    return MemoryAddressBook.from_csv(path)


@cache
def load_area_map(path: Path = AREAS_FILE) -> AreaMap:
    with open(path, encoding="utf-8") as fh:
        return AreaMap.from_config(yaml.safe_load(fh))
