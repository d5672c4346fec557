"""Sessions and subscriptions: the rules the chat, the CLI, the calendar import and the console share —
scheduling, moving, revising and cancelling a session re-plans its reminders for every subscriber."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from dialogs.core.engine import Dialogs
from dialogs.core.ports import Meeting, Outgoing, Store, Subscriber
from dialogs.meetings.reminders import leads_of, reminder_key, reminder_times
from dialogs.meetings.texts import Texts, area_name


def reminders(app: Dialogs, meeting: Meeting, subscriber: Subscriber, texts: Texts, now: datetime) -> list[Outgoing]:
    """This subscriber's future reminders of ``meeting``, in their language."""
    out = []
    for kind, label, due in reminder_times(meeting, leads_of(app), app.translator(subscriber.language).tz):
        if due <= now:
            continue      # a lead time already past is not sent late
        out.append(Outgoing(subscriber.chat_id, texts.get(subscriber.language, kind, meeting), due_at=due,
                            key=reminder_key(meeting, label, subscriber), purpose="meeting-reminder"))
    return out


@dataclass(frozen=True)
class Planned:
    meeting: Meeting
    subscribers: int
    reminders: int


async def schedule_session(app: Dialogs, store: Store, meeting: Meeting, now: datetime) -> Planned:
    """Save a new session and plan the reminders of everyone subscribed to its body and area."""
    await store.meetings.lock_topic(meeting.body, meeting.area_key)
    saved = await store.meetings.add(meeting)
    texts = Texts(app, await area_name(store, saved.area_key))
    subscribers = await store.meetings.subscribers(saved.body, saved.area_key)
    batch = [m for s in subscribers for m in reminders(app, saved, s, texts, now)]
    await store.outbox.enqueue_many(batch)
    return Planned(saved, len(subscribers), len(batch))


async def move_session(app: Dialogs, store: Store, meeting_id: int, revision: int, starts_at: datetime,
                       ends_at: datetime | None, deadline: datetime | None, now: datetime) -> Planned | None:
    """Move a session: pending reminders are cancelled, subscribers told, new reminders planned.

    None when the session is gone, cancelled, or was moved by someone else since ``revision``.
    """
    old = await store.meetings.get(meeting_id)
    if old is None or old.status != "scheduled" or old.revision != revision:
        return None
    await store.meetings.lock_topic(old.body, old.area_key)
    moved = await store.meetings.move(meeting_id, revision, starts_at, ends_at, deadline)
    if moved is None:
        return None
    await store.outbox.cancel(f"meeting:{meeting_id}:")
    texts = Texts(app, await area_name(store, moved.area_key))
    subscribers = await store.meetings.subscribers(moved.body, moved.area_key)
    notices = [Outgoing(s.chat_id, texts.get(s.language, "moved", moved, old), due_at=now,
                        key=f"meeting:{meeting_id}:moved{moved.revision}:{s.chat_id}", purpose="meeting-notice")
               for s in subscribers]
    batch = [m for s in subscribers for m in reminders(app, moved, s, texts, now)]
    await store.outbox.enqueue_many(notices + batch)
    return Planned(moved, len(subscribers), len(batch))


@dataclass(frozen=True)
class Revised:
    meeting: Meeting
    old: Meeting
    subscribers: int
    reminders: int
    told: int              # subscribers sent a "new date" or "new place" notice


async def revise_session(app: Dialogs, store: Store, meeting_id: int, revision: int, changes: dict,
                         now: datetime) -> Revised | None:
    """Change a session's time, place, agenda or deadline (a re-imported calendar entry) as one revision.

    Pending reminders are cancelled and planned anew with the new details. Subscribers are told when
    the time changed (as a move: "new date") or else when the place changed ("new place"); a changed
    agenda or deadline reaches them with the next reminder. None when the session is gone, cancelled,
    or was changed by someone else since ``revision``.
    """
    old = await store.meetings.get(meeting_id)
    if old is None or old.status != "scheduled" or old.revision != revision:
        return None
    await store.meetings.lock_topic(old.body, old.area_key)
    new = await store.meetings.revise(meeting_id, revision, **changes)
    if new is None:
        return None
    await store.outbox.cancel(f"meeting:{meeting_id}:")
    texts = Texts(app, await area_name(store, new.area_key))
    subscribers = await store.meetings.subscribers(new.body, new.area_key)
    if (new.starts_at, new.ends_at) != (old.starts_at, old.ends_at):
        kind = "moved"
    elif new.place != old.place:
        kind = "place"
    else:
        kind = ""
    notices = [Outgoing(s.chat_id, texts.get(s.language, kind, new, old), due_at=now,
                        key=f"meeting:{meeting_id}:{kind}{new.revision}:{s.chat_id}", purpose="meeting-notice")
               for s in subscribers] if kind else []
    batch = [m for s in subscribers for m in reminders(app, new, s, texts, now)]
    await store.outbox.enqueue_many(notices + batch)
    return Revised(new, old, len(subscribers), len(batch), len(notices))


async def cancel_session(app: Dialogs, store: Store, meeting_id: int, now: datetime) -> Planned | None:
    """Cancel a session: its pending reminders are cancelled and subscribers told. None if not scheduled."""
    current = await store.meetings.get(meeting_id)
    if current is None or current.status != "scheduled":
        return None
    await store.meetings.lock_topic(current.body, current.area_key)
    cancelled = await store.meetings.cancel(meeting_id)
    if cancelled is None:
        return None
    await store.outbox.cancel(f"meeting:{meeting_id}:")
    texts = Texts(app, await area_name(store, cancelled.area_key))
    subscribers = await store.meetings.subscribers(cancelled.body, cancelled.area_key)
    await store.outbox.enqueue_many([
        Outgoing(s.chat_id, texts.get(s.language, "cancelled", cancelled), due_at=now,
                 key=f"meeting:{meeting_id}:cancelled:{s.chat_id}", purpose="meeting-notice") for s in subscribers])
    return Planned(cancelled, len(subscribers), 0)


async def subscribe(app: Dialogs, store: Store, chat_id: int, body: str, area_key: str, now: datetime) -> bool:
    """Subscribe and plan the reminders of sessions already planned. False if subscribed already."""
    await store.meetings.lock_topic(body, area_key)
    subscriber = await store.meetings.subscribe(chat_id, body, area_key)
    if subscriber is None:
        return False
    name = await area_name(store, area_key)
    batch = []
    for meeting in await store.meetings.upcoming(now, area_key=area_key, body=body, limit=50):
        batch += reminders(app, meeting, subscriber, Texts(app, name), now)
    await store.outbox.enqueue_many(batch)
    return True


async def unsubscribe(store: Store, chat_id: int, body: str, area_key: str, now: datetime) -> bool:
    """Unsubscribe and cancel this resident's pending reminders. False if there was nothing to end."""
    await store.meetings.lock_topic(body, area_key)
    removed = await store.meetings.unsubscribe(chat_id, body, area_key)
    # Sessions that started within the last day may still have an undelivered reminder pending.
    meetings = await store.meetings.upcoming(now - timedelta(days=1), area_key=area_key, body=body, limit=200)
    await store.meetings.cancel_reminders(chat_id, [m.id for m in meetings])
    return removed
