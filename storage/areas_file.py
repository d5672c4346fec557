"""Writes the current areas, offices and mapping as the YAML file staff edit and re-import."""
from __future__ import annotations

import yaml
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from storage.models import AreaOverrideRow, AreaRow, OfficeRow, PlanningAreaRow

HEADER = """# kiezbot areas file. Edit and load with: kiezbot seed --areas THIS_FILE
# office.opening_hours: {mon: ["10:00-13:00", "14:00-16:00"], ..., note: {de: "...", en: "..."},
#   closures: [{from: 2026-12-24, to: 2026-12-26, note: {de: "Weihnachten"}}]}   (holidays and other closed days)
# office.latitude/longitude: decimal degrees, for the map pin (leave empty when not known)
# plr_approx: planning areas (PLR ids) that belong to the area
# overrides: {street, postcode, numbers: "17-34, 119-143"} house numbers that belong to the area
"""


async def export_areas(sessions: async_sessionmaker) -> str:
    async with sessions() as session:
        areas = (await session.execute(select(AreaRow).order_by(AreaRow.position, AreaRow.key))).scalars().all()
        offices = {o.area_key: o for o in (await session.execute(select(OfficeRow))).scalars()}
        plrs = (await session.execute(select(PlanningAreaRow).where(PlanningAreaRow.area_key.is_not(None))
                                      .order_by(PlanningAreaRow.id))).scalars().all()
        overrides = (await session.execute(select(AreaOverrideRow).order_by(AreaOverrideRow.id))).scalars().all()
    out = []
    for area in areas:
        entry: dict = {"key": area.key, "name": area.name}
        if area.official_name:
            entry["official_name"] = area.official_name
        entry["ortsteil"] = area.ortsteil
        if not area.active:
            entry["active"] = False
        office = offices.get(area.key)
        if office is not None:
            entry["office"] = {"address": office.address, "phone": office.phone, "email": office.email,
                               "opening_hours": office.opening_hours or None,
                               "latitude": office.latitude, "longitude": office.longitude}
        entry["website"] = area.website
        if area.description:
            entry["description"] = area.description
        if area.notes:
            entry["notes"] = dict(area.notes)
        mapped = {p.id: p.name for p in plrs if p.area_key == area.key}
        if mapped:
            entry["plr_approx"] = mapped
        own = [{"street": o.street, "postcode": o.postcode, "numbers": o.numbers}
               for o in overrides if o.area_key == area.key]
        if own:
            entry["overrides"] = own
        out.append(entry)
    return HEADER + yaml.safe_dump({"areas": out}, allow_unicode=True, sort_keys=False, width=110)
