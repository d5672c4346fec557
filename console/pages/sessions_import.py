"""Sessions from a calendar file (.ics), uploaded in the console: the rules of ``kiezbot meetings import``.

    POST /console/sessions/import   calendar=<file>, body=council|jury|"" , area=<key>|""  (as --body/--area)

The file is read by the same reader (``storage.ical``) and applied by the same import
(:func:`dialogs.meetings.calendar_import.import_sessions`) in one transaction by calendar UID: a broken
file, or one the import refuses, changes nothing and says why; the same file twice changes nothing. The
page then shows what was created, updated (moved, changed, cancelled) and skipped, entry by entry. The
import's notes per entry are the command line's (English) lines, shown as they are.
"""
from __future__ import annotations

from aiohttp import web

from console.pages.session_forms import actor
from console.pages.sessions import BODY_LABELS, area_names, engine, list_page, unit_of_work, when_text
from console.web import now, render, translator
from dialogs.core.i18n import N_
from dialogs.core.ports import BODIES
from dialogs.core.calendar import single_dates
from dialogs.meetings.calendar_import import ImportProblem, import_sessions
from storage.ical import CalendarError, parse_calendar

ACTIONS = {"new": N_("created"), "moved": N_("moved"), "changed": N_("changed"), "cancelled": N_("cancelled"),
           "unchanged": N_("unchanged"), "skipped": N_("skipped"), "absent": N_("not in the file")}


async def _refused(request: web.Request, values: dict[str, str], detail: str) -> web.Response:
    t = translator(request)
    text = t.gettext(N_("The file could not be imported. Nothing was saved and nobody was told."))
    return await list_page(request, status=400, import_values=values, import_error=text, import_detail=detail)


async def upload(request: web.Request) -> web.StreamResponse:
    t = translator(request)
    form = await request.post()
    names = await area_names(request)
    body = str(form.get("body", "")) if form.get("body", "") in BODIES else ""
    area = str(form.get("area", "")) if form.get("area", "") in names else ""
    values = {"body": body, "area": area}
    upload = form.get("calendar")
    data = upload.file.read() if isinstance(upload, web.FileField) else b""
    if not data:
        return await _refused(request, values, t.gettext(N_("Please choose a calendar file (.ics).")))
    app = engine(request)
    at = now(request)
    try:
        entries = parse_calendar(data, default_tz=str(app.translator("de").tz))
        sessions, all_day, series = single_dates(entries)
        async with unit_of_work(request)(0) as store:
            report = await import_sessions(app, store, sessions, at, body=body or None, area_key=area or None)
            counts = {a: report.count(a) for a in ACTIONS}
            await store.access_log.record(
                actor=actor(request), action="session-import", chat_id=None, subject="", at=at,
                detail="console: calendar file: " + ", ".join(f"{n} {a}" for a, n in counts.items() if n)
                       + f"; {report.told} subscriber notice(s)")
    except (CalendarError, ImportProblem) as problem:
        return await _refused(request, values, str(problem))
    notes = [f"{e.describe()}: {note}" for e in entries for note in e.notes]
    return render(request, "sessions_import.html", report=report, counts=counts, all_day=all_day,
                  series=series, names=names, body_labels=BODY_LABELS, notes=notes, actions=ACTIONS,
                  when_text=when_text,
                  updated=counts["moved"] + counts["changed"] + counts["cancelled"])


def add_routes(app: web.Application) -> None:
    """Before console/pages/sessions.py's routes (its POST /sessions/{id} would take /sessions/import)."""
    app.router.add_post("/sessions/import", upload, name="sessions_import")
