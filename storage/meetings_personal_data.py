"""Personal data in the meetings feature: a resident's subscriptions to session reminders.

Erasure deletes the subscriptions (the pending reminders are outbox rows to the resident, which the
outbox eraser deletes); the sessions themselves are the team's and hold nothing about residents.
"""
from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.meetings import MeetingSubscriptionRow, SqlMeetings
from storage.personal_data import SamplePerson, Subject, declare_no_personal_data, register_personal_data


async def export_meetings(s: Subject) -> list[dict]:
    rows = (await s.session.execute(select(MeetingSubscriptionRow).where(MeetingSubscriptionRow.chat_id == s.chat_id)
                                    .order_by(MeetingSubscriptionRow.id))).scalars()
    return [{"body": r.body, "area": r.area_key, "since": r.created_at} for r in rows]


async def erase_meetings(s: Subject) -> int:
    result = await s.session.execute(delete(MeetingSubscriptionRow).where(MeetingSubscriptionRow.chat_id == s.chat_id))
    return result.rowcount or 0


async def sample_meetings(session: AsyncSession, person: SamplePerson) -> None:
    await SqlMeetings(session).subscribe(person.chat_id, "council", "badstrasse")


register_personal_data("meetings", tables=("meeting_subscriptions",), export=export_meetings, erase=erase_meetings,
                       sample=sample_meetings, order=60)
declare_no_personal_data("meetings", reason="council and jury sessions the team publishes")
