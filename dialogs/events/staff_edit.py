"""Commands of the team on stored events: /editevent (time, place, places, reminders), /closeevent,
/reopenevent, /cancelevent, /signups, /eventlist. The guided creation is in :mod:`dialogs.events.staff_flow`."""
from __future__ import annotations

from dialogs.core.engine import Context
from dialogs.core.messages import Button
from dialogs.core.text import clip, esc
from dialogs.events.resident_flow import reschedule_reminders
from dialogs.events.rules import MAX_PLACE, Event
from dialogs.events.staff_services import cancel_event, change_capacity, change_event, set_registration
from dialogs.events.staff_texts import (MAX_CAPACITY, _dt, _stay, capacity_text, event_card, leads_text, parse_span,
                                        read_leads)
from dialogs.privacy.resident_flow import log_staff_access


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
    outcome, changed = await set_registration(ctx.store, event.id, status)
    if outcome == "cancelled":
        ctx.say(t._("A cancelled event cannot be changed."))
        return
    if outcome == "same":
        ctx.say(t._("Registration is already closed.") if status == "closed" else t._("Registration is already open."))
        return
    assert changed is not None
    ctx.reset()
    ctx.say((t._("🔒 Registration closed. Sign-ups stay; nobody new can sign up.") if status == "closed"
             else t._("🔓 Registration is open again.")) + "\n\n" + event_card(ctx, changed))


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
