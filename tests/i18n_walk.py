"""Walk every flow in every language, the way a curious resident would, and keep every reply.

The walk needs no knowledge of the flows: after first contact it sends every registered command,
presses every button it is shown (breadth first, each callback once), and wherever a command or
button leaves the chat waiting for an answer (a step) it types a set of sample texts — addresses,
nonsense, a wish — re-entering the step before each. At the menu it also types the samples and sends
a voice note, a photo and a sticker. So flows that other branches add later (ideas, events …) are
walked too, in all ten languages, without touching this file.

Used by tests/test_i18n.py (Telegram limits, valid HTML) and tests/test_rtl.py (Arabic direction).
"""
from __future__ import annotations

import html
import re
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest_asyncio
from sqlalchemy import update

from dialogs.app import build_dialogs
from dialogs.core.engine import Dialogs
from dialogs.core.messages import Reply
from locales import load_catalogs
from storage.models import AreaRow, OfficeRow
from storage.unit_of_work import SqlUnitOfWork
from tests.chat import Answer, ChatClient, Clock

SAMPLE_TEXTS = [
    "Badstraße 10",                      # an address in our areas
    "Badstraße",                         # a street without number
    "Koloniestraße 10",                  # a street name that exists twice in Berlin
    "Unter den Linden 1",                # Berlin, outside our areas
    "Bellermanstr 81",                   # a typo
    "Xyzzystraße 5",                     # no such street
    "asdf",                              # nonsense
    "12",                                # a bare number
    "Ich habe eine Idee für den Park & die Kinder <3",   # a wish, with characters HTML must escape
]
MAX_ACTIONS = 400                        # per language: keeps the walk finite when flows grow
STAFF_NOTE = {"de": "Eingang im Hof, bitte klingeln."}
HOURS = {"tue": ["10:00-13:00"], "thu": ["14:00-18:00"],
         "note": {"de": "und nach Vereinbarung", "en": "and by appointment"},
         "closures": [{"from": "2026-12-24", "to": "2026-12-26", "note": {"de": "Weihnachten"}}, {"from": "2026-12-31"}]}


@dataclass
class LanguageWalk:
    code: str
    replies: list[Reply] = field(default_factory=list)
    toasts: list[str] = field(default_factory=list)
    actions: int = 0


async def step_of(dialogs: Dialogs, chat_id: int) -> str:
    async with dialogs.uow(chat_id) as store:
        state = await store.conversations.load(chat_id, chat_id)
    return state.step


async def walk_language(dialogs: Dialogs, code: str, chat_id: int) -> LanguageWalk:
    walk = LanguageWalk(code)
    client = ChatClient(dialogs, chat_id=chat_id, language_code=code.split("_")[0])

    async def act(coro) -> Answer:
        walk.actions += 1
        answer = await coro
        walk.replies.extend(answer.replies)
        if answer.toast:
            walk.toasts.append(answer.toast)
        return answer

    for first in (client.says("/start"), client.presses(f"lang:{code}"), client.presses("consent:read"),
                  client.presses("consent:yes")):
        await act(first)

    entries: deque[tuple[str, str]] = deque(("command", name) for name in sorted(dialogs.commands))
    seen: set[str] = set()

    def offer(answer: Answer) -> None:
        for reply in answer.replies:
            for row in reply.buttons:
                for button in row:
                    data = button.data
                    if not data or data in seen:
                        continue
                    if data.startswith("lang:") and data not in (f"lang:{code}", "lang:"):
                        continue          # switching to another language would end this language's walk
                    seen.add(data)
                    entries.append(("press", data))

    async def enter(kind: str, value: str) -> Answer:
        return await act(client.says("/" + value) if kind == "command" else client.presses(value))

    # At the menu: free text, other kinds of messages, an unknown command, a forged button.
    await act(client.says("/menu"))
    for text in SAMPLE_TEXTS:
        offer(await act(client.says(text)))
        await act(client.says("/cancel"))
    for kind, fields in (("voice", {"file_id": "v1", "duration": 4}), ("photo", {"file_id": "p1"}),
                         ("sticker", {})):
        await act(client.sends(kind, **fields))
    await act(client.says("/frobnicate"))
    await act(client.presses("office:pick:99"))

    while entries and walk.actions < MAX_ACTIONS:
        kind, value = entries.popleft()
        answer = await enter(kind, value)
        offer(answer)
        if await step_of(dialogs, chat_id):
            for text in SAMPLE_TEXTS:
                if walk.actions >= MAX_ACTIONS:
                    break
                if not await step_of(dialogs, chat_id):
                    await enter(kind, value)           # the last sample finished the step: enter again
                offer(await act(client.says(text)))
            await act(client.says("/cancel"))
    return walk


async def prepare_rich_office_data(db) -> None:
    """Opening hours, coordinates and staff notes, so every branch of the office card is rendered."""
    async with db.sessions() as session, session.begin():
        await session.execute(update(OfficeRow).where(OfficeRow.area_key == "badstrasse").values(
            opening_hours=HOURS, latitude=52.5531, longitude=13.3831))
        await session.execute(update(AreaRow).where(AreaRow.key == "badstrasse").values(notes=STAFF_NOTE))


@pytest_asyncio.fixture(scope="session")
async def flow_walks(seeded_db) -> dict[str, LanguageWalk]:
    """Every language's walk through every flow (once per backend and test run)."""
    await seeded_db.clear_mutable()
    await prepare_rich_office_data(seeded_db)
    clock = Clock(datetime(2026, 11, 24, 9, 30, tzinfo=UTC))      # Tuesday 10:30 in Berlin
    dialogs = build_dialogs(SqlUnitOfWork(seeded_db.sessions, seeded_db.addresses), load_catalogs(), clock=clock)
    walks = {}
    for index, code in enumerate(dialogs.catalogs.by_code):          # the offered languages
        walks[code] = await walk_language(dialogs, code, chat_id=880_000 + index)
    await seeded_db.clear_mutable()
    return walks


# --- Telegram's HTML ------------------------------------------------------------------------------

ALLOWED_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "tg-spoiler",
                "span", "blockquote", "tg-emoji"}
_ENTITY = re.compile(r"&(?!(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);)")
_TAG_START = re.compile(r"<(?!/?[a-z][a-z-]*(?:\s[^<>]*)?>)")


class _TagChecker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in ALLOWED_TAGS:
            self.problems.append(f"tag <{tag}> is not in Telegram's HTML subset")
        self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()


def telegram_html_problems(text: str) -> list[str]:
    """Why Telegram would answer "can't parse entities" to this text (empty: it would accept it)."""
    problems = []
    if _ENTITY.search(text):
        problems.append("a bare & (not an entity)")
    if _TAG_START.search(text):
        problems.append("a bare < (not a tag)")
    checker = _TagChecker()
    checker.feed(text)
    checker.close()
    problems += checker.problems
    if checker.stack:
        problems.append(f"unclosed {checker.stack}")
    return problems


def visible_lines(reply: Reply) -> list[str]:
    """The lines a reader sees (tags removed, entities resolved, direction marks dropped)."""
    text = html.unescape(re.sub(r"<[^>]+>", "", reply.text))
    for mark in ("\u200f", "\u2068", "\u2069", "\u202f", "\xa0"):
        text = text.replace(mark, " " if mark in "\u202f\xa0" else "")
    return [line.strip() for line in text.split("\n") if line.strip()]
