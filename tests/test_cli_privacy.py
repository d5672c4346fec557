"""The data-protection commands as the office uses them: a request by letter, the access log, retention."""
from __future__ import annotations

import json
import sqlite3

from tests.test_cli import kiezbot


def test_export_erase_and_the_access_log_on_the_command_line(seeded_file, tmp_path):
    env = {"KIEZBOT_DATABASE_URL": f"sqlite:///{seeded_file}"}
    chat = kiezbot("chat", "--lang", "en", "--chat-id", "731942586", env=env, stdin="Badstraße 10\n", cwd=tmp_path)
    assert chat.returncode == 0, chat.stderr

    target = tmp_path / "request.json"
    export = kiezbot("privacy", "export", "731942586", "--out", str(target), "--by", "Dana (DPO)",
                     "--reason", "letter of 3 May", env=env, cwd=tmp_path)
    assert export.returncode == 0, export.stderr
    assert "access is logged" in export.stdout
    data = json.loads(target.read_text(encoding="utf-8"))
    assert data["about"]["telegram_chat_id"] == 731942586
    assert data["profile"]["language"] == "en" and data["profile"]["area"] == "badstrasse"

    log = kiezbot("privacy", "log", "--resident", "731942586", env=env, cwd=tmp_path)
    assert log.returncode == 0, log.stderr
    header, entry = log.stdout.strip().splitlines()
    pseudonym = header.split(" is ")[1].split()[0]
    assert pseudonym.startswith("r-")
    assert "cli:Dana (DPO)" in entry and "export" in entry and pseudonym in entry and "letter of 3 May" in entry
    with sqlite3.connect(seeded_file) as db:                         # the log keeps no raw chat id
        assert db.execute("SELECT count(*) FROM access_log WHERE subject LIKE '%731942586%' "
                          "OR detail LIKE '%731942586%'").fetchone() == (0,)

    unsure = kiezbot("privacy", "erase", "731942586", env=env, cwd=tmp_path)
    assert unsure.returncode == 1 and "--yes" in unsure.stdout
    erase = kiezbot("privacy", "erase", "731942586", "--yes", "--by", "Dana (DPO)", env=env, cwd=tmp_path)
    assert erase.returncode == 0, erase.stderr
    assert "profile 1" in erase.stdout
    with sqlite3.connect(seeded_file) as db:
        assert db.execute("SELECT count(*) FROM residents WHERE chat_id = 731942586").fetchone() == (0,)
    again = kiezbot("privacy", "export", "731942586", env=env, cwd=tmp_path)
    assert again.returncode == 1 and "stores nothing" in again.stderr
    log = kiezbot("privacy", "log", env=env, cwd=tmp_path)
    newest, oldest = log.stdout.strip().splitlines()               # newest first; nothing logged for "nothing"
    assert " erase " in newest and " export " in oldest


def test_retention_run_says_what_it_did_and_a_dry_run_changes_nothing(seeded_file, tmp_path):
    env = {"KIEZBOT_DATABASE_URL": f"sqlite:///{seeded_file}"}
    kiezbot("chat", "--lang", "de", "--chat-id", "4343", env=env, stdin="/help\n", cwd=tmp_path)
    with sqlite3.connect(seeded_file) as db:
        db.execute("UPDATE residents SET last_seen_at = '2020-01-01 10:00:00.000000' WHERE chat_id = 4343")
    dry = kiezbot("retention", "run", "--dry-run", env=env, cwd=tmp_path)
    assert dry.returncode == 0, dry.stderr
    assert "dry run" in dry.stdout and "residents warned 7 days before deletion: 1" in dry.stdout
    with sqlite3.connect(seeded_file) as db:
        assert db.execute("SELECT count(*) FROM outbox WHERE chat_id = 4343").fetchone() == (0,)
    real = kiezbot("retention", "run", env={**env, "KIEZBOT_STAFF_CHAT_ID": "-100999"}, cwd=tmp_path)
    assert real.returncode == 0, real.stderr
    assert "residents warned 7 days before deletion: 1" in real.stdout and "staff chat" in real.stdout
    with sqlite3.connect(seeded_file) as db:
        [(payload,)] = db.execute("SELECT payload FROM outbox WHERE chat_id = 4343").fetchall()
        assert "Ich bin noch da" in json.loads(payload)["buttons"][0][0]["label"]
        assert db.execute("SELECT count(*) FROM outbox WHERE chat_id = -100999").fetchone() == (1,)
    bad = kiezbot("retention", "run", env={**env, "KIEZBOT_RETENTION_WARNING_DAYS": "400"}, cwd=tmp_path)
    assert bad.returncode == 2 and "KIEZBOT_RETENTION_WARNING_DAYS" in bad.stderr and "Traceback" not in bad.stderr
