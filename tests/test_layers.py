"""The architecture holds: dialogs/ is pure (no Telegram, SQL or scheduler), storage/ knows no Telegram,
and no module of kiezbot imports itself through others (an import cycle)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("dialogs", "storage", "bot", "locales", "console")
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


def import_cycles(graph: grimp.ImportGraph) -> list[str]:
    """Each import of a kiezbot module that leads back to its importer, as ``a -> b -> … -> a`` (imports
    inside functions count: they close the circle as surely once they run)."""
    found = []
    for module in sorted(m for m in graph.modules if m.split(".")[0] in PACKAGES):
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            if imported.split(".")[0] in PACKAGES and graph.chain_exists(importer=imported, imported=module):
                way_back = graph.find_shortest_chain(importer=imported, imported=module) or ()
                found.append(" -> ".join((module, *way_back)))
    return found


def test_no_module_imports_itself_through_others():
    assert import_cycles(grimp.build_graph(*PACKAGES, cache_dir=None)) == []


def test_the_cycle_check_really_finds_a_circle():
    graph = grimp.build_graph(*PACKAGES, cache_dir=None)
    graph.add_import(importer="storage.personal_data", imported="storage.wiring")   # the old safety net
    cycles = import_cycles(graph)
    assert "storage.personal_data -> storage.wiring -> storage.personal_data" in cycles
    assert "storage.wiring -> storage.all_models -> storage.personal_data -> storage.wiring" in cycles
