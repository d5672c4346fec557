"""Property-based: random residents in random languages send random things; kiezbot never breaks.

Each example is a fresh chat (a new chat id, so examples do not need a fresh database) that sends up
to 15 random updates — texts (HTML, CSV formulas, emoji, right-to-left text, 5,000 characters),
every registered command with random arguments, presses of buttons kiezbot just offered, forged and
random callback data, photos, voice notes, files, locations, stickers. Some are onboarded first,
some are team members (so staff commands and buttons are driven too). After every update:

* no exception escaped a flow (the engine would log "flow failed" and apologise);
* every reply is something Telegram accepts: text within 4,096 characters and valid Telegram HTML,
  captions within 1,024, callback data within 64 bytes, no empty message, no empty file;
* the stored conversation state is JSON and names a step some flow handles.

Commands, buttons and steps are read from the registered flows, so new features are covered as they land.
"""
from __future__ import annotations

import itertools
import json
import logging

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from dialogs.app import build_dialogs
from dialogs.core.messages import MAX_CALLBACK_DATA, MAX_CAPTION, MAX_TEXT, Reply
from dialogs.core.text import visible_length
from locales import load_catalogs
from storage.models import ConversationRow, ResidentRow, StaffRow
from storage.unit_of_work import SqlUnitOfWork
from tests.chat import ChatClient
from tests.fake_telegram import parse_html

MB = 1024 * 1024
CATALOGS = load_catalogs(all_languages=True)
LANGUAGES = [lang.code for lang in CATALOGS.languages]
TELEGRAM_CODES = [*LANGUAGES, "en-GB", "ar-SA", "pt-br", "fa", "", None]
CHAT_IDS = itertools.count(7_000_000_000)

SPECIAL_TEXTS = [
    "<b>bold</b>", "<script>alert(1)</script>", "a & b < c > d", "&amp; &lt;b&gt;", "</i>", "<a href='x'>",
    '=HYPERLINK("http://evil.example","click")', "+49 30 1234567", "-1+2", "@SUM(A1:A9)", "\t=1+1",
    "مرحبا، أين مكتب الحي؟", "שלום", "‮reversed‬", "⁦isolated⁩", "🎉🏳️‍🌈👨‍👩‍👧 🙂", "\u200f\u200e",
    "Badstraße 10", "koloniestr 129 13359", "Prinzenallee", "Unter den Linden 1", "12", "0", "ja", "yes",
    "Да", "evet", "/", "//", "/ start", "   ", "\n\n", "null", "{}", "{'step': 'x'}", "%s %d {0} {name}",
]


def long_texts():
    return st.builds(lambda chunk, n: chunk * n, st.sampled_from(["x", "ü", "<", "&", "🙂", "ا", "ab\n"]),
                     st.integers(1000, 5000))


TEXTS = st.one_of(st.sampled_from(SPECIAL_TEXTS), st.text(max_size=80), long_texts())
SHORT = st.one_of(st.just(""), st.sampled_from(SPECIAL_TEXTS), st.text(max_size=30))


def clip_bytes(data: str) -> str:
    while len(data.encode()) > MAX_CALLBACK_DATA:
        data = data[:-1]
    return data


def fits_callback(data: str) -> bool:
    return 0 < len(data.encode()) <= MAX_CALLBACK_DATA


def step_strategy(prefixes: list[str]):
    forged = st.one_of(
        st.text(st.characters(max_codepoint=0x7FF), min_size=1, max_size=30),       # at most 60 bytes
        st.builds(lambda p, a, b: clip_bytes(f"{p}:{a}:{b}"), st.sampled_from(prefixes),
                  st.sampled_from(["", "x", "0", "-1", "999999", "erase", "yes", "approve", "start", "area",
                                   "pick", "sugg", "alive", "menu", "export", "delete", "keep", "text"]),
                  st.one_of(st.integers(-5, 10**12).map(str), st.text(max_size=8))),
    )
    return st.one_of(
        st.tuples(st.just("text"), TEXTS),
        st.tuples(st.just("command"), st.integers(0, 10**6), SHORT),
        st.tuples(st.just("press"), st.integers(0, 50)),
        st.tuples(st.just("press"), st.integers(0, 50)),
        st.tuples(st.just("forged"), forged),
        st.tuples(st.just("photo"), st.integers(0, 15 * MB), SHORT),
        st.tuples(st.just("voice"), st.integers(0, 600), st.integers(0, 25 * MB)),
        st.tuples(st.just("document"), st.integers(0, 30 * MB), st.sampled_from(["a.pdf", "x.exe", "", "ü.txt"])),
        st.tuples(st.just("location"), st.floats(-90, 90), st.floats(-180, 180)),
        st.tuples(st.just("sticker")),
        st.tuples(st.just("other")),
    )


def check_reply(reply: Reply) -> None:
    """What Telegram would refuse (or what would show as an empty message) fails here."""
    if reply.text:
        assert visible_length(reply.text) <= MAX_TEXT, visible_length(reply.text)
        parse_html(reply.text)
    else:
        assert reply.venue or reply.document or reply.media, f"an empty message: {reply}"
    for row in reply.buttons:
        for button in row:
            assert button.label.strip(), f"a button without a label: {button}"
            if button.data:
                assert fits_callback(button.data)
    if reply.document:
        assert reply.document.content, "an empty file"
        assert visible_length(reply.document.caption) <= MAX_CAPTION
        if reply.document.caption:
            parse_html(reply.document.caption)
    for media in reply.media:
        assert visible_length(media.caption) <= MAX_CAPTION
        if media.caption:
            parse_html(media.caption)


async def check_state(db, dialogs, chat_id: int) -> None:
    async with db.sessions() as session:
        rows = (await session.execute(select(ConversationRow).where(ConversationRow.chat_id == chat_id))).scalars()
        for row in rows:
            json.loads(json.dumps(row.data))
            prefix = row.step.split(".", 1)[0]
            assert not row.step or prefix in dialogs.steps or prefix in dialogs.staff_steps, row.step
        resident = await session.get(ResidentRow, chat_id)
        assert resident is None or resident.language in CATALOGS.by_code


class FlowFailures(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@settings(max_examples=200, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(data=st.data(), language=st.sampled_from(LANGUAGES), telegram_code=st.sampled_from(TELEGRAM_CODES),
       onboarded=st.booleans(), staff=st.integers(0, 9))
async def test_random_residents_never_break_kiezbot(db, clock, data, language, telegram_code, onboarded, staff):
    # The shared `db` is fine across examples: each example is a new person in a new chat.
    dialogs = build_dialogs(SqlUnitOfWork(db.sessions, db.addresses), CATALOGS, clock=clock, staff_chat_id=-100123)
    commands = sorted(set(dialogs.commands) | set(dialogs.staff_commands) | {"frobnicate"})
    prefixes = sorted(set(dialogs.buttons) | set(dialogs.staff_buttons) | {"nope"})
    steps = data.draw(st.lists(step_strategy(prefixes), min_size=1, max_size=15), label="steps")
    chat_id = next(CHAT_IDS)
    if staff == 0:                                   # one in ten is a team member
        async with db.sessions() as session, session.begin():
            session.add(StaffRow(user_id=chat_id, name="Fuzzy Staff"))
    client = ChatClient(dialogs, chat_id=chat_id, language_code=telegram_code, name="Fuzz <b>&")
    failures = FlowFailures()
    logging.getLogger("dialogs").addHandler(failures)
    try:
        if onboarded:
            await client.says("/start")
            await client.presses(f"lang:{language}")
            await client.presses("consent:yes")
        for step in steps:
            kind = step[0]
            if kind == "text":
                answer = await client.says(step[1])
            elif kind == "command":
                answer = await client.says(f"/{commands[step[1] % len(commands)]} {step[2]}")
            elif kind == "press":
                offered = [b.data for r in (client.last.replies if client.last else []) for row in r.buttons
                           for b in row if b.data]
                answer = await (client.presses(offered[step[1] % len(offered)]) if offered
                                else client.says("/menu"))
            elif kind == "forged":
                answer = await client.presses(step[1])
            elif kind == "photo":
                answer = await client.sends("photo", file_id="AgAC-fuzz", file_size=step[1], text=step[2])
            elif kind == "voice":
                answer = await client.sends("voice", file_id="AwAC-fuzz", duration=step[1], file_size=step[2])
            elif kind == "document":
                answer = await client.sends("document", file_id="BQAC-fuzz", file_size=step[1], file_name=step[2])
            elif kind == "location":
                answer = await client.sends("location", latitude=step[1], longitude=step[2])
            else:
                answer = await client.sends(kind, file_id="CAAC-fuzz")
            for reply in answer.replies:
                check_reply(reply)
            assert answer.toast is None or answer.toast.strip()
            assert not failures.records, failures.records[0].getMessage()
            await check_state(db, dialogs, chat_id)
    finally:
        logging.getLogger("dialogs").removeHandler(failures)
