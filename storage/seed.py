"""Loads reference data: the QM areas file and Berlin's address list. Idempotent: seeding twice
changes nothing; the address list is re-imported only when its file changed (checksum)."""
from __future__ import annotations

import csv
import gzip
import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialogs.office.addresses import parse_ranges
from dialogs.core.model import OpeningHours
from storage.address_book import pack_streets
from storage.models import (AddressRecord, AreaOverrideRow, AreaRow, DatasetRow, OfficeRow, PlanningAreaRow,
                            StreetRow)

DATA = Path(__file__).resolve().parent / "data"
AREAS_FILE = DATA / "qm-areas.yaml"
ADDRESSES_FILE = DATA / "adressen.csv.gz"
BATCH = 5000

Progress = Callable[[int], None]   # called with the number of rows just written


class SeedError(ValueError):
    """The areas file is not valid; the message says where."""


@dataclass
class SeedReport:
    areas: int = 0
    overrides: int = 0
    addresses_loaded: int = 0        # 0 when the list was already up to date
    streets: int = 0
    changed: list[str] = field(default_factory=list)


def _checksum(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_areas_file(path: Path) -> list[dict]:
    """Parse and validate the areas file; raises SeedError naming the problem."""
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise SeedError(f"{path}: cannot read: {exc}") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("areas"), list):
        raise SeedError(f"{path}: expected a top-level 'areas:' list")
    areas = []
    for i, entry in enumerate(doc["areas"]):
        where = f"{path}: areas[{i}]"
        if not isinstance(entry, dict) or not entry.get("key") or not entry.get("name"):
            raise SeedError(f"{where}: every area needs 'key' and 'name'")
        office = entry.get("office") or {}
        try:
            OpeningHours.from_mapping(office.get("opening_hours"))
            for o in entry.get("overrides") or []:
                parse_ranges(str(o["numbers"]))
                if not o.get("street"):
                    raise ValueError("override without street")
        except (ValueError, KeyError, TypeError) as exc:
            raise SeedError(f"{where} ({entry['key']}): {exc}") from exc
        for coord in ("latitude", "longitude"):
            if office.get(coord) is not None and not isinstance(office[coord], (int, float)):
                raise SeedError(f"{where}: office {coord} must be a number")
        areas.append(entry)
    return areas


async def _upsert(session: AsyncSession, new, values: dict, report: SeedReport, label: str) -> None:  # noqa: ANN001
    """Insert ``new`` with ``values``, or update the stored row; report every field that changed."""
    pk = tuple(getattr(new, c.key) for c in new.__mapper__.primary_key)
    row = await session.get(type(new), pk if len(pk) > 1 else pk[0])
    if row is None:
        for attr, value in values.items():
            setattr(new, attr, value)
        session.add(new)
        report.changed.append(f"{label} added")
        return
    for attr, value in values.items():
        if getattr(row, attr) != value:
            setattr(row, attr, value)
            report.changed.append(f"{label}: {attr}")


async def seed_areas(session: AsyncSession, path: Path = AREAS_FILE) -> SeedReport:
    report = SeedReport()
    entries = read_areas_file(path)
    plr_targets: dict[str, str] = {}
    for position, entry in enumerate(entries):
        key = entry["key"]
        active = entry.get("active", True) is not False
        values = dict(name=entry["name"], official_name=entry.get("official_name") or "",
                      ortsteil=entry.get("ortsteil") or "", website=entry.get("website"),
                      description=entry.get("description") or "", notes=entry.get("notes") or {},
                      active=active, position=position)
        await _upsert(session, AreaRow(key=key), values, report, f"area {key}")
        report.areas += 1
        office = entry.get("office")
        await session.flush()
        if office and office.get("address"):
            hours = OpeningHours.from_mapping(office.get("opening_hours")).to_mapping()
            ovalues = dict(address=office["address"], phone=office.get("phone"), email=office.get("email"),
                           opening_hours=hours, latitude=office.get("latitude"), longitude=office.get("longitude"))
            await _upsert(session, OfficeRow(area_key=key), ovalues, report, f"office {key}")
        if active:
            for plr in (entry.get("plr_approx") or {}):
                plr_targets[str(plr).zfill(8)] = key
    await session.flush()
    # PLR -> area mapping (planning areas themselves come with the address list).
    for plr in (await session.execute(select(PlanningAreaRow))).scalars():
        target = plr_targets.get(plr.id)
        if plr.area_key != target:
            plr.area_key = target
            report.changed.append(f"planning area {plr.id} -> {target}")
    # Overrides: replaced as a whole when they differ.
    wanted = [(e["key"], o["street"], str(o["postcode"]) if o.get("postcode") else None, str(o["numbers"]))
              for e in entries if e.get("active", True) is not False for o in (e.get("overrides") or [])]
    current = [(o.area_key, o.street, o.postcode, o.numbers)
               for o in (await session.execute(select(AreaOverrideRow).order_by(AreaOverrideRow.id))).scalars()]
    if current != wanted:
        await session.execute(delete(AreaOverrideRow))
        for area_key, street, postcode, numbers in wanted:
            session.add(AreaOverrideRow(area_key=area_key, street=street, postcode=postcode, numbers=numbers))
        report.changed.append("overrides replaced")
    report.overrides = len(wanted)
    return report


def _read_addresses(path: Path):
    with gzip.open(path, "rb") as raw:
        reader = csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8", newline=""))
        for rec in reader:
            yield rec


def count_address_rows(path: Path = ADDRESSES_FILE) -> int:
    with gzip.open(path, "rb") as raw:
        return sum(1 for _ in raw) - 1


async def seed_addresses(sessions: async_sessionmaker, path: Path = ADDRESSES_FILE,
                         progress: Progress | None = None, force: bool = False) -> int:
    """Import the address list if it is not loaded in this version yet. Returns rows written."""
    checksum = _checksum(path)
    async with sessions() as session:
        current = await session.get(DatasetRow, "addresses")
        if current is not None and current.checksum == checksum and not force:
            return 0
    streets: dict[str, int] = {}
    plrs: dict[str, str] = {}
    rows: list[dict] = []
    for rec in _read_addresses(path):
        name = rec["str_name"].strip()
        sid = streets.setdefault(name, len(streets) + 1)
        plr = rec["PLR_ID"].strip().zfill(8)
        plrs.setdefault(plr, rec["PLR_NAME"].strip())
        # 296 records have no house number (squares such as Nettelbeckplatz): kept as number 0 so
        # the square itself can still be found.
        hnr = (rec["hnr"] or "").strip()
        number = int(hnr) if hnr.isdigit() else 0
        rows.append(dict(street_id=sid, number=number, suffix=(rec["hnr_zusatz"] or "").strip().upper(),
                         postcode=rec["plz"].strip(), ortsteil=rec["ort_name"].strip(), plr_id=plr))
    async with sessions() as session:
        async with session.begin():
            mapped = {p.id: p.area_key for p in (await session.execute(select(PlanningAreaRow))).scalars()}
            await session.execute(delete(AddressRecord))
            await session.execute(delete(StreetRow))
            await session.execute(delete(PlanningAreaRow).where(PlanningAreaRow.id.not_in(list(plrs))))
            for plr, name in plrs.items():
                if plr in mapped:
                    await session.execute(PlanningAreaRow.__table__.update().where(PlanningAreaRow.id == plr)
                                          .values(name=name))
            new_plrs = [dict(id=p, name=n, area_key=None) for p, n in plrs.items() if p not in mapped]
            if new_plrs:
                await session.execute(insert(PlanningAreaRow), new_plrs)
            packed = pack_streets(rows)
            await session.execute(insert(StreetRow), [dict(id=i, name=n, packed=packed.get(i, ""))
                                                      for n, i in streets.items()])
            for start in range(0, len(rows), BATCH):
                batch = rows[start:start + BATCH]
                await session.execute(insert(AddressRecord), batch)
                if progress:
                    progress(len(batch))
            dataset = await session.get(DatasetRow, "addresses")
            if dataset is None:
                session.add(DatasetRow(name="addresses", checksum=checksum, rows=len(rows)))
            else:
                dataset.checksum, dataset.rows = checksum, len(rows)
    return len(rows)


async def seed_all(sessions: async_sessionmaker, areas_file: Path = AREAS_FILE,
                   addresses_file: Path = ADDRESSES_FILE, progress: Progress | None = None) -> SeedReport:
    read_areas_file(areas_file)            # fail early, before the long import
    loaded = await seed_addresses(sessions, addresses_file, progress)
    async with sessions() as session:
        async with session.begin():
            report = await seed_areas(session, areas_file)
            report.streets = await session.scalar(select(func.count()).select_from(StreetRow)) or 0
    report.addresses_loaded = loaded
    if loaded:
        report.changed.insert(0, f"{loaded} addresses loaded")
    return report


async def addresses_loaded(sessions: async_sessionmaker) -> bool:
    """Whether Berlin's address list is in the database (the first start loads it)."""
    async with sessions() as session:
        return await session.scalar(select(DatasetRow.name).where(DatasetRow.name == "addresses")) is not None


async def ensure_areas(sessions: async_sessionmaker) -> bool:
    """Load the areas file when the database has no areas yet; True when it did."""
    async with sessions() as session, session.begin():
        if await session.scalar(select(func.count()).select_from(AreaRow)):
            return False
        await seed_areas(session)
        return True
