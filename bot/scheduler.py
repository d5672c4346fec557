"""Periodic work: APScheduler only *triggers* it; the outbox table is the source of truth.

* every ``KIEZBOT_DELIVERY_INTERVAL`` seconds: start a delivery drain (returns at once if one runs);
* every ``TRANSLATION_INTERVAL`` seconds (when a translation or transcription service is configured):
  start a drain of due translation jobs (``bot/translation/runner.py``, the same pattern);
* daily at 03:30 (Berlin): housekeeping — every job registered with :meth:`Housekeeping.add`
  (in ``kiezbot run``: the retention job, which also deletes finished outbox rows older than
  ``KIEZBOT_OUTBOX_KEEP_DAYS``).

The job store is the in-memory default and never shared: each process has its own scheduler, and a
missed run is harmless because the next one finds the same due rows in the database. Delivery ticks
start a drain in every process, but only the one holding the sender lease sends (Telegram's limits
belong to the bot token; :class:`storage.leader.Senders`), the others only beat their heart;
housekeeping runs once per tick across all processes on one PostgreSQL database — the process that
wins a fleet lock runs it, the others skip (:class:`storage.leader.FleetJobs`, which explains the choice).
"""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Protocol

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.delivery.broadcasts import BroadcastSteps
from bot.delivery.outbox_sender import DeliveryConfig, DeliveryEngine, Sender, worker_name
from bot.delivery.ratelimit import Limits, RateLimiter
from bot.settings import Settings
from dialogs.core.engine import Dialogs, utc_now
from dialogs.core.ports import Clock
from storage.leader import FleetJobs, Senders
from storage.outbox import OutboxQueue
from storage.handles import Sessions

log = logging.getLogger(__name__)
TRANSLATION_INTERVAL = 5.0      # seconds; translations are not urgent, and a look costs a write transaction


class Tickable(Protocol):
    def tick(self) -> None: ...


class Housekeeping:
    """Daily jobs; features add theirs with ``housekeeping.add("name", coroutine_function)``."""

    def __init__(self) -> None:
        self.jobs: list[tuple[str, Callable[[], Awaitable[object]]]] = []

    def add(self, name: str, job: Callable[[], Awaitable[object]]) -> None:
        self.jobs.append((name, job))

    async def run(self) -> dict[str, object]:
        results: dict[str, object] = {}
        for name, job in self.jobs:
            try:
                results[name] = await job()
                log.info("housekeeping %s: %s", name, results[name])
            except Exception:   # noqa: BLE001 — one failing job must not stop the others
                log.exception("housekeeping job %s failed", name)
        return results


def build_delivery(settings: Settings, sessions: Sessions, dialogs: Dialogs, sender: Sender, *,
                   clock: Clock = utc_now, sender_kind: str | None = None, **options) -> DeliveryEngine:
    """``sender_kind`` ("run" for `kiezbot run`, "broadcast" for `kiezbot broadcast`): send only while this
    process holds the one sender lease of the database (:class:`storage.leader.Senders`)."""
    limits = Limits(global_per_sec=settings.rate_global_per_sec, private_per_sec=settings.rate_private_per_sec,
                    group_per_min=settings.rate_group_per_min)
    options.setdefault("broadcasts", BroadcastSteps(sessions, dialogs))
    if sender_kind is not None:
        options.setdefault("worker", worker_name())
        options["senders"] = Senders(sessions.kw["bind"], options["worker"], sender_kind)
    return DeliveryEngine(sessions, sender, RateLimiter(limits),
                          DeliveryConfig(max_attempts=settings.delivery_max_attempts), clock=clock, **options)


def purge_outbox(sessions: Sessions, keep_days: int, clock: Clock = utc_now) -> Callable[[], Awaitable[int]]:
    async def purge() -> int:
        return await OutboxQueue(sessions, "housekeeping").purge(clock() - timedelta(days=keep_days))
    return purge


def once_per_tick(fleet: FleetJobs | None, name: str,
                  job: Callable[[], Awaitable[object]]) -> Callable[[], Awaitable[object]]:
    """``job`` as a scheduler job that runs in one process per tick (all of them run it without a fleet)."""
    if fleet is None:
        return job

    async def leader_only() -> object:
        ran, result = await fleet.run(name, job)
        return result if ran else None
    return leader_only


def build_scheduler(settings: Settings, delivery: DeliveryEngine, housekeeping: Housekeeping,
                    fleet: FleetJobs | None = None, translation: Tickable | None = None) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone=settings.timezone,
                                 job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60})

    async def deliver() -> None:
        delivery.tick()

    scheduler.add_job(deliver, "interval", seconds=settings.delivery_interval, id="deliver")
    if translation is not None:
        async def translate() -> None:
            translation.tick()
        scheduler.add_job(translate, "interval", seconds=TRANSLATION_INTERVAL, id="translate")
    scheduler.add_job(once_per_tick(fleet, "housekeeping", housekeeping.run), "cron", hour=3, minute=30,
                      id="housekeeping")
    return scheduler
