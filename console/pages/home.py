"""The overview: where the team lands after signing in — the pages, and when the session ends."""
from __future__ import annotations

from aiohttp import web

from console.web import SESSIONS, now, render, translator
from storage.offices import all_offices


async def overview(request: web.Request) -> web.StreamResponse:
    offices = await all_offices(request.config_dict[SESSIONS])
    t = translator(request)
    today = now(request).astimezone(t.tz).date()
    unknown_hours = [o for o in offices if not o.hours.known]
    closures = sorted(((c, o) for o in offices for c in o.hours.closures if c.last >= today),
                      key=lambda pair: pair[0].first)
    return render(request, "home.html", offices=offices, unknown_hours=unknown_hours, closures=closures[:5])


def add_routes(app: web.Application) -> None:
    app.router.add_get("/", overview, name="home")
