"""/healthz: the database on every probe, Telegram (getMe) cached; 503 only when the database is down."""
from __future__ import annotations

import aiohttp
from aiohttp import web

from bot.health import CachedCheck, Health, telegram_check
from storage.db import create_engine


class Ticks:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def serve(health: Health):
    app = web.Application()
    health.register(app)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}/healthz"


async def probe(url: str, query: str = "") -> tuple[int, dict]:
    async with aiohttp.ClientSession() as http, http.get(url + query) as resp:
        return resp.status, await resp.json()


async def test_healthy_and_then_telegram_unreachable_is_degraded_not_down(db, tg, bot):
    ticks = Ticks()
    telegram = CachedCheck(telegram_check(bot), ttl=30, monotonic=ticks)
    runner, url = await serve(Health(db.engine, telegram, "web-1"))
    try:
        status, body = await probe(url)
        assert status == 200 and body["status"] == "ok" and body["instance"] == "web-1"
        assert body["checks"]["database"]["status"] == "ok"
        assert body["checks"]["telegram"]["status"] == "ok"
        assert body["checks"]["telegram"]["username"] == tg.bot_user["username"]

        tg.fail_next("getMe", 502, times=100)            # Telegram goes down
        for _ in range(20):                                # a load balancer probing every second
            assert (await probe(url))[0] == 200
        assert telegram.calls == 1 and len(tg.requests_for("getMe")) == 1   # still the cached answer

        ticks.now += 31                                    # the cache is stale: asked again, once
        status, body = await probe(url)
        assert status == 200 and body["status"] == "degraded"
        assert body["checks"]["telegram"]["status"] == "error"
        assert body["checks"]["telegram"]["error"] == "TelegramServerError"
        assert body["checks"]["database"]["status"] == "ok"
        assert (await probe(url, "?strict=1"))[0] == 503   # for a monitor that wants a plain failure
        assert len(tg.requests_for("getMe")) == 2
    finally:
        await runner.cleanup()


async def test_a_broken_database_is_503(tg, bot):
    broken = create_engine("postgresql://kiezbot@127.0.0.1:9/nowhere")    # nothing listens on port 9
    telegram = CachedCheck(telegram_check(bot))
    runner, url = await serve(Health(broken, telegram, "web-2"))
    try:
        status, body = await probe(url)
        assert status == 503 and body["status"] == "down" and body["instance"] == "web-2"
        assert body["checks"]["database"]["status"] == "error"
        assert body["checks"]["database"]["error"]
        assert body["checks"]["telegram"]["status"] == "ok"   # reported, though it cannot save the day
    finally:
        await runner.cleanup()
        await broken.dispose()


async def test_concurrent_probes_share_one_getme(tg, bot):
    import asyncio
    telegram = CachedCheck(telegram_check(bot), ttl=30)
    tg.fail_next("getMe", delay=0.3)                       # a slow Telegram
    probes = await asyncio.gather(*(telegram.get() for _ in range(10)))
    assert all(p.ok for p in probes)
    assert len(tg.requests_for("getMe")) == 1


async def test_a_reply_that_cannot_be_sent_does_not_fail_the_committed_update(tg, bot):
    """In webhook mode an exception would answer Telegram 500, and Telegram would send the update again
    although its effects are committed: so sending the replies never raises."""
    from bot.telegram import TelegramTransport
    from dialogs.core.messages import Reply

    user = tg.user(8801)
    user.register()
    tg.fail_next("sendMessage", 502, times=1)
    transport = TelegramTransport(bot, None)   # type: ignore[arg-type]   (only sending is used)
    await transport.deliver(user.id, [Reply(text="first"), Reply(text="second")], None)
    assert [m.text for m in user.inbox] == []   # the rest of that update's replies is not sent either
    await transport.deliver(user.id, [Reply(text="later")], None)
    assert [m.text for m in user.inbox] == ["later"]
