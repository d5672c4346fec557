"""``kiezbot export ideas`` and ``kiezbot staff``: what the team takes to a council or jury session."""
from __future__ import annotations

import asyncio
import csv
import io

import pytest
from sqlalchemy import update

from bot.cli import main
from storage.ideas import SubmissionRow
from tests.ideas_helpers import STAFF_CHAT, send_project_idea, submission


@pytest.fixture
def staffed(dialogs):
    dialogs.staff_chat_id = STAFF_CHAT
    return dialogs


async def run_cli(monkeypatch, db, *args: str) -> int:
    monkeypatch.setenv("KIEZBOT_DATABASE_URL", db.url)
    return await asyncio.to_thread(main, list(args))


def read_csv(path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


async def test_export_for_a_council_session(staffed, english, db, monkeypatch, tmp_path):
    await english.taps("Submit an idea")
    await english.taps("Project idea")
    await english.taps("QM Badstraße")
    await english.says('=HYPERLINK("http://evil.example","click")')
    await english.says("+49 call me; text with, commas and \"quotes\"")
    await english.sends("photo", file_id="PHOTO-SECRET-FILE-ID")
    await english.taps("Send")
    second = await send_project_idea(english, title="@everyone benches", area="QM Pankstraße")
    row = await submission(db, second)
    async with db.sessions() as session, session.begin():    # how it was decided is not the point here
        await session.execute(update(SubmissionRow).where(SubmissionRow.id == row.id)
                              .values(status="approved", decided_by_name="Dana"))

    out = tmp_path / "ideas.csv"
    assert await run_cli(monkeypatch, db, "export", "ideas", "--output", str(out)) == 0
    rows = read_csv(out)
    assert [r["reference"] for r in rows] == ["BAD-2026-001", second]
    first = rows[0]
    assert first["title"] == "'=HYPERLINK(\"http://evil.example\",\"click\")"
    assert first["text"] == "'+49 call me; text with, commas and \"quotes\""
    assert (first["area"], first["kind"], first["status"], first["language"]) == \
        ("QM Badstraße", "Projektidee", "neu", "English")
    assert first["photos"] == "1" and first["voice_notes"] == "0"
    assert rows[1]["title"] == "'@everyone benches" and rows[1]["decided_by"] == "Dana"
    raw = out.read_text(encoding="utf-8-sig")
    assert "PHOTO-SECRET-FILE-ID" not in raw                   # no Telegram file ids …
    assert str(english.sender.chat_id) not in raw             # … and no chat ids

    approved = tmp_path / "approved.csv"
    await run_cli(monkeypatch, db, "export", "ideas", "--status", "approved", "--output", str(approved))
    assert [r["reference"] for r in read_csv(approved)] == [second]
    bad = tmp_path / "bad.csv"
    await run_cli(monkeypatch, db, "export", "ideas", "--area", "badstrasse", "--status", "open", "--lang", "en",
                  "--output", str(bad))
    [only] = read_csv(bad)
    assert only["reference"] == "BAD-2026-001" and only["kind"] == "Project idea" and only["status"] == "new"


async def test_export_refuses_unknown_filters_with_one_line(db, monkeypatch, capsys):
    assert await run_cli(monkeypatch, db, "export", "ideas", "--status", "pending") == 2
    assert "--status: 'pending' is not one of open, new" in capsys.readouterr().err
    assert await run_cli(monkeypatch, db, "export", "ideas", "--area", "mitte") == 2
    assert "--area: 'mitte' is not one of" in capsys.readouterr().err


async def test_export_to_standard_output_with_semicolons(staffed, english, db, monkeypatch, capsys):
    await send_project_idea(english, title="Kiez; Café")
    await run_cli(monkeypatch, db, "export", "ideas", "--delimiter", ";")
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out), delimiter=";"))
    assert rows[0][:3] == ["reference", "received", "area"] and rows[1][6] == "Kiez; Café"


async def test_staff_are_managed_from_the_command_line(db, monkeypatch, capsys):
    assert await run_cli(monkeypatch, db, "staff", "add", "4242", "--name", "Dana") == 0
    assert await run_cli(monkeypatch, db, "staff", "add", "4343", "--name", "Fritz") == 0
    assert await run_cli(monkeypatch, db, "staff", "add", "4242", "--name", "Dana K.") == 0
    capsys.readouterr()
    await run_cli(monkeypatch, db, "staff", "list")
    assert capsys.readouterr().out.splitlines() == ["4242\tDana K.", "4343\tFritz"]
    assert await run_cli(monkeypatch, db, "staff", "remove", "4343") == 0
    assert await run_cli(monkeypatch, db, "staff", "remove", "4343") == 1
    capsys.readouterr()
    await run_cli(monkeypatch, db, "staff", "list")
    assert capsys.readouterr().out.splitlines() == ["4242\tDana K."]
