"""The `kiezbot` command as an operator uses it: clear errors, the terminal chat, seeding."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def kiezbot(*args: str, env: dict | None = None, stdin: str | None = None, cwd: Path | None = None,
            timeout: int = 120) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("KIEZBOT_")}
    full_env.update({"PYTHONPATH": str(ROOT), **(env or {})})
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], input=stdin, capture_output=True, text=True,
                          env=full_env, cwd=cwd or ROOT, timeout=timeout)


def test_run_without_token_explains_how_to_get_one(tmp_path):
    result = kiezbot("run", env={"KIEZBOT_DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}, cwd=tmp_path)
    assert result.returncode == 2
    assert "@BotFather" in result.stderr and "kiezbot chat" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(("variable", "value"), [
    ("KIEZBOT_TIMEZONE", "Mars/Olympus"),
    ("KIEZBOT_BOT_TOKEN", "not-a-token"),
    ("KIEZBOT_API_BASE_URL", "api.telegram.org"),
    ("KIEZBOT_STAFF_CHAT_ID", "the staff group"),
    ("KIEZBOT_WEBHOOK_PORT", "99999"),
])
def test_a_wrong_setting_is_named_in_one_line_with_exit_code_2(tmp_path, variable, value):
    result = kiezbot("run", env={variable: value}, cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and variable in lines[0], result.stderr
    assert "Traceback" not in result.stderr


def test_an_unreachable_database_is_one_clear_line(tmp_path):
    result = kiezbot("chat", env={"KIEZBOT_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"},
                     stdin="", cwd=tmp_path)
    assert result.returncode == 2
    assert "KIEZBOT_DATABASE_URL" in result.stderr and "Traceback" not in result.stderr


def test_postgresql_without_its_driver_names_the_extra_to_install(tmp_path):
    shadow = tmp_path / "shadow" / "asyncpg"          # asyncpg as if it were not installed
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('No module named asyncpg')\n")
    result = kiezbot("chat", env={"KIEZBOT_DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/test",
                                  "PYTHONPATH": f"{shadow.parent}{os.pathsep}{ROOT}"}, stdin="", cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "KIEZBOT_DATABASE_URL" in lines[0] and "kiezbot[postgres]" in lines[0], result.stderr


def test_an_unknown_default_language_is_refused(seeded_file, tmp_path):
    result = kiezbot("chat", env={"KIEZBOT_DATABASE_URL": f"sqlite:///{seeded_file}",
                                  "KIEZBOT_DEFAULT_LOCALE": "xx"}, stdin="", cwd=tmp_path)
    assert result.returncode == 2 and "KIEZBOT_DEFAULT_LOCALE" in result.stderr


def test_piped_addresses_name_their_areas(seeded_file, tmp_path):
    lines = ["swinemünder str 64", "Prinz Eugen Str. 1", "Koloniestrasse 129 13359", "Bellermanstr 81",
             "Unter den Linden 1", "asdf"]
    result = kiezbot("chat", "--lang", "en", env={"KIEZBOT_DATABASE_URL": f"sqlite:///{seeded_file}"},
                     stdin="\n".join(lines) + "\n", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for area in ["QM Brunnenviertel-Brunnenstraße", "QM Pankstraße", "QM Soldiner Straße/Wollankstraße",
                 "QM Badstraße"]:
        assert f"area of {area}" in out
    assert "not in one of our four neighbourhood areas" in out
    assert re.search(r"\[\d+\] Language$", out.rstrip())   # "asdf" at the menu: the menu again
    assert "[1]" in out                                    # buttons are numbered


def test_buttons_are_pressed_by_number_in_the_terminal(seeded_file, tmp_path):
    result = kiezbot("chat", "--lang", "de", env={"KIEZBOT_DATABASE_URL": f"sqlite:///{seeded_file}"},
                     stdin="1\n3\n", cwd=tmp_path)            # [1] Büro finden, then the third area
    assert result.returncode == 0, result.stderr
    assert "Schreiben Sie Ihre Adresse" in result.stdout
    assert "Bellermannstraße 81" in result.stdout            # QM Badstraße's office card


def test_seed_twice_changes_nothing_and_db_current_reports_head(seeded_file, tmp_path):
    env = {"KIEZBOT_DATABASE_URL": f"sqlite:///{seeded_file}"}
    seeded = kiezbot("seed", env=env, cwd=tmp_path)
    assert seeded.returncode == 0, seeded.stderr
    assert "nothing (already up to date)" in seeded.stdout
    current = kiezbot("db", "current", env=env, cwd=tmp_path)
    assert "database at revision" in current.stdout


def test_areas_export_round_trips_through_seed(seeded_file, tmp_path):
    env = {"KIEZBOT_DATABASE_URL": f"sqlite:///{seeded_file}"}
    exported = kiezbot("areas", "export", str(tmp_path / "areas.yaml"), env=env, cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    edited = (tmp_path / "areas.yaml").read_text().replace("phone: null", "phone: 030 1234 567", 1)
    (tmp_path / "areas.yaml").write_text(edited)
    seeded = kiezbot("seed", "--areas", str(tmp_path / "areas.yaml"), env=env, cwd=tmp_path)
    assert seeded.returncode == 0, seeded.stderr
    assert "office pankstrasse: phone" in seeded.stdout
    broken = kiezbot("seed", "--areas", str(tmp_path / "missing.yaml"), env=env, cwd=tmp_path)
    assert broken.returncode == 2 and "missing.yaml" in broken.stderr


def test_a_retired_or_misspelt_setting_is_named_not_silently_ignored(caplog):
    from bot.settings import warn_unknown_settings
    env = {"KIEZBOT_RETENTION_OUTBOX_DAYS": "10", "KIEZBOT_STAF_CHAT_ID": "-100", "KIEZBOT_STAFF_CHAT_ID": "-1",
           "KIEZBOT_TEST_POSTGRES_URL": "postgresql://x", "HOME": "/root"}
    with caplog.at_level("WARNING"):
        assert warn_unknown_settings(env) == ["KIEZBOT_RETENTION_OUTBOX_DAYS", "KIEZBOT_STAF_CHAT_ID"]
    assert "KIEZBOT_RETENTION_OUTBOX_DAYS is not a kiezbot setting and is ignored (use KIEZBOT_OUTBOX_KEEP_DAYS)" \
        in caplog.text
    assert "KIEZBOT_STAF_CHAT_ID is not a kiezbot setting and is ignored (a typo?" in caplog.text
