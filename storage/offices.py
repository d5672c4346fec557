"""The offices as the staff console edits them: read all facts of an area's office, save them at once.

A save names the state the form was filled in on (``fingerprint``); when someone else saved the office
in between, nothing is written and the console says so. The bot reads offices from the database on
every office-finder update, so a saved change shows in every process at once.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from dialogs.core.model import OpeningHours
from storage.models import AreaRow, OfficeRow


@dataclass(frozen=True)
class OfficeFacts:
    area_key: str
    area_name: str
    address: str = ""
    phone: str | None = None
    email: str | None = None
    hours: OpeningHours = OpeningHours()
    latitude: float | None = None
    longitude: float | None = None

    @property
    def fingerprint(self) -> str:
        """Changes whenever any saved fact changes (the form carries it to detect a save in between)."""
        facts = [self.address, self.phone, self.email, self.hours.to_mapping(), self.latitude, self.longitude]
        return hashlib.sha256(json.dumps(facts, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:20]


def _facts(area: AreaRow, office: OfficeRow | None) -> OfficeFacts:
    if office is None:
        return OfficeFacts(area.key, area.name)
    return OfficeFacts(area.key, area.name, office.address, office.phone, office.email,
                       OpeningHours.from_mapping(office.opening_hours), office.latitude, office.longitude)


async def all_offices(sessions: async_sessionmaker) -> list[OfficeFacts]:
    async with sessions() as session:
        rows = (await session.execute(
            select(AreaRow, OfficeRow).outerjoin(OfficeRow, OfficeRow.area_key == AreaRow.key)
            .where(AreaRow.active.is_(True)).order_by(AreaRow.position, AreaRow.key))).all()
    return [_facts(area, office) for area, office in rows]


async def office_facts(sessions: async_sessionmaker, area_key: str) -> OfficeFacts | None:
    async with sessions() as session:
        row = (await session.execute(
            select(AreaRow, OfficeRow).outerjoin(OfficeRow, OfficeRow.area_key == AreaRow.key)
            .where(AreaRow.key == area_key, AreaRow.active.is_(True)))).first()
    return _facts(*row) if row else None


async def save_office(sessions: async_sessionmaker, area_key: str, fingerprint: str, new: OfficeFacts) -> str:
    """``saved``; ``stale`` (changed since ``fingerprint``: nothing written); ``unknown`` (no such area)."""
    async with sessions() as session, session.begin():
        area = (await session.execute(select(AreaRow).where(AreaRow.key == area_key, AreaRow.active.is_(True))
                                      .with_for_update())).scalar_one_or_none()
        if area is None:
            return "unknown"
        office = (await session.execute(select(OfficeRow).where(OfficeRow.area_key == area_key)
                                        .with_for_update())).scalar_one_or_none()
        if _facts(area, office).fingerprint != fingerprint:
            return "stale"
        if office is None:
            office = OfficeRow(area_key=area_key)
            session.add(office)
        office.address, office.phone, office.email = new.address, new.phone, new.email
        office.opening_hours = new.hours.to_mapping()
        office.latitude, office.longitude = new.latitude, new.longitude
    return "saved"
