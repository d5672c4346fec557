"""The deployment files in deploy/ name real commands and real settings (no container is built here)."""
from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from bot.cli import parser
from bot.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
UNIT = DEPLOY / "kiezbot@.service"
CONTAINERFILE = DEPLOY / "Containerfile"
ENV_EXAMPLE = DEPLOY / "kiezbot.env.example"
VARIABLE = re.compile(r"\bKIEZBOT_[A-Z_]+\b(?!\*)")      # KIEZBOT_RETENTION_* names a group


def unit_entries(path: Path) -> dict[str, list[tuple[str, str]]]:
    """systemd's ini dialect: sections, and keys that may repeat (Environment=)."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current = None
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), [])
            continue
        key, _, value = line.partition("=")
        assert current is not None, f"{path.name}: {line!r} outside a section"
        current.append((key.strip(), value.strip()))
    return sections


def settings_variables() -> set[str]:
    return {f"KIEZBOT_{name.upper()}" for name in Settings.model_fields}


def kiezbot_command(argv: list[str]) -> tuple[str, bool]:
    args = parser().parse_args(argv)
    return args.command, getattr(args, "webhook", False)


def test_the_systemd_unit_starts_a_webhook_instance_with_its_own_port_and_id():
    unit = unit_entries(UNIT)
    service = dict(unit["Service"])
    environment = [value for key, value in unit["Service"] if key == "Environment"]
    assert "KIEZBOT_WEBHOOK_PORT=%i" in environment and "KIEZBOT_INSTANCE_ID=%H-%i" in environment
    program, *argv = shlex.split(service["ExecStart"])
    assert Path(program).name == "kiezbot"
    assert kiezbot_command(argv) == ("run", True)
    assert service["KillSignal"] == "SIGTERM" and service["RestartPreventExitStatus"] == "2"   # EXIT_CONFIG
    assert service["EnvironmentFile"] == "/etc/kiezbot/kiezbot.env"
    assert dict(unit["Install"])["WantedBy"] == "multi-user.target"


def test_every_variable_in_the_deployment_files_and_the_readme_is_a_setting():
    known = settings_variables()
    for path in (UNIT, CONTAINERFILE, ENV_EXAMPLE, ROOT / "README.md"):
        unknown = set(VARIABLE.findall(path.read_text())) - known - {"KIEZBOT_TEST_POSTGRES_URL",
                                                                     "KIEZBOT_BENCH_POSTGRES_URL",
                                                                     "KIEZBOT_FUZZ_EXAMPLES"}   # tests only
        assert not unknown, f"{path.name} names unknown settings: {sorted(unknown)}"


def test_the_example_environment_is_valid(monkeypatch, tmp_path):
    for name in settings_variables():
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)                      # no .env of the developer's
    settings = load_settings(_env_file=ENV_EXAMPLE)
    assert settings.database_url.startswith("postgresql://")
    assert settings.webhook_url == "https://bot.example.org" and settings.log_format == "json"
    assert settings.rate_global_per_sec * 2 <= 30   # two instances share Telegram's limit
    assert settings.console_enabled and settings.console_base_url == "https://bot.example.org"   # links over HTTPS


def test_the_containerfile_installs_kiezbot_and_checks_healthz():
    text = CONTAINERFILE.read_text()
    for source in re.findall(r"^COPY (.+) \S+$", text, re.M):
        for name in source.split():
            assert (ROOT / name).exists(), f"COPY {name}: not in the repository"
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    entry = json.loads(re.search(r"^ENTRYPOINT (.+)$", text, re.M).group(1))
    cmd = json.loads(re.search(r"^CMD (.+)$", text, re.M).group(1))
    assert entry == ["kiezbot"] and "kiezbot" in scripts
    assert kiezbot_command(cmd) == ("run", True)
    port = re.search(r"KIEZBOT_WEBHOOK_PORT=(\d+)", text).group(1)
    assert re.search(rf"^EXPOSE {port}$", text, re.M)
    healthcheck = text[text.index("HEALTHCHECK"):]
    assert "/healthz" in healthcheck.split("\n\n")[0]
    assert "KIEZBOT_WEBHOOK_HOST=0.0.0.0" in text      # reachable from outside the container


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_accepts_the_unit(tmp_path):
    unit = tmp_path / "kiezbot@8081.service"
    # Verified as an instance, with the paths of this checkout (the real ones exist only on a server).
    true = shutil.which("true") or "/bin/true"
    unit.write_text(UNIT.read_text().replace("/opt/kiezbot/.venv/bin/kiezbot", true))
    result = subprocess.run(["systemd-analyze", "verify", "--man=no", str(unit)], capture_output=True,
                            text=True, timeout=60)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert not any(word in output for word in ("Unknown", "Invalid", "ignoring", "bad-setting")), output
