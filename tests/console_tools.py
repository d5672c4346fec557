"""The staff console in tests: the app on a test server, sign-in links from the chat, forms with their token."""
from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

import pytest_asyncio

from aiohttp.test_utils import TestClient, TestServer

from console.app import build_console, standalone
from console.web import ConsoleConfig
from dialogs.console_signin import staff_flow as console_signin
from tests.chat import ChatClient
from tests.staff_tools import staff_in_private

BASE = "http://desk.test"
LINK = re.compile(r"(https?://\S+/console/signin/[A-Za-z0-9_-]+)")
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
NONCE = re.compile(r'name="nonce" value="([^"]+)"')


async def console_client(db, clock, texts=None, kick=None, **config) -> TestClient:  # noqa: ANN001
    app = standalone(build_console(ConsoleConfig(**{"public_url": BASE, **config}), db.sessions, clock, texts=texts,
                                   kick=kick))
    client = TestClient(TestServer(app))
    await client.start_server()
    return client


def with_console(dialogs, base_url: str = BASE):  # noqa: ANN001, ANN201
    console_signin.configure(dialogs, base_url=base_url, valid_minutes=10)
    return dialogs


async def ask_for_link(member: ChatClient) -> str:
    """The path of the sign-in link the bot sends ``member`` for /console."""
    answer = await member.says("/console")
    match = LINK.search(answer.text)
    assert match, answer.text
    return match.group(1).removeprefix(BASE)


async def team_member(dialogs, db, user_id: int = 7, name: str = "Dana", language: str = "de") -> ChatClient:
    return await staff_in_private(with_console(dialogs), db, user_id, name, language=language)


async def sign_in(client: TestClient, path: str) -> None:
    page = await client.get(path)
    assert page.status == 200, await page.text()
    nonce = NONCE.search(await page.text()).group(1)
    done = await client.post(path, data={"nonce": nonce}, allow_redirects=False)
    assert done.status == 303, await done.text()


async def page_text(response) -> str:  # noqa: ANN001
    """What a person reads: the HTML without tags, entities decoded, spaces folded."""
    html = await response.text()
    body = html.split("<body>", 1)[-1]
    text = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", body, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", text))).strip()


def csrf_of(html: str) -> str:
    return CSRF.search(html).group(1)


@pytest_asyncio.fixture
async def desk(db, clock):
    """The console on a test server (public URL http://desk.test), sharing the test's database and clock."""
    client = await console_client(db, clock)
    yield client
    await client.close()


@pytest_asyncio.fixture
async def dana(dialogs, db):
    """Dana of the team, in her private chat with the bot (German), the console switched on."""
    return await team_member(dialogs, db, 7, "Dana", language="de")


@pytest_asyncio.fixture
async def signed_in(desk, dana):
    """The console with Dana signed in; returns the client."""
    await sign_in(desk, await ask_for_link(dana))
    return desk


async def csrf_token(client: TestClient, path: str = "/console/") -> str:
    return csrf_of(await (await client.get(path)).text())


def cookie_value(client: TestClient, name: str = "kiezbot_console") -> str:
    return next(c.value for c in client.session.cookie_jar if c.key == name)


class _Inputs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if tag == "input" and a.get("name") and a.get("type") != "submit":
            if a.get("type") == "checkbox" and "checked" not in a:
                return
            self.fields[a["name"]] = a.get("value") or ""


def form_fields(html: str) -> dict[str, str]:
    """What a browser would submit from the page's form (text fields, hidden fields, ticked boxes)."""
    parser = _Inputs()
    parser.feed(html)
    return parser.fields


async def a_submission(db, clock, *, chat_id: int = 1003, title: str = "Bänke an der Panke",  # noqa: ANN001
                       text: str = "Mehr Bänke am Panke-Weg, damit Ältere sich ausruhen können.",
                       kind: str = "project", area: str = "badstrasse", language: str = "de",
                       attachments=(), latitude: float | None = None, longitude: float | None = None,
                       costs_cents: int | None = None, days_ago: float = 0) -> str:
    """A resident's submission straight into the database (as the chat flow stores it), sent ``days_ago``
    before the clock's time; its reference."""
    from datetime import timedelta
    from dialogs.ideas.rules import Attachment, Content
    from storage.ideas import SqlSubmissions

    content = Content(area_key=area, kind=kind, title=title, text=text,
                      attachments=[Attachment(k, f, d) for k, f, d in attachments], costs_cents=costs_cents,
                      latitude=latitude, longitude=longitude)
    async with db.sessions() as session, session.begin():
        sub = await SqlSubmissions(session).create(content, chat_id=chat_id, language=language,
                                                   now=clock() - timedelta(days=days_ago),
                                                   actor_name="Resident")
    return sub.ref
