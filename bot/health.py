"""``GET /healthz``: is this process able to serve? For load balancers, container runtimes and monitoring.

    200 {"status": "ok",       "instance": "web-1", "checks": {"database": {"status": "ok", ...},
                                                               "telegram": {"status": "ok", ...}}}
    200 {"status": "degraded", ...  "telegram": {"status": "error", "error": "TelegramNetworkError", ...}}
    503 {"status": "down",     ...  "database": {"status": "error", "error": "ConnectionRefusedError"}}

* **Database** — ``SELECT 1`` on every probe (cheap; a probe each second is nothing for PostgreSQL).
  Without the database this process can neither handle an update nor send a message: **503**, and the
  load balancer sends Telegram's POSTs to the other instances.
* **Telegram** — ``getMe``, cached: asked at most once every ``ttl`` seconds (30) however often the
  endpoint is probed, with one request in flight at a time, so a load balancer probing every second
  costs Telegram two requests a minute per instance. An unreachable Bot API is **200 "degraded"**, not
  503, on purpose: Telegram being down (or this network's way to it) hits every instance alike, and a
  load balancer that took all of them out would only turn Telegram's webhook POSTs — which still
  carry updates as soon as Telegram is back — into errors, and stop the delivery engine's retries
  nowhere. The outbox keeps what could not be sent; monitoring should alert on "degraded".
  ``/healthz?strict=1`` answers 503 for "degraded" too, for a monitor that wants a plain failure.
"""
from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from storage.db import ping

DEFAULT_TTL = 30.0
TIMEOUT = 5.0


@dataclass
class Probe:
    ok: bool
    checked_at: float            # time.time() of the check
    detail: dict[str, Any]


class CachedCheck:
    """An expensive check, asked at most once per ``ttl`` seconds (one request in flight at a time)."""

    def __init__(self, check: Callable[[], Awaitable[dict[str, Any]]], *, ttl: float = DEFAULT_TTL,
                 timeout: float = TIMEOUT, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.check, self.ttl, self.timeout, self.monotonic = check, ttl, timeout, monotonic
        self.calls = 0
        self._last: Probe | None = None
        self._last_at = 0.0
        self._lock = asyncio.Lock()

    def remember(self, ok: bool, detail: dict[str, Any]) -> None:
        """A result obtained elsewhere (the getMe at start-up) counts as a check."""
        self._last, self._last_at = Probe(ok, time.time(), detail), self.monotonic()

    def _fresh(self) -> bool:
        return self._last is not None and self.monotonic() - self._last_at < self.ttl

    async def get(self) -> Probe:
        if self._fresh():
            assert self._last is not None
            return self._last
        async with self._lock:
            if self._fresh():          # another probe refreshed it while this one waited
                assert self._last is not None
                return self._last
            self.calls += 1
            try:
                detail = await asyncio.wait_for(self.check(), self.timeout)
                self.remember(True, detail)
            except Exception as exc:  # noqa: BLE001 — any failure is the answer "not reachable"
                self.remember(False, {"error": exc.__class__.__name__})
            assert self._last is not None
            return self._last


def telegram_check(bot: Any) -> Callable[[], Awaitable[dict[str, Any]]]:
    async def get_me() -> dict[str, Any]:
        me = await bot.get_me()
        return {"username": me.username}
    return get_me


class Health:
    def __init__(self, engine: Any, telegram: CachedCheck, instance: str, *,
                 db_timeout: float = TIMEOUT) -> None:
        self.engine, self.telegram, self.instance, self.db_timeout = engine, telegram, instance, db_timeout

    async def database(self) -> dict[str, Any]:
        started = time.perf_counter()
        try:
            await asyncio.wait_for(ping(self.engine), self.db_timeout)
        except Exception as exc:  # noqa: BLE001
            return {"status": "error", "error": exc.__class__.__name__}
        return {"status": "ok", "latency_ms": round((time.perf_counter() - started) * 1000, 1)}

    async def report(self) -> dict[str, Any]:
        database, probe = await asyncio.gather(self.database(), self.telegram.get())
        telegram = {"status": "ok" if probe.ok else "error", **probe.detail,
                    "checked_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(probe.checked_at))}
        status = "down" if database["status"] != "ok" else ("ok" if probe.ok else "degraded")
        return {"status": status, "instance": self.instance,
                "checks": {"database": database, "telegram": telegram}}

    async def handle(self, request: web.Request) -> web.Response:
        body = await self.report()
        strict = request.query.get("strict", "") not in ("", "0", "false", "no")
        healthy = body["status"] == "ok" or (body["status"] == "degraded" and not strict)
        return web.json_response(body, status=200 if healthy else 503,
                                 headers={"Cache-Control": "no-store"})

    def register(self, app: web.Application) -> None:
        app.router.add_get("/healthz", self.handle)
