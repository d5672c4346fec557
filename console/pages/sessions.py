"""Sessions of the Quartiersrat and the Aktionsfondsjury: the list per area and body, planning, moving and
cancelling — with the staff chat's own rules and functions (dialogs/meetings/sessions.py).

    GET  /console/sessions?when=upcoming|past&area=…&body=…   the list; subscriber counts; .ics upload
    GET  /console/sessions/new              the form        POST: check everything, plan it or nothing
    GET  /console/sessions/{id}             the session, and the form to move it or change place/deadline
    POST /console/sessions/{id}             move or change (revision of the page) -> subscribers told
    GET  /console/sessions/{id}/cancel      "cancel this session?"   POST: cancel, subscribers told

Planning, moving and cancelling call what ``/newmeeting``, ``/movemeeting`` and ``/cancelmeeting`` call, so
subscribers get the same notices and reminders in their language. A change of place (which the chat
cannot do) or of the deadline alone is a revision, as a re-imported calendar entry is: a new place is
announced, a deadline reaches residents with the reminders. Every form carries the revision it showed:
a form filled in before someone else changed the session is refused and the current state shown. Every
change is a line in the staff access log (the console's audit log). Residents are counted, never named.
"""
from __future__ import annotations

from datetime import datetime

from aiohttp import web
from babel.dates import format_date, format_time

from console.forms import Form
from console.pages.session_forms import (actor, bot_translator, change_values, engine, read_change, read_new)
from console.web import SESSIONS, message, now, render, staff_unit_of_work, translator, url_for
from dialogs.core.i18n import N_
from dialogs.core.ports import BODIES, Meeting
from dialogs.meetings.sessions import cancel_session, move_session, revise_session, schedule_session
from dialogs.meetings.staff_parsing import EXAMPLE_DATE, EXAMPLE_START
from locales import languages
from storage.offices import all_offices
from storage.session_list import one_session, session_list, subscriber_counts

BODY_LABELS = {"council": N_("Quartiersrat"), "jury": N_("Aktionsfondsjury")}
DONE = ("new", "moved", "changed", "cancelled", "same")


async def area_names(request: web.Request) -> dict[str, str]:
    return {o.area_key: o.area_name for o in await all_offices(request.config_dict[SESSIONS])}


def unit_of_work(request: web.Request):  # noqa: ANN201
    """``unit_of_work(request)(chat_id)``: one transaction for a staff action (console/web.py)."""
    return lambda chat_id: staff_unit_of_work(request, chat_id)


def describe(meeting: Meeting, tz) -> str:  # noqa: ANN001
    """The session in an audit line (the team's log: no resident in it)."""
    start = meeting.starts_at.astimezone(tz)
    return f"#{meeting.id} {meeting.body} {meeting.area_key} {start:%Y-%m-%d %H:%M}"


async def audit(store, request: web.Request, action: str, detail: str) -> None:  # noqa: ANN001
    await store.access_log.record(actor=actor(request), action=action, chat_id=None, subject="",
                                  detail="console: " + detail, at=now(request))


def when_text(t, starts_at: datetime, ends_at: datetime | None = None,  # noqa: ANN001
              fmt: str = "full") -> str:
    """ "Sonntag, 14. Februar 2027, 18:00–20:00" in the team's language and time zone (Babel)."""
    def moment(value: datetime, with_day: bool = True) -> str:
        local = value.astimezone(t.tz)
        clock = format_time(local, "short", locale=t.locale)
        return f"{format_date(local.date(), fmt, locale=t.locale)}, {clock}" if with_day else clock

    text = moment(starts_at)
    if ends_at is not None:
        same_day = ends_at.astimezone(t.tz).date() == starts_at.astimezone(t.tz).date()
        text += "–" + moment(ends_at, not same_day)
    return text


# --- the list ----------------------------------------------------------------------------------
async def list_page(request: web.Request, *, status: int = 200, **extra) -> web.Response:  # noqa: ANN003
    names = await area_names(request)
    past = request.query.get("when") == "past"
    area = request.query.get("area", "") if request.query.get("area", "") in names else ""
    body = request.query.get("body", "") if request.query.get("body", "") in BODIES else ""
    sessions = request.config_dict[SESSIONS]
    meetings = await session_list(sessions, now(request), past=past, area=area or None, body=body or None)
    counts = await subscriber_counts(sessions)
    extra.setdefault("import_values", {})
    extra.setdefault("import_error", "")
    extra.setdefault("import_detail", "")
    return render(request, "sessions.html", status=status, meetings=meetings, counts=counts, names=names,
                  when_text=when_text, bodies=BODIES, body_labels=BODY_LABELS, past=past,
                  values={"area": area, "body": body},
                  **extra)


async def list_sessions(request: web.Request) -> web.StreamResponse:
    return await list_page(request)


# --- a new session -----------------------------------------------------------------------------
async def new_page(request: web.Request, values: dict[str, str], errors: dict[str, str],
                   status: int = 200) -> web.Response:
    return render(request, "session_new.html", status=status, values=values, errors=errors,
                  names=await area_names(request), bodies=BODIES, body_labels=BODY_LABELS,
                  bot_languages=languages(), example_start=EXAMPLE_START, example_date=EXAMPLE_DATE)


async def new_form(request: web.Request) -> web.StreamResponse:
    values = {"body": request.query.get("body", ""), "area": request.query.get("area", "")}
    return await new_page(request, values, {})


async def create(request: web.Request) -> web.StreamResponse:
    t = translator(request)
    form = Form(await request.post(), t)
    at = now(request)
    new = read_new(form, bot_translator(request, t.code), set(await area_names(request)), at)
    if new.meeting is None:
        return await new_page(request, form.values, form.errors, status=400)
    app = engine(request)
    async with unit_of_work(request)(0) as store:
        planned = await schedule_session(app, store, new.meeting, at)
        await audit(store, request, "session-new", f"session {describe(planned.meeting, t.tz)} planned; "
                    f"{planned.reminders} reminder(s) for {planned.subscribers} subscriber(s)")
    raise web.HTTPSeeOther(url_for(request, "session", id=planned.meeting.id) + "?done=new")


# --- one session: look, move or change, cancel ---------------------------------------------------
async def _meeting(request: web.Request) -> Meeting | None:
    raw = request.match_info["id"]
    if not raw.isdecimal() or len(raw) > 9:
        return None
    return await one_session(request.config_dict[SESSIONS], int(raw))


def changeable(meeting: Meeting, at: datetime) -> bool:
    """As the chat's /movemeeting and /cancelmeeting: planned, and not begun."""
    return meeting.status == "scheduled" and meeting.starts_at > at


async def session_page(request: web.Request, meeting: Meeting, *, values: dict[str, str] | None = None,
                       errors: dict[str, str] | None = None, notice: str = "", status: int = 200,
                       template: str = "session.html") -> web.Response:
    t = translator(request)
    tz = bot_translator(request, t.code).tz
    counts = await subscriber_counts(request.config_dict[SESSIONS])
    return render(request, template, status=status, meeting=meeting, names=await area_names(request),
                  when_text=when_text,
                  body_labels=BODY_LABELS, subscribers=counts.get((meeting.body, meeting.area_key), 0),
                  values=values or change_values(meeting, tz), errors=errors or {},
                  notice=notice, can_change=changeable(meeting, now(request)), example_start=EXAMPLE_START,
                  example_date=EXAMPLE_DATE, told=request.query.get("told", ""))


async def show(request: web.Request) -> web.StreamResponse:
    meeting = await _meeting(request)
    if meeting is None:
        return message(request, 404, N_("Page not found"), N_("There is no such session."))
    done = request.query.get("done", "")
    return await session_page(request, meeting, notice=done if done in DONE else "")


async def change(request: web.Request) -> web.StreamResponse:
    t = translator(request)
    current = await _meeting(request)
    if current is None:
        return message(request, 404, N_("Page not found"), N_("There is no such session."))
    form = Form(await request.post(), t)
    at = now(request)
    if form.raw("revision").strip() != str(current.revision) or not changeable(current, at):
        return await session_page(request, current, notice="stale", status=409)
    wanted = read_change(form, bot_translator(request, t.code), current, at)
    if wanted is None:
        values = dict(form.values, revision=form.raw("revision"))
        return await session_page(request, current, values=values, errors=form.errors, notice="invalid",
                                  status=400)
    if not wanted.fields:
        raise web.HTTPSeeOther(url_for(request, "session", id=current.id) + "?done=same")
    app = engine(request)
    async with unit_of_work(request)(0) as store:
        if set(wanted.fields) <= {"starts_at", "ends_at", "deadline"} and \
                {"starts_at", "ends_at"} & set(wanted.fields):
            done = "moved"              # what /movemeeting does
            result = await move_session(app, store, current.id, current.revision, wanted.starts_at,
                                        wanted.ends_at, wanted.deadline, at)
            told = result.subscribers if result is not None else 0
        else:
            done = "changed"            # a new place, or the deadline alone: a revision as by the calendar
            revised = await revise_session(app, store, current.id, current.revision, wanted.fields, at)
            result, told = (revised, revised.told) if revised is not None else (None, 0)
        if result is not None:
            what = ", ".join(sorted(wanted.fields))
            await audit(store, request, f"session-{'move' if done == 'moved' else 'change'}",
                        f"session {describe(current, t.tz)}: {what} changed "
                        f"(now {describe(result.meeting, t.tz)}); {told} subscriber(s) told")
    if result is None:
        fresh = await _meeting(request)
        if fresh is None:
            return message(request, 404, N_("Page not found"), N_("There is no such session."))
        return await session_page(request, fresh, notice="stale", status=409)
    raise web.HTTPSeeOther(url_for(request, "session", id=current.id) + f"?done={done}&told={told}")


async def confirm_cancel(request: web.Request) -> web.StreamResponse:
    meeting = await _meeting(request)
    if meeting is None:
        return message(request, 404, N_("Page not found"), N_("There is no such session."))
    if not changeable(meeting, now(request)):
        return await session_page(request, meeting, notice="stale", status=409)
    return await session_page(request, meeting, template="session_cancel.html")


async def cancel(request: web.Request) -> web.StreamResponse:
    t = translator(request)
    current = await _meeting(request)
    if current is None:
        return message(request, 404, N_("Page not found"), N_("There is no such session."))
    form = Form(await request.post(), t)
    at = now(request)
    planned = None
    if form.raw("revision").strip() == str(current.revision) and changeable(current, at):
        async with unit_of_work(request)(0) as store:
            fresh = await store.meetings.get(current.id)
            if fresh is not None and fresh.revision == current.revision:
                planned = await cancel_session(engine(request), store, current.id, at)
            if planned is not None:
                await audit(store, request, "session-cancel", f"session {describe(current, t.tz)} cancelled; "
                            f"{planned.subscribers} subscriber(s) told")
    if planned is None:
        fresh = await _meeting(request)
        assert fresh is not None
        return await session_page(request, fresh, notice="stale", status=409)
    raise web.HTTPSeeOther(url_for(request, "session", id=current.id)
                           + f"?done=cancelled&told={planned.subscribers}")


def add_routes(app: web.Application) -> None:
    """After console/pages/sessions_import.py's, whose POST /sessions/import /sessions/{id} would take."""
    app.router.add_get("/sessions", list_sessions, name="sessions")
    app.router.add_get("/sessions/new", new_form, name="session_new")
    app.router.add_post("/sessions/new", create, name="session_create")
    app.router.add_get("/sessions/{id}", show, name="session")
    app.router.add_post("/sessions/{id}", change, name="session_change")
    app.router.add_get("/sessions/{id}/cancel", confirm_cancel, name="session_cancel")
    app.router.add_post("/sessions/{id}/cancel", cancel, name="session_cancel_do")
