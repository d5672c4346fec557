"""Uploading the team's calendar (.ics) in the console: the same rules and code as ``kiezbot events
import`` — the file is read and checked whole (:func:`storage.ical.parse_calendar`), the same entries are
taken or skipped (:func:`storage.event_import.plan_event_import`), and :func:`import_events` creates or
updates by calendar UID in one transaction, announcing a moved event to its participants. A bad file
changes nothing; the page names what was created, updated, cancelled, left unchanged and skipped.

    GET  /console/events/import
    POST /console/events/import     multipart: file, area, capacity, max_party

The console's forms are at most 128 KB (console/web.py), so a larger calendar goes through the CLI.
"""
from __future__ import annotations

from aiohttp import web

from console.forms import Form
from console.pages.event_form import whole_number
from console.pages.events_shared import actor, area_names, member, notices, unit_of_work
from console.web import CONFIG, now, render, translator
from dialogs.core.i18n import N_
from dialogs.events.rules import DEFAULT_MAX_PARTY
from dialogs.events.staff_services import ImportProblem, import_events
from dialogs.events.staff_texts import MAX_CAPACITY, MAX_PARTY
from storage.event_import import plan_event_import
from storage.ical import MAX_BYTES, CalendarError, parse_calendar


def _page(request: web.Request, areas: dict[str, str], values: dict[str, str], **context: object) -> web.Response:
    context.setdefault("errors", {})
    return render(request, "event_import.html", active="events", areas=areas, values=values, **context)


async def form_page(request: web.Request) -> web.StreamResponse:
    return _page(request, await area_names(request), {"max_party": str(DEFAULT_MAX_PARTY), "area": ""})


async def upload(request: web.Request) -> web.StreamResponse:
    t = translator(request)
    areas = await area_names(request)
    data = await request.post()
    form = Form(data, t)
    area = form.text("area", N_("Area"), max_length=64)
    if area and area not in areas:
        form.error("area", N_("Area: please pick one from the list."))
    capacity = whole_number(form, "capacity", N_("Places"), 1, MAX_CAPACITY, empty_ok=True)
    max_party = whole_number(form, "max_party", N_("People per sign-up"), 1, MAX_PARTY, empty_ok=False)
    upload = data.get("file")
    content = upload.file.read(MAX_BYTES + 1) if isinstance(upload, web.FileField) else b""
    name = upload.filename[:120] if isinstance(upload, web.FileField) else ""
    entries = []
    if not content:
        form.error("file", N_("Please choose the calendar file (.ics) to upload."))
    elif len(content) > MAX_BYTES:
        form.error("file", N_("The file is larger than 1 MB. Export only the events you need."))
    else:
        try:
            entries = parse_calendar(content, default_tz=request.config_dict[CONFIG].timezone)
        except CalendarError as exc:
            form.error("file", N_("This file cannot be imported: %(reason)s. Nothing was imported."), reason=str(exc))
    if not form.ok or max_party is None:
        return _page(request, areas, form.values, errors=form.errors, status=400)
    at, user = now(request), member(request)
    plan = plan_event_import(entries, at)
    try:
        async with unit_of_work(request) as store:
            report = await import_events(store, notices(request), at, plan.wanted, area_key=area or None,
                                         capacity=capacity, max_party=max_party)
            await store.access_log.record(
                actor=actor(user), action="event-import", chat_id=None, at=at,
                detail=f"console: {name}: {len(report.created)} new, {len(report.updated)} updated, "
                       f"{len(report.cancelled)} cancelled, {report.unchanged} unchanged; {report.told} told")
    except ImportProblem as exc:
        form.error("file", N_("This file cannot be imported: %(reason)s. Nothing was imported."), reason=str(exc))
        return _page(request, areas, form.values, errors=form.errors, status=400)
    notes = [f"{entry.describe()}: {note}" for entry in entries for note in entry.notes]
    return _page(request, areas, form.values, report=report, plan=plan, notes=notes, filename=name)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/events/import", form_page, name="event_import")
    app.router.add_post("/events/import", upload, name="event_import_post")
