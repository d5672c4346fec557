"""`kiezbot meetings add|list|cancel` as an operator runs it: real process, real database, exit codes."""
from __future__ import annotations

import asyncio
import os
import sys
from datetime import datetime, timedelta
from pathlib import Path

from tests.chat import ChatClient
from tests.meeting_tools import BERLIN, outbox

ROOT = Path(__file__).resolve().parent.parent


async def kiezbot(db, *args: str) -> tuple[int, str, str]:
    env = dict(os.environ, KIEZBOT_DATABASE_URL=db.url, PYTHONPATH=str(ROOT))
    env.pop("KIEZBOT_MEETING_REMINDERS", None)
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot.cli", "meetings", *args, cwd=ROOT, env=env,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate()
    return proc.returncode or 0, out.decode(), err.decode()


def in_days(days: int, hour: int = 18) -> str:
    """A Berlin date and time ``days`` from the real today (the command line uses the real clock)."""
    day = datetime.now(BERLIN).date() + timedelta(days=days)
    return f"{day:%Y-%m-%d} {hour:02d}:00"


async def test_add_list_and_cancel_a_session(db, dialogs):
    resident = ChatClient(dialogs, chat_id=3030, language_code="de")
    await resident.onboard("de")
    await resident.presses("meet:on:jury:pankstrasse")
    start, deadline = in_days(40), in_days(33)[:10]
    code, out, err = await kiezbot(db, "add", "--area", "pankstrasse", "--body", "jury", "--start", start,
                                   "--end", "20:00", "--place", "Vor-Ort-Büro, Prinzenallee 30", "--deadline",
                                   deadline, "--agenda-de", "Anträge", "--agenda-en", "Applications")
    assert code == 0, err
    assert "saved: jury pankstrasse" in out and "3 reminder(s) planned for 1 subscriber(s)" in out
    meeting_id = out.split("#", 1)[1].split(" ", 1)[0]
    rows = await outbox(db, state="pending")
    assert sorted(r.key.split(":")[2] for r in rows) == ["1d", "2h", "dl3d"]
    assert all(r.chat_id == 3030 and "Anträge" in r.text for r in rows if "dl" not in r.key)

    code, out, _ = await kiezbot(db, "list")
    assert code == 0
    assert f"#{meeting_id}" in out and start in out and f"deadline {deadline}" in out and "[1 subscriber(s)]" in out
    code, out, _ = await kiezbot(db, "list", "--area", "badstrasse")
    assert code == 0 and "no upcoming sessions in badstrasse" in out

    code, out, err = await kiezbot(db, "cancel", meeting_id)
    assert code == 0, err
    assert f"session #{meeting_id} cancelled; 1 subscriber(s) will be told" in out
    assert await outbox(db, state="pending", purpose="meeting-reminder") == []
    [notice] = await outbox(db, state="pending", purpose="meeting-notice")
    assert notice.chat_id == 3030 and "Abgesagt" in notice.text
    code, out, err = await kiezbot(db, "cancel", meeting_id)
    assert code == 2 and err.strip() == f"kiezbot meetings cancel: session #{meeting_id} is already cancelled"


async def test_bad_input_is_one_clear_line_and_exit_code_2(db, monkeypatch, capsys):
    """Run in this process (same code path as the installed command, without 13 interpreter starts)."""
    from bot.cli import main

    monkeypatch.setenv("KIEZBOT_DATABASE_URL", db.url)

    def run(*args: str) -> tuple[int, str, str]:
        try:
            code = main(["meetings", *args])
        except SystemExit as exc:             # argparse's own errors
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    start = in_days(30)
    cases = [
        (["add", "--area", "nowhere", "--body", "council", "--start", start, "--place", "x"], "there is no area"),
        (["add", "--area", "pankstrasse", "--body", "senate", "--start", start, "--place", "x"], "--body"),
        (["add", "--area", "pankstrasse", "--body", "council", "--start", "31.02.2027 18:00", "--place", "x"],
         "not a valid date"),
        (["add", "--area", "pankstrasse", "--body", "council", "--start", "next week", "--place", "x"],
         "could not read"),
        (["add", "--area", "pankstrasse", "--body", "council", "--start", "2020-01-01 18:00", "--place", "x"],
         "in the past"),
        (["add", "--area", "pankstrasse", "--body", "council", "--start", start, "--place", "x", "--end", "17:00"],
         "not after its start"),
        (["add", "--area", "pankstrasse", "--body", "council", "--start", start, "--place", "x", "--deadline",
          "2027-01-01"], "only the jury"),
        (["add", "--area", "pankstrasse", "--body", "jury", "--start", start, "--place", "x", "--deadline",
          in_days(31)[:10]], "after the session"),
        (["add", "--area", "pankstrasse", "--body", "council", "--start", start, "--place", "x", "--agenda-en",
          "only English"], "German agenda is needed"),
        (["add", "--area", "pankstrasse", "--body", "council", "--start", start], "required: --place"),
        (["cancel", "abc"], "not a session number"),
        (["cancel", "99999"], "there is no session #99999"),
        (["list", "--area", "nowhere"], "there is no area"),
    ]
    for args, complaint in cases:
        code, out, err = await asyncio.to_thread(run, *args)
        assert code == 2, (args, out, err)
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, (args, err)
        assert complaint in err, (args, err)
    assert await outbox(db) == []
    code, out, _ = await asyncio.to_thread(run, "list")
    assert code == 0 and "no upcoming sessions" in out
