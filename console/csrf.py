"""Every form of the console is protected against cross-site requests.

A POST must (1) carry the session's random form token in the field ``csrf`` (synchronizer token; the
templates put it into every form), and (2) when the browser names its ``Origin``, come from the
console's own address. The session cookie is ``SameSite=Strict`` on top. The sign-in confirmation has
no session yet and checks a one-off value of its own (console/auth.py). A refused form changes
nothing and says so.
"""
from __future__ import annotations

import hmac

from aiohttp import web

from console.auth import PUBLIC_ROUTES, route_name
from console.web import CONFIG, MAX_FORM_BYTES, Handler, message, user_of
from dialogs.core.i18n import N_

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
FIELD = "csrf"


def same_origin(request: web.Request) -> bool:
    origin = request.headers.get("Origin")
    if origin is None:
        return True                       # older browsers and scripts: the token decides
    own = {request.config_dict[CONFIG].origin, f"{request.scheme}://{request.host}"}
    return origin in own


def refused(request: web.Request) -> web.Response:
    return message(request, 403, N_("This form has expired"),
                   N_("It did not come from an open console page, or the page was too old. Nothing was changed. "
                      "Please open the page again and repeat your change."))


@web.middleware
async def check(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.method in SAFE_METHODS:
        return await handler(request)
    if request.content_length is not None and request.content_length > MAX_FORM_BYTES:
        raise web.HTTPRequestEntityTooLarge(max_size=MAX_FORM_BYTES, actual_size=request.content_length)
    if not same_origin(request):
        return refused(request)
    if route_name(request) in PUBLIC_ROUTES:
        return await handler(request)     # the sign-in confirmation checks its own value
    user = user_of(request)
    if user is None:                      # auth.session refuses first; kept for safety
        return refused(request)
    form = await request.post()
    if not hmac.compare_digest(str(form.get(FIELD, "")).encode(), user.csrf.encode()):
        return refused(request)
    return await handler(request)
