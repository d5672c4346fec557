"""The architecture holds: dialogs/ is pure (no Telegram, SQL or scheduler), storage/ knows no Telegram."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT = shutil.which("lint-imports", path=os.path.dirname(sys.executable)) or "lint-imports"


def run_lint(cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(cwd))
    return subprocess.run([LINT, "--config", str(cwd / "pyproject.toml"), "--no-cache"], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_layer_contracts_are_kept():
    result = run_lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "dialogs is pure" in result.stdout
    assert "the console is a web adapter" in result.stdout


def test_the_contract_check_really_fails_when_dialogs_imports_sqlalchemy(tmp_path):
    (tmp_path / "dialogs").mkdir()
    (tmp_path / "dialogs" / "__init__.py").write_text("")
    (tmp_path / "dialogs" / "flow.py").write_text("import sqlalchemy\n")
    for pkg in ("storage", "bot", "locales", "console"):
        (tmp_path / pkg).mkdir()
        (tmp_path / pkg / "__init__.py").write_text("")
    config = (ROOT / "pyproject.toml").read_text()
    start = config.index("[tool.importlinter]")
    end = config.index("[tool.ruff]")
    (tmp_path / "pyproject.toml").write_text(textwrap.dedent(config[start:end]))
    result = run_lint(tmp_path)
    assert result.returncode != 0
    assert "dialogs.flow -> sqlalchemy" in result.stdout


def test_the_contract_check_really_fails_when_the_console_imports_aiogram(tmp_path):
    for pkg in ("dialogs", "storage", "bot", "locales", "console"):
        (tmp_path / pkg).mkdir()
        (tmp_path / pkg / "__init__.py").write_text("")
    (tmp_path / "console" / "pages.py").write_text("import aiogram\n")
    config = (ROOT / "pyproject.toml").read_text()
    (tmp_path / "pyproject.toml").write_text(config[config.index("[tool.importlinter]"):config.index("[tool.ruff]")])
    result = run_lint(tmp_path)
    assert result.returncode != 0
    assert "console.pages -> aiogram" in result.stdout
