"""Berlin's address list from the database, for the office finder.

Only the ~9.8k street names are held in memory (for fuzzy matching); the 401k addresses stay in the
database and are read per street on demand, with a small cache for the streets people ask about.
"""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from dialogs.addresses import AddressRow, StreetIndex
from storage.models import AddressRecord, PlanningAreaRow, StreetRow


class SqlAddressBook:
    def __init__(self, sessions: async_sessionmaker, cache_size: int = 256) -> None:
        self.sessions = sessions
        self._names: list[str] = []
        self._ids: dict[str, int] = {}
        self._cache: OrderedDict[str, tuple[AddressRow, ...]] = OrderedDict()
        self._cache_size = cache_size

    async def load(self) -> "SqlAddressBook":
        async with self.sessions() as session:
            rows = (await session.execute(select(StreetRow.id, StreetRow.name).order_by(StreetRow.name))).all()
        self._ids = {name: sid for sid, name in rows}
        self._names = [name for _, name in rows]
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
        street_id = self._ids.get(street)
        if street_id is None:
            return ()
        async with self.sessions() as session:
            rows = (await session.execute(
                select(AddressRecord.number, AddressRecord.suffix, AddressRecord.postcode, AddressRecord.ortsteil,
                       AddressRecord.plr_id, PlanningAreaRow.name)
                .join(PlanningAreaRow, PlanningAreaRow.id == AddressRecord.plr_id)
                .where(AddressRecord.street_id == street_id)
                .order_by(AddressRecord.number, AddressRecord.suffix))).all()
        result = tuple(AddressRow(street, n, s, p, o, plr, plr_name) for n, s, p, o, plr, plr_name in rows)
        self._cache[street] = result
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return result
