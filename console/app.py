"""The console's aiohttp application: configuration, templates, error pages, security headers, routes.

Middlewares, outermost first::

    friendly_errors   any failure -> a page in the team's language, never a stack trace
    security_headers  CSP (only our own scripts and styles), no framing, no referrer, no caching of pages
    auth.session      the signed-in team member, or "please sign in" (401) unless the route is public
    csrf.check        every POST carries the session's form token, and comes from our own pages

``build_console`` returns the application; :func:`mount` puts it under ``/console`` of another
application (``kiezbot run``'s web server), :func:`standalone` wraps it for ``kiezbot console``.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web
from sqlalchemy.ext.asyncio import async_sessionmaker

from console import auth, csrf
from console.web import (CLOCK, CONFIG, KICK, MAX_FORM_BYTES, PREFIX, SESSIONS, TEXTS, ConsoleConfig, Handler, message,
                         template_gettext, template_ngettext, utc_now)
from dialogs.core.i18n import N_

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent


@web.middleware
async def friendly_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPRequestEntityTooLarge:
        return message(request, 413, N_("This form is too large"),
                       N_("Nothing was changed. Please shorten what you typed and try again."))
    except web.HTTPNotFound:
        return message(request, 404, N_("Page not found"), N_("This page does not exist (any more)."))
    except web.HTTPMethodNotAllowed:
        return message(request, 405, N_("Not possible here"), N_("This address cannot be used like that."))
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return message(request, exc.status, N_("Not possible here"),
                       N_("This request was refused. Nothing was changed."))
    except Exception:
        log.exception("console: %s %s failed", request.method, request.path)
        return message(request, 500, N_("Something went wrong on our side"),
                       N_("Please try again. If it happens again, tell whoever runs kiezbot."))


CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'; object-src 'none'")


def _secure(request: web.Request, response: web.StreamResponse) -> None:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    # A sign-in link's token never leaves in a Referer to another site ("no-referrer" would also make browsers
    # send "Origin: null" with our own forms, which the CSRF check then refuses).
    response.headers["Referrer-Policy"] = "same-origin"
    if not request.path.startswith(PREFIX + "/static/"):
        response.headers["Cache-Control"] = "no-store"


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as redirect:       # redirects are raised (the errors became pages above)
        _secure(request, redirect)
        raise
    _secure(request, response)
    return response


def build_console(config: ConsoleConfig, sessions: async_sessionmaker,
                  clock: Callable[[], datetime] = utc_now, *, texts: object | None = None,
                  kick: Callable[[], None] | None = None) -> web.Application:
    from console.pages import audit, decide, home, offices, queue
    from console.pages import overview
    from console.pages import sessions as session_pages, sessions_import
    from console.pages import event_edit, event_import, events
    from console.pages import broadcast_compose, broadcasts

    app = web.Application(middlewares=[friendly_errors, security_headers, auth.session, csrf.check])
    app[CONFIG] = config
    app[SESSIONS] = sessions
    app[CLOCK] = clock
    if texts is not None:
        app[TEXTS] = texts
    if kick is not None:             # the delivery engine's tick, where this process has one (console/web.py)
        app[KICK] = kick
    env = aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True,
                               extensions=["jinja2.ext.i18n"], default_helpers=False,
                               undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.install_gettext_callables(template_gettext, template_ngettext, newstyle=True)   # type: ignore[attr-defined]
    auth.add_routes(app)
    home.add_routes(app)
    queue.add_routes(app)
    decide.add_routes(app)
    offices.add_routes(app)
    audit.add_routes(app)
    overview.add_routes(app)
    sessions_import.add_routes(app)      # before the sessions' /sessions/{id}
    session_pages.add_routes(app)
    event_import.add_routes(app)
    event_edit.add_routes(app)
    events.add_routes(app)
    broadcasts.add_routes(app)
    broadcast_compose.add_routes(app)
    app.router.add_static("/static/", HERE / "static", name="static", append_version=True)
    return app


async def _to_console(request: web.Request) -> web.StreamResponse:
    raise web.HTTPFound(PREFIX + "/")


def mount(app: web.Application, console: web.Application) -> None:
    """Serve ``console`` under /console of ``app`` (``/console`` itself leads to its overview)."""
    app.router.add_get(PREFIX, _to_console)        # before the sub-application, which would take it too
    app.add_subapp(PREFIX, console)


def standalone(console: web.Application) -> web.Application:
    """``kiezbot console``: the console alone; ``/`` leads to it."""
    app = web.Application(client_max_size=MAX_FORM_BYTES * 2)
    mount(app, console)
    app.router.add_get("/", _to_console)
    return app
