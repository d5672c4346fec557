"""The delivery engine: sends due outbox rows within Telegram's limits, once, and records the outcome.

One drain (started every second by the scheduler, and right after each update)::

    heartbeat: is this process the one sender? ─> recover rows of dead processes ─> expand queued broadcasts ─> claim a batch of due rows
        ─> give each a slot from the rate limiter ─> at its slot: commit "sending", ask Telegram,
           commit the outcome ─> claim the next batch when the booked slots run short ─> …
        ─> progress / final reports of broadcasts ─> until nothing is due

Outcomes per message (a Bot API error becomes the row's final state or a retry):

* sent — with Telegram's message_id;
* 429 — every send pauses for ``retry_after``; the message goes again afterwards (no attempt used);
* 403 — the resident blocked kiezbot: marked unreachable, their other waiting messages are stopped;
* 400 and other refusals — failed at once (retrying cannot help);
* network errors, timeouts, 5xx — retried with exponential backoff, failed after ``max_attempts``.

One sender per bot token: Telegram's limits belong to the token, so of all processes delivering on one
database only the one holding the sender lease (:class:`storage.leader.Senders`, a heartbeat every two
seconds) sends; the others queue and take over within ten seconds when it stops. The claim takes
interactive rows (lane 0) before broadcast rows (lane 1), and at most ``batch_size`` rows (about two
seconds of sending) are booked ahead, so an answer, a staff card or a progress report queued during a
broadcast waits a second or two, not for the whole audience.

Why exactly once holds, and where it cannot: see :mod:`storage.outbox`. Time is injected (``clock`` for
the database, ``sleep`` for waiting) so tests move a clock instead of sleeping.
"""
from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.delivery.ratelimit import RateLimiter, Send
from bot.delivery.senders import (  # noqa: F401
    Blocked,
    Moved,
    Part,
    Rejected,
    RetryAfter,
    Sender,
    SendError,
    TelegramSender,
    TerminalSender,
    Transient,
)
from dialogs.core.engine import utc_now
from dialogs.core.logsafe import who
from dialogs.core.messages import reply_from_dict
from storage.handles import Sessions
from storage.outbox import Claimed, OutboxQueue

log = logging.getLogger(__name__)



# --- the engine -------------------------------------------------------------------------------------
class PrioritySlots:
    """A semaphore whose waiters go by priority (0 first), then in arrival order: when sending lags
    behind its slots, a staff card or an answer does not queue behind the broadcast rows before it."""

    def __init__(self, slots: int) -> None:
        self._free = slots
        self._waiters: list[tuple[int, int, asyncio.Future]] = []
        self._arrivals = itertools.count()

    @asynccontextmanager
    async def __call__(self, priority: int) -> AsyncIterator[None]:
        if self._free > 0 and not self._waiters:
            self._free -= 1
        else:
            turn = asyncio.get_running_loop().create_future()
            heapq.heappush(self._waiters, (priority, next(self._arrivals), turn))
            try:
                await turn
            except asyncio.CancelledError:
                if turn.done() and not turn.cancelled():
                    self._hand_on()          # it was our turn already: pass it on
                raise
        try:
            yield
        finally:
            self._hand_on()

    def _hand_on(self) -> None:
        while self._waiters:
            _, _, turn = heapq.heappop(self._waiters)
            if not turn.done():
                turn.set_result(None)
                return
        self._free += 1


@dataclass(frozen=True)
class DeliveryConfig:
    batch_size: int = 60                    # rows claimed at once (about two seconds of sending)
    lease: timedelta = timedelta(seconds=60)
    max_attempts: int = 5
    backoff_base: float = 2.0               # seconds before the 2nd attempt, doubling up to backoff_max
    backoff_max: float = 600.0
    request_timeout: float = 30.0           # below the lease, so a slow request never outlives its claim
    lookahead: float = 1.0                  # claim more when booked slots end sooner than this
    horizon: float = 10.0                   # rows whose chat cannot take them sooner go back for later
    prepare: float = 0.25                   # commit "sending" this long before the request's slot
    concurrency: int = 16                   # requests in flight at once: enough for 30/s at Telegram's
                                            # latency, and the most a crash can leave unconfirmed


@dataclass
class DrainReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    blocked: int = 0
    too_many_requests: int = 0
    recovered_unconfirmed: int = 0
    skipped: int = 0            # cancelled (e.g. a stopped broadcast) between claim and send


class BroadcastSteps(Protocol):
    async def step(self, now: datetime) -> bool: ...

    async def expand(self, now: datetime) -> bool: ...


class SenderLease(Protocol):
    """Which process sends for the bot token (:class:`storage.leader.Senders`)."""
    ttl: timedelta

    async def beat(self, now: datetime) -> bool: ...

    async def resign(self) -> None: ...


def worker_name() -> str:
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass
class DeliveryEngine:
    sessions: Sessions
    sender: Sender
    limiter: RateLimiter = field(default_factory=RateLimiter)
    config: DeliveryConfig = field(default_factory=DeliveryConfig)
    clock: Callable[[], datetime] = utc_now
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep
    worker: str = field(default_factory=worker_name)
    chat_ids: Sequence[int] | None = None        # deliver only to these chats (the terminal user)
    broadcast_id: int | None = None              # deliver only this broadcast (`kiezbot broadcast`)
    broadcasts: BroadcastSteps | None = None     # expansion and progress reports of broadcasts
    senders: SenderLease | None = None           # None: this engine alone delivers (tests, `kiezbot chat`)
    beat_every: float = 2.0                      # seconds between heartbeats when ``senders`` is set
    total: DrainReport = field(default_factory=DrainReport)

    def __post_init__(self) -> None:
        self.queue = OutboxQueue(self.sessions, self.worker)
        self._lock = asyncio.Lock()
        self._task: asyncio.Task | None = None
        self._stopping = False
        self._booked_until = 0.0
        self._again = False
        self._in_flight = PrioritySlots(self.config.concurrency)
        self._beat_at = float("-inf")
        self._lead_until = float("inf") if self.senders is None else float("-inf")
        self._was_leading = False

    # --- triggers ----------------------------------------------------------------------------
    def tick(self) -> None:
        """Start a drain in the background unless one is running (scheduler job, after updates)."""
        if self._stopping:
            return
        if self._task is not None and not self._task.done():
            self._again = True               # something new came in while draining: look once more
            return
        self._task = asyncio.get_running_loop().create_task(self._drain_logged())

    async def _drain_logged(self) -> None:
        try:
            while True:
                self._again = False
                await self.drain()
                if not self._again or self._stopping:
                    break
        except Exception:   # noqa: BLE001 — the next tick tries again; rows are safe in the database
            log.exception("delivery failed; will try again")

    async def close(self) -> None:
        """Stop claiming, let requests in flight finish, hand back unsent claims."""
        self._stopping = True
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)
        async with self._lock:
            released = await self.queue.release_all_mine()
            if self.senders is not None:
                try:
                    await self.senders.resign()
                except Exception:   # noqa: BLE001 — its heartbeat simply runs out
                    log.warning("could not hand over sending; another process takes over within %s",
                                self.senders.ttl, exc_info=True)
        if released:
            log.info("handed back %s claimed message(s) for the next start", released)

    # --- one sender per bot token ---------------------------------------------------------------
    @property
    def leading(self) -> bool:
        """Whether this process may send now (always, without ``senders``)."""
        return self._now() < self._lead_until

    async def renew(self) -> bool:
        """The heartbeat, at most every ``beat_every`` seconds; returns :attr:`leading`. A leader that
        cannot beat keeps sending only for half the lease, well before another process may take over."""
        if self.senders is None:
            return True
        now = self._now()
        if now - self._beat_at >= self.beat_every:
            self._beat_at = now
            try:
                leading = await self.senders.beat(self.clock())
            except Exception:   # noqa: BLE001 — the database is away: try again at the next beat
                log.warning("delivery heartbeat failed", exc_info=True)
            else:
                self._lead_until = now + self.senders.ttl.total_seconds() / 2 if leading else float("-inf")
                if leading != self._was_leading:
                    log.info("this process %s the outbox", "now sends" if leading else "no longer sends")
                    self._was_leading = leading
        return self.leading

    # --- one drain ----------------------------------------------------------------------------
    def _now(self) -> float:
        return self.clock().timestamp()

    async def drain(self) -> DrainReport:
        """Deliver everything due now; returns what happened (also added to ``total``)."""
        async with self._lock:
            report = DrainReport()
            if not await self.renew():
                return report                    # another process sends for this bot token
            released, resumed = await self.queue.recover_expired(self.clock(), self.config.max_attempts)
            if resumed:
                log.warning("%s message(s) were being sent when a kiezbot process stopped; Telegram's answer is "
                            "unknown, so they are sent again (a resident may see one twice)", resumed)
            report.recovered_unconfirmed = resumed
            while not self._stopping:
                progressed = await self._broadcast_step()
                claimed = await self._pump(report)
                if not claimed and not progressed:
                    break
            self._add(report)
            return report

    async def _broadcast_step(self, *, expand_only: bool = False) -> bool:
        if self.broadcasts is None:
            return False
        try:
            if expand_only:
                return await self.broadcasts.expand(self.clock())
            return await self.broadcasts.step(self.clock())
        except Exception:   # noqa: BLE001 — reports are a courtesy; sending goes on
            log.exception("broadcast bookkeeping failed")
            return False

    async def _pump(self, report: DrainReport) -> int:
        tasks: set[asyncio.Task] = set()
        claimed_total = 0
        last_step = self._now()
        while not self._stopping and await self.renew():
            now = self._now()
            if now - last_step >= 1.0:           # progress reports and the next chunk of a broadcast
                last_step = now
                await self._broadcast_step()
            tasks = {t for t in tasks if not t.done()}
            if self._booked_until - now > self.config.lookahead:
                await self.sleep(min(self._booked_until - now - self.config.lookahead, 0.5))
                continue
            if len(tasks) >= self.config.batch_size:
                # Sending lags behind its slots (a busy machine): claiming more would only queue rows
                # in this process, where an answer or a staff card claimed later would wait behind them.
                await self.sleep(0.05)
                continue
            batch = await self.queue.claim(self.clock(), self.config.batch_size, self.config.lease,
                                           chat_ids=self.chat_ids, broadcast_id=self.broadcast_id)
            if not batch:
                if await self._broadcast_step(expand_only=True):  # the next chunk, before the lane runs dry
                    continue
                break
            claimed_total += len(batch)
            await self._schedule(batch, tasks, report)
        if tasks:
            await asyncio.gather(*tasks)
        return claimed_total

    async def _schedule(self, batch: list[Claimed], tasks: set[asyncio.Task], report: DrainReport) -> None:
        now = self._now()
        for row in batch:
            at = self.limiter.earliest(row.chat_id, now)
            if at - now > self.config.horizon:
                # This chat is busy for a while (a group at 20/min): let other processes and later
                # drains have it instead of holding a lease we cannot use.
                await self.queue.release([row.id], not_before=self.clock() + timedelta(seconds=at - now))
                continue
            self.limiter.take(row.chat_id, at)
            self._booked_until = max(self._booked_until, at)
            tasks.add(asyncio.create_task(self._deliver(row, at, report)))

    async def _wait_for_slot(self, chat_id: int, at: float) -> None:
        while True:
            delay = at - self._now()
            if delay > 0:
                await self.sleep(delay)
            if self._now() >= self.limiter.paused_until:
                return
            at = self.limiter.reserve(chat_id, self._now())       # a 429 paused everything meanwhile

    async def _gate(self, chat_id: int) -> Send:
        """Right before a request: wait until the recent sends leave room, then note this one."""
        while (wait := self.limiter.ready_in(chat_id, self._now())) > 0:
            await self.sleep(wait)
        return self.limiter.record(chat_id, self._now())

    def backoff(self, attempts: int) -> float:
        return min(self.config.backoff_max, self.config.backoff_base * 2 ** max(0, attempts - 1))

    async def _deliver(self, row: Claimed, at: float, report: DrainReport) -> None:
        # "sending" is committed a moment before the slot, so a slow commit does not delay the request.
        if (early := at - self.config.prepare - self._now()) > 0:
            await self.sleep(early)
        async with self._in_flight(1 if row.purpose == "broadcast" else 0):
            await self._send(row, at, report)

    async def _send(self, row: Claimed, at: float, report: DrainReport) -> None:
        try:
            if not self.leading:                 # the lease went elsewhere meanwhile: not ours to send
                await self.queue.release([row.id])
                report.skipped += 1
                return
            if not await self.queue.start_sending(row.id, self.clock(), self.config.lease):
                report.skipped += 1
                return
            await self._wait_for_slot(row.chat_id, at)
            attempts = row.attempts + 1
            parts = self.sender.plan(reply_from_dict(row.payload))
            if not parts[row.parts_done:]:
                await self.queue.failed(row.id, "nothing to send (empty message)")
                report.failed += 1
                return
            message_id: int | None = None
            sent_ids = list(row.message_ids or [])
            for index in range(row.parts_done, len(parts)):
                if index > row.parts_done:
                    await self._wait_for_slot(row.chat_id, self.limiter.reserve(row.chat_id, self._now()))
                send = await self._gate(row.chat_id)
                try:
                    try:
                        message_id = await asyncio.wait_for(parts[index](row.chat_id), self.config.request_timeout)
                    finally:
                        self.limiter.finished(send, self._now())
                except RetryAfter as exc:
                    report.too_many_requests += 1
                    self.limiter.pause(self._now() + exc.seconds)
                    log.warning("Telegram asks to pause all sending for %ss", exc.seconds)
                    await self.queue.retry(row.id, self.clock() + timedelta(seconds=exc.seconds), str(exc),
                                           parts_done=index, count_attempt=False)
                    return
                except Blocked as exc:
                    stopped = await self.queue.blocked(row.id, row.chat_id, self.clock(), str(exc))
                    # No chat id in the line (personal data): the row id leads to it.
                    log.info("outbox message %s: the recipient blocked kiezbot; %s other waiting message(s) "
                             "to them stopped", row.id, stopped)
                    report.blocked += 1
                    return
                except Moved as exc:
                    log.warning("chat %s became %s; update KIEZBOT_STAFF_CHAT_ID if it is the staff group",
                                who(row.chat_id), who(exc.chat_id))
                    await self.queue.moved(row.id, exc.chat_id)
                    return
                except Rejected as exc:
                    log.error("Telegram refused outbox message %s: %s", row.id, exc)
                    await self.queue.failed(row.id, str(exc))
                    report.failed += 1
                    return
                except (Transient, asyncio.TimeoutError) as exc:
                    error = str(exc) or "timeout"
                    if attempts >= self.config.max_attempts:
                        log.error("giving up on outbox message %s after %s attempts: %s", row.id, attempts, error)
                        await self.queue.failed(row.id, f"after {attempts} attempts: {error}")
                        report.failed += 1
                    else:
                        await self.queue.retry(row.id, self.clock() + timedelta(seconds=self.backoff(attempts)),
                                               error, parts_done=index)
                        report.retried += 1
                    return
                if message_id is not None:
                    sent_ids.append(message_id)
                if index < len(parts) - 1:
                    await self.queue.part_sent(row.id, index + 1, sent_ids)
            if not await self.queue.sent(row.id, self.clock(), message_id, sent_ids):
                log.warning("outbox message %s was sent after its lease ran out; another process may send it too",
                            row.id)
            report.sent += 1
        except Exception:   # noqa: BLE001 — e.g. the database is gone: the lease runs out, the row comes back
            log.exception("delivering outbox message %s failed", row.id)

    def _add(self, report: DrainReport) -> None:
        for name in vars(report):
            setattr(self.total, name, getattr(self.total, name) + getattr(report, name))
