"""Signing up, the waitlist and withdrawing: the rules the chat, the CLI and the console share
(capacity, party size, reminders scheduled per sign-up)."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from dialogs.core.engine import Dialogs
from dialogs.core.ports import Store
from dialogs.events.rules import Event, Signup, refusal_reason, reminder_key, reminder_prefix, reminder_times
from dialogs.events.texts import promoted_notice, reminder_notice, translator_for


# --- the rules, with their side effects (used by the resident flow, the staff flow and the CLI) --
@dataclass(frozen=True)
class Booking:
    outcome: str                 # confirmed, waitlisted, already, refused
    event: Event | None
    signup: Signup | None = None
    reason: str = ""             # for refused: gone, cancelled, past, deadline, closed, party
    reminders: int = 0           # reminders queued for this sign-up



async def schedule_reminders(store: Store, engine: Dialogs, now: datetime, event: Event, signup: Signup) -> int:
    """Queue this confirmed sign-up's reminders (none if the resident turned them off)."""
    if signup.status != "confirmed" or not event.reminder_leads:
        return 0
    if not await store.events.reminders_enabled(signup.chat_id):
        return 0
    times = reminder_times(event, now)
    if not times:
        return 0
    round_ = await store.events.next_reminder_round(signup.id)
    t = await translator_for(store, engine, signup.chat_id)
    for lead, due in times:
        await store.outbox.enqueue(signup.chat_id, reminder_notice(t, event, signup), due_at=due,
                                   key=reminder_key(event.id, signup.id, lead, round_), purpose="event-reminder")
    return len(times)


async def reschedule_reminders(store: Store, engine: Dialogs, now: datetime, event: Event) -> None:
    """After a change of time, place or lead times: drop the queued reminders and queue new ones."""
    await store.outbox.cancel(reminder_prefix(event.id))
    for signup in await store.events.signups(event.id, ("confirmed",)):
        await schedule_reminders(store, engine, now, event, signup)


async def promote_waitlist(store: Store, engine: Dialogs, now: datetime, event_id: int) -> list[Signup]:
    """Give free seats to waiting parties in arrival order — each one that fits — and tell them.

    Call with the event locked (inside :func:`withdraw` or a staff change of capacity).
    """
    event = await store.events.get(event_id)
    if event is None or event.status == "cancelled" or event.starts_at <= now:
        return []
    promoted = []
    for waiting in await store.events.signups(event_id, ("waitlisted",)):
        if event.capacity is not None and event.seats_taken >= event.capacity:
            break
        if not await store.events.take_seats(event_id, waiting.party_size):
            continue                                   # too large for the seats left: the next may fit
        await store.events.set_signup_status(waiting.id, "confirmed")
        event = await store.events.get(event_id)
        assert event is not None
        signup = await store.events.signup(waiting.id)
        assert signup is not None
        t = await translator_for(store, engine, signup.chat_id)
        # Keyed, so that cancelling the event also withdraws a notice not yet sent.
        await store.outbox.enqueue(signup.chat_id, promoted_notice(t, event, signup, now, engine.timezone),
                                   due_at=now, key=f"event:{event_id}:promoted:{signup.id}",
                                   purpose="event-promoted")
        await schedule_reminders(store, engine, now, event, signup)
        promoted.append(signup)
    return promoted


async def book(store: Store, engine: Dialogs, now: datetime, event_id: int, chat_id: int, display_name: str,
               party_size: int) -> Booking:
    """Sign up ``party_size`` people: confirmed while seats are free, else on the waitlist."""
    event = await store.events.lock(event_id)
    reason = refusal_reason(event, now)
    if reason:
        return Booking("refused", event, reason=reason)
    assert event is not None
    existing = await store.events.active_signup(event_id, chat_id)
    if existing is not None:
        return Booking("already", event, existing)
    if not 1 <= party_size <= event.max_party:
        return Booking("refused", event, reason="party")
    seated = await store.events.take_seats(event_id, party_size)
    signup = await store.events.add_signup(event_id, chat_id, display_name, party_size,
                                           "confirmed" if seated else "waitlisted", now)
    # The event as it is now, without reading it again while it is held.
    event = replace(event, seats_taken=event.seats_taken + party_size) if seated \
        else replace(event, waitlisted=event.waitlisted + 1)
    reminders = await schedule_reminders(store, engine, now, event, signup) if seated else 0
    return Booking("confirmed" if seated else "waitlisted", event, signup, reminders=reminders)


@dataclass(frozen=True)
class Withdrawal:
    signup: Signup               # as it was before
    event: Event
    promoted: list[Signup]


async def withdraw(store: Store, engine: Dialogs, now: datetime, signup_id: int, chat_id: int
                   ) -> Withdrawal | None:
    """Cancel a resident's own sign-up; a freed seat goes to the waitlist at once. None: nothing to cancel."""
    found = await store.events.signup(signup_id)
    if found is None or found.chat_id != chat_id:
        return None
    event = await store.events.lock(found.event_id)
    signup = await store.events.signup(signup_id)         # again, now that the event is held
    if event is None or signup is None or signup.status == "cancelled":
        return None
    await store.events.set_signup_status(signup.id, "cancelled")
    await store.outbox.cancel(reminder_prefix(event.id, signup.id))
    promoted: list[Signup] = []
    if signup.status == "confirmed":
        await store.events.release_seats(event.id, signup.party_size)
        promoted = await promote_waitlist(store, engine, now, event.id)
    return Withdrawal(signup, event, promoted)


async def withdraw_all(store: Store, engine: Dialogs, chat_id: int, now: datetime) -> int:
    """Before a resident's data are erased (/delete, retention): withdraw their sign-ups, so the places
    go to the waitlist and the promoted people are told."""
    withdrawn = 0
    for signup, _event in await store.events.signups_of(chat_id, now):
        if signup.status in ("confirmed", "waitlisted") and await withdraw(store, engine, now, signup.id, chat_id):
            withdrawn += 1
    return withdrawn
