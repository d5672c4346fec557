"""Events in the console: the list, one event with who signed up and who waits, its spreadsheet, a
message to everyone signed up, and cancelling.

    GET  /console/events?when=upcoming|past&area=…&page=…   the list (past: newest first)
    GET  /console/events/{id}                             the event, its sign-ups and waitlist
    GET  /console/events/{id}/signups.csv                 the same as CSV (through the one CSV guard)
    POST /console/events/{id}/message                     a text to everyone signed up or waiting
    POST /console/events/{id}/registration                status=closed|open: close registration, or reopen
    GET  /console/events/{id}/cancel                      "really cancel? N people will be told"
    POST /console/events/{id}/cancel                      cancel, and tell them

Showing or exporting the sign-ups is an access to residents' data: a line of the staff access log per
resident, as the chat's /signups and ``kiezbot export signups`` write, so each can see it in /mydata.
Messages and cancelling go through the chat's services and the outbox; their lines carry no text.
"""
from __future__ import annotations

import secrets

from aiohttp import web
from babel.dates import format_time

from console.forms import Form
from console.i18n import ConsoleTranslator
from console.pages.events_shared import actor, area_names, member, notices, unit_of_work
from console.web import SESSIONS, message, now, render, translator, url_for
from dialogs.core.csv_safe import csv_bytes
from dialogs.core.i18n import N_
from dialogs.events.rules import Event, Signup, signup_rows
from dialogs.events.staff_services import cancel_event, message_participants, set_registration
from locales import languages
from storage.event_lists import ALL_AREAS, event_list

NAMES = {lang.code: lang.name for lang in languages()}     # each language by its own name, as residents pick it
PAGE = 25
MAX_MESSAGE = 2000
STATUSES = {"open": N_("registration open"), "closed": N_("registration closed"), "cancelled": N_("cancelled")}
SIGNUP_STATUSES = {"confirmed": N_("signed up"), "waitlisted": N_("waiting"), "cancelled": N_("withdrawn")}


def _page_number(request: web.Request) -> int:
    raw = request.query.get("page", "1")
    return max(1, min(int(raw), 10_000)) if raw.isdecimal() and len(raw) < 6 else 1


async def list_events(request: web.Request) -> web.StreamResponse:
    areas = await area_names(request)
    when = "past" if request.query.get("when") == "past" else "upcoming"
    area = request.query.get("area", "")
    area = area if area in areas or area == ALL_AREAS else ""
    page = _page_number(request)
    found = await event_list(request.config_dict[SESSIONS], now(request), past=when == "past", area=area,
                             offset=(page - 1) * PAGE, limit=PAGE)
    return render(request, "events.html", active="events", events=found.events, total=found.total, when=when,
                  area=area, areas=areas, all_areas=ALL_AREAS, page=page, more=page * PAGE < found.total,
                  statuses=STATUSES)


def _event_id(request: web.Request) -> int:
    raw = request.match_info["id"]
    if not raw.isdecimal() or len(raw) > 9:
        raise web.HTTPNotFound()
    return int(raw)


async def _signups(request: web.Request, action: str, detail: str) -> tuple[Event, list[Signup]]:
    """The event and its active sign-ups, each resident's line written to the staff access log."""
    user, at = member(request), now(request)
    async with unit_of_work(request) as store:
        event = await store.events.get(_event_id(request))
        if event is None:
            raise web.HTTPNotFound()
        signups = list(await store.events.signups(event.id))
        for s in signups:
            await store.access_log.record(actor=actor(user), action=action, chat_id=s.chat_id,
                                          detail=detail.format(id=event.id), at=at)
    return event, signups


def when_text(t: ConsoleTranslator, event: Event) -> str:
    """"Donnerstag, 3. Dezember 2026, 18:00 – 20:00" in the team's zone and language."""
    start = event.starts_at.astimezone(t.tz)
    text = f"{t.day(start.date(), 'full')}, {format_time(start, 'short', locale=t.locale)}"
    if event.ends_at:
        end = event.ends_at.astimezone(t.tz)
        text += " – " + (format_time(end, "short", locale=t.locale) if end.date() == start.date() else t.when(end))
    return text


def _over(request: web.Request, event: Event) -> bool:
    return (event.ends_at or event.starts_at) <= now(request)


async def show_event(request: web.Request, *, values: dict[str, str] | None = None,
                     errors: dict[str, str] | None = None, status: int = 200) -> web.StreamResponse:
    event, signups = await _signups(request, "signups", "console: event {id}")
    t = translator(request)
    done = request.query.get("done", "")
    counts = {k: int(v) if v.isdecimal() and len(v) < 7 else 0
              for k, v in ((k, request.query.get(k, "0")) for k in ("told", "moved"))}
    return render(request, "event.html", status=status, active="events", event=event, areas=await area_names(request),
                  confirmed=[s for s in signups if s.status == "confirmed"],
                  waiting=[s for s in signups if s.status == "waitlisted"], statuses=STATUSES,
                  signup_statuses=SIGNUP_STATUSES, done=done, counts=counts, over=_over(request, event),
                  title=event.text(t.code if t.code in event.texts else "de").title, when=when_text(t, event),
                  values=values or {"key": secrets.token_urlsafe(12)}, errors=errors or {},
                  language_names=lambda codes: ", ".join(NAMES.get(c, c) for c in codes))


async def show(request: web.Request) -> web.StreamResponse:
    return await show_event(request)


async def download(request: web.Request) -> web.StreamResponse:
    event, signups = await _signups(request, "export", "console: event {id} sign-ups")
    t = translator(request)
    header = [t.gettext(h) for h in (N_("Name"), N_("People"), N_("Signed up at"), N_("Status"),
                                      N_("Position on the waitlist"))]
    rows = [[*row[:3], t.gettext(SIGNUP_STATUSES[str(row[3])]), row[4]] for row in signup_rows(signups, t.tz)]
    stamp = now(request).astimezone(t.tz).strftime("%Y-%m-%d")
    return web.Response(body=csv_bytes(header, rows), content_type="text/csv", charset="utf-8",
                        headers={"Content-Disposition": f'attachment; filename="kiezbot-event-{event.id}-{stamp}.csv"'})


async def send_message(request: web.Request) -> web.StreamResponse:
    form = Form(await request.post(), translator(request))
    text = form.text("text", N_("Message"), max_length=MAX_MESSAGE, required=True, multiline=True)
    key = form.raw("key").strip()
    if not key.replace("-", "").replace("_", "").isalnum() or len(key) > 32:
        form.error("_", N_("This form is not one of ours. Nothing was changed."))
    if not form.ok:
        return await show_event(request, values=dict(form.values, key=key or secrets.token_urlsafe(12)),
                                errors=form.errors, status=400)
    event_id, user, at = _event_id(request), member(request), now(request)
    async with unit_of_work(request) as store:
        told = await message_participants(store, notices(request), at, event_id, text.replace("\r\n", "\n"),
                                          message_key=key)
        if told is not None:
            await store.access_log.record(actor=actor(user), action="event-message", chat_id=None, at=at,
                                          detail=f"console: event {event_id}; {told} told")
    if told is None:
        return message(request, 409, N_("Not possible here"),
                       N_("This event has been cancelled or deleted; nothing was sent."))
    raise web.HTTPSeeOther(url_for(request, "event", id=event_id) + f"?done=messaged&told={told}")


async def confirm_cancel(request: web.Request) -> web.StreamResponse:
    async with unit_of_work(request) as store:
        event = await store.events.get(_event_id(request))
        if event is None:
            raise web.HTTPNotFound()
        people = len(await store.events.signups(event.id))
    if event.status == "cancelled":
        raise web.HTTPSeeOther(url_for(request, "event", id=event.id))
    t = translator(request)
    return render(request, "event_cancel.html", active="events", event=event, people=people,
                  title=event.text(t.code if t.code in event.texts else "de").title)


async def cancel(request: web.Request) -> web.StreamResponse:
    event_id, user, at = _event_id(request), member(request), now(request)
    async with unit_of_work(request) as store:
        if await store.events.get(event_id) is None:
            raise web.HTTPNotFound()
        told = await cancel_event(store, notices(request), at, event_id)
        if told is not None:
            await store.access_log.record(actor=actor(user), action="event-cancel", chat_id=None, at=at,
                                          detail=f"console: event {event_id}; {told} told")
    done = "cancelled" if told is not None else "already"
    raise web.HTTPSeeOther(url_for(request, "event", id=event_id) + f"?done={done}&told={told or 0}")


async def registration(request: web.Request) -> web.StreamResponse:
    """Close registration (sign-ups stay, nobody new can sign up) or open it again, as /closeevent does."""
    status = (await request.post()).get("status")
    if status not in ("open", "closed"):
        raise web.HTTPBadRequest()
    event_id, user, at = _event_id(request), member(request), now(request)
    async with unit_of_work(request) as store:
        outcome, _event = await set_registration(store, event_id, str(status))
        if outcome == "done":
            await store.access_log.record(actor=actor(user), action=f"event-{'close' if status == 'closed' else 'reopen'}",
                                          chat_id=None, detail=f"console: event {event_id}", at=at)
    if outcome == "gone":
        raise web.HTTPNotFound()
    done = {"done": status, "same": status, "cancelled": "already"}[outcome]
    raise web.HTTPSeeOther(url_for(request, "event", id=event_id) + f"?done={done}")


def add_routes(app: web.Application) -> None:
    app.router.add_get("/events", list_events, name="events")
    app.router.add_get(r"/events/{id:\d+}", show, name="event")
    app.router.add_get(r"/events/{id:\d+}/signups.csv", download, name="event_csv")
    app.router.add_post(r"/events/{id:\d+}/message", send_message, name="event_message")
    app.router.add_post(r"/events/{id:\d+}/registration", registration, name="event_registration")
    app.router.add_get(r"/events/{id:\d+}/cancel", confirm_cancel, name="event_cancel")
    app.router.add_post(r"/events/{id:\d+}/cancel", cancel, name="event_cancel_post")
