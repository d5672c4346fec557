"""Event services shared by the staff chat, the command line (``kiezbot events import``) and the staff
console: change, cancel, new capacity, calendar import, a message to everyone signed up — each tells the
participants in their languages."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from dialogs.core.calendar import CalendarEntry
from dialogs.core.engine import Dialogs
from dialogs.core.ports import Store
from dialogs.core.text import clip
from dialogs.events.resident_flow import (cancelled_notice, change_notice, promote_waitlist, reschedule_reminders,
                                          translator_for)
from dialogs.events.texts import team_message_notice
from dialogs.events.rules import (FALLBACK_LANGUAGE, MAX_DESCRIPTION, MAX_PLACE, MAX_TITLE, Event, EventText,
                                  NewEvent)


# --- services shared by the staff chat and the command line --------------------------------------
async def announce_change(store: Store, engine: Dialogs, now: datetime, event: Event) -> int:
    """Tell everyone signed up or waiting about the new time or place; re-queue their reminders."""
    await store.outbox.cancel(f"event:{event.id}:changed:")     # an older, still unsent notice is stale
    told = 0
    for signup in await store.events.signups(event.id):
        t = await translator_for(store, engine, signup.chat_id)
        await store.outbox.enqueue(signup.chat_id, change_notice(t, event, signup, now, engine.timezone),
                                   due_at=now, key=f"event:{event.id}:changed:{event.sequence}:{signup.id}",
                                   purpose="event-change")
        told += 1
    await reschedule_reminders(store, engine, now, event)
    return told


async def change_event(store: Store, engine: Dialogs, now: datetime, event_id: int, *,
                       starts_at: datetime | None = None, ends_at: datetime | None = None,
                       place: str | None = None, keep_end: bool = False) -> tuple[Event, int] | None:
    """Move an event in time and/or place and tell the participants. None: cancelled or over."""
    event = await store.events.lock(event_id)
    if event is None or event.status == "cancelled" or (event.ends_at or event.starts_at) <= now:
        return None
    changes: dict[str, Any] = {}
    if starts_at is not None and starts_at != event.starts_at:
        changes["starts_at"] = starts_at
        if not keep_end:
            changes["ends_at"] = ends_at
        if event.registration_deadline is not None and event.registration_deadline > starts_at:
            changes["registration_deadline"] = None                # a deadline after the start makes no sense
    if place is not None and place != event.place:
        changes["place"] = place
    if not changes:
        return event, 0
    await store.events.update(event.id, sequence=event.sequence + 1, **changes)
    event = await store.events.get(event.id)
    assert event is not None
    return event, await announce_change(store, engine, now, event)


async def cancel_event(store: Store, engine: Dialogs, now: datetime, event_id: int) -> int | None:
    """Cancel an event: reminders and pending notices dropped, everyone signed up or waiting told."""
    event = await store.events.lock(event_id)
    if event is None or event.status == "cancelled":
        return None
    await store.events.update(event.id, status="cancelled", sequence=event.sequence + 1)
    await store.outbox.cancel(f"event:{event.id}:")
    event = await store.events.get(event.id)
    assert event is not None
    told = 0
    for signup in await store.events.signups(event.id):
        t = await translator_for(store, engine, signup.chat_id)
        await store.outbox.enqueue(signup.chat_id, cancelled_notice(t, event), due_at=now,
                                   key=f"event:{event.id}:cancelled:{signup.id}", purpose="event-cancelled")
        told += 1
    return told


async def set_registration(store: Store, event_id: int, status: str) -> tuple[str, Event | None]:
    """Close registration (sign-ups stay, nobody new) or open it again: "done", "same" (it already is),
    "cancelled" or "gone"."""
    event = await store.events.lock(event_id)
    if event is None:
        return "gone", None
    if event.status == "cancelled":
        return "cancelled", event
    if event.status == status:
        return "same", event
    await store.events.update(event.id, status=status)
    return "done", await store.events.get(event.id)


async def message_participants(store: Store, engine: Dialogs, now: datetime, event_id: int, text: str, *,
                               message_key: str) -> int | None:
    """The team's text to everyone signed up or waiting, through the outbox (each with the event named in
    their language). ``message_key`` names this message: sending the same one twice queues it once, and
    cancelling the event withdraws what is not sent yet. None: no such event, or it is cancelled."""
    event = await store.events.get(event_id)
    if event is None or event.status == "cancelled":
        return None
    told = 0
    for signup in await store.events.signups(event.id):
        t = await translator_for(store, engine, signup.chat_id)
        await store.outbox.enqueue(signup.chat_id, team_message_notice(t, event, text), due_at=now,
                                   key=f"event:{event.id}:message:{message_key}:{signup.id}", purpose="event-message")
        told += 1
    return told


async def change_capacity(store: Store, engine: Dialogs, now: datetime, event_id: int, capacity: int | None
                          ) -> tuple[Event, int] | str:
    """New capacity (never below the seats already taken); waiting parties that now fit move up."""
    event = await store.events.lock(event_id)
    if event is None or event.status == "cancelled":
        return "gone"
    if capacity is not None and capacity < event.seats_taken:
        return "below"
    await store.events.update(event.id, capacity=capacity)
    promoted = await promote_waitlist(store, engine, now, event.id)
    event = await store.events.get(event.id)
    assert event is not None
    return event, len(promoted)


@dataclass
class ImportReport:
    created: list[Event] = field(default_factory=list)
    updated: list[Event] = field(default_factory=list)
    unchanged: int = 0
    cancelled: list[Event] = field(default_factory=list)
    told: int = 0


class ImportProblem(ValueError):
    """An entry cannot be imported; nothing has been written yet."""


def check_import(entries: list[CalendarEntry]) -> None:
    for entry in entries:
        if not entry.summary.strip():
            raise ImportProblem(f"the event with UID {entry.uid} has no title (SUMMARY)")
        if entry.ends_at is not None and entry.ends_at < entry.starts_at:
            raise ImportProblem(f"“{entry.summary}” (UID {entry.uid}) ends before it starts")


async def import_events(store: Store, engine: Dialogs, now: datetime, entries: list[CalendarEntry], *,
                        area_key: str | None = None, capacity: int | None = None,
                        max_party: int = 4) -> ImportReport:
    """Create or update events by their calendar UID (idempotent): the same file twice changes nothing.
    ``entries``: the timed single dates of a calendar file (:func:`dialogs.core.calendar.single_dates`).

    New events get ``area_key``, ``capacity`` and ``max_party``; for existing ones those stay as staff
    set them. A changed time or place is announced to the participants; STATUS:CANCELLED cancels.
    """
    check_import(entries)
    report = ImportReport()
    for entry in entries:
        title = clip(entry.summary, MAX_TITLE)
        text = EventText(title, clip(entry.description, MAX_DESCRIPTION))
        place = clip(entry.location, MAX_PLACE)
        existing = await store.events.by_uid(entry.uid)
        if existing is None:
            if entry.cancelled:
                report.unchanged += 1
                continue
            created = await store.events.create(NewEvent(
                texts={FALLBACK_LANGUAGE: text}, place=place, starts_at=entry.starts_at, ends_at=entry.ends_at,
                area_key=area_key, capacity=capacity, max_party=max_party, uid=entry.uid, source="import"))
            report.created.append(created)
            continue
        if existing.status == "cancelled":
            report.unchanged += 1
            continue
        if entry.cancelled:
            report.told += await cancel_event(store, engine, now, existing.id) or 0
            cancelled = await store.events.get(existing.id)
            assert cancelled is not None
            report.cancelled.append(cancelled)
            continue
        changed = False
        if existing.texts.get(FALLBACK_LANGUAGE) != text:
            await store.events.set_texts(existing.id, {**existing.texts, FALLBACK_LANGUAGE: text})
            changed = True
        if area_key is not None and existing.area_key != area_key:
            await store.events.update(existing.id, area_key=area_key)
            changed = True
        if (entry.starts_at, entry.ends_at, place) != (existing.starts_at, existing.ends_at, existing.place):
            result = await change_event(store, engine, now, existing.id, starts_at=entry.starts_at,
                                        ends_at=entry.ends_at, place=place)
            if result is not None:
                report.told += result[1]
                changed = True
        if changed:
            updated = await store.events.get(existing.id)
            assert updated is not None
            report.updated.append(updated)
        else:
            report.unchanged += 1
    return report
