"""Every entry point wires storage once at start; a process that did not refuses /mydata, /delete and
retention loudly instead of answering with the features it happened to import (storage/wiring.py)."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

UNWIRED = textwrap.dedent("""
    import asyncio
    from datetime import datetime, timezone

    from storage.db import create_engine, session_factory
    from storage.personal_data import NotWired, SqlPersonalData
    from storage.retention import run_retention

    async def main():
        engine = create_engine("sqlite:///{db}")
        sessions = session_factory(engine)
        async with sessions() as session:
            for name, call in (("export", lambda: SqlPersonalData(session).export(4242)),
                               ("erase", lambda: SqlPersonalData(session).erase(4242)),
                               ("retention", lambda: run_retention(sessions, datetime.now(timezone.utc)))):
                try:
                    await call()
                except NotWired as exc:
                    print(name, "refused:", exc)
                else:
                    print(name, "ran")
        await engine.dispose()

    asyncio.run(main())
""")


def test_export_erasure_and_retention_refuse_in_a_process_that_was_not_wired(tmp_path):
    result = subprocess.run([sys.executable, "-c", UNWIRED.format(db=tmp_path / "k.db")], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line.split()[:2] for line in lines] == [["export", "refused:"], ["erase", "refused:"],
                                                   ["retention", "refused:"]]
    assert all("storage.wiring.wire()" in line for line in lines)
    assert not (tmp_path / "k.db").exists() or (tmp_path / "k.db").stat().st_size == 0   # nothing was touched
