"""Council and jury sessions for residents, and the reminders that go with them.

Steps (all buttons; nothing to type)::

    /meetings or menu "🏛 Council & jury"
        ├─ resident's area known ──> area view: what the bodies are, next sessions, reminder buttons
        └─ otherwise ─────────────> pick an area (or "All areas") ──> area view
    area view ──"🔔 Remind me: Quartiersrat"──> subscribed, view redrawn in place (and back with 🔕)
              ──"Other areas"──> pick an area / all areas
    reminder (from the outbox) ──"🔕 Unsubscribe"──> no more reminders for that body and area
                                                    └─"🔔 Subscribe again" (undo)

Reminders: one outbox row per subscriber and lead time, keyed
``meeting:{id}:{lead}:{chat_id}:{revision}.{subscription}`` and rendered in the subscriber's
language when planned. The tail makes a moved session (new revision) or a renewed subscription
plan fresh rows — a key that was sent or cancelled once is never reused. Day leads ("1d") keep
the wall-clock time in Europe/Berlin across daylight-saving changes; hour leads ("2h") are exact.
Jury deadlines are reminded at 10:00 on the day ``n`` days before the deadline day.

Callback data is never trusted: body and area are checked on every press, and a resident can only
ever change their own subscriptions.
"""
from __future__ import annotations

from dialogs.core.engine import Context, Dialogs
from dialogs.core.i18n import N_
from dialogs.core.messages import Button
from dialogs.core.model import Area
from dialogs.core.ports import BODIES
from dialogs.core.text import esc
from dialogs.ideas.rules import AKTIONSFONDS_CAP
from dialogs.meetings.reminders import (  # noqa: F401
    _LEAD,
    DEADLINE_REMINDER_TIME,
    DEFAULT_LEADS,
    Lead,
    ReminderLeads,
    configure,
    end_of_day,
    leads_of,
    parse_leads,
    reminder_key,
    reminder_times,
)
from dialogs.meetings.sessions import (  # noqa: F401
    Planned,
    Revised,
    cancel_session,
    move_session,
    reminders,
    revise_session,
    schedule_session,
    subscribe,
    unsubscribe,
)
from dialogs.meetings.texts import (  # noqa: F401
    AGENDA_IN_LIST,
    AGENDA_IN_REMINDER,
    BODY_ICONS,
    BODY_NAMES,
    Texts,
    _rtl,
    agenda_of,
    area_name,
    body_name,
    cancelled_notice,
    deadline_reminder,
    details,
    moved_notice,
    new_place_notice,
    reminder_buttons,
    safe_url,
    session_reminder,
    session_text,
    title,
    when,
)

LIST_LIMIT = 8


# --- the resident's views --------------------------------------------------------------------
def invalid(ctx: Context) -> None:
    ctx.toast = ctx._("This button is no longer valid.")


async def start(ctx: Context) -> None:
    area = await ctx.store.areas.get(ctx.resident.area_key) if ctx.resident.area_key else None
    if area is None:
        return await choose_area(ctx)
    await area_view(ctx, area)


async def choose_area(ctx: Context, *, edit: bool = False) -> None:
    areas = await ctx.store.areas.all()
    buttons = [[Button(area.name, f"meet:area:{area.key}")] for area in areas]
    buttons.append([Button(ctx._("All areas"), "meet:all:"), Button(ctx._("Main menu"), "menu:")])
    ctx.say(ctx._("Sessions of the neighbourhood council and the action fund jury: which area would you like "
                  "to see?"), buttons, edit=edit)


def explanations(ctx: Context) -> list[str]:
    return [ctx._("The <b>Quartiersrat</b> (neighbourhood council) of residents and local groups co-decides "
                  "which projects in the neighbourhood get money. Its sessions are public."),
            ctx._("The <b>Aktionsfondsjury</b> (action fund jury) is made up of residents and decides on small "
                  "actions by residents of up to {amount}.", amount=ctx.t.money(AKTIONSFONDS_CAP, whole=True))]


async def area_view(ctx: Context, area: Area, *, edit: bool = False) -> None:
    t = ctx.t
    meetings = await ctx.store.meetings.upcoming(ctx.now, area_key=area.key, limit=LIST_LIMIT)
    mine = await ctx.store.meetings.subscriptions(ctx.resident.chat_id)
    lines = [t._("<b>Council and jury: {area}</b>", area=t.ltr(esc(area.name))), "", *explanations(ctx), ""]
    if meetings:
        lines.append(t._("<b>Next sessions</b>"))
        for meeting in meetings:
            lines += ["", session_text(t, meeting, area.name)]
    else:
        lines.append(t._("No sessions are planned at the moment."))
    lines += ["", t._("Would you like a reminder before each session? Tap a button — and tap it again to stop.")]
    buttons: list[list[Button]] = []
    for body in BODIES:
        if (body, area.key) in mine:
            label = t._("🔕 Stop reminders: {body}", body=body_name(t, body))
            buttons.append([Button(label, f"meet:off:{body}:{area.key}")])
        else:
            label = t._("🔔 Remind me: {body}", body=body_name(t, body))
            buttons.append([Button(label, f"meet:on:{body}:{area.key}")])
    buttons.append([Button(t._("🗺 Other areas"), "meet:areas:"), Button(t._("Main menu"), "menu:")])
    ctx.say("\n".join(lines), buttons, edit=edit)


async def all_areas(ctx: Context, *, edit: bool = False) -> None:
    t = ctx.t
    areas = {area.key: area for area in await ctx.store.areas.all()}
    meetings = [m for m in await ctx.store.meetings.upcoming(ctx.now, limit=3 * LIST_LIMIT) if m.area_key in areas]
    lines = [t._("<b>Council and jury: all areas</b>"), "", *explanations(ctx), ""]
    if meetings:
        lines.append(t._("<b>Next sessions</b>"))
        for meeting in meetings[:2 * LIST_LIMIT]:
            lines += ["", session_text(t, meeting, areas[meeting.area_key].name, agenda_limit=120)]
    else:
        lines.append(t._("No sessions are planned at the moment."))
    lines += ["", t._("Reminders are set per area: pick one.")]
    buttons = [[Button(area.name, f"meet:area:{area.key}")] for area in areas.values()]
    buttons.append([Button(t._("Main menu"), "menu:")])
    ctx.say("\n".join(lines), buttons, edit=edit)


async def on_button(ctx: Context) -> None:
    parts = ctx.inbound.data.split(":")
    action = parts[1] if len(parts) > 1 else ""
    if action == "start":
        ctx.reset()
        return await start(ctx)
    if action == "areas":
        return await choose_area(ctx, edit=True)
    if action == "all":
        return await all_areas(ctx, edit=True)
    if action in ("area", "view") and len(parts) == 3:
        area = await ctx.store.areas.get(parts[2])
        if area is None:
            invalid(ctx)
            return await choose_area(ctx)
        if action == "area":
            ctx.resident.area_key = area.key        # /meetings opens this area next time
        # From a reminder ("view") a new message, so the reminder itself stays readable.
        return await area_view(ctx, area, edit=action == "area")
    if action in ("on", "off", "unsub", "resub") and len(parts) == 4 and parts[2] in BODIES:
        area = await ctx.store.areas.get(parts[3])
        if area is not None:
            return await change_subscription(ctx, action, parts[2], area)
    invalid(ctx)


async def change_subscription(ctx: Context, action: str, body: str, area: Area) -> None:
    t = ctx.t
    chat_id = ctx.resident.chat_id
    topic = f"<b>{esc(body_name(t, body))}</b> · {t.ltr(esc(area.name))}"
    short = f"{body_name(t, body)} · {area.name}"
    if action in ("on", "resub"):
        changed = await subscribe(ctx.engine, ctx.store, chat_id, body, area.key, ctx.now)
        ctx.toast = t._("🔔 Reminders on: {topic}", topic=short)
        if action == "on":
            return await area_view(ctx, area, edit=True)
        ctx.say(t._("🔔 Done: you will get reminders again for {topic}.", topic=topic) if changed else
                t._("You already get reminders for {topic}.", topic=topic))
        return
    changed = await unsubscribe(ctx.store, chat_id, body, area.key, ctx.now)
    ctx.toast = t._("🔕 Reminders off: {topic}", topic=short)
    if action == "off":
        return await area_view(ctx, area, edit=True)
    if changed:
        text = t._("🔕 Done: no more reminders for {topic}.", topic=topic)
    else:
        text = t._("You get no reminders for {topic} — nothing to do.", topic=topic)
    ctx.say(text, [[Button(t._("🔔 Subscribe again"), f"meet:resub:{body}:{area.key}"),
                    Button(t._("📅 All sessions"), f"meet:view:{area.key}")]])


def register(app: Dialogs) -> None:
    app.command("meetings", start, N_("sessions of the neighbourhood council and the action fund jury"))
    app.button("meet", on_button)
    app.menu_entry(50, N_("🏛 Council & jury"), "meet:start")
    app.options.setdefault("meetings.leads", DEFAULT_LEADS)

