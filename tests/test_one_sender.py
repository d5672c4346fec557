"""One sender per bot token, with real processes against the fake Bot API (which answers 429 beyond
Telegram's limits): `kiezbot broadcast` from the terminal while `kiezbot run` runs only watches, and
two `kiezbot run --webhook` processes on PostgreSQL send through one of them."""
from __future__ import annotations

import asyncio
import os
import sys
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from storage.db import create_engine, session_factory
from storage.leader import run_alive
from storage.models import OutboxRow, ResidentRow
from tests.fake_telegram import FakeTelegram
from tests.test_e2e_run import ROOT, free_port, start_kiezbot, stop

STAFF_GROUP = -100600
AUDIENCE = range(8200, 8290)          # 90 residents: four and a half seconds at 20 a second
# kiezbot sends at 20 a second here, against the fake's 30: a second sender would make it 40 and draw
# 429s at once, while a busy test machine bunching one sender's requests never does.
RATE = {"KIEZBOT_RATE_GLOBAL_PER_SEC": "20"}


async def add_audience(url: str) -> None:
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session, session.begin():
            now = datetime.now(timezone.utc)
            session.add_all([ResidentRow(chat_id=i, language="de", consent_at=now, area_key="pankstrasse")
                             for i in AUDIENCE])
    finally:
        await engine.dispose()


def telegram(tg: FakeTelegram):  # noqa: ANN201
    for i in AUDIENCE:
        tg.user(i).register()
    return tg.group(STAFF_GROUP, "QM Team", members=[tg.user(9101, "Dana")])


async def broadcast_from_terminal(tmp_path, env: dict) -> tuple[int, str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("KIEZBOT_")}
    full.update(PYTHONPATH=str(ROOT), **env)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "broadcast", "--all", "--yes", "--text-de", "Kiezfest am Samstag!",
        cwd=tmp_path, env=full, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        stdin=asyncio.subprocess.DEVNULL)
    out, _ = await asyncio.wait_for(process.communicate(), 180)
    return process.returncode, out.decode(errors="replace")


async def wait_for_sender(url: str, processes) -> None:  # noqa: ANN001
    engine = create_engine(url)
    try:
        for _ in range(600):
            if await run_alive(engine, datetime.now(timezone.utc)):
                return
            for process in processes:
                if process.returncode is not None:
                    raise AssertionError("kiezbot run ended: " + (await stop(process))[1][-3000:])
            await asyncio.sleep(0.1)
        raise AssertionError("kiezbot run never beat its heart")
    finally:
        await engine.dispose()


async def senders_of_the_broadcast(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            return set((await session.execute(select(OutboxRow.claimed_by).distinct()
                                              .where(OutboxRow.purpose == "broadcast"))).scalars())
    finally:
        await engine.dispose()


def assert_received_once(tg: FakeTelegram) -> None:
    delivered = tg.stats["delivered"]
    assert sorted(len(delivered.get(i, [])) for i in AUDIENCE) == [1] * len(AUDIENCE)


async def test_a_terminal_broadcast_while_kiezbot_run_runs_is_sent_by_kiezbot_run_alone(seeded_file, tmp_path):
    url = f"sqlite:///{seeded_file}"
    await add_audience(url)
    async with FakeTelegram(rate_limits=True) as tg:
        telegram(tg)
        env = {"KIEZBOT_BOT_TOKEN": tg.token, "KIEZBOT_API_BASE_URL": tg.base_url, "KIEZBOT_DATABASE_URL": url,
               "KIEZBOT_STAFF_CHAT_ID": str(STAFF_GROUP), "KIEZBOT_DELIVERY_INTERVAL": "0.2", **RATE}
        run = await start_kiezbot(tmp_path, env)
        try:
            await wait_for_sender(url, [run])
            code, out = await broadcast_from_terminal(tmp_path, env)
            assert code == 0, out
            assert "kiezbot run serves this database and sends broadcast #1" in out
            assert "finished: 90 sent, 0 failed" in out
            assert "sending broadcast #1 myself" not in out
        finally:
            code, err = await stop(run)
        assert code == 0, err
        assert tg.stats["429"] == 0, [(e.method, e.params.get("chat_id")) for e in tg.errors]
        assert_received_once(tg)
        [sender] = await senders_of_the_broadcast(url)
        assert f":{run.pid}:" in sender                        # kiezbot run's worker sent every message


async def test_a_terminal_broadcast_sends_itself_when_no_kiezbot_run_lives(seeded_file, tmp_path):
    url = f"sqlite:///{seeded_file}"
    await add_audience(url)
    async with FakeTelegram(rate_limits=True) as tg:
        staff = telegram(tg)
        env = {"KIEZBOT_BOT_TOKEN": tg.token, "KIEZBOT_API_BASE_URL": tg.base_url, "KIEZBOT_DATABASE_URL": url,
               "KIEZBOT_STAFF_CHAT_ID": str(STAFF_GROUP), "KIEZBOT_DEFAULT_LOCALE": "en", **RATE}
        code, out = await broadcast_from_terminal(tmp_path, env)
        assert code == 0, out
        assert "sending broadcast #1 myself" in out and "finished: 90 sent, 0 failed" in out
        assert tg.stats["429"] == 0
        assert_received_once(tg)
        finals = [m for m in staff.inbox if "is finished" in (m.text or "")]
        assert len(finals) == 1 and "is finished" in staff.inbox[-1].text   # the team's report went out too


@pytest.mark.skipif(not os.environ.get("KIEZBOT_TEST_POSTGRES_URL"),
                    reason="two processes share a PostgreSQL database (CI sets KIEZBOT_TEST_POSTGRES_URL)")
@pytest.mark.parametrize("seeded_db", ["postgresql"], indirect=True)     # the processes share PostgreSQL
async def test_two_kiezbot_run_processes_on_postgresql_send_through_one(seeded_db, tmp_path):
    from tests.conftest import POSTGRES_ENV, drop_pg_database
    from tests.test_scaleout import clone_seeded

    url, name = await clone_seeded(seeded_db)
    processes = []
    try:
        await add_audience(url)
        async with FakeTelegram(rate_limits=True) as tg:
            telegram(tg)
            env = {"KIEZBOT_BOT_TOKEN": tg.token, "KIEZBOT_API_BASE_URL": tg.base_url, "KIEZBOT_DATABASE_URL": url,
                   "KIEZBOT_STAFF_CHAT_ID": str(STAFF_GROUP), "KIEZBOT_DELIVERY_INTERVAL": "0.2",
                   "KIEZBOT_WEBHOOK_URL": "https://kiezbot.example", **RATE}
            for n in range(2):
                processes.append(await start_kiezbot(tmp_path, {**env, "KIEZBOT_WEBHOOK_PORT": str(free_port()),
                                                                "KIEZBOT_INSTANCE_ID": f"web-{n}"}, "--webhook"))
            await wait_for_sender(url, processes)
            for n in range(3):                                 # three broadcasts: reports keep the group busy
                code, out = await broadcast_from_terminal(tmp_path, env)
                assert code == 0 and "kiezbot run serves this database" in out, out
            assert tg.stats["429"] == 0
            assert sorted(len(tg.stats["delivered"].get(i, [])) for i in AUDIENCE) == [3] * len(AUDIENCE)
            senders = await senders_of_the_broadcast(url)
            assert len(senders) == 1, senders                  # one of the two processes sent everything
            engine = create_engine(url)
            async with session_factory(engine)() as session:
                workers = await session.scalar(select(func.count()).select_from(
                    select(OutboxRow.claimed_by).distinct().where(OutboxRow.state == "sent").subquery()))
            await engine.dispose()
            assert workers == 1
    finally:
        for process in processes:
            await stop(process)
        await drop_pg_database(os.environ[POSTGRES_ENV], name)
