"""Audit log: who decided what and when (the moderation audit log), and who read which resident's data
(the staff access log). Residents appear by pseudonym only; no submission text is shown.

    GET /console/audit?view=decisions|access&from=…&to=…&…   filterable, 50 lines a page
    GET /console/audit.csv?…                                   the same lines as CSV (up to 10,000)

Downloading the CSV is itself an access to personal data (pseudonymous lines about many residents):
it is written to the staff access log, and shows there.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from aiohttp import web

from console.web import SESSIONS, now, render, translator, user_of
from console.i18n import ConsoleTranslator
from dialogs.core.csv_safe import csv_bytes
from dialogs.core.i18n import N_
from dialogs.core.model import parse_day
from storage.audit import (AccessFilter, DecisionFilter, access_actions, access_lines, decision_actions,
                           decision_lines, record_access)
from storage.offices import all_offices

PAGE = 50
CSV_LIMIT = 10_000
VIEWS = ("decisions", "access")


def _text(request: web.Request, name: str, limit: int = 80) -> str:
    return request.query.get(name, "").strip()[:limit]


def read_filters(request: web.Request, t: ConsoleTranslator) -> tuple[dict[str, str], list[str], tuple]:
    """The filter fields as typed, problems with them (those filters are left out), and UTC bounds."""
    values = {name: _text(request, name) for name in ("from", "to", "area", "action", "who", "ref", "resident")}
    problems = []
    bounds: list[datetime | None] = []
    for name, label in (("from", N_("From")), ("to", N_("To"))):
        day: date | None = None
        if values[name]:
            try:
                day = parse_day(values[name])
            except ValueError:
                problems.append(t._("%(field)s: “%(value)s” is not a date like 24.12.2026; left out.",
                                    field=t.gettext(label), value=values[name][:20]))
        if day is not None and name == "to":
            day += timedelta(days=1)                     # up to and including that day
        bounds.append(datetime.combine(day, time(), t.tz) if day else None)
    return values, problems, (bounds[0], bounds[1])


def _filters(view: str, values: dict[str, str], bounds: tuple) -> DecisionFilter | AccessFilter:
    since, until = bounds
    if view == "access":
        return AccessFilter(since, until, values["who"] or None, values["action"] or None,
                            values["resident"] or None)
    return DecisionFilter(since, until, values["area"] or None, values["action"] or None, values["who"] or None,
                          values["ref"] or None)


def _page(request: web.Request) -> int:
    try:
        return max(1, min(int(request.query.get("page", "1")), 10_000))
    except ValueError:
        return 1


async def show(request: web.Request) -> web.StreamResponse:
    t = translator(request)
    sessions = request.config_dict[SESSIONS]
    view = request.query.get("view") if request.query.get("view") in VIEWS else "decisions"
    values, problems, bounds = read_filters(request, t)
    page = _page(request)
    f = _filters(view, values, bounds)
    if view == "access":
        lines = await access_lines(sessions, f, limit=PAGE + 1, offset=(page - 1) * PAGE)   # type: ignore[arg-type]
        actions = await access_actions(sessions)
    else:
        lines = await decision_lines(sessions, f, limit=PAGE + 1, offset=(page - 1) * PAGE)  # type: ignore[arg-type]
        actions = await decision_actions(sessions)
    query = {k: v for k, v in values.items() if v}
    return render(request, "audit.html", view=view, values=values, problems=problems, lines=lines[:PAGE],
                  more=len(lines) > PAGE, page=page, actions=actions, query=query,
                  areas=await all_offices(sessions))


async def download(request: web.Request) -> web.StreamResponse:
    t = translator(request)
    sessions = request.config_dict[SESSIONS]
    view = request.query.get("view") if request.query.get("view") in VIEWS else "decisions"
    values, _problems, bounds = read_filters(request, t)
    f = _filters(view, values, bounds)
    if view == "access":
        entries = await access_lines(sessions, f, limit=CSV_LIMIT)    # type: ignore[arg-type]
        header = [t.gettext(h) for h in (N_("When"), N_("Who"), N_("What"), N_("Resident"), N_("Detail"))]
        rows = [(t.when(e.at, "medium"), e.actor, e.action, e.subject, e.detail) for e in entries]
    else:
        decisions = await decision_lines(sessions, f, limit=CSV_LIMIT)   # type: ignore[arg-type]
        header = [t.gettext(h) for h in (N_("When"), N_("Reference"), N_("Area"), N_("Kind"), N_("What"),
                                          N_("Who"), N_("From status"), N_("To status"), N_("Reason"))]
        rows = [(t.when(d.at, "medium"), d.ref, d.area_key, d.kind, d.action, d.actor, d.from_status or "",
                 d.to_status, d.reason) for d in decisions]
    user = user_of(request)
    assert user is not None
    described = ", ".join(f"{k}={v}" for k, v in values.items() if v) or "all"
    await record_access(sessions, actor=f"staff:{user.user_id} {user.name}".strip(), action="export",
                        detail=f"console: audit log CSV ({view}; {described}; {len(rows)} lines)", at=now(request))
    stamp = now(request).astimezone(t.tz).strftime("%Y-%m-%d")
    return web.Response(body=csv_bytes(header, rows), content_type="text/csv", charset="utf-8",
                        headers={"Content-Disposition": f'attachment; filename="kiezbot-{view}-{stamp}.csv"'})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/audit", show, name="audit")
    app.router.add_get("/audit.csv", download, name="audit_csv")
