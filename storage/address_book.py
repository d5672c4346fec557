"""Berlin's address list from the database, for the office finder.

The 401k addresses are not loaded as Python objects. Each street carries its addresses packed into
one compact string (built by ``kiezbot seed``): at start kiezbot reads the 9.8k street names and
their packed strings (about 4 MB) and unpacks a street's addresses only when someone asks for it,
keeping the most-asked streets unpacked in a small cache.

Packed form: ``postcode|ortsteil|plr;postcode|ortsteil|plr;…#number[suffix]:place,…`` — the places
(distinct postcode/Ortsteil/planning area combinations) first, then each address with the index of
its place.
"""
from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from dialogs.office.addresses import AddressRow, StreetIndex
from storage.models import PlanningAreaRow, StreetRow


def pack_streets(rows: list[dict]) -> dict[int, str]:
    """street_id -> packed string, from address rows as the seed builds them."""
    places: dict[int, dict[tuple[str, str, str], int]] = {}
    entries: dict[int, list[str]] = {}
    for row in sorted(rows, key=lambda r: (r["street_id"], r["number"], r["suffix"])):
        sid = row["street_id"]
        place_ids = places.setdefault(sid, {})
        place = (row["postcode"], row["ortsteil"], row["plr_id"])
        index = place_ids.setdefault(place, len(place_ids))
        entries.setdefault(sid, []).append(f"{row['number']}{row['suffix']}:{index}")
    return {sid: ";".join("|".join(p) for p in place_ids) + "#" + ",".join(entries[sid])
            for sid, place_ids in places.items()}


_ENTRY = re.compile(r"(\d+)([A-Z]*):(\d+)")


def unpack_street(street: str, packed: str, plr_names: dict[str, str]) -> tuple[AddressRow, ...]:
    if not packed:
        return ()
    head, _, body = packed.partition("#")
    # one regex pass in C over the entries; the few places are resolved once, not once per address
    places = {str(k): (postcode, ortsteil, plr, plr_names.get(plr, ""))
              for k, (postcode, ortsteil, plr) in enumerate(p.split("|") for p in head.split(";"))}
    new = tuple.__new__                  # AddressRow._make without the call through a classmethod
    return tuple([new(AddressRow, (street, int(number), suffix, *places[index]))
                  for number, suffix, index in _ENTRY.findall(body)])


class SqlAddressBook:
    def __init__(self, sessions: async_sessionmaker, cache_size: int = 512) -> None:
        self.sessions = sessions
        self._names: list[str] = []
        self._packed: dict[str, str] = {}
        self._plr_names: dict[str, str] = {}
        self._cache: OrderedDict[str, tuple[AddressRow, ...]] = OrderedDict()
        self._cache_size = cache_size

    async def load(self) -> "SqlAddressBook":
        async with self.sessions() as session:
            rows = (await session.execute(select(StreetRow.name, StreetRow.packed).order_by(StreetRow.name))).all()
            plrs = (await session.execute(select(PlanningAreaRow.id, PlanningAreaRow.name))).all()
        self._names = [name for name, _ in rows]
        self._packed = {name: packed for name, packed in rows}
        self._plr_names = dict(plrs)
        self._cache.clear()
        StreetIndex.invalidate(self)   # the matcher's index over the previous names is stale
        StreetIndex.for_book(self)     # build it now, not on the first resident's message
        return self

    def street_names(self) -> Sequence[str]:
        return self._names

    async def addresses(self, street: str) -> Sequence[AddressRow]:
        cached = self._cache.get(street)
        if cached is not None:
            self._cache.move_to_end(street)
            return cached
        result = unpack_street(street, self._packed.get(street, ""), self._plr_names)
        self._cache[street] = result
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return result
