"""Creating and changing events in the console.

    GET  /console/events/new          the empty form
    POST /console/events/new          check everything; create it or nothing
    GET  /console/events/{id}/edit    the form, filled in
    POST /console/events/{id}/edit    check everything; change all of it or nothing

A change goes through the staff chat's services, so residents hear of it exactly as when the team
changes an event in the chat: a new time or place is announced to everyone signed up or waiting
(:func:`change_event`, :func:`announce_change`), more places move waiting parties up
(:func:`change_capacity`), new lead times re-queue the reminders (:func:`reschedule_reminders`). All of it
happens in one transaction with the event locked; a form filled in before someone else changed the
event is refused and shows the current state. Every creation and change is a line of the staff access log.
"""
from __future__ import annotations

from aiohttp import web

from console.forms import Form
from console.pages.event_form import EventDraft, blank_values, fingerprint, form_values, read_event
from console.pages.events_shared import actor, area_names, member, notices, unit_of_work
from console.web import message, now, render, translator, url_for
from dialogs.core.i18n import N_
from dialogs.events.rules import Event
from dialogs.events.signups import reschedule_reminders
from dialogs.events.staff_services import announce_change, change_capacity, change_event
from locales import languages


def _page(request: web.Request, areas: dict[str, str], values: dict[str, str], *, event: Event | None = None,
          errors: dict[str, str] | None = None, notice: str = "", status: int = 200) -> web.Response:
    return render(request, "event_edit.html", status=status, event=event, values=values, errors=errors or {},
                  notice=notice, areas=areas, bot_languages=languages(), active="events")


def _editable(request: web.Request, event: Event | None) -> web.Response | None:
    if event is None:
        return message(request, 404, N_("Page not found"), N_("There is no such event."))
    if event.status == "cancelled":
        return message(request, 409, N_("Not possible here"), N_("A cancelled event cannot be changed."))
    if (event.ends_at or event.starts_at) <= now(request):
        return message(request, 409, N_("Not possible here"), N_("An event that is over cannot be changed."))
    return None


async def new_form(request: web.Request) -> web.StreamResponse:
    return _page(request, await area_names(request), blank_values())


async def create(request: web.Request) -> web.StreamResponse:
    t = translator(request)
    areas = await area_names(request)
    form = Form(await request.post(), t)
    draft = read_event(form, now(request), t.tz, areas)
    if draft is None:
        return _page(request, areas, form.values, errors=form.errors, notice="invalid", status=400)
    user = member(request)
    async with unit_of_work(request) as store:
        event = await store.events.create(draft.new_event())
        await store.access_log.record(actor=actor(user), action="event-create", chat_id=None,
                                      detail=f"console: event {event.id}", at=now(request))
    raise web.HTTPSeeOther(url_for(request, "event", id=event.id) + "?done=created")


async def _event(request: web.Request) -> Event | None:
    raw = request.match_info["id"]
    if not raw.isdecimal() or len(raw) > 9:
        return None
    async with unit_of_work(request) as store:
        return await store.events.get(int(raw))


async def edit_form(request: web.Request) -> web.StreamResponse:
    event = await _event(request)
    refused = _editable(request, event)
    if refused is not None:
        return refused
    assert event is not None
    return _page(request, await area_names(request), form_values(event, translator(request).tz), event=event)


async def apply(store, engine, at, event: Event, draft: EventDraft) -> tuple[list[str], int, int]:  # noqa: ANN001
    """Write what differs, through the chat's services; (what changed, people told, moved up)."""
    changed: list[str] = []
    told = moved_up = 0
    if draft.texts != event.texts:
        await store.events.set_texts(event.id, draft.texts)
        changed.append("texts")
    plain = {name: new for name, old, new in (
        ("area_key", event.area_key, draft.area_key), ("max_party", event.max_party, draft.max_party),
        ("registration_deadline", event.registration_deadline, draft.deadline),
        ("reminder_leads", tuple(event.reminder_leads), draft.leads)) if old != new}
    if plain:
        await store.events.update(event.id, **{k: list(v) if k == "reminder_leads" else v for k, v in plain.items()})
        changed += list(plain)
    moved = draft.starts_at != event.starts_at
    end_moved = not moved and draft.ends_at != event.ends_at
    place_moved = draft.place != event.place
    if end_moved:            # the chat moves an end only with its start: the same notice, by the same function
        await store.events.update(event.id, ends_at=draft.ends_at, sequence=event.sequence + 1)
        changed.append("ends_at")
        if not place_moved:
            fresh = await store.events.get(event.id)
            told += await announce_change(store, engine, at, fresh)
    if moved or place_moved:
        result = await change_event(store, engine, at, event.id, starts_at=draft.starts_at if moved else None,
                                    ends_at=draft.ends_at, place=draft.place)
        if result is not None:
            told += result[1]
        changed += (["starts_at"] if moved else []) + (["place"] if place_moved else [])
    elif "reminder_leads" in plain and not end_moved:
        fresh = await store.events.get(event.id)
        await reschedule_reminders(store, engine, at, fresh)
    if draft.capacity != event.capacity:
        result = await change_capacity(store, engine, at, event.id, draft.capacity)
        if not isinstance(result, str):
            moved_up = result[1]
        changed.append("capacity")
    return changed, told, moved_up


async def save(request: web.Request) -> web.StreamResponse:
    t = translator(request)
    areas = await area_names(request)
    found = await _event(request)
    refused = _editable(request, found)
    if refused is not None:
        return refused
    assert found is not None
    form = Form(await request.post(), t)
    at, user = now(request), member(request)
    async with unit_of_work(request) as store:
        event = await store.events.lock(found.id)          # held until the end: nobody changes it meanwhile
        assert event is not None
        if fingerprint(event) != form.raw("fingerprint") or event.status == "cancelled":
            stale = event
        else:
            stale = None
            draft = read_event(form, at, t.tz, areas, current=event)
            if draft is not None:
                changed, told, moved_up = await apply(store, notices(request), at, event, draft)
                if changed:
                    await store.access_log.record(
                        actor=actor(user), action="event-edit", chat_id=None, at=at,
                        detail=f"console: event {event.id}: {', '.join(changed)}; {told} told, {moved_up} moved up")
    if stale is not None:
        if stale.status == "cancelled":
            return message(request, 409, N_("Not possible here"), N_("A cancelled event cannot be changed."))
        return _page(request, areas, form_values(stale, t.tz), event=stale, notice="stale", status=409)
    if draft is None:
        values = dict(form.values, fingerprint=form.raw("fingerprint"))
        return _page(request, areas, values, event=event, errors=form.errors, notice="invalid", status=400)
    query = f"?done=saved&told={told}&moved={moved_up}" if changed else "?done=unchanged"
    raise web.HTTPSeeOther(url_for(request, "event", id=event.id) + query)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/events/new", new_form, name="event_new")
    app.router.add_post("/events/new", create, name="event_create")
    app.router.add_get(r"/events/{id:\d+}/edit", edit_form, name="event_edit")
    app.router.add_post(r"/events/{id:\d+}/edit", save, name="event_save")
