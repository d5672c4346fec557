"""Neighbourhood events for residents: browse, sign up, waitlist, calendar file, cancel, reminders.

Steps::

    menu "📅 Events" or /events ──> list, 5 per page, the resident's area (+ events for all areas)
        │   [1. title] … [◀] [▶] [🌍 All areas | 📍 My area] [Main menu]
        └─ title ──> event card: date and time, place, text, free places / "waitlist", own status
              ├─ [✅ Sign up] or [⏳ Join the waitlist] ──> "how many people?" [1]…[max]   step events.party
              │        ├─ seats free ──> confirmed + .ics calendar file (+ reminders scheduled)
              │        └─ full ────────> waitlisted, position N
              │      (refused kindly: past event, after the registration deadline, closed, cancelled)
              └─ [❌ Cancel my sign-up] ──> "really?" ──> cancelled; the first waiting party that fits
                                                        is promoted and told (with "give the place back")

    /mysignups ──> own sign-ups [ℹ️ title] [❌ Cancel] … [🔕 reminders off | 🔔 reminders on]

Also here, because residents read them: the notices other chats receive through the outbox —
promotion, reminder, change of time or place, cancellation — each in the recipient's language.

Buttons carry event or sign-up ids; every press re-checks on the server that the event still takes
sign-ups and that the sign-up belongs to the presser.
"""
from __future__ import annotations

from dialogs.core.engine import Context, Dialogs
from dialogs.core.i18n import N_, Translator
from dialogs.core.messages import Button
from dialogs.core.text import clip, esc
from dialogs.events.rules import refusal_reason, registration_open, reminder_prefix  # noqa: F401
from dialogs.events.signups import (  # noqa: F401
    Booking,
    Withdrawal,
    book,
    promote_waitlist,
    reschedule_reminders,
    schedule_reminders,
    withdraw,
    withdraw_all,
)
from dialogs.events.texts import (  # noqa: F401
    calendar_document,
    cancelled_notice,
    change_notice,
    ics_name,
    places_of,
    promoted_notice,
    reminder_notice,
    status_of,
    summary_lines,
    title_of,
    translator_for,
    when_of,
)
from dialogs.privacy import resident_flow as privacy

PAGE_SIZE = 5
MAX_PARTY_BUTTONS = 10


# --- the resident's conversation ----------------------------------------------------------------
def _int(value: str) -> int | None:
    return int(value) if value.isdecimal() and len(value) < 10 else None


async def show_events(ctx: Context) -> None:
    await show_list(ctx, 0, "m" if ctx.resident.area_key else "a")


async def show_list(ctx: Context, page: int, scope: str, *, edit: bool = False) -> None:
    t = ctx.t
    area_key = ctx.resident.area_key if scope == "m" else None
    if area_key is None:
        scope = "a"
    area = await ctx.store.areas.get(area_key) if area_key else None
    if area is None:
        scope, area_key = "a", None
    offset = max(page, 0) * PAGE_SIZE     # one page read in SQL, with the number of all
    found = await ctx.store.events.upcoming_page(ctx.now, area_key, offset=offset, limit=PAGE_SIZE)
    pages = max(1, (found.total + PAGE_SIZE - 1) // PAGE_SIZE)
    page = min(max(page, 0), pages - 1)
    if page * PAGE_SIZE != offset:        # past the end (events gone meanwhile): the last page there is
        found = await ctx.store.events.upcoming_page(ctx.now, area_key, offset=page * PAGE_SIZE, limit=PAGE_SIZE)
    shown = found.events
    if area is not None:
        head = t._("<b>Upcoming events in {area}</b> (and for all areas)", area=t.ltr(esc(area.name)))
    else:
        head = t._("<b>Upcoming events in all our areas</b>")
    if pages > 1:
        head += "\n" + t._("Page {page} of {pages}", page=t.number(page + 1),
                            pages=t.number(pages) + ("" if found.exact else "+"))
    blocks = [head]
    buttons: list[list[Button]] = []
    if not shown:
        blocks.append(t._("There are no upcoming events at the moment. Please look again in a few days."))
    for i, event in enumerate(shown, page * PAGE_SIZE + 1):
        lines = summary_lines(t, event, ctx.now)
        lines[0] = f"{t.number(i)}. {lines[0]}"
        blocks.append("\n".join(lines))
        # The scope rides along, so "◀ All events" returns to this very list (all areas or only theirs).
        buttons.append([Button(f"{i}. {clip(event.text(t.code).title, 50)}", f"ev:show:{event.id}:{scope}")])
    nav = []
    if page > 0:
        nav.append(Button(t._("◀ Earlier"), f"ev:list:{page - 1}:{scope}"))
    if page < pages - 1:
        nav.append(Button(t._("Later ▶"), f"ev:list:{page + 1}:{scope}"))
    if nav:
        buttons.append(nav)
    if scope == "m":
        buttons.append([Button(t._("🌍 All areas"), "ev:list:0:a")])
    elif ctx.resident.area_key:
        buttons.append([Button(t._("📍 Only my area"), "ev:list:0:m")])
    buttons.append([Button(t._("My sign-ups"), "ev:mine:"), Button(t._("Main menu"), "menu:")])
    ctx.reset()
    ctx.say("\n\n".join(blocks), buttons, edit=edit)


async def show_event(ctx: Context, event_id: int, *, edit: bool = False, scope: str = "") -> None:
    t = ctx.t
    event = await ctx.store.events.get(event_id)
    if event is None or event.status == "cancelled" or (event.ends_at or event.starts_at) <= ctx.now:
        ctx.toast = t._("This event is no longer on the list.")
        return await show_list(ctx, 0, "m" if ctx.resident.area_key else "a")
    lines = summary_lines(t, event, ctx.now)
    text = event.text(t.code)
    if text.description:
        description = esc(clip(text.description, 1500))
        if not event.has_text(t.code):
            description = t.ltr(description) + " " + t._("(in German)")
        lines += ["", description]
    if event.registration_deadline and registration_open(event, ctx.now):
        lines.append(t._("Sign up by {date}, {time}.", date=t.date(event.registration_deadline),
                         time=t.time(event.registration_deadline)))
    signup = await ctx.store.events.active_signup(event.id, ctx.resident.chat_id)
    buttons: list[list[Button]] = []
    if signup is not None:
        lines += ["", "<b>" + status_of(t, signup) + "</b>"]
        if signup.status == "confirmed":
            buttons.append([Button(t._("📎 Calendar file"), f"ev:ics:{event.id}")])
            buttons.append([Button(t._("❌ Cancel my sign-up"), f"ev:drop:{signup.id}")])
        else:
            buttons.append([Button(t._("❌ Leave the waitlist"), f"ev:drop:{signup.id}")])
    elif registration_open(event, ctx.now):
        label = t._("⏳ Join the waitlist") if event.is_full() else t._("✅ Sign up")
        buttons.append([Button(label, f"ev:join:{event.id}")])
    buttons.append([Button(t._("◀ All events"), f"ev:list:0:{scope}"), Button(t._("Main menu"), "menu:")])
    ctx.reset()
    ctx.say("\n".join(lines), buttons, edit=edit)


def refusal_text(t: Translator, booking: Booking) -> str:
    event = booking.event
    if booking.reason == "gone" or event is None:
        return t._("Sorry, I cannot find this event any more.")
    title = title_of(t, event)
    if booking.reason == "cancelled":
        return t._("Sorry, “{title}” has been cancelled.", title=title)
    if booking.reason == "past":
        return t._("“{title}” has already started or taken place, so signing up is no longer possible.",
                   title=title)
    if booking.reason == "deadline":
        return t._("Sorry, registration for “{title}” ended on {date} at {time}. Please ask the "
                   "neighbourhood office whether there is still room.", title=title,
                   date=t.date(event.registration_ends), time=t.time(event.registration_ends))
    if booking.reason == "closed":
        return t._("Sorry, registration for “{title}” is closed. Please ask the neighbourhood office "
                   "whether there is still room.", title=title)
    return t.ngettext("For this event you can sign up at most 1 person.",
                      "For this event you can sign up at most {n} people.", event.max_party)


async def ask_party(ctx: Context, event_id: int) -> None:
    t = ctx.t
    event = await ctx.store.events.get(event_id)
    reason = refusal_reason(event, ctx.now)
    if reason or event is None:
        return await answer_booking(ctx, Booking("refused", event, reason=reason or "gone"))
    existing = await ctx.store.events.active_signup(event.id, ctx.resident.chat_id)
    if existing is not None:
        return await answer_booking(ctx, Booking("already", event, existing))
    if event.max_party <= 1:
        return await sign_up(ctx, event.id, 1)
    ctx.goto("events.party", event_id=event.id)
    count = min(event.max_party, MAX_PARTY_BUTTONS)
    numbers = [Button(t.number(n), f"ev:party:{event.id}:{n}") for n in range(1, count + 1)]
    rows = [numbers[i:i + 5] for i in range(0, len(numbers), 5)]
    rows.append([Button(t._("◀ Back"), f"ev:show:{event.id}")])
    text = t._("How many people are coming, including you?")
    if event.is_full():
        text = t._("This event is fully booked, but you can join the waitlist.") + "\n" + text
    elif event.free_places is not None:
        text = t.ngettext("{n} place is still free.", "{n} places are still free.", event.free_places) + "\n" + text
    ctx.say(text, rows)


async def sign_up(ctx: Context, event_id: int, party_size: int) -> None:
    booking = await book(ctx.store, ctx.engine, ctx.now, event_id, ctx.resident.chat_id,
                         ctx.inbound.sender.display_name or ctx.resident.display_name, party_size)
    await answer_booking(ctx, booking)


async def answer_booking(ctx: Context, booking: Booking) -> None:
    t = ctx.t
    event, signup = booking.event, booking.signup
    menu = [[Button(t._("My sign-ups"), "ev:mine:"), Button(t._("◀ All events"), "ev:list:0:")]]
    ctx.reset()
    if booking.outcome == "refused" or event is None or signup is None:
        if booking.reason == "party" and event is not None:
            ctx.say(refusal_text(t, booking))
            return await ask_party(ctx, event.id)
        ctx.say(refusal_text(t, booking), menu)
        return
    title = title_of(t, event)
    if booking.outcome == "already":
        ctx.say(t._("You have already signed up for “{title}”.", title=title) + "\n" + status_of(t, signup), menu)
        return
    if booking.outcome == "waitlisted":
        if event.capacity is not None and event.free_places:
            text = t.ngettext("Only {n} place is free — not enough for your group.",
                              "Only {n} places are free — not enough for your group.", event.free_places)
        else:
            text = t._("“{title}” is fully booked.", title=title)
        text += "\n" + t._("You are on the waitlist at position {position}. If a place becomes free, you get it "
                           "automatically and I will tell you.", position=t.number(signup.position or 0))
        ctx.say(text, menu)
        return
    text = t.ngettext("✅ You are signed up for “{title}”, for 1 person.",
                      "✅ You are signed up for “{title}”, for {n} people.", signup.party_size, title=title)
    text += "\n🕒 " + when_of(t, event)
    if event.place:
        text += "\n📍 " + t.ltr(esc(clip(event.place, 200)))
    if booking.reminders:
        text += "\n" + t._("I will remind you before the event. You can turn reminders off in /mysignups.")
    text += "\n" + t._("If you cannot come, please cancel in /mysignups so that someone else can go.")
    reply = ctx.say(text, menu)
    reply.document = calendar_document(t, event, ctx.now, ctx.engine.timezone)


async def my_signups(ctx: Context, *, edit: bool = False) -> None:
    t = ctx.t
    mine = await ctx.store.events.signups_of(ctx.resident.chat_id, ctx.now)
    lines = [t._("<b>Your sign-ups</b>")]
    buttons: list[list[Button]] = []
    if not mine:
        lines.append(t._("You have not signed up for any upcoming event."))
    for i, (signup, event) in enumerate(mine, 1):
        lines.append(f"\n{t.number(i)}. <b>{title_of(t, event)}</b>\n🕒 {when_of(t, event)}\n{status_of(t, signup)}")
        buttons.append([Button(f"ℹ️ {i}. {clip(event.text(t.code).title, 30)}", f"ev:show:{event.id}"),
                        Button(t._("❌ Cancel"), f"ev:drop:{signup.id}")])
    if await ctx.store.events.reminders_enabled(ctx.resident.chat_id):
        lines.append("\n" + t._("🔔 Event reminders are on."))
        buttons.append([Button(t._("🔕 Turn reminders off"), "ev:rem:off")])
    else:
        lines.append("\n" + t._("🔕 Event reminders are off."))
        buttons.append([Button(t._("🔔 Turn reminders on"), "ev:rem:on")])
    buttons.append([Button(t._("📅 Events"), "ev:list:0:"), Button(t._("Main menu"), "menu:")])
    ctx.reset()
    ctx.say("\n".join(lines), buttons, edit=edit)


async def ask_drop(ctx: Context, signup_id: int) -> None:
    t = ctx.t
    signup = await ctx.store.events.signup(signup_id)
    event = await ctx.store.events.get(signup.event_id) if signup else None
    if signup is None or event is None or signup.chat_id != ctx.resident.chat_id or signup.status == "cancelled":
        ctx.toast = t._("This sign-up is no longer active.")
        return await my_signups(ctx)
    if signup.status == "confirmed":
        text = t._("Do you really want to cancel your sign-up for “{title}”? Your place goes to the next "
                   "person on the waitlist.", title=title_of(t, event))
        yes = t._("Yes, cancel it")
    else:
        text = t._("Do you really want to leave the waitlist for “{title}”?", title=title_of(t, event))
        yes = t._("Yes, leave the waitlist")
    ctx.reset()
    ctx.say(text, [[Button(yes, f"ev:dropok:{signup.id}"), Button(t._("No, keep it"), f"ev:show:{event.id}")]])


async def drop(ctx: Context, signup_id: int) -> None:
    t = ctx.t
    result = await withdraw(ctx.store, ctx.engine, ctx.now, signup_id, ctx.resident.chat_id)
    if result is None:
        ctx.toast = t._("This sign-up is no longer active.")
        return await my_signups(ctx)
    text = t._("Done: your sign-up for “{title}” is cancelled.", title=title_of(t, result.event))
    if result.promoted:
        text += "\n" + t._("Thank you — your place went to someone on the waitlist.")
    ctx.reset()
    ctx.say(text, [[Button(t._("My sign-ups"), "ev:mine:"), Button(t._("◀ All events"), "ev:list:0:")]])


async def set_reminders(ctx: Context, enabled: bool) -> None:
    store = ctx.store
    await store.events.set_reminders_enabled(ctx.resident.chat_id, enabled)
    for signup, event in await store.events.signups_of(ctx.resident.chat_id, ctx.now):
        await store.outbox.cancel(reminder_prefix(event.id, signup.id))
        if enabled:
            await schedule_reminders(store, ctx.engine, ctx.now, event, signup)
    ctx.toast = ctx._("Event reminders are on.") if enabled else ctx._("Event reminders are off.")
    await my_signups(ctx, edit=True)


async def send_calendar_file(ctx: Context, event_id: int) -> None:
    event = await ctx.store.events.get(event_id)
    signup = await ctx.store.events.active_signup(event_id, ctx.resident.chat_id) if event else None
    if event is None or signup is None or signup.status != "confirmed":
        ctx.toast = ctx._("This sign-up is no longer active.")
        return await my_signups(ctx)
    ctx.say("", document=calendar_document(ctx.t, event, ctx.now, ctx.engine.timezone))


async def on_button(ctx: Context) -> None:
    action, arg, extra = ctx.inbound.parts(3)
    number = _int(arg)
    if action == "list":
        scope = extra if extra in ("a", "m") else ("m" if ctx.resident.area_key else "a")
        return await show_list(ctx, number or 0, scope, edit=True)
    if action == "mine":
        return await my_signups(ctx)
    if action == "rem" and arg in ("on", "off"):
        return await set_reminders(ctx, arg == "on")
    if number is not None:
        if action == "show":
            return await show_event(ctx, number, scope=extra if extra in ("a", "m") else "")
        if action == "join":
            return await ask_party(ctx, number)
        if action == "party" and _int(extra) is not None:
            return await sign_up(ctx, number, _int(extra) or 0)
        if action == "drop":
            return await ask_drop(ctx, number)
        if action == "dropok":
            return await drop(ctx, number)
        if action == "ics":
            return await send_calendar_file(ctx, number)
    ctx.toast = ctx._("This button is no longer valid.")
    await show_events(ctx)


async def on_party_text(ctx: Context) -> None:
    event_id = ctx.data.get("event_id")
    text = ctx.inbound.text.strip() if ctx.inbound.kind == "text" else ""
    if isinstance(event_id, int) and text.isdecimal() and len(text) < 4:
        return await sign_up(ctx, event_id, int(text))
    if isinstance(event_id, int):
        ctx.say(ctx._("Please tap a number, or type how many people are coming, for example <i>2</i>."))
        return await ask_party(ctx, event_id)
    await show_events(ctx)


def register(app: Dialogs) -> None:
    privacy.before_erasure("events", withdraw_all)
    app.command("events", show_events, N_("upcoming events in your neighbourhood"))
    app.command("mysignups", my_signups, N_("your event sign-ups: cancel, reminders"))
    app.button("ev", on_button)
    app.step("events", on_party_text)
    app.menu_entry(40, N_("📅 Events"), "ev:list:0:")
