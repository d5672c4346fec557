"""What the console's event pages share: the areas to pick from, the unit of work of a staff change,
the residents' languages for notices, and the staff access log's name for the signed-in member."""
from __future__ import annotations

from aiohttp import web

from console.pages.decide import resident_texts
from console.web import CONFIG, SESSIONS, TEXTS, staff_unit_of_work, user_of
from storage.console import ConsoleUser
from storage.offices import all_offices


async def area_names(request: web.Request) -> dict[str, str]:
    return {o.area_key: o.area_name for o in await all_offices(request.config_dict[SESSIONS])}


def member(request: web.Request) -> ConsoleUser:
    user = user_of(request)
    assert user is not None                 # every event page needs a signed-in member (auth.session)
    return user


def actor(user: ConsoleUser) -> str:
    """As the chat's staff access lines name a member (``staff:7 Dana``)."""
    return f"staff:{user.user_id} {user.name}".strip()


def unit_of_work(request: web.Request):  # noqa: ANN201  (an async context manager giving the Store)
    """One transaction, as a chat update has: the staff services run in it unchanged."""
    return staff_unit_of_work(request, member(request).user_id)


def notices(request: web.Request):  # noqa: ANN201
    """Where the services get a resident's language for a notice: the bot's engine in ``kiezbot run``,
    the chat's catalogs otherwise (only ``translator`` and ``timezone`` are used)."""
    config = request.config_dict[CONFIG]
    return request.config_dict.get(TEXTS) or resident_texts(config.resident_default_language, config.timezone)
