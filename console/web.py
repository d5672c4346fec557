"""What every console page uses: the configuration, the signed-in member, the language, rendering."""
from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web
from sqlalchemy.ext.asyncio import async_sessionmaker

from console.i18n import LANGUAGES, ConsoleTranslator, console_language, from_accept_language
from storage.console import ConsoleUser
from storage.unit_of_work import SqlUnitOfWork

PREFIX = "/console"
MAX_FORM_BYTES = 128 * 1024      # a console form: far above any honest use, far below a flood
USER = web.RequestKey("console_user", ConsoleUser)        # the signed-in member
LANGUAGE = web.RequestKey("console_language", str)        # the page's language once the session has ended
LANGUAGE_COOKIE = "kiezbot_console_lang"    # the page language last chosen here (for pages before sign-in)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def user_of(request: web.Request) -> ConsoleUser | None:
    return request.get(USER)


@dataclass(frozen=True)
class ConsoleConfig:
    public_url: str                       # where the team reaches the server, e.g. https://desk.example.org
    idle: timedelta = timedelta(minutes=30)
    lifetime: timedelta = timedelta(hours=10)
    timezone: str = "Europe/Berlin"
    telegram_api: str = "https://api.telegram.org"    # where photos and voice notes are fetched (getFile)
    bot_token: str = field(default="", repr=False)     # the bot's token, for getFile only; never shown
    team_language: str = "de"                          # the language submissions are translated into
    resident_default_language: str = "de"              # a resident's messages when their language is unknown

    @property
    def secure(self) -> bool:
        """Cookies only over HTTPS when the team reaches the console over HTTPS (a proxy may end TLS)."""
        return self.public_url.startswith("https://")

    @property
    def origin(self) -> str:
        scheme, _, rest = self.public_url.partition("://")
        return f"{scheme}://{rest.split('/', 1)[0]}"


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


CONFIG = web.AppKey("console_config", ConsoleConfig)
SESSIONS = web.AppKey("console_sessions", async_sessionmaker)
CLOCK = web.AppKey("console_clock", Callable[[], datetime])
# Where a decision's message to the resident gets its language and translation settings: the bot's
# dialogs engine in ``kiezbot run``; console/pages/decide.py's ResidentTexts otherwise.
TEXTS = web.AppKey("console_texts", object)
# The delivery engine's tick in ``kiezbot run``; ``kiezbot console`` alone has no delivery engine (the
# bot's finds the rows at its next tick, within a second).
KICK = web.AppKey("console_kick", Callable[[], None])


def now(request: web.Request) -> datetime:
    return request.config_dict[CLOCK]()


@asynccontextmanager
async def staff_unit_of_work(request: web.Request, chat_id: int) -> AsyncIterator[Any]:
    """One transaction for a staff action, as a chat update has (the staff services run in it unchanged).
    Once it committed, messages it queued (``store.queued``: a decision's notice, an event's change) go out
    now where this process delivers (:data:`KICK`), rather than at the delivery engine's next tick."""
    async with SqlUnitOfWork(request.config_dict[SESSIONS], None)(chat_id) as store:   # type: ignore[arg-type]
        yield store
    kick = request.config_dict.get(KICK)
    if kick is not None and store.queued:
        kick()


def translator(request: web.Request) -> ConsoleTranslator:
    """The page's language: the session's, else ``?lang=``, else the sign-in link's (the member's chat
    language), else the one last used in this browser, else the browser's — German unless English."""
    user = user_of(request)
    if user is not None:
        code = user.language
    elif request.query.get("lang") in LANGUAGES:
        code = request.query["lang"]
    elif request.get(LANGUAGE):
        code = request[LANGUAGE]
    elif request.cookies.get(LANGUAGE_COOKIE) in LANGUAGES:
        code = request.cookies[LANGUAGE_COOKIE]
    else:
        code = from_accept_language(request.headers.get("Accept-Language"))
    return ConsoleTranslator(console_language(code), request.config_dict[CONFIG].timezone)


def render(request: web.Request, template: str, status: int = 200, **context: Any) -> web.Response:
    t = translator(request)
    user = user_of(request)
    context.setdefault("active", "")
    context.update(t=t, lang=t.code, user=user, languages=LANGUAGES, request=request, path=request.path,
                   csrf_token=user.csrf if user else "", url=lambda name, **parts: url_for(request, name, **parts))
    return aiohttp_jinja2.render_template(template, request, context, status=status)


def url_for(request: web.Request, name: str, **parts: str) -> str:
    return str(request.app.router[name].url_for(**{k: str(v) for k, v in parts.items()}))


def message(request: web.Request, status: int, title: str, text: str, *, hint: str = "",
            sign_in_help: bool = False) -> web.Response:
    """A page that says one thing (an error, a refusal, "signed out"); ``title``/``text`` are msgids
    (already translated when they carry values)."""
    t = translator(request)
    return render(request, "message.html", status=status, title=t.gettext(title), text=t.gettext(text),
                  hint=t.gettext(hint) if hint else "", sign_in_help=sign_in_help)


@jinja2.pass_context
def template_gettext(context, message: str) -> str:  # noqa: ANN001
    return context["t"].gettext(message)


@jinja2.pass_context
def template_ngettext(context, singular: str, plural: str, n: int) -> str:  # noqa: ANN001
    return context["t"].ngettext(singular, plural, n)




def remember_language(response: web.StreamResponse, code: str) -> None:
    response.set_cookie(LANGUAGE_COOKIE, console_language(code), path=PREFIX, httponly=True, samesite="Lax",
                        max_age=365 * 24 * 3600)
