"""Broadcasts in the console: the list (scheduled, sending, sent, stopped) with their progress, one broadcast's
progress as it goes out, and stopping it.

    GET  /console/broadcasts              the newest broadcasts first, from the chat, the terminal and here
    GET  /console/broadcasts/{id}         its progress: sent / failed / not reachable / not sent, the texts
    GET  /console/broadcasts/{id}.json    the same numbers for the page's small script (console/static/)
    POST /console/broadcasts/{id}/stop    stop it, the chat's way (exactly one stop wins), into the access log

The progress page polls the JSON endpoint every few seconds with console/static/broadcast-progress.js; without
JavaScript it reloads itself (a ``meta refresh`` inside ``noscript``) while the broadcast is not finished.
Composing is console/pages/broadcast_compose.py.
"""
from __future__ import annotations

from aiohttp import web

from console.i18n import ConsoleTranslator
from console.pages.broadcast_draft import at_text, audience_label, number
from console.web import SESSIONS, message, now, render, translator, url_for, user_of
from dialogs.broadcasts.sending import BroadcastInfo
from dialogs.core.i18n import N_
from locales import languages
from storage.broadcasts import SqlBroadcasts, recent_broadcasts
from storage.repositories import all_areas
from storage.unit_of_work import SqlUnitOfWork

LIST_LIMIT = 100
REFRESH_SECONDS = 3
STATES = {"scheduled": N_("scheduled"), "queued": N_("starting"), "sending": N_("sending"), "done": N_("sent"),
          "stopped": N_("stopped")}


def state_of(info: BroadcastInfo, at) -> str:  # noqa: ANN001
    """queued before its time is "scheduled"; the other states are the broadcast's own."""
    return "scheduled" if info.state == "queued" and not info.due(at) else info.state


def running(info: BroadcastInfo) -> bool:
    return info.state in ("queued", "sending")


def figures(t: ConsoleTranslator, info: BroadcastInfo, at) -> dict:  # noqa: ANN001
    """What the progress page shows and its script updates: numbers formatted for the team's language."""
    state = state_of(info, at)
    return {"state": state, "state_label": t.gettext(STATES.get(state, state)), "running": running(info),
            "total": info.total, "finished": info.finished,
            "shown": {"sent": number(t, info.sent), "failed": number(t, info.failed),
                      "blocked": number(t, info.blocked), "cancelled": number(t, info.cancelled),
                      "waiting": number(t, info.waiting), "total": number(t, info.total),
                      "done": t._("%(done)s of %(total)s handled", done=number(t, info.finished),
                                  total=number(t, info.total))}}


async def _get(request: web.Request) -> BroadcastInfo | None:
    raw = request.match_info["id"]
    if not raw.isdecimal() or len(raw) > 9:
        return None
    async with request.config_dict[SESSIONS]() as session:
        return await SqlBroadcasts(session).get(int(raw))


def _missing(request: web.Request) -> web.Response:
    return message(request, 404, N_("Page not found"), N_("There is no such broadcast."))


async def list_broadcasts(request: web.Request) -> web.StreamResponse:
    t = translator(request)
    at = now(request)
    items = await recent_broadcasts(request.config_dict[SESSIONS], limit=LIST_LIMIT)
    areas = list(await all_areas(request.config_dict[SESSIONS]))
    rows = [{"info": info, "audience": audience_label(t, info.audience, areas), "figures": figures(t, info, at),
             "send_at": at_text(t, info.send_at) if info.send_at else ""} for info in items]
    return render(request, "broadcasts.html", active="broadcasts", rows=rows)


async def show(request: web.Request) -> web.StreamResponse:
    info = await _get(request)
    if info is None:
        return _missing(request)
    t = translator(request)
    at = now(request)
    areas = list(await all_areas(request.config_dict[SESSIONS]))
    names = {lang.code: lang for lang in languages()}
    texts = [(names.get(code), code, text) for code, text in info.texts.items()]
    notice = next((key for key in ("new", "stopped", "finished") if request.query.get(key) == "1"), "")
    if notice == "new" and not running(info):
        notice = ""                     # the progress says more now
    return render(request, "broadcast.html", active="broadcasts", info=info, figures=figures(t, info, at),
                  audience=audience_label(t, info.audience, areas), texts=texts, notice=notice,
                  send_at=at_text(t, info.send_at) if info.send_at else "", created=t.when(info.created_at),
                  refresh=REFRESH_SECONDS)


async def progress(request: web.Request) -> web.StreamResponse:
    info = await _get(request)
    if info is None:
        raise web.HTTPNotFound()
    return web.json_response(figures(translator(request), info, now(request)))


async def stop(request: web.Request) -> web.StreamResponse:
    """The chat's stop (one conditional UPDATE: of two stops, or a stop and the end, one wins)."""
    info = await _get(request)
    if info is None:
        return _missing(request)
    user = user_of(request)
    assert user is not None
    at = now(request)
    async with SqlUnitOfWork(request.config_dict[SESSIONS], None)(user.user_id) as store:   # type: ignore[arg-type]
        stopped = await store.broadcasts.stop(info.id, by=user.name or str(user.user_id), now=at)
        if stopped:
            await store.access_log.record(actor=f"staff:{user.user_id} {user.name}".strip(), action="broadcast-stop",
                                          chat_id=None, at=at,
                                          detail=f"console: broadcast #{info.id} stopped ({info.sent} sent before)")
    key = "stopped" if stopped else "finished"
    raise web.HTTPSeeOther(url_for(request, "broadcast", id=info.id) + f"?{key}=1")


def add_routes(app: web.Application) -> None:
    app.router.add_get("/broadcasts", list_broadcasts, name="broadcasts")
    app.router.add_get(r"/broadcasts/{id:\d+}", show, name="broadcast")
    app.router.add_get(r"/broadcasts/{id:\d+}.json", progress, name="broadcast_progress")
    app.router.add_post(r"/broadcasts/{id:\d+}/stop", stop, name="broadcast_stop")
