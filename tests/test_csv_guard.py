"""Issue 15 item 7 / issue 16 item 2: one CSV guard (dialogs/core/csv_safe.py) for every export.

What a resident or a team member typed reaches a spreadsheet as text, also when it hides its formula
behind a full-width equals sign, spaces, a line break or a tab: `kiezbot export ideas`, `kiezbot export
signups` and the console's audit CSV, each run the way staff run it.
"""
from __future__ import annotations

import asyncio
import csv
import io

import pytest
from sqlalchemy import update

from bot.cli import main
from dialogs.core.csv_safe import safe_cell
from storage.events import SignupRow
from storage.ideas import SubmissionRow
from tests.console_tools import dana, desk, signed_in  # noqa: F401 — the console fixtures
from tests.event_helpers import add_event, add_resident
from tests.chat import ChatClient
from tests.ideas_helpers import STAFF_CHAT, card_button, send_project_idea
from tests.staff_tools import staff_in_private

DANGEROUS = ['＝HYPERLINK("http://evil.example","click")', " =1+1", "\n=1+1", "\t=1+1", "@SUM(A1:A9)",
             "+49 30 123456", "-2+3", "\u00a0=1+1", "\r\n=1+1", "﹦1+1", "−1+1"]


@pytest.mark.parametrize("typed", DANGEROUS)
def test_the_guard_defuses_every_hidden_formula_start(typed):
    assert safe_cell(typed) == "'" + typed


@pytest.mark.parametrize("typed", ["Bänke am Ufer", "a=b", "150,50", "Straße 1-3", "me@example.org", ""])
def test_ordinary_text_stays_as_it_is(typed):
    assert safe_cell(typed) == typed


async def run_cli(monkeypatch, db, *args: str) -> int:
    monkeypatch.setenv("KIEZBOT_DATABASE_URL", db.url)
    return await asyncio.to_thread(main, list(args))


async def test_export_ideas_defuses_every_hidden_formula(dialogs, english, db, monkeypatch, tmp_path):
    dialogs.staff_chat_id = STAFF_CHAT
    columns = {"title": "title", "text": "text", "assignee_name": "assigned_to", "decision_note": "message_to_resident"}
    refs = [await send_project_idea(english, title=f"Idea {i}") for i in range(3)]
    cells = iter(DANGEROUS + DANGEROUS[:1])
    typed = {ref: {field: next(cells) for field in columns} for ref in refs}
    async with db.sessions() as session, session.begin():       # as if typed by residents and staff
        for ref in refs:
            await session.execute(update(SubmissionRow).where(SubmissionRow.ref == ref).values(**typed[ref]))
    out = tmp_path / "ideas.csv"
    assert await run_cli(monkeypatch, db, "export", "ideas", "--output", str(out)) == 0
    with open(out, encoding="utf-8-sig", newline="") as fh:
        rows = {row["reference"]: row for row in csv.DictReader(fh)}
    for ref in refs:
        for field, column in columns.items():
            assert rows[ref][column] == "'" + typed[ref][field], (ref, column)


async def test_export_signups_defuses_every_hidden_formula(dialogs, db, monkeypatch, capsys):
    event = await add_event(db, capacity=50, max_party=1)
    for i, typed in enumerate(DANGEROUS):
        await add_resident(db, 6700 + i, "en")
        await ChatClient(dialogs, chat_id=6700 + i, language_code="en", name=f"N{i}").presses(
            f"ev:party:{event.id}:1")
    async with db.sessions() as session, session.begin():       # Telegram names can be anything
        for i, typed in enumerate(DANGEROUS):
            await session.execute(update(SignupRow).where(SignupRow.chat_id == 6700 + i)
                                  .values(display_name=typed))
    assert await run_cli(monkeypatch, db, "export", "signups", str(event.id)) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))[1:]
    assert [r[0] for r in rows] == ["'" + typed for typed in DANGEROUS]


@pytest.mark.parametrize("typed", ['＝HYPERLINK("http://evil")', " =1+1", "\t@x"])
async def test_the_console_audit_csv_defuses_hidden_formulas(signed_in,  # noqa: F811
                                                              dialogs, db, english, typed):
    dialogs.staff_chat_id = STAFF_CHAT
    ref = await send_project_idea(english, title="Benches along the Panke")
    decider = await staff_in_private(dialogs, db, 77, typed)
    await decider.presses(await card_button(db, ref, "ok"))
    response = await signed_in.get("/console/audit.csv")
    rows = list(csv.reader(io.StringIO((await response.read()).decode("utf-8-sig")), delimiter=";"))
    approved = next(r for r in rows if r[4] == "approved")
    assert approved[1] == ref and approved[5] == "'" + typed
