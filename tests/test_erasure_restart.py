"""/mydata and /delete after a restart, the way production runs: real `kiezbot` processes, fake Telegram.

The database exists before kiezbot starts (as after every restart: it is at the head revision, so no
migration runs and nothing imports all models by accident). The team is set up with the command line
(`kiezbot staff add`, `events import`, `meetings add`); a resident then uses `kiezbot run` through the
fake Bot API: two submissions with a voice note, a photo, a location and their phone number and e-mail
address in the text, a sign-up, a subscription; the team asks back in the staff group (the "Send this
question?" preview becomes a full card), the resident answers, a team member opens the card in her
private chat. kiezbot is stopped and started again. Then `kiezbot privacy export` and `/mydata` must
list everything, and after `/delete` every table and every column of the database (outbox payloads
included) is searched for the resident's ids, names, phone number, e-mail, file ids, coordinates and
what they typed: only what the README and the /delete prompt say stays (the submissions' title and
text, with names, phone numbers and e-mail addresses masked) may be found — and no copy is left in the
team's Telegram chats. The logs of both processes hold no raw id, phone number or typed text, and no
APScheduler chatter.
"""
from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

from tests.fake_telegram import FakeTelegram, SentMessage, SimChat
from tests.test_cli import kiezbot

ROOT = Path(__file__).resolve().parent.parent
RESIDENT, DANA, STRANGER = 987650432101, 7001, 7002
STAFF_GROUP = -100777
FIRST, LAST, USERNAME = "Zyxwä", "Quokkason", "zyxwa_quokka"
PHONE, EMAIL = "0176 5550 9731", "zyxwa.quokkason@example.org"
LATITUDE, LONGITUDE = 52.551234, 13.381234
TITLE = f"Bench by the Panke, call {PHONE}"
TEXT = f"I am {FIRST} {LAST}: a bench for the old neighbours at the Panke bridge. Reach me at {PHONE} or {EMAIL}."
QUESTION = f"Could the team phone me back? {PHONE} — {FIRST} {LAST}, Quokka-Hof 3"
ANSWER = f"Near the bridge, by the lime tree. Quokkason-Answer {PHONE}"
STAFF_QUESTION = f"Hello {FIRST}, where exactly should the bench stand?"
# Titles and texts stay with the council, masked (the README and the /delete prompt say so).
MASKED_TITLE = "Bench by the Panke, call ***"
MASKED_TEXT = "I am ***: a bench for the old neighbours at the Panke bridge. Reach me at *** or ***."
MASKED_QUESTION = "Could the team phone me back? *** — ***, Quokka-Hof 3"


def calendar(start: datetime) -> str:
    stamp = start.strftime("%Y%m%dT%H%M%SZ")
    end = (start + timedelta(hours=2)).strftime("%Y%m%dT%H%M%SZ")
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\n"
            f"UID:hoffest-erasure@qm-badstrasse.de\r\nDTSTAMP:{stamp}\r\nDTSTART:{stamp}\r\nDTEND:{end}\r\n"
            "SUMMARY:Hoffest im Kiez\r\nLOCATION:Nachbarschaftsladen\\, Badstraße 10\r\n"
            "DESCRIPTION:Kuchen und Musik.\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")


def env_for(tg: FakeTelegram, db_file: Path) -> dict[str, str]:
    return {"KIEZBOT_BOT_TOKEN": tg.token, "KIEZBOT_API_BASE_URL": tg.base_url,
            "KIEZBOT_DATABASE_URL": f"sqlite:///{db_file}", "KIEZBOT_STAFF_CHAT_ID": str(STAFF_GROUP),
            # the resident here taps faster than the flood guard's 20 a minute allow a person
            "KIEZBOT_FLOOD_MESSAGES_PER_MINUTE": "200"}


async def start(tmp_path: Path, env: dict[str, str]):
    full = {k: v for k, v in os.environ.items() if not k.startswith("KIEZBOT_")}
    full.update(PYTHONPATH=str(ROOT), **env)
    return await asyncio.create_subprocess_exec(sys.executable, "-m", "bot.cli", "run", cwd=tmp_path, env=full,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)


async def stop(process) -> str:
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
    _, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    return err.decode()


def state(chat: SimChat) -> list[tuple[int, int, bool]]:
    return [(m.message_id, len(m.edits), m.deleted) for m in chat.inbox]


async def after(chat: SimChat, action, timeout: float = 30) -> None:
    """Do ``action`` (a coroutine) and wait until the bot answered in ``chat`` (a message or an edit)."""
    before = state(chat)
    await action
    await chat.wait_for(lambda: state(chat) != before, timeout, "an answer")


def with_button(chat: SimChat, data_prefix: str) -> tuple[SentMessage, str] | None:
    for message in reversed(chat.inbox):
        if message.deleted:
            continue
        for row in message.buttons:
            for _label, data in row:
                if isinstance(data, str) and data.startswith(data_prefix):
                    return message, data
    return None


async def press(chat: SimChat, data_prefix: str, *, user=None, timeout: float = 30) -> None:
    """Wait for a button whose callback data starts with ``data_prefix``, press it, wait for the answer."""
    found = await chat.wait_for(lambda: with_button(chat, data_prefix), timeout, f"a button {data_prefix}")
    message, data = found
    await after(chat, chat.press(message, data, user=user))


async def resident_uses_kiezbot(tg: FakeTelegram, ada: SimChat) -> None:
    await after(ada, ada.send("/start"))
    await press(ada, "lang:en")
    await press(ada, "consent:yes")
    # 1. an idea with text, a voice note, a photo and a location
    await press(ada, "idea:new")
    await press(ada, "idea:kind:project")
    await press(ada, "idea:area:badstrasse")
    await after(ada, ada.send(TITLE))
    await after(ada, ada.send(TEXT))
    await after(ada, ada.send_voice(duration=7))             # kept in any step
    await after(ada, ada.send_photo())
    await after(ada, ada.send_location(LATITUDE, LONGITUDE))
    await press(ada, "idea:send")
    # 2. a question to the team
    await press(ada, "idea:ask")
    if with_button(ada, "idea:area:badstrasse"):
        await press(ada, "idea:area:badstrasse")
    await after(ada, ada.send(QUESTION))
    await press(ada, "idea:send")
    # 3. an event sign-up
    await after(ada, ada.send("/events"))
    await press(ada, "ev:show:")
    await press(ada, "ev:join:")
    await press(ada, "ev:party:")
    # 4. reminders of the Quartiersrat
    await after(ada, ada.send("/meetings"))
    if not with_button(ada, "meet:on:council:"):
        await press(ada, "meet:area:badstrasse")
    await press(ada, "meet:on:council:")


def document_of(chat: SimChat) -> dict:
    [doc] = [m.document for m in chat.inbox if m.document is not None and m.document.filename.endswith(".json")]
    return json.loads(doc.data)


def counts(data: dict) -> tuple[int, int, int]:
    return (len(data.get("ideas", [])), len((data.get("events") or {}).get("sign_ups", [])),
            len(data.get("meetings", [])))


def search_terms(ada: SimChat, typed: list[str]) -> dict[str, str]:
    """What identifies the resident: ids, names, contact details, file ids, coordinates, typed strings."""
    file_ids = set()
    for message in ada.history:
        if not message.from_bot:
            as_json = message.to_json()
            for key in ("voice", "document"):
                if key in as_json:
                    file_ids.add(as_json[key]["file_id"])
            for size in as_json.get("photo") or []:
                file_ids.add(size["file_id"])
    terms = {"chat id": str(RESIDENT), "first name": FIRST, "last name": LAST, "user name": USERNAME,
             "phone": PHONE, "phone (digits)": PHONE.replace(" ", ""), "e-mail": EMAIL,
             "latitude": str(LATITUDE)[:8], "longitude": str(LONGITUDE)[:8]}
    terms.update({f"file id {i}": f for i, f in enumerate(sorted(file_ids))})
    terms.update({f"typed {i}": t for i, t in enumerate(typed)})
    for name, term in list(terms.items()):
        escaped = json.dumps(term)[1:-1]               # as JSON columns store it (ä -> \u00e4)
        if escaped != term:
            terms[name + " (JSON)"] = escaped
    return terms


def find_everywhere(db_file: Path, terms: dict[str, str]) -> dict[str, set[str]]:
    """{"table.column": {term names}} over every table and column of the database file."""
    hits: dict[str, set[str]] = {}
    with sqlite3.connect(db_file) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            if table in ("addresses", "streets"):      # Berlin's address list: no column could hold them
                columns = [r[1] for r in db.execute(f'PRAGMA table_info("{table}")')]
                assert columns and all(db.execute(f'SELECT 1 FROM "{table}" WHERE CAST("{c}" AS TEXT) = ?',
                                                  (str(RESIDENT),)).fetchone() is None for c in columns)
                continue
            for column in [r[1] for r in db.execute(f'PRAGMA table_info("{table}")')]:
                for name, term in terms.items():
                    found = db.execute(f'SELECT count(*) FROM "{table}" WHERE instr(CAST("{column}" AS TEXT), ?) > 0',
                                       (term,)).fetchone()[0]
                    if found:
                        hits.setdefault(f"{table}.{column}", set()).add(name)
    return hits


async def test_mydata_and_delete_after_a_restart_cover_everything_and_leave_only_what_is_promised(
        seeded_file, tmp_path):
    async with FakeTelegram() as tg:
        env = env_for(tg, seeded_file)
        start_at = (datetime.now(timezone.utc) + timedelta(days=20)).replace(hour=16, minute=0, second=0,
                                                                             microsecond=0)
        ics = tmp_path / "hoffest.ics"
        ics.write_text(calendar(start_at), encoding="utf-8")
        session = (start_at + timedelta(days=3)).astimezone(timezone(timedelta(hours=1)))
        for command in (("staff", "add", str(DANA), "--name", "Dana"),
                        ("events", "import", str(ics), "--area", "badstrasse", "--capacity", "20"),
                        ("meetings", "add", "--area", "badstrasse", "--body", "council", "--start",
                         session.strftime("%Y-%m-%d 18:00"), "--place", "Vor-Ort-Büro")):
            done = await asyncio.to_thread(kiezbot, *command, env=env, cwd=tmp_path)
            assert done.returncode == 0, done.stderr

        ada = tg.user(RESIDENT, FIRST, last_name=LAST, username=USERNAME, language_code="en")
        dana, stranger = tg.user(DANA, "Dana", language_code="en"), tg.user(STRANGER, "Nosy", language_code="en")
        group = tg.group(STAFF_GROUP, "QM Team", members=[dana, stranger])
        logs = []

        first = await start(tmp_path, env)
        try:
            await resident_uses_kiezbot(tg, ada)
            # The team: a card per submission in the staff group (with the voice note and the photo).
            await group.wait_for(lambda: sum("BAD-" in m.text for m in group.inbox) >= 2, 30, "two cards")
            await press(group, "mod:ask:", user=dana)                  # "Ask back" on the newest card (the question)
            prompt, _back = with_button(group, "mod:card:")           # the card asks for the question
            await after(group, group.send(STAFF_QUESTION, user=dana, reply_to=prompt))
            await press(group, "mod:send:", user=dana)                 # the preview becomes the full card
            await ada.wait_for(lambda: any(STAFF_QUESTION in m.text for m in ada.inbox), 30, "the question")
            await after(group, ada.send(ANSWER))                        # her answer reaches the group
            await after(dana, dana.send("/idea BAD-2026-001"))         # Dana opens the card privately
            # Things that log warnings: a resident trying a staff command, a stranger pressing a card.
            await after(ada, ada.send("/queue"))
            card, approve = with_button(group, "mod:ok:")
            refused = await group.press(card, approve, user=stranger)
            await refused.callback.wait_answered(30)
        finally:
            logs.append(await stop(first))

        staff_copies = [m for chat in (group, dana) for m in chat.inbox
                        if m.from_bot and not m.deleted and ("BAD-2026-00" in (m.text or "") or m.photo or m.voice)]
        # 2 cards, photo, voice, the preview turned card, the answer; Dana's copy: card, photo, voice
        assert len(staff_copies) == 9, staff_copies

        # kiezbot privacy export, a process of its own on the database as it is after the restart
        exported = tmp_path / "request.json"
        done = await asyncio.to_thread(kiezbot, "privacy", "export", str(RESIDENT), "--out", str(exported),
                                       "--by", "DPO", env=env, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert counts(json.loads(exported.read_text(encoding="utf-8"))) == (2, 1, 1)

        second = await start(tmp_path, env)
        try:
            await after(ada, ada.send("/mydata"))
            await ada.wait_for(lambda: any(m.document and m.document.filename.endswith(".json") for m in ada.inbox),
                               30, "the JSON file")
            data = document_of(ada)
            assert counts(data) == (2, 1, 1), data
            refs = [idea["reference"] for idea in data["ideas"]]
            await after(ada, ada.send("/delete"))
            prompt = ada.inbox[-1].text
            assert "replaced by ***" in prompt and "location" in prompt
            await press(ada, "privacy:erase")
            assert "deleted all your data" in ada.inbox[-1].text
            await group.wait_for(lambda: all(m.deleted for m in staff_copies), 30, "the team's copies withdrawn")
        finally:
            logs.append(await stop(second))

    # No copy left with the team: every bot message in the staff group and in Dana's chat that showed
    # the resident's submissions is gone (deleted, not just edited).
    left = [m for chat in (group, dana) for m in chat.inbox if m.from_bot and not m.deleted
            and any(ref in (m.text or "") for ref in refs)]
    assert left == [] and all(m.deleted for m in staff_copies)

    terms = search_terms(ada, [TITLE, TEXT, QUESTION, ANSWER, "lime tree", "Quokkason-Answer"])
    hits = find_everywhere(seeded_file, terms)
    assert hits == {}, hits                      # not even the masked texts hold any of these
    with sqlite3.connect(seeded_file) as db:
        kept = db.execute("SELECT ref, chat_id, title, text, latitude, longitude FROM submissions "
                          "ORDER BY ref").fetchall()
        assert kept == [("BAD-2026-001", 0, MASKED_TITLE, MASKED_TEXT, None, None),
                        ("BAD-2026-002", 0, MASKED_QUESTION, MASKED_QUESTION, None, None)], kept
        assert db.execute("SELECT count(*) FROM submission_attachments").fetchone() == (0,)
        assert db.execute("SELECT count(*) FROM submission_notes WHERE author = 'resident'").fetchone() == (0,)
        assert db.execute("SELECT count(*) FROM access_log WHERE subject LIKE 'r-%'").fetchone() == (0,)

    log_text = "\n".join(logs)
    for name, term in {"chat id": str(RESIDENT), "phone": PHONE, "e-mail": EMAIL, "title": TITLE,
                       "text": TEXT[:40], "answer": ANSWER[:30], "last name": LAST}.items():
        assert term not in log_text, f"{name} in the log"
    assert "non-staff user r-" in log_text                      # the warnings were written, with pseudonyms
    assert "Running job" not in log_text and "executed successfully" not in log_text   # APScheduler quiet
