"""Sign-in without passwords, sessions and sign-out.

Two steps::

    Telegram, private chat: /console ──> the bot sends a link  …/console/signin/<token>  (dialogs/console_signin/staff_flow.py)
    browser: GET that link ──> "Sign in as Dana?" [Sign in]     (reading the link uses nothing up: a link
                                                                 preview or a mail scanner cannot spend it)
             POST ──> the link is used up, a session starts: cookie (HttpOnly, SameSite=Strict, Secure on
                      HTTPS, path /console) ──> the overview

A session ends after ``idle`` without use, ``lifetime`` after sign-in, on sign-out, and when the member
is removed from the team (``kiezbot staff remove``: the rows go with the staff row, and every request
reads it). The confirmation form is protected by a one-off value in a cookie of its own (double submit),
all other forms by the session's CSRF token (console/csrf.py).
"""
from __future__ import annotations

import hmac
import re
import secrets

from aiohttp import web

from console.i18n import LANGUAGES
from console.web import (CONFIG, LANGUAGE, PREFIX, SESSIONS, USER, Handler, message, now, remember_language,
                         render, user_of)
from dialogs.core.i18n import N_
from storage import console as store

COOKIE = "kiezbot_console"
SIGNIN_COOKIE = "kiezbot_signin"
TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,100}$")
PUBLIC_ROUTES = {"signin", "signin_confirm", "static"}     # everything else needs a session

LINK_PROBLEMS = {
    "unknown": (404, N_("This sign-in link is not valid"),
                N_("Perhaps it was not copied completely, or a newer link replaced it.")),
    "expired": (410, N_("This sign-in link has expired"),
                N_("Sign-in links work for a few minutes only.")),
    "used": (410, N_("This sign-in link was already used"),
             N_("Each link works once. If that was not you, tell your team.")),
}
NEW_LINK = N_("For a new link, send /console to the kiezbot in a private chat.")


def route_name(request: web.Request) -> str | None:
    route = request.match_info.route
    return route.name or (route.resource.name if route.resource is not None else None)


@web.middleware
async def session(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Who is signed in; everything but the sign-in pages and the static files refuses without a session."""
    token = request.cookies.get(COOKIE, "")
    user = None
    if token:
        config = request.config_dict[CONFIG]
        user = await store.current_user(request.config_dict[SESSIONS], token, now(request), config.idle)
    if user is not None:
        request[USER] = user
    elif route_name(request) not in PUBLIC_ROUTES:
        response = message(request, 401, N_("Please sign in"), N_("This page is for the neighbourhood team."),
                           sign_in_help=True)
        if token:                                     # ended, expired or from a removed member
            response.del_cookie(COOKIE, path=PREFIX)
        return response
    return await handler(request)


def _link_problem(request: web.Request, status: str) -> web.Response:
    code, title, text = LINK_PROBLEMS[status]
    return message(request, code, title, text, hint=NEW_LINK)


async def show_signin(request: web.Request) -> web.StreamResponse:
    """Step 1: say whose link it is and ask to confirm (uses nothing up)."""
    token = request.match_info["token"]
    if not TOKEN.match(token):
        return _link_problem(request, "unknown")
    check = await store.check_link(request.config_dict[SESSIONS], token, now(request))
    if check.language:
        request[LANGUAGE] = check.language
    if check.status != "ok":
        return _link_problem(request, check.status)
    nonce = secrets.token_urlsafe(24)
    response = render(request, "signin.html", name=check.name, nonce=nonce, token=token)
    response.set_cookie(SIGNIN_COOKIE, nonce, path=PREFIX + "/signin/", httponly=True, samesite="Strict",
                        secure=request.config_dict[CONFIG].secure, max_age=3600)
    return response


async def confirm_signin(request: web.Request) -> web.StreamResponse:
    """Step 2: use the link up and start the session."""
    token = request.match_info["token"]
    form = await request.post()
    nonce = request.cookies.get(SIGNIN_COOKIE, "")
    if not nonce or not hmac.compare_digest(str(form.get("nonce", "")), nonce):
        return message(request, 403, N_("Please open the sign-in link again"),
                       N_("This confirmation did not come from the sign-in page. Nothing was changed."))
    if not TOKEN.match(token):
        return _link_problem(request, "unknown")
    config = request.config_dict[CONFIG]
    sessions = request.config_dict[SESSIONS]
    check, started = await store.redeem_link(sessions, token, now(request), config.lifetime)
    if check.language:
        request[LANGUAGE] = check.language
    if started is None:
        return _link_problem(request, check.status)
    old = user_of(request)
    if old is not None:
        await store.end_session(sessions, old.session_hash)
    response = web.HTTPSeeOther(PREFIX + "/")       # raised: aiohttp sends an HTTPException with its cookies
    response.set_cookie(COOKIE, started.token, path=PREFIX, httponly=True, samesite="Strict", secure=config.secure,
                        max_age=int(config.lifetime.total_seconds()))
    response.del_cookie(SIGNIN_COOKIE, path=PREFIX + "/signin/")
    remember_language(response, started.user.language)
    raise response


async def sign_out(request: web.Request) -> web.StreamResponse:
    user = user_of(request)
    assert user is not None
    await store.end_session(request.config_dict[SESSIONS], user.session_hash)
    request.pop(USER, None)
    request[LANGUAGE] = user.language
    response = message(request, 200, N_("You are signed out"), N_("See you soon."), sign_in_help=True)
    response.del_cookie(COOKIE, path=PREFIX)
    return response


def safe_next(value: str) -> str:
    """Only a path of the console itself (no other site: "//evil", "/console/../", a scheme)."""
    if value.startswith(PREFIX + "/") and "//" not in value and ".." not in value and "\\" not in value:
        return value
    return PREFIX + "/"


async def choose_language(request: web.Request) -> web.StreamResponse:
    user = user_of(request)
    assert user is not None
    form = await request.post()
    code = str(form.get("lang", ""))
    response = web.HTTPSeeOther(safe_next(str(form.get("next", ""))))
    if code in LANGUAGES:
        await store.set_language(request.config_dict[SESSIONS], user.session_hash, code)
        remember_language(response, code)
    raise response


def add_routes(app: web.Application) -> None:
    app.router.add_get("/signin/{token}", show_signin, name="signin")
    app.router.add_post("/signin/{token}", confirm_signin, name="signin_confirm")
    app.router.add_post("/signout", sign_out, name="signout")
    app.router.add_post("/language", choose_language, name="language")

