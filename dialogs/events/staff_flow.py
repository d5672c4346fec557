"""Events for the team: create, change, close, cancel, see who is coming — in the staff chat.

Guided creation (each team member has their own draft, kept across restarts)::

    /newevent ─> title (German) ─> description (German, or skip)
             ─> "another language?" [English] [Türkçe] … [Continue]  ─> title, description in it … ─┐
             ─> area [QM …] [All areas] ─> place ─> start "24.12.2026 18:00" ─> end "20:00"          │
             ─> capacity (number or [No limit]) ─> max. party size [1] [2] [4] [6]                 <─┘
             ─> registration deadline (date and time, or [Until the start])
             ─> reminders [2 days and 2 hours before] [No reminders] or typed "3d 1h"
             ─> preview [✅ Publish] [✏️ change a field …] [🗑 Discard]

    /editevent ID ─> card [🕒 Time] [📍 Place] [👥 Capacity] [⏰ Reminders]
        time / place ─> typed ─> "tell N people?" [✅ Change and tell them] ─> notices in their languages,
                                                                              reminders re-queued
        capacity ─> typed / [No limit] ─> applied; waiting parties that now fit are promoted
    /closeevent ID, /reopenevent ID       registration closed / open again
    /cancelevent ID ─> "tell N people?" [Yes, cancel the event] ─> everyone told, reminders dropped
    /signups ID                            who is coming, who is waiting (display names only)
    /eventlist                             upcoming events with their numbers

The import of calendar files (``kiezbot events import``) uses :func:`import_events` here, so a
re-imported change of time or place reaches participants exactly like a change made in the chat.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from dialogs.core.engine import Context, Dialogs
from dialogs.events.rules import (DEFAULT_REMINDER_LEADS, FALLBACK_LANGUAGE, MAX_DESCRIPTION, MAX_PLACE, MAX_TITLE,
                                 Event, EventText, ImportedEvent, NewEvent)
from dialogs.events.resident_flow import (cancelled_notice, change_notice, promote_waitlist, reschedule_reminders, title_of,
                            translator_for, when_of)
from dialogs.core.i18n import N_, Translator
from dialogs.core.messages import Button
from dialogs.core.ports import ChatState, Store
from dialogs.core.staff_input import InputError, local_time, parse_leads, parse_time, parse_when, read_when
from dialogs.privacy.resident_flow import log_staff_access
from dialogs.core.text import clip, esc

MAX_CAPACITY = 10000
MAX_PARTY = 20


# --- reading what staff type: dialogs.core.staff_input (one grammar for every staff flow) -------
def parse_span(text: str, now: datetime, tz: str, duration: timedelta | None
               ) -> tuple[datetime, datetime | None] | None:
    """ "24.12.2026 18:00-20:00" -> (start, end); "24.12.2026 18:00" -> (start, start + ``duration``)."""
    match = _SPAN.match(text.strip())
    if match:
        start = parse_when(match.group(1), now, tz)
        end_clock = parse_time(match.group(2))
        if start is not None and end_clock is not None:
            try:
                return start, local_time(start.date(), end_clock, tz, match.group(2))
            except InputError:
                return None
    start = parse_when(text, now, tz)
    if start is None:
        return None
    return start, (start + duration if duration is not None else None)


_SPAN = re.compile(r"^(.*\d)\s*[-–]\s*(\d{1,2}(?:[:.]\d{2})?\s*(?:uhr|h)?)$", re.I)


def read_leads(text: str) -> tuple[int, ...] | None:
    """ "3d 1h", "2 Tage, 2 Stunden", "90 min" -> minutes before the start, largest first; None: unreadable."""
    try:
        leads = parse_leads(text)
    except ValueError:
        return None
    return tuple(sorted({lead.total_minutes for lead in leads}, reverse=True))


def leads_text(t: Translator, leads: tuple[int, ...] | list[int]) -> str:
    if not leads:
        return t._("no reminders")
    items = []
    for lead in sorted(leads, reverse=True):
        if lead % 1440 == 0:
            items.append(t.ngettext("{n} day before", "{n} days before", lead // 1440))
        elif lead % 60 == 0:
            items.append(t.ngettext("{n} hour before", "{n} hours before", lead // 60))
        else:
            items.append(t.ngettext("{n} minute before", "{n} minutes before", lead))
    return ", ".join(items)


def capacity_text(t: Translator, capacity: int | None) -> str:
    return t._("no limit") if capacity is None else t.number(capacity)


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


def check_import(entries: list[ImportedEvent]) -> None:
    for entry in entries:
        if not entry.title.strip():
            raise ImportProblem(f"the event with UID {entry.uid} has no title (SUMMARY)")
        if entry.ends_at is not None and entry.ends_at < entry.starts_at:
            raise ImportProblem(f"“{entry.title}” (UID {entry.uid}) ends before it starts")


async def import_events(store: Store, engine: Dialogs, now: datetime, entries: list[ImportedEvent], *,
                        area_key: str | None = None, capacity: int | None = None,
                        max_party: int = 4) -> ImportReport:
    """Create or update events by their calendar UID (idempotent): the same file twice changes nothing.

    New events get ``area_key``, ``capacity`` and ``max_party``; for existing ones those stay as staff
    set them. A changed time or place is announced to the participants; STATUS:CANCELLED cancels.
    """
    check_import(entries)
    report = ImportReport()
    for entry in entries:
        title = clip(entry.title, MAX_TITLE)
        text = EventText(title, clip(entry.description, MAX_DESCRIPTION))
        place = clip(entry.place, MAX_PLACE)
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


# --- the staff conversation -----------------------------------------------------------------------
EDIT_STEPS = {"etime", "eplace", "ecap", "erem", "confirm", "confirmcancel"}
FIELDS = ["title", "description", "languages", "area", "place", "start", "end", "capacity", "party", "deadline",
          "reminders"]


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _stay(ctx: Context, step: str) -> None:
    ctx.state = ChatState(f"evadm.{step}", ctx.data)


def _language_name(ctx: Context, code: str) -> str:
    return ctx.engine.language(code).name if code in ctx.engine.catalogs.by_code else code


async def new_event(ctx: Context) -> None:
    ctx.goto("evadm.title", texts={}, lang=FALLBACK_LANGUAGE, leads=list(DEFAULT_REMINDER_LEADS), editing=False)
    ctx.say(ctx._("<b>New event</b> — I will ask step by step; /cancel stops.") + "\n\n" + _title_question(ctx))


def _title_question(ctx: Context) -> str:
    lang = ctx.data.get("lang", FALLBACK_LANGUAGE)
    return ctx._("What is the title in {language}?", language=_language_name(ctx, lang))


async def ask(ctx: Context, name: str) -> None:
    t = ctx.t
    _stay(ctx, name)
    if name == "title":
        ctx.say(_title_question(ctx))
    elif name == "description":
        ctx.say(t._("A short description in {language} (what, for whom, what to bring)?",
                    language=_language_name(ctx, ctx.data.get("lang", FALLBACK_LANGUAGE))),
                [[Button(t._("Skip"), "evadm:skip")]])
    elif name == "languages":
        have = set(ctx.data.get("texts", {}))
        others = [lang for lang in ctx.engine.catalogs.languages if lang.code not in have]
        buttons = [Button(lang.name, f"evadm:lang:{lang.code}") for lang in others]
        rows = [buttons[i:i + 3] for i in range(0, len(buttons), 3)]
        rows.append([Button(t._("Continue ▶"), "evadm:langs")])
        ctx.say(t._("Add the title in another language? Optional — residents without their language see the "
                    "German text."), rows)
    elif name == "area":
        areas = await ctx.store.areas.all()
        rows = [[Button(area.name, f"evadm:area:{area.key}")] for area in areas]
        rows.append([Button(t._("All areas"), "evadm:area:-")])
        ctx.say(t._("For which area is the event?"), rows)
    elif name == "place":
        ctx.say(t._("Where does it take place? (address or room, for example <i>Nachbarschaftsladen, "
                    "Badstraße 10</i>)"))
    elif name == "start":
        ctx.say(t._("When does it start? Date and time, for example <i>24.12.2026 18:00</i>."))
    elif name == "end":
        ctx.say(t._("When does it end? A time on the same day (<i>20:00</i>) or date and time."))
    elif name == "capacity":
        ctx.say(t._("How many places are there? Type a number."), [[Button(t._("No limit"), "evadm:cap:none")]])
    elif name == "party":
        ctx.say(t._("How many people may one resident sign up at most (including themselves)?"),
                [[Button(t.number(n), f"evadm:party:{n}") for n in (1, 2, 4, 6)]])
    elif name == "deadline":
        ctx.say(t._("Until when can residents sign up? Date and time, for example <i>22.12.2026 12:00</i>."),
                [[Button(t._("Until the start"), "evadm:dl:none")]])
    elif name == "reminders":
        ctx.say(t._("Reminders to the participants before the event? Type other times like <i>3d 1h</i> "
                    "(days, hours, minutes)."),
                [[Button(t._("2 days and 2 hours before"), "evadm:rem:default")],
                 [Button(t._("No reminders"), "evadm:rem:none")]])


async def advance(ctx: Context, done: str) -> None:
    if (ctx.data.get("editing") and done != "title") or done == FIELDS[-1]:
        return await preview(ctx)
    return await ask(ctx, FIELDS[FIELDS.index(done) + 1])


def draft_lines(ctx: Context) -> list[str]:
    t, d = ctx.t, ctx.data
    lines = []
    for code, text in d.get("texts", {}).items():
        own = code == t.code                      # text in another language: isolated in Arabic
        title, description = esc(text["title"]), esc(clip(text.get("description", ""), 300))
        lines.append(f"<b>{title if own else t.ltr(title)}</b> ({esc(_language_name(ctx, code))})")
        if description:
            lines.append(description if own else t.ltr(description))
    start, end, deadline = _dt(d.get("start")), _dt(d.get("end")), _dt(d.get("deadline"))
    area = t.ltr(esc(d["area_name"])) if d.get("area_name") else t._("All areas")
    lines.append(t._("Area: {area}", area=area))
    lines.append(t._("Place: {place}", place=t.ltr(esc(d.get("place", "")))))
    if start:
        if end and t.date(end) == t.date(start):
            when = t._("{date}, {start} – {end}", date=t.date(start), start=t.time(start), end=t.time(end))
        else:
            when = t.datetime(start, "short") + (f" – {t.datetime(end, 'short')}" if end else "")
        lines.append(t._("When: {when}", when=when))
    lines.append(t._("Places: {capacity}", capacity=capacity_text(t, d.get("capacity"))))
    lines.append(t._("At most {n} people per sign-up", n=t.number(d.get("max_party", 1))))
    lines.append(t._("Registration until: {deadline}",
                     deadline=t.datetime(deadline, "short") if deadline else t._("the start")))
    lines.append(t._("Reminders: {leads}", leads=leads_text(t, d.get("leads", []))))
    return lines


async def preview(ctx: Context) -> None:
    t = ctx.t
    ctx.data["editing"] = True
    _stay(ctx, "preview")
    rows = [[Button(t._("✅ Publish"), "evadm:publish")],
            [Button(t._("✏️ Title/text"), "evadm:fix:title"), Button(t._("✏️ Area"), "evadm:fix:area"),
             Button(t._("✏️ Place"), "evadm:fix:place")],
            [Button(t._("✏️ Start"), "evadm:fix:start"), Button(t._("✏️ End"), "evadm:fix:end"),
             Button(t._("✏️ Places"), "evadm:fix:capacity")],
            [Button(t._("✏️ Party size"), "evadm:fix:party"), Button(t._("✏️ Deadline"), "evadm:fix:deadline"),
             Button(t._("✏️ Reminders"), "evadm:fix:reminders")],
            [Button(t._("🗑 Discard"), "evadm:discard")]]
    ctx.say(t._("<b>Preview</b> — is everything right?") + "\n\n" + "\n".join(draft_lines(ctx)), rows)


def _check_times(ctx: Context) -> str:
    """A reason the draft's times do not fit together, or ""."""
    t, d = ctx.t, ctx.data
    start, end, deadline = _dt(d.get("start")), _dt(d.get("end")), _dt(d.get("deadline"))
    if start is not None and start <= ctx.now:
        return t._("This time is in the past. Please type a future date and time.")
    if start is not None and end is not None and end <= start:
        return t._("The end must be after the start ({start}).", start=t.datetime(start, "short"))
    if start is not None and deadline is not None and deadline > start:
        return t._("The registration deadline must be before the start ({start}).", start=t.datetime(start, "short"))
    if deadline is not None and deadline <= ctx.now:
        return t._("This time is in the past. Please type a future date and time.")
    return ""


async def publish(ctx: Context) -> None:
    t, d = ctx.t, ctx.data
    start = _dt(d.get("start"))
    problem = _check_times(ctx) if start else t._("The start time is missing.")
    if problem:                                   # e.g. the preview was left open until the start passed
        ctx.say(problem)
        return await ask(ctx, "start")
    assert start is not None
    texts = {code: EventText(v["title"], v.get("description", "")) for code, v in d.get("texts", {}).items()}
    event = await ctx.store.events.create(NewEvent(
        texts=texts, place=d.get("place", ""), starts_at=start, ends_at=_dt(d.get("end")),
        area_key=d.get("area") or None, capacity=d.get("capacity"), max_party=int(d.get("max_party", 1)),
        registration_deadline=_dt(d.get("deadline")), reminder_leads=tuple(d.get("leads", ())),
        source="staff"))
    ctx.reset()
    ctx.say(t._("✅ Published as event {id}. Residents find it under /events. Change it with /editevent {id}, "
                "see sign-ups with /signups {id}.", id=event.id))


async def on_text(ctx: Context) -> None:
    """A team member answers the step they are in."""
    step = ctx.step.split(".", 1)[1] if "." in ctx.step else ""
    t, inbound = ctx.t, ctx.inbound
    text = inbound.text.strip() if inbound.kind == "text" else ""
    if not text:
        ctx.say(t._("Please answer with text, or /cancel."))
        return
    if step in EDIT_STEPS:
        return await on_edit_text(ctx, step, text)
    if step == "title":
        if len(text) > MAX_TITLE:
            ctx.say(t._("Please keep the title under {n} characters.", n=t.number(MAX_TITLE)))
            return
        texts = ctx.data.setdefault("texts", {})
        lang = ctx.data.get("lang", FALLBACK_LANGUAGE)
        texts[lang] = {"title": text, "description": texts.get(lang, {}).get("description", "")}
        return await ask(ctx, "description")
    if step == "description":
        lang = ctx.data.get("lang", FALLBACK_LANGUAGE)
        ctx.data.setdefault("texts", {}).setdefault(lang, {"title": "", "description": ""})["description"] = \
            clip(text, MAX_DESCRIPTION)
        return await after_description(ctx)
    if step == "place":
        ctx.data["place"] = clip(text, MAX_PLACE)
        return await advance(ctx, "place")
    if step in ("start", "deadline"):
        try:
            when = read_when(text, ctx.now, ctx.engine.timezone)
        except InputError as error:
            ctx.say(error.html(t) if error.kind == "gap" else
                    t._("I could not read this date. Please write it like <i>24.12.2026 18:00</i>."))
            return
        previous = ctx.data.get(step)
        ctx.data[step] = when.isoformat()
        problem = _check_times(ctx)
        if problem:
            ctx.data[step] = previous
            ctx.say(problem)
            return await ask(ctx, step)
        return await advance(ctx, step)
    if step == "end":
        start = _dt(ctx.data.get("start"))
        clock, tz = parse_time(text), ctx.engine.timezone
        try:
            when = local_time(start.astimezone(ZoneInfo(tz)).date(), clock, tz, text) if clock and start \
                else read_when(text, ctx.now, tz)
        except InputError as error:
            ctx.say(error.html(t) if error.kind == "gap" else
                    t._("I could not read this time. Please write it like <i>20:00</i> or <i>24.12.2026 20:00</i>."))
            return
        previous = ctx.data.get("end")
        ctx.data["end"] = when.isoformat()
        problem = _check_times(ctx)
        if problem:
            ctx.data["end"] = previous
            ctx.say(problem)
            return await ask(ctx, "end")
        return await advance(ctx, "end")
    if step == "capacity":
        if not text.isdecimal() or not 1 <= int(text) <= MAX_CAPACITY:
            ctx.say(t._("Please type a number of places from 1 to {max}, or tap “No limit”.",
                        max=t.number(MAX_CAPACITY)), [[Button(t._("No limit"), "evadm:cap:none")]])
            return
        ctx.data["capacity"] = int(text)
        return await advance(ctx, "capacity")
    if step == "party":
        if not text.isdecimal() or not 1 <= int(text) <= MAX_PARTY:
            ctx.say(t._("Please type a number from 1 to {max}.", max=t.number(MAX_PARTY)))
            return
        ctx.data["max_party"] = int(text)
        return await advance(ctx, "party")
    if step == "reminders":
        leads = read_leads(text)
        if leads is None:
            ctx.say(t._("I could not read this. Examples: <i>2d 2h</i>, <i>1 day</i>, <i>90 min</i>."))
            return
        ctx.data["leads"] = list(leads)
        return await advance(ctx, "reminders")
    if step == "preview":
        return await preview(ctx)
    ctx.say(t._("Please tap one of the buttons above, or /cancel."))


async def after_description(ctx: Context) -> None:
    if ctx.data.get("editing") and ctx.data.get("lang") == FALLBACK_LANGUAGE:
        return await preview(ctx)
    return await ask(ctx, "languages")


async def on_button(ctx: Context) -> None:
    action, arg, extra = ctx.inbound.parts(3)
    t = ctx.t
    step = ctx.step.split(".", 1)[1] if ctx.step.startswith("evadm.") else ""
    # Buttons that act on a stored event (everyone on the team may press them).
    if action in ("e", "apply", "cancelok", "ecap") and arg.isdecimal():
        return await on_event_button(ctx, action, int(arg), extra)
    valid = {"skip": {"description"}, "lang": {"languages"}, "langs": {"languages"}, "area": {"area"},
             "cap": {"capacity"}, "party": {"party"}, "dl": {"deadline"}, "rem": {"reminders", "erem"},
             "publish": {"preview"}, "discard": {"preview"}, "fix": {"preview"},
             "abort": {"confirm", "confirmcancel", "etime", "eplace", "ecap", "erem"}}
    if step not in valid.get(action, set()):
        ctx.toast = t._("This button is no longer valid.")
        return
    if action == "abort":
        ctx.reset()
        ctx.say(t._("Cancelled. Nothing was changed."))
        return
    if action == "skip":
        return await after_description(ctx)
    if action == "lang":
        if arg not in ctx.engine.catalogs.by_code or arg in ctx.data.get("texts", {}):
            ctx.toast = t._("This button is no longer valid.")
            return
        ctx.data["lang"] = arg
        return await ask(ctx, "title")
    if action == "langs":
        ctx.data["lang"] = FALLBACK_LANGUAGE
        return await advance(ctx, "languages")
    if action == "area":
        area = await ctx.store.areas.get(arg) if arg != "-" else None
        if arg != "-" and area is None:
            ctx.toast = t._("This button is no longer valid.")
            return
        ctx.data["area"] = area.key if area else ""
        ctx.data["area_name"] = area.name if area else ""
        return await advance(ctx, "area")
    if action == "cap":
        ctx.data["capacity"] = None
        return await advance(ctx, "capacity")
    if action == "party" and arg.isdecimal() and 1 <= int(arg) <= MAX_PARTY:
        ctx.data["max_party"] = int(arg)
        return await advance(ctx, "party")
    if action == "dl":
        ctx.data["deadline"] = None
        return await advance(ctx, "deadline")
    if action == "rem" and arg in ("default", "none"):
        leads = list(DEFAULT_REMINDER_LEADS) if arg == "default" else []
        if step == "erem":
            return await apply_leads(ctx, leads)
        ctx.data["leads"] = leads
        return await advance(ctx, "reminders")
    if action == "publish":
        return await publish(ctx)
    if action == "discard":
        ctx.reset()
        ctx.say(t._("Discarded. Nothing was published."))
        return
    if action == "fix" and arg in FIELDS:
        if arg == "title":
            ctx.data["lang"] = FALLBACK_LANGUAGE
        return await ask(ctx, arg)
    ctx.toast = t._("This button is no longer valid.")


# --- commands on stored events -------------------------------------------------------------------
async def _event_from_args(ctx: Context, command: str) -> Event | None:
    arg = ctx.inbound.text.strip().lstrip("#")
    event = await ctx.store.events.get(int(arg)) if arg.isdecimal() and len(arg) < 10 else None
    if event is None:
        if arg:
            ctx.say(ctx._("There is no event {id}. /eventlist shows the numbers.", id=esc(clip(arg, 12))))
        else:
            ctx.say(ctx._("Please add the event number, for example <i>/{command} 12</i>. /eventlist shows "
                          "the numbers.", command=command))
    return event


def event_card(ctx: Context, event: Event) -> str:
    t = ctx.t
    lines = [f"<b>{event.id}. {title_of(t, event)}</b>", "🕒 " + when_of(t, event)]
    if event.place:
        lines.append("📍 " + t.ltr(esc(event.place)))
    taken = t._("{taken} of {capacity} places taken", taken=t.number(event.seats_taken),
                capacity=capacity_text(t, event.capacity))
    lines.append("👥 " + taken + " · " + t.ngettext("{n} waiting", "{n} waiting", event.waitlisted))
    status = {"open": t._("registration open"), "closed": t._("registration closed"),
              "cancelled": t._("cancelled")}[event.status]
    lines.append(t._("Status: {status}", status=status))
    lines.append(t._("Reminders: {leads}", leads=leads_text(t, event.reminder_leads)))
    return "\n".join(lines)


async def edit_event(ctx: Context) -> None:
    event = await _event_from_args(ctx, "editevent")
    if event is None:
        return
    await show_edit_menu(ctx, event)


async def show_edit_menu(ctx: Context, event: Event) -> None:
    t = ctx.t
    ctx.reset()
    if event.status == "cancelled":
        ctx.say(event_card(ctx, event) + "\n\n" + t._("A cancelled event cannot be changed."))
        return
    ctx.say(event_card(ctx, event) + "\n\n" + t._("What do you want to change?"),
            [[Button(t._("🕒 Time"), f"evadm:e:{event.id}:time"), Button(t._("📍 Place"), f"evadm:e:{event.id}:place")],
             [Button(t._("👥 Places"), f"evadm:e:{event.id}:cap"),
              Button(t._("⏰ Reminders"), f"evadm:e:{event.id}:rem")]])


async def on_event_button(ctx: Context, action: str, event_id: int, extra: str) -> None:
    t = ctx.t
    event = await ctx.store.events.get(event_id)
    if event is None or event.status == "cancelled":
        ctx.toast = t._("This event has been cancelled or deleted.")
        return
    if action == "e":
        if extra == "time":
            ctx.goto("evadm.etime", event_id=event.id)
            ctx.say(t._("New date and time? For example <i>24.12.2026 18:00-20:00</i>, or only the start "
                        "(the length stays the same)."))
        elif extra == "place":
            ctx.goto("evadm.eplace", event_id=event.id)
            ctx.say(t._("Where does it take place now?"))
        elif extra == "cap":
            ctx.goto("evadm.ecap", event_id=event.id)
            ctx.say(t._("How many places in total? {taken} are taken now.", taken=t.number(event.seats_taken)),
                    [[Button(t._("No limit"), f"evadm:ecap:{event.id}:none")]])
        elif extra == "rem":
            ctx.goto("evadm.erem", event_id=event.id)
            ctx.say(t._("Reminders to the participants before the event? Type other times like <i>3d 1h</i> "
                        "(days, hours, minutes)."),
                    [[Button(t._("2 days and 2 hours before"), "evadm:rem:default")],
                     [Button(t._("No reminders"), "evadm:rem:none")]])
        else:
            ctx.toast = t._("This button is no longer valid.")
        return
    if action == "ecap" and extra == "none" and ctx.step == "evadm.ecap" and ctx.data.get("event_id") == event.id:
        return await apply_capacity(ctx, event.id, None)
    if action == "apply" and ctx.step == "evadm.confirm" and ctx.data.get("event_id") == event.id:
        return await apply_change(ctx, event.id)
    if action == "cancelok" and ctx.step == "evadm.confirmcancel" and ctx.data.get("event_id") == event.id:
        told = await cancel_event(ctx.store, ctx.engine, ctx.now, event.id)
        ctx.reset()
        ctx.say(t.ngettext("❌ Event {id} is cancelled. {n} person signed up or waiting will be told.",
                           "❌ Event {id} is cancelled. {n} people signed up or waiting will be told.",
                           told or 0, id=event.id))
        return
    ctx.toast = t._("This button is no longer valid.")


async def on_edit_text(ctx: Context, step: str, text: str) -> None:
    t = ctx.t
    event = await ctx.store.events.get(int(ctx.data.get("event_id") or 0))
    if event is None or event.status == "cancelled":
        ctx.reset()
        ctx.say(t._("This event has been cancelled or deleted."))
        return
    if step == "etime":
        duration = (event.ends_at - event.starts_at) if event.ends_at else None
        span = parse_span(text, ctx.now, ctx.engine.timezone, duration)
        if span is None:
            ctx.say(t._("I could not read this date. Please write it like <i>24.12.2026 18:00</i>."))
            return
        start, end = span
        if start <= ctx.now:
            ctx.say(t._("This time is in the past. Please type a future date and time."))
            return
        if end is not None and end <= start:
            ctx.say(t._("The end must be after the start ({start}).", start=t.datetime(start, "short")))
            return
        ctx.data.update(start=start.isoformat(), end=end.isoformat() if end else None)
        new = t._("{date}, {start} – {end}", date=t.date(start), start=t.time(start), end=t.time(end)) if end \
            else t._("{date}, {start}", date=t.date(start), start=t.time(start))
        change = t._("New time: {when}", when=new)
    elif step == "eplace":
        ctx.data["place"] = clip(text, MAX_PLACE)
        change = t._("New place: {place}", place=t.ltr(esc(ctx.data["place"])))
    elif step == "ecap":
        if not text.isdecimal() or not 1 <= int(text) <= MAX_CAPACITY:
            ctx.say(t._("Please type a number of places from 1 to {max}, or tap “No limit”.",
                        max=t.number(MAX_CAPACITY)), [[Button(t._("No limit"), f"evadm:ecap:{event.id}:none")]])
            return
        return await apply_capacity(ctx, event.id, int(text))
    elif step == "erem":
        leads = read_leads(text)
        if leads is None:
            ctx.say(t._("I could not read this. Examples: <i>2d 2h</i>, <i>1 day</i>, <i>90 min</i>."))
            return
        return await apply_leads(ctx, list(leads))
    else:
        ctx.say(t._("Please tap one of the buttons above, or /cancel."))
        return
    people = len(await ctx.store.events.signups(event.id))
    _stay(ctx, "confirm")
    ctx.say(change + "\n" + t.ngettext("{n} person signed up or waiting will be told in their language.",
                                       "{n} people signed up or waiting will be told in their language.", people),
            [[Button(t._("✅ Change and tell them"), f"evadm:apply:{event.id}"),
              Button(t._("Cancel"), "evadm:abort")]])


async def apply_change(ctx: Context, event_id: int) -> None:
    t, d = ctx.t, ctx.data
    if d.get("start"):
        start = _dt(d["start"])
        if start is None or start <= ctx.now:
            ctx.reset()
            ctx.say(t._("This time is in the past. Please type a future date and time."))
            return
        result = await change_event(ctx.store, ctx.engine, ctx.now, event_id, starts_at=start, ends_at=_dt(d.get("end")))
    else:
        result = await change_event(ctx.store, ctx.engine, ctx.now, event_id, place=d.get("place"))
    ctx.reset()
    if result is None:
        ctx.say(t._("This event has been cancelled or is over; nothing was changed."))
        return
    event, told = result
    ctx.say(t.ngettext("✅ Changed. {n} person will be told.", "✅ Changed. {n} people will be told.", told)
            + "\n\n" + event_card(ctx, event))


async def apply_capacity(ctx: Context, event_id: int, capacity: int | None) -> None:
    t = ctx.t
    result = await change_capacity(ctx.store, ctx.engine, ctx.now, event_id, capacity)
    if result == "below":
        event = await ctx.store.events.get(event_id)
        ctx.say(t._("{taken} places are already taken, so there must be at least that many. Residents can "
                    "cancel themselves; or cancel the event.", taken=t.number(event.seats_taken if event else 0)))
        return
    ctx.reset()
    if isinstance(result, str):
        ctx.say(t._("This event has been cancelled or deleted."))
        return
    event, promoted = result
    text = t._("✅ Places: {capacity}.", capacity=capacity_text(t, capacity))
    if promoted:
        text += " " + t.ngettext("{n} sign-up moved up from the waitlist and is told.",
                                 "{n} sign-ups moved up from the waitlist and are told.", promoted)
    ctx.say(text + "\n\n" + event_card(ctx, event))


async def apply_leads(ctx: Context, leads: list[int]) -> None:
    t = ctx.t
    event = await ctx.store.events.lock(int(ctx.data.get("event_id") or 0))
    ctx.reset()
    if event is None or event.status == "cancelled":
        ctx.say(t._("This event has been cancelled or deleted."))
        return
    await ctx.store.events.update(event.id, reminder_leads=leads)
    event = await ctx.store.events.get(event.id)
    assert event is not None
    await reschedule_reminders(ctx.store, ctx.engine, ctx.now, event)
    ctx.say(t._("✅ Reminders: {leads}.", leads=leads_text(t, event.reminder_leads)) + "\n\n" + event_card(ctx, event))


async def close_event(ctx: Context) -> None:
    await _set_status(ctx, "closeevent", "closed")


async def reopen_event(ctx: Context) -> None:
    await _set_status(ctx, "reopenevent", "open")


async def _set_status(ctx: Context, command: str, status: str) -> None:
    t = ctx.t
    event = await _event_from_args(ctx, command)
    if event is None:
        return
    event = await ctx.store.events.lock(event.id)
    assert event is not None
    if event.status == "cancelled":
        ctx.say(t._("A cancelled event cannot be changed."))
        return
    if event.status == status:
        ctx.say(t._("Registration is already closed.") if status == "closed" else t._("Registration is already open."))
        return
    await ctx.store.events.update(event.id, status=status)
    event = await ctx.store.events.get(event.id)
    assert event is not None
    ctx.reset()
    ctx.say((t._("🔒 Registration closed. Sign-ups stay; nobody new can sign up.") if status == "closed"
             else t._("🔓 Registration is open again.")) + "\n\n" + event_card(ctx, event))


async def ask_cancel_event(ctx: Context) -> None:
    t = ctx.t
    event = await _event_from_args(ctx, "cancelevent")
    if event is None:
        return
    if event.status == "cancelled":
        ctx.say(t._("Event {id} is already cancelled.", id=event.id))
        return
    people = len(await ctx.store.events.signups(event.id))
    ctx.goto("evadm.confirmcancel", event_id=event.id)
    ctx.say(event_card(ctx, event) + "\n\n" +
            t.ngettext("Really cancel this event? {n} person signed up or waiting will be told. This cannot be "
                       "undone.",
                       "Really cancel this event? {n} people signed up or waiting will be told. This cannot be "
                       "undone.", people),
            [[Button(t._("Yes, cancel the event"), f"evadm:cancelok:{event.id}"),
              Button(t._("No"), "evadm:abort")]])


async def list_signups(ctx: Context) -> None:
    t = ctx.t
    event = await _event_from_args(ctx, "signups")
    if event is None:
        return
    signups = await ctx.store.events.signups(event.id)
    for signup in signups:               # each resident can see in /mydata that the team saw the list
        await log_staff_access(ctx, "signups", signup.chat_id, detail=f"event {event.id}")
    lines = [event_card(ctx, event), ""]
    confirmed = [s for s in signups if s.status == "confirmed"]
    waiting = [s for s in signups if s.status == "waitlisted"]
    lines.append(t._("<b>Signed up</b>"))
    if not confirmed:
        lines.append(t._("nobody yet"))
    for i, s in enumerate(confirmed, 1):
        lines.append(t._("{i}. {name} — {party} — {time}", i=t.number(i), name=t.ltr(esc(s.display_name or "—")),
                         party=t.ngettext("{n} person", "{n} people", s.party_size),
                         time=t.datetime(s.signed_up_at, "short")))
    if waiting:
        lines += ["", t._("<b>Waitlist</b>")]
        for s in waiting:
            lines.append(t._("{i}. {name} — {party} — {time}", i=t.number(s.position or 0),
                             name=t.ltr(esc(s.display_name or "—")),
                             party=t.ngettext("{n} person", "{n} people", s.party_size),
                             time=t.datetime(s.signed_up_at, "short")))
    lines += ["", t._("As a spreadsheet: <code>kiezbot export signups {id} --format csv</code>", id=event.id)]
    ctx.say("\n".join(lines))


async def event_list(ctx: Context) -> None:
    t = ctx.t
    events = (await ctx.store.events.upcoming_page(ctx.now, limit=30)).events
    if not events:
        ctx.say(t._("No upcoming events. Create one with /newevent."))
        return
    ctx.say(t._("<b>Upcoming events</b>") + "\n\n" + "\n\n".join(event_card(ctx, e) for e in events))


def register(app: Dialogs) -> None:
    app.staff_command("newevent", new_event, N_("create an event step by step"))
    app.staff_command("eventlist", event_list, N_("upcoming events with their numbers"))
    app.staff_command("editevent", edit_event, N_("change time, place, places or reminders of an event"))
    app.staff_command("signups", list_signups, N_("who signed up for an event"))
    app.staff_command("closeevent", close_event, N_("close registration for an event"))
    app.staff_command("reopenevent", reopen_event, N_("open registration again"))
    app.staff_command("cancelevent", ask_cancel_event, N_("cancel an event and tell everyone"))
    app.staff_button("evadm", on_button)
    app.staff_step("evadm", on_text)

