"""Several kiezbot processes on one PostgreSQL database (only with KIEZBOT_TEST_POSTGRES_URL).

* storage level: a periodic job runs once per tick across processes (two engines = two processes),
  migrations and the first seed of processes starting together do not collide;
* end to end: two real ``kiezbot run --webhook`` processes behind a little round-robin load balancer,
  against the fake Bot API. Each resident's updates go alternately to the two processes.

What is checked, and what the per-chat lock guarantees
    A resident's next update is sent after they saw the reply to the previous one (Telegram does the
    same: it sends a chat's next webhook update once the previous POST was answered, and kiezbot answers
    after the update is handled). So the replies must come in the order of the updates, whichever
    process handled them. Updates that *do* arrive at the same moment (a double tap, reaching both
    processes) are handled one after the other, never at the same time — every update is answered
    once, and the conversation's state is never corrupted: a double tap on "Send" stores one
    submission, two team members deciding an idea at once via both processes make one decision.
    Outbox messages (staff cards, the notice to the resident, a broadcast) arrive once in total.
"""
from __future__ import annotations

import asyncio
import json
import os
import time
from collections import Counter
from datetime import datetime, timezone

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web
from sqlalchemy import func, select

from storage import migrate
from storage.db import create_engine, session_factory
from storage.leader import FleetJobs, UpdatesMode, UpdatesModeTaken, exclusive, held_elsewhere
from storage.models import OutboxRow, StaffRow
from tests.conftest import POSTGRES_ENV, _on_server, create_pg_database, drop_pg_database
from tests.fake_telegram import FakeTelegram
from tests.ideas_helpers import REF, audit, card_button, submissions
from tests.test_e2e_run import free_port, start_kiezbot, stop

pytestmark = pytest.mark.skipif(not os.environ.get(POSTGRES_ENV), reason=f"{POSTGRES_ENV} is not set")

STAFF_GROUP = -100500
DANA, EMRE = 9001, 9002
RESIDENTS = [8101, 8102, 8103, 8104]


@pytest_asyncio.fixture
async def empty_pg():
    url, name = await create_pg_database(os.environ[POSTGRES_ENV])
    yield url
    await drop_pg_database(os.environ[POSTGRES_ENV], name)


# --- storage level ------------------------------------------------------------------------------------

async def test_a_daily_job_runs_once_when_two_processes_tick_together(empty_pg):
    engines = [create_engine(empty_pg) for _ in range(2)]
    fleets = [FleetJobs(e, hold=1.5) for e in engines]
    runs: list[str] = []

    def job(who: str):
        async def run() -> str:
            runs.append(who)
            await asyncio.sleep(0.2)
            return who
        return run

    try:
        results = await asyncio.gather(fleets[0].run("housekeeping", job("a")),
                                       fleets[1].run("housekeeping", job("b")))
        assert len(runs) == 1 and sorted(ran for ran, _ in results) == [False, True]
        # A process whose scheduler fires a little later in the same tick finds it done: still once.
        await asyncio.sleep(0.3)
        assert await fleets[1].run("housekeeping", job("late")) == (False, None)
        assert await fleets[0].run("housekeeping", job("late")) == (False, None)
        assert len(runs) == 1 and await held_elsewhere(engines[0], "housekeeping")
        # Another job name is another lock.
        assert (await fleets[1].run("other", job("other")))[0]
        # The next tick (after the hold) runs again, in one process.
        await asyncio.sleep(1.6)
        results = await asyncio.gather(fleets[0].run("housekeeping", job("a2")),
                                       fleets[1].run("housekeeping", job("b2")))
        assert sorted(ran for ran, _ in results) == [False, True]
        assert len([r for r in runs if r in ("a2", "b2")]) == 1
    finally:
        for fleet in fleets:
            await fleet.close()
        assert not await held_elsewhere(engines[0], "housekeeping")     # released at shutdown
        for engine in engines:
            await engine.dispose()


async def test_two_schedulers_firing_housekeeping_together_run_it_once(empty_pg):
    """The scheduler job of `kiezbot run` as two processes would fire it at 03:30."""
    from bot.scheduler import Housekeeping, build_scheduler
    from bot.settings import Settings

    engines = [create_engine(empty_pg) for _ in range(2)]
    fleets = [FleetJobs(e, hold=5) for e in engines]
    runs: list[int] = []
    housekeeping = [Housekeeping(), Housekeeping()]
    for n, h in enumerate(housekeeping):
        h.add("retention", lambda n=n: asyncio.sleep(0.05, runs.append(n)))
    settings = Settings(_env_file=None)
    try:
        jobs = [build_scheduler(settings, None, h, f).get_job("housekeeping").func   # type: ignore[arg-type]
                for h, f in zip(housekeeping, fleets)]
        await asyncio.gather(*(job() for job in jobs))
        await asyncio.gather(*(job() for job in jobs))           # a late tick of the same day
        assert len(runs) == 1
    finally:
        for fleet in fleets:
            await fleet.close()
        for engine in engines:
            await engine.dispose()


async def test_kiezbot_runs_retention_daily(seeded_file, monkeypatch):
    """serve() registers the retention job (which also purges the outbox) as its housekeeping."""
    from bot.runtime import open_runtime
    from bot.server import daily_jobs
    from bot.settings import load_settings

    monkeypatch.setenv("KIEZBOT_DATABASE_URL", f"sqlite:///{seeded_file}")
    runtime = await open_runtime(load_settings(), quiet=True)
    try:
        housekeeping = daily_jobs(runtime)
        assert [name for name, _ in housekeeping.jobs] == ["retention"]
        report = (await housekeeping.run())["retention"]
        assert report.outbox_purged == 0 and not report.dry_run
    finally:
        await runtime.close()


async def test_a_failing_job_releases_the_lock_at_once(empty_pg):
    engine = create_engine(empty_pg)
    fleet = FleetJobs(engine, hold=60)

    async def broken() -> None:
        raise RuntimeError("boom")

    try:
        with pytest.raises(RuntimeError):
            await fleet.run("retention", broken)
        assert not await held_elsewhere(engine, "retention")
    finally:
        await fleet.close()
        await engine.dispose()


async def test_processes_starting_together_migrate_and_seed_one_after_the_other(empty_pg):
    engines = [create_engine(empty_pg) for _ in range(3)]
    try:
        await asyncio.gather(*(migrate.upgrade(e) for e in engines))    # no "relation already exists"
        assert await migrate.current_revision(engines[0]) == migrate.head_revision()
        inside: list[int] = []
        overlaps: list[int] = []

        async def seed(n: int) -> None:
            async with exclusive(engines[n], "seed"):
                if inside:
                    overlaps.append(n)
                inside.append(n)
                await asyncio.sleep(0.1)
                inside.remove(n)
        await asyncio.gather(*(seed(n) for n in range(3)))
        assert overlaps == []
    finally:
        for engine in engines:
            await engine.dispose()


async def test_long_polling_cannot_start_beside_a_webhook_fleet_or_another_poller(empty_pg):
    engines = [create_engine(empty_pg) for _ in range(3)]
    modes = [UpdatesMode(e) for e in engines]
    try:
        await modes[0].acquire("webhook")
        await modes[1].acquire("webhook")                      # any number of webhook instances
        with pytest.raises(UpdatesModeTaken, match="--webhook"):
            await modes[2].acquire("polling")
        await modes[0].release()
        await modes[1].release()
        await modes[2].acquire("polling")                      # alone now
        with pytest.raises(UpdatesModeTaken, match="long polling"):
            await modes[0].acquire("webhook")
        with pytest.raises(UpdatesModeTaken):
            await modes[1].acquire("polling")
    finally:
        for mode in modes:
            await mode.release()
        for engine in engines:
            await engine.dispose()


async def test_sqlite_just_runs_the_job(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'one.db'}")
    fleet = FleetJobs(engine)
    try:
        assert await fleet.run("housekeeping", lambda: asyncio.sleep(0, "done")) == (True, "done")
        assert await fleet.run("housekeeping", lambda: asyncio.sleep(0, "again")) == (True, "again")
    finally:
        await engine.dispose()


# --- two real processes -------------------------------------------------------------------------------

class Balancer:
    """A load balancer for the test: the k-th update of a chat goes to backend k % 2."""

    def __init__(self) -> None:
        self.backends: list[str] = []
        self.per_chat: Counter[int] = Counter()
        self.routed: list[tuple[int, int, int]] = []        # (chat, update_id, backend)
        self.url = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/telegram/webhook", self.handle)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self.runner.addresses[0][1]}"
        self.http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))

    async def close(self) -> None:
        await self.http.close()
        await self.runner.cleanup()

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        update = json.loads(body)
        event = update.get("message") or update.get("callback_query", {}).get("message") or {}
        chat = event.get("chat", {}).get("id", 0)
        backend = self.per_chat[chat] % len(self.backends)
        self.per_chat[chat] += 1
        self.routed.append((chat, update["update_id"], backend))
        headers = {k: v for k, v in request.headers.items()
                   if k.lower() in ("content-type", "x-telegram-bot-api-secret-token")}
        async with self.http.post(self.backends[backend], data=body, headers=headers) as resp:
            return web.Response(status=resp.status, body=await resp.read(),
                                headers={"Content-Type": resp.headers.get("Content-Type", "text/plain")})


async def clone_seeded(seeded_db) -> tuple[str, str]:
    """A fresh database with the areas and address list: a copy of the run's seeded one."""
    server = os.environ[POSTGRES_ENV]
    url, name = await create_pg_database(server)
    await drop_pg_database(server, name)
    await seeded_db.engine.dispose()                         # a template must have no other sessions
    await _on_server(server, f'CREATE DATABASE "{name}" TEMPLATE "{seeded_db._pg_name}"')
    return url, name


async def wait_until(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not await predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timeout waiting for {what}")
        await asyncio.sleep(0.1)


@pytest.mark.parametrize("seeded_db", ["postgresql"], indirect=True)     # the processes share PostgreSQL
async def test_two_webhook_processes_serve_residents_in_order_and_decide_and_deliver_once(seeded_db,
                                                                                      tmp_path):
    url, name = await clone_seeded(seeded_db)
    engine = create_engine(url)
    sessions = session_factory(engine)
    async with sessions() as session, session.begin():
        session.add_all([StaffRow(user_id=DANA, name="Dana"), StaffRow(user_id=EMRE, name="Emre")])
    balancer = Balancer()
    await balancer.start()
    processes, ports = [], [free_port(), free_port()]
    try:
        async with FakeTelegram() as tg:
            balancer.backends = [f"http://127.0.0.1:{p}/telegram/webhook" for p in ports]
            for n, port in enumerate(ports):
                processes.append(await start_kiezbot(tmp_path, {
                    "KIEZBOT_BOT_TOKEN": tg.token, "KIEZBOT_API_BASE_URL": tg.base_url,
                    "KIEZBOT_DATABASE_URL": url, "KIEZBOT_WEBHOOK_URL": balancer.url,
                    "KIEZBOT_WEBHOOK_PORT": str(port), "KIEZBOT_STAFF_CHAT_ID": str(STAFF_GROUP),
                    "KIEZBOT_INSTANCE_ID": f"web-{'ab'[n]}", "KIEZBOT_LOG_FORMAT": "json",
                    "KIEZBOT_DELIVERY_INTERVAL": "0.2", "KIEZBOT_RATE_GLOBAL_PER_SEC": "15"}, "--webhook"))

            async def both_up() -> bool:
                if any(p.returncode is not None for p in processes):
                    raise AssertionError("a kiezbot process ended: " + (await stop(
                        next(p for p in processes if p.returncode is not None)))[1][-3000:])
                if len(tg.requests_for("setWebhook")) < 2:
                    return False
                try:
                    async with aiohttp.ClientSession() as http:
                        for port in ports:
                            async with http.get(f"http://127.0.0.1:{port}/healthz") as resp:
                                if resp.status != 200:
                                    return False
                except aiohttp.ClientError:
                    return False
                return True
            await wait_until(both_up, 60, "both processes to listen")
            # Both registered the same URL and the same secret (made once, in the shared database).
            hooks = {(r.params["url"], r.params.get("secret_token")) for r in tg.requests_for("setWebhook")}
            assert len(hooks) == 1 and next(iter(hooks))[1]
            async with aiohttp.ClientSession() as http:
                for port, instance in zip(ports, ("web-a", "web-b")):
                    async with http.get(f"http://127.0.0.1:{port}/healthz") as resp:
                        body = await resp.json()
                        assert body["status"] == "ok" and body["instance"] == instance

            dana, emre = tg.user(DANA, "Dana", language_code="en"), tg.user(EMRE, "Emre", language_code="en")
            staff = tg.group(STAFF_GROUP, "QM Team", members=[dana, emre])
            residents = [tg.user(chat, f"R{chat}", language_code="en") for chat in RESIDENTS]

            async def converse(user) -> list[str]:
                """One resident's idea, each step sent after the previous reply (alternating processes)."""
                async def step(action, expect: str):
                    delivered = await action
                    assert delivered.webhook_status == 200, delivered.webhook_error
                    [reply] = await user.wait_messages(1, timeout=20)
                    assert expect in reply.text, (expect, reply.text)
                    return reply
                await step(user.send("/start"), "Which language")
                await step(user.press(None, "lang:en"), "")
                await step(user.press(None, "consent:yes"), "")
                await step(user.press(None, "idea:new"), "")
                await step(user.press(None, "idea:kind:project"), "")
                await step(user.press(None, "idea:area:badstrasse"), "")
                await step(user.send(f"Benches {user.id}"), "")
                summary = await step(user.send("More benches at the square, please."), "photos")
                assert f"Benches {user.id}" in summary.text
                # A double tap on Send, both taps at once and each to another process.
                first, second = await asyncio.gather(user.press(summary, "idea:send"),
                                                     user.press(summary, "idea:send"))
                assert first.webhook_status == second.webhook_status == 200
                answers = [await first.callback.wait_answered(20), await second.callback.wait_answered(20)]
                # The winner says thanks (with the menu's buttons); the loser, handled after it, finds no
                # draft and shows the menu. The taps were concurrent, so either reply may arrive first.
                after = await user.wait_messages(2, timeout=20)
                assert sorted("Thank you!" in m.text for m in after) == [False, True]
                assert sum(m.text.startswith("What would you like to do?") for m in after) == 1
                assert [a.get("text") for a in answers].count("This button is no longer valid.") == 1
                return [m.text for m in user.inbox]

            transcripts = await asyncio.gather(*(converse(u) for u in residents))
            # Every resident's updates really went to both processes, alternately.
            for chat in RESIDENTS:
                backends = [b for c, _, b in balancer.routed if c == chat]
                assert backends[:4] == [0, 1, 0, 1] and set(backends) == {0, 1}
            # The same steps one after the other: the same replies in the same order, for everyone
            # (the last two, answering the concurrent double tap, in any order).
            normalised = [[REF.sub("REF", t).replace(str(chat), "ID") for t in transcript[:8]]
                          + sorted(REF.sub("REF", t) for t in transcript[8:])
                          for chat, transcript in zip(RESIDENTS, transcripts)]
            assert all(n == normalised[0] for n in normalised), normalised
            assert len(normalised[0]) == 10 and "Which language" in normalised[0][0]
            assert "Benches ID" in normalised[0][7]                  # the summary
            rows = await submissions(type("DB", (), {"sessions": sessions})())
            assert len(rows) == len(RESIDENTS)                  # one per resident, despite the double taps
            refs = sorted(r.ref for r in rows)

            # The staff cards come through the outbox, delivered by either process: once each.
            cards = await staff.wait_messages(len(RESIDENTS), timeout=30)
            card_refs = [REF.search(c.text).group() for c in cards]     # the card's own, before similar ones
            assert sorted(card_refs) == refs
            card = cards[card_refs.index(refs[0])]
            db = type("DB", (), {"sessions": sessions})()
            approve = await card_button(db, refs[0], "ok")
            # Dana and Emre approve at the same moment; the balancer gives each press another process.
            pressed = await asyncio.gather(staff.press(card, approve, user=dana),
                                           staff.press(card, approve, user=emre))
            answers = [await p.callback.wait_answered(20) for p in pressed]
            await staff.wait_edit(card, timeout=20, edits=1)
            assert card.buttons == [] and "Angenommen von" in card.text
            decisions = [a for a in await audit(db, refs[0]) if a[2] == "approved"]
            assert len(decisions) == 1, await audit(db, refs[0])
            texts = sorted(a.get("text") or "" for a in answers)       # staff texts are German
            assert texts[0] == "Angenommen. Die Person wird benachrichtigt."
            assert texts[1].startswith("Bereits entschieden von")

            # A broadcast to every resident: each gets it once, whichever process sends.
            from storage.broadcasts import create_broadcast
            from dialogs.broadcasts.sending import Audience
            await create_broadcast(sessions, Audience("all"),
                                   {"de": "Hoffest am Samstag", "en": "Yard party"},
                                   created_by=DANA, created_by_name="Dana", language="de",
                                   report_chat_id=None, now=datetime.now(timezone.utc))

            async def all_delivered() -> bool:
                async with sessions() as session:
                    waiting = await session.scalar(select(func.count()).select_from(OutboxRow).where(
                        OutboxRow.state.in_(("pending", "claimed", "sending"))))
                return waiting == 0 and all(any("Yard party" in m.text for m in u.inbox) for u in residents)
            await wait_until(all_delivered, 40, "the broadcast and the notices")
            await asyncio.sleep(1.0)                                # a duplicate would show up by now
            for user in residents:
                assert sum("Yard party" in m.text for m in user.inbox) == 1
            decided = next(u for u in residents if any(refs[0] in m.text for m in u.inbox))
            assert sum(refs[0] in m.text and "Thank you!" not in m.text for m in decided.inbox) == 1
            assert len([c for c in staff.inbox if REF.search(c.text)]) == len(RESIDENTS)
            async with sessions() as session:
                by = dict((await session.execute(select(OutboxRow.claimed_by, func.count())
                                                 .where(OutboxRow.state == "sent")
                                                 .group_by(OutboxRow.claimed_by))).all())
            assert sum(by.values()) >= len(RESIDENTS) * 2

            # Long polling next to the fleet would delete its webhook: it refuses to start.
            poller = await start_kiezbot(tmp_path, {"KIEZBOT_BOT_TOKEN": tg.token,
                                                    "KIEZBOT_API_BASE_URL": tg.base_url,
                                                    "KIEZBOT_DATABASE_URL": url})
            _, err = await asyncio.wait_for(poller.communicate(), 60)      # it ends by itself
            code, err = poller.returncode, err.decode()
            assert code == 2 and "use `kiezbot run --webhook` for several" in err, err
            assert not tg.requests_for("deleteWebhook")

        codes, logs = [], []
        for process in processes:
            code, err = await stop(process)
            codes.append(code)
            logs.append(err)
        assert codes == [0, 0], logs
        for instance, err in zip(("web-a", "web-b"), logs):
            lines = [json.loads(line) for line in err.splitlines() if line.strip()]
            assert lines and all(line["instance"] == instance for line in lines)
            handled = [line for line in lines if "update_id" in line]
            assert handled, f"{instance} logged no line while handling an update"
            assert all(line["chat"].startswith("r-") for line in handled if "chat" in line)
            assert tg.token not in err
    finally:
        for process in processes:
            if process.returncode is None:
                await stop(process)
        await balancer.close()
        await engine.dispose()
        await drop_pg_database(os.environ[POSTGRES_ENV], name)
