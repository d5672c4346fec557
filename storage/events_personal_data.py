"""Personal data in the events feature, for /mydata, /delete and retention.

Erasure first withdraws the resident's open sign-ups through the events rules (``dialogs/events/resident_flow.py``
registers ``withdraw_all`` with ``dialogs.privacy.resident_flow.before_erasure``: freed places go to the waitlist,
the promoted people are told). The eraser here then deletes every sign-up row (with the Telegram
display name) and the reminder preference; seats of a sign-up still held — should the rows be erased
without the domain step — are given back, so the counts stay right.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.events.rules import EventText, NewEvent
from storage.events import EventPreferenceRow, EventRow, EventTextRow, SignupRow, SqlEvents
from storage.personal_data import SamplePerson, Subject, declare_no_personal_data, register_personal_data


async def export_events(s: Subject) -> dict | None:
    rows = (await s.session.execute(select(SignupRow, EventRow).join(EventRow, EventRow.id == SignupRow.event_id)
                                    .where(SignupRow.chat_id == s.chat_id).order_by(SignupRow.id))).all()
    preference = await s.session.get(EventPreferenceRow, s.chat_id)
    if not rows and preference is None:
        return None
    titles = {t.event_id: t.title for t in (await s.session.execute(
        select(EventTextRow).where(EventTextRow.event_id.in_({e.id for _, e in rows}),
                                   EventTextRow.language == "de"))).scalars()} if rows else {}
    return {"sign_ups": [{"event": titles.get(e.id, e.uid), "starts_at": e.starts_at, "place": e.place,
                          "name_given": r.display_name, "people": r.party_size, "status": r.status,
                          "signed_up_at": r.signed_up_at} for r, e in rows],
            "reminders_wanted": preference.reminders if preference else True}


async def erase_events(s: Subject) -> int:
    events = SqlEvents(s.session)
    held = (await s.session.execute(select(SignupRow).where(SignupRow.chat_id == s.chat_id,
                                                            SignupRow.status == "confirmed"))).scalars().all()
    for row in held:
        await events.release_seats(row.event_id, row.party_size)
    result = await s.session.execute(delete(SignupRow).where(SignupRow.chat_id == s.chat_id))
    touched = result.rowcount or 0
    result = await s.session.execute(delete(EventPreferenceRow).where(EventPreferenceRow.chat_id == s.chat_id))
    return touched + (result.rowcount or 0)


async def names_in_events(session: AsyncSession, chat_id: int) -> list[str]:
    """The names the resident gave for their sign-ups (masked where they appear in what stays)."""
    return [n for n in await session.scalars(select(SignupRow.display_name).where(SignupRow.chat_id == chat_id)
                                             .distinct()) if n]


async def sample_events(session: AsyncSession, person: SamplePerson) -> None:
    events = SqlEvents(session)
    event = await events.create(NewEvent(texts={"de": EventText("Hoffest", "Kuchen und Musik")}, place="Hof",
                                         starts_at=person.now + timedelta(days=10), ends_at=None, capacity=1))
    await events.take_seats(event.id, 1)
    await events.add_signup(event.id, person.chat_id, person.display_name, 1, "confirmed", person.now)
    await events.set_reminders_enabled(person.chat_id, False)


register_personal_data("events", tables=("event_signups", "event_preferences"), export=export_events,
                       erase=erase_events, sample=sample_events, order=60, names=names_in_events)
declare_no_personal_data("events", "event_texts", reason="events the team publishes")
