"""The architecture holds: dialogs/ is pure (no Telegram, SQL or scheduler), storage/ knows no Telegram,
no module of kiezbot imports itself through others (an import cycle), and no package does either (two
feature packages of dialogs/ that need each other are one feature, or share a piece that belongs lower)."""
from __future__ import annotations

import os
import shutil
import itertools
import subprocess
import sys
import textwrap
import tomllib
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


def package_cycles(graph: grimp.ImportGraph) -> list[str]:
    """Sibling packages (and modules) anywhere in kiezbot that import each other, directly or through
    others, as ``a <-> b`` — what the acyclic contract in pyproject.toml forbids."""
    found = []
    for package in sorted(m for m in graph.modules if m.split(".")[0] in PACKAGES and graph.find_children(m)):
        for a, b in itertools.combinations(sorted(graph.find_children(package)), 2):
            if graph.chain_exists(importer=a, imported=b, as_packages=True) \
                    and graph.chain_exists(importer=b, imported=a, as_packages=True):
                found.append(f"{a} <-> {b}")
    return found


def runtime_graph() -> grimp.ImportGraph:
    """Imports that run: dialogs.core.ports names the features' ports for type checkers only (the Store)."""
    return grimp.build_graph(*PACKAGES, cache_dir=None, exclude_type_checking_imports=True)


def test_no_package_imports_itself_through_others():
    graph = runtime_graph()
    assert {"dialogs.core", "dialogs.office", "dialogs.intents", "bot.cli", "bot.whatsapp"} <= graph.modules
    assert package_cycles(graph) == []


def test_the_package_cycle_check_really_finds_a_circle():
    graph = runtime_graph()
    graph.add_import(importer="dialogs.core.ports", imported="dialogs.office.addresses")       # the old Store
    graph.add_import(importer="dialogs.intents.resident_flow", imported="dialogs.office.hours")  # the old intro
    cycles = package_cycles(graph)
    assert "dialogs.core <-> dialogs.office" in cycles
    assert "dialogs.intents <-> dialogs.office" in cycles


def test_the_contract_check_really_fails_on_a_cycle_between_packages_of_dialogs(tmp_path):
    files = {
        "dialogs/core/ports.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import dialogs.office.hours\n",
        "dialogs/office/hours.py": "import dialogs.core.ports\n",
        "dialogs/office/flow.py": "import dialogs.intents.flow\n",
        "dialogs/intents/flow.py": "import dialogs.office.hours\n",
    }
    for pkg in (*PACKAGES, "dialogs/core", "dialogs/office", "dialogs/intents"):
        (tmp_path / pkg).mkdir()
        (tmp_path / pkg / "__init__.py").write_text("")
    for path, text in files.items():
        (tmp_path / path).write_text(text)
    config = (ROOT / "pyproject.toml").read_text()
    (tmp_path / "pyproject.toml").write_text(config[config.index("[tool.importlinter]"):config.index("[tool.ruff]")])
    result = run_lint(tmp_path)
    assert result.returncode != 0
    assert "No cycles are allowed in dialogs." in result.stdout
    assert "- .office -> .intents" in result.stdout      # a cycle that runs is found …
    assert ".core" not in result.stdout                  # … one closed only for type checkers is not


def test_the_forbidden_contracts_hold_for_type_checking_imports_too():
    """pyproject.toml leaves type-checking imports out of every contract (for the Store's ports); what a
    forbidden contract names stays forbidden under ``if TYPE_CHECKING:`` as well."""
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    graph = grimp.build_graph(*PACKAGES, cache_dir=None, include_external_packages=True)
    broken = []
    for contract in (c for c in contracts if c["type"] == "forbidden"):
        exists = graph.direct_import_exists if contract.get("allow_indirect_imports") else graph.chain_exists
        broken += [f"{source} -> {forbidden}" for source in contract["source_modules"]
                   for forbidden in contract["forbidden_modules"]
                   if forbidden in graph.modules and exists(importer=source, imported=forbidden, as_packages=True)]
    assert len(contracts) > 4 and broken == []
