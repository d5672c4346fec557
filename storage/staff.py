"""``kiezbot staff add/remove/list``: who may moderate, run events, meetings and broadcasts."""
from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from storage.models import StaffRow


async def add_staff(sessions: async_sessionmaker, user_id: int, name: str) -> bool:
    """Add a team member or rename one; True when they were new."""
    async with sessions() as session, session.begin():
        row = await session.get(StaffRow, user_id)
        if row is None:
            session.add(StaffRow(user_id=user_id, name=name))
            return True
        row.name = name
        return False


async def remove_staff(sessions: async_sessionmaker, user_id: int) -> bool:
    async with sessions() as session, session.begin():
        result = await session.execute(delete(StaffRow).where(StaffRow.user_id == user_id))
        return bool(result.rowcount)


async def list_staff(sessions: async_sessionmaker) -> list[tuple[int, str]]:
    async with sessions() as session:
        rows = await session.execute(select(StaffRow.user_id, StaffRow.name).order_by(StaffRow.name, StaffRow.user_id))
        return [(uid, name) for uid, name in rows.all()]
