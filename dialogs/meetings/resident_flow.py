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

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from html import escape as html_escape

from dialogs.core.engine import Context, Dialogs
from dialogs.core.i18n import N_, RLM, Translator
from dialogs.core.messages import Button, Reply
from dialogs.core.model import Area
from dialogs.core.ports import BODIES, Meeting, Outgoing, Store, Subscriber
from dialogs.ideas.rules import AKTIONSFONDS_CAP
from dialogs.core.text import clip, esc

BODY_NAMES = {"council": N_("Quartiersrat"), "jury": N_("Aktionsfondsjury")}
BODY_ICONS = {"council": "🏛", "jury": "⚖️"}
DEADLINE_REMINDER_TIME = time(10, 0)     # a friendly hour for "n days before the deadline"
LIST_LIMIT = 8
AGENDA_IN_LIST = 300
AGENDA_IN_REMINDER = 600


# --- lead times ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Lead:
    """How long before a session (or deadline) a reminder goes out: "1d", "2h", "30m"."""

    label: str
    days: int = 0
    minutes: int = 0


@dataclass(frozen=True)
class ReminderLeads:
    sessions: tuple[Lead, ...]
    deadlines: tuple[Lead, ...]


_LEAD = re.compile(r"^(\d{1,3})\s*([dhm])$")


def parse_leads(text: str) -> tuple[Lead, ...]:
    """``"1d,2h"`` -> leads, longest first. Empty or "none" means no reminders. Raises ValueError."""
    text = (text or "").strip().lower()
    if text in ("", "none", "off"):
        return ()
    leads: dict[str, Lead] = {}
    for part in text.split(","):
        match = _LEAD.match(part.strip())
        if not match:
            raise ValueError(f"{part.strip()!r} is not a lead time like 1d, 2h or 30m")
        amount, unit = int(match.group(1)), match.group(2)
        if amount == 0:
            raise ValueError(f"{part.strip()!r}: a lead time must be more than zero")
        lead = Lead(f"{amount}{unit}", days=amount) if unit == "d" else \
            Lead(f"{amount}{unit}", minutes=amount * (60 if unit == "h" else 1))
        if lead.days > 60 or lead.minutes > 60 * 24 * 60:
            raise ValueError(f"{part.strip()!r}: at most 60 days")
        leads[lead.label] = lead
    return tuple(sorted(leads.values(), key=lambda lead: (lead.days, lead.minutes), reverse=True))


DEFAULT_LEADS = ReminderLeads(sessions=parse_leads("1d,2h"), deadlines=parse_leads("3d"))


def configure(app: Dialogs, meeting_reminders: str = "1d,2h", deadline_reminders: str = "3d") -> None:
    app.options["meetings.leads"] = ReminderLeads(parse_leads(meeting_reminders), parse_leads(deadline_reminders))


def leads_of(app: Dialogs) -> ReminderLeads:
    return app.options.get("meetings.leads") or DEFAULT_LEADS


def reminder_times(meeting: Meeting, leads: ReminderLeads, tz) -> list[tuple[str, str, datetime]]:
    """(kind, key label, due time in UTC) of every reminder of ``meeting``; past ones included."""
    out: list[tuple[str, str, datetime]] = []
    start_local = meeting.starts_at.astimezone(tz)
    for lead in leads.sessions:
        if lead.days:
            # Same wall-clock time n days earlier, whatever the clocks did in between.
            due = (start_local - timedelta(days=lead.days)).replace(fold=0)
        else:
            due = meeting.starts_at - timedelta(minutes=lead.minutes)
        out.append(("session", lead.label, due.astimezone(meeting.starts_at.tzinfo)))
    if meeting.body == "jury" and meeting.deadline is not None:
        day = meeting.deadline.astimezone(tz).date()
        day_end = datetime.combine(day + timedelta(days=1), time(0), tz)
        for lead in leads.deadlines:
            if lead.days:
                due = datetime.combine(day - timedelta(days=lead.days), DEADLINE_REMINDER_TIME, tz)
            else:
                due = day_end - timedelta(minutes=lead.minutes)
            if due < meeting.starts_at:
                out.append(("deadline", "dl" + lead.label, due.astimezone(meeting.starts_at.tzinfo)))
    return out


def reminder_key(meeting: Meeting, label: str, subscriber: Subscriber) -> str:
    return f"meeting:{meeting.id}:{label}:{subscriber.chat_id}:{meeting.revision}.{subscriber.subscription_id}"


def end_of_day(day: date, tz) -> datetime:
    """The last second of ``day`` in the local time zone: a deadline "by 7 February"."""
    return datetime.combine(day, time(23, 59, 59), tz)


# --- texts -----------------------------------------------------------------------------------
def body_name(t: Translator, body: str) -> str:
    return t._(BODY_NAMES[body])


def title(t: Translator, meeting: Meeting, area_name: str) -> str:
    return f"{BODY_ICONS[meeting.body]} <b>{esc(body_name(t, meeting.body))}</b> · {t.ltr(esc(area_name))}"


def when(t: Translator, starts_at: datetime, ends_at: datetime | None = None) -> str:
    if ends_at is not None and ends_at.astimezone(t.tz).date() == starts_at.astimezone(t.tz).date():
        return t._("{date}, {start} to {end}", date=t.date(starts_at), start=t.time(starts_at), end=t.time(ends_at))
    return t._("{date} at {time}", date=t.date(starts_at), time=t.time(starts_at))


def agenda_of(t: Translator, meeting: Meeting) -> tuple[str, bool]:
    """The agenda in the reader's language, else German; second value: shown in German as fallback."""
    text = meeting.agenda.get(t.code)
    if text:
        return text, False
    german = meeting.agenda.get("de") or ""
    return german, bool(german) and not t.code.startswith("de")


def safe_url(url: str) -> str:
    return html_escape(url, quote=True)


def details(t: Translator, meeting: Meeting, *, agenda_limit: int) -> list[str]:
    """Place, agenda and deadline lines of a session, as residents read them."""
    lines = [t._("📍 {place}", place=t.ltr(esc(meeting.place)))]
    agenda, in_german = agenda_of(t, meeting)
    if agenda:
        shown = esc(clip(agenda, agenda_limit))
        if in_german:
            # German inside a right-to-left message: each line keeps its own direction
            shown = "\n".join(t.ltr(line) if line.strip() else line for line in shown.split("\n"))
            shown += " " + t._("(in German)")
        lines.append(t._("📝 Agenda: {agenda}", agenda=shown))
    if meeting.agenda_url:
        lines.append(t._("🔗 <a href=\"{url}\">Agenda (document)</a>", url=safe_url(meeting.agenda_url)))
    if meeting.body == "jury" and meeting.deadline is not None:
        lines.append(t._("⏳ Applications to the Aktionsfonds by: {date}", date=t.date(meeting.deadline)))
    return lines


def session_text(t: Translator, meeting: Meeting, area_name: str, *, agenda_limit: int = AGENDA_IN_LIST) -> str:
    return "\n".join([title(t, meeting, area_name), "🗓 " + when(t, meeting.starts_at, meeting.ends_at),
                      *details(t, meeting, agenda_limit=agenda_limit)])


def _rtl(t: Translator, text: str) -> str:
    # Outbox messages do not pass the engine's finishing step: add the right-to-left mark here.
    return RLM + text if t.rtl and not text.startswith(RLM) else text


def reminder_buttons(t: Translator, meeting: Meeting) -> list[list[Button]]:
    return [[Button(t._("🔕 Unsubscribe"), f"meet:unsub:{meeting.body}:{meeting.area_key}"),
             Button(t._("📅 All sessions"), f"meet:view:{meeting.area_key}")]]


def session_reminder(t: Translator, meeting: Meeting, area_name: str) -> Reply:
    text = t._("🔔 <b>Reminder</b>") + "\n" + session_text(t, meeting, area_name, agenda_limit=AGENDA_IN_REMINDER)
    if meeting.body == "council":
        text += "\n\n" + t._("The session is public: everyone is welcome to listen.")
    return Reply(_rtl(t, text), reminder_buttons(t, meeting))


def deadline_reminder(t: Translator, meeting: Meeting, area_name: str) -> Reply:
    assert meeting.deadline is not None
    text = "\n".join([
        t._("⏳ <b>Aktionsfonds: deadline for applications</b>"),
        title(t, meeting, area_name),
        t._("Applications for the jury session on {session} must reach the neighbourhood office by {deadline}.",
            session=t.date(meeting.starts_at), deadline=t.date(meeting.deadline)),
        "",
        t._("The Aktionsfonds pays up to {amount} for material for a small action by residents in the "
            "neighbourhood. The team helps you fill in the form.", amount=t.money(AKTIONSFONDS_CAP, whole=True))])
    return Reply(_rtl(t, text), reminder_buttons(t, meeting))


def moved_notice(t: Translator, old: Meeting, new: Meeting, area_name: str) -> Reply:
    text = "\n".join([
        t._("📅 <b>New date</b>"),
        title(t, new, area_name),
        t._("Instead of {old}, the session now takes place on:", old=when(t, old.starts_at, old.ends_at)),
        "🗓 <b>" + when(t, new.starts_at, new.ends_at) + "</b>",
        *details(t, new, agenda_limit=AGENDA_IN_REMINDER)])
    return Reply(_rtl(t, text), reminder_buttons(t, new))


def new_place_notice(t: Translator, old: Meeting, new: Meeting, area_name: str) -> Reply:
    """Same date, another place (a changed calendar entry re-imported)."""
    text = "\n".join([
        t._("📍 <b>New place</b>"),
        title(t, new, area_name),
        "🗓 " + when(t, new.starts_at, new.ends_at),
        t._("Previous place: {old}. The session now takes place here:", old=t.ltr(esc(old.place))),
        "<b>" + t._("📍 {place}", place=t.ltr(esc(new.place))) + "</b>",
        *details(t, new, agenda_limit=AGENDA_IN_REMINDER)[1:]])
    return Reply(_rtl(t, text), reminder_buttons(t, new))


def cancelled_notice(t: Translator, meeting: Meeting, area_name: str) -> Reply:
    text = "\n".join([
        t._("❌ <b>Cancelled</b>"),
        title(t, meeting, area_name),
        "🗓 " + when(t, meeting.starts_at, meeting.ends_at),
        t._("This session will not take place.")])
    return Reply(_rtl(t, text), reminder_buttons(t, meeting))


# --- planning and cancelling reminders (used by the staff flow and the command line) ----------
async def area_name(store: Store, key: str) -> str:
    area = await store.areas.get(key)
    return area.name if area is not None else key


class Texts:
    """Messages of one session rendered once per language, shared by all its subscribers."""

    def __init__(self, app: Dialogs, name: str) -> None:
        self.app = app
        self.name = name
        self._cache: dict[tuple[str, str], Reply] = {}

    def get(self, language: str, kind: str, meeting: Meeting, old: Meeting | None = None) -> Reply:
        if (language, kind) not in self._cache:
            t = self.app.translator(language)
            if kind == "session":
                reply = session_reminder(t, meeting, self.name)
            elif kind == "deadline":
                reply = deadline_reminder(t, meeting, self.name)
            elif kind == "moved":
                assert old is not None
                reply = moved_notice(t, old, meeting, self.name)
            elif kind == "place":
                assert old is not None
                reply = new_place_notice(t, old, meeting, self.name)
            else:
                reply = cancelled_notice(t, meeting, self.name)
            self._cache[(language, kind)] = reply
        return self._cache[(language, kind)]


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

