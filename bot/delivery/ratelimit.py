"""Telegram's sending limits as slots in time: pure, the caller passes the time.

Telegram allows about 30 messages per second overall, 1 per second in one private chat and 20 per
minute in one group. The limiter hands out *slots*: overall they are evenly spaced (``1/30`` s apart),
so any one-second window holds at most 30 sends; per chat a send must follow the chat's previous one by
its gap. Every gap is widened by ``margin`` (2 %) because Telegram counts on its clock, when a request
arrives: without slack, two requests that leave exactly one window apart arrive a few milliseconds
closer and the 31st is answered 429. A 429 nevertheless pauses every slot until ``retry_after`` is over.

Slots are a plan; a busy event loop can start a request late and the next one on time, bunching
them. So right before each request :meth:`ready_in` checks the actual sends of the recent past (a
sliding window per limit) and :meth:`record` notes the new one. A request that took unusually long
(a new connection, a stalled loop) may have reached Telegram late, close to its successors: when it
returns, :meth:`finished` moves its mark to the latest moment it can have arrived (its end minus the
quickest round trip seen), so later requests keep their distance from when Telegram really saw it.

Group chats have negative ids in Telegram; private chats positive ones.
"""
from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    global_per_sec: float = 30.0
    private_per_sec: float = 1.0
    group_per_min: float = 20.0
    margin: float = 0.02


class Send:
    """When one request counts as sent: its start, moved later if it came back late."""

    __slots__ = ("at", "started")

    def __init__(self, at: float) -> None:
        self.at = self.started = at


class Window:
    """At most ``limit`` sends in any ``seconds`` long stretch, by (estimated) arrival times."""

    def __init__(self, limit: int, seconds: float) -> None:
        self.seconds = seconds
        self.sends: deque[Send] = deque(maxlen=max(1, limit))

    def ready_in(self, now: float) -> float:
        if len(self.sends) < (self.sends.maxlen or 1):
            return 0.0
        return max(0.0, min(s.at for s in self.sends) + self.seconds - now)

    def record(self, send: Send) -> None:
        self.sends.append(send)


class RateLimiter:
    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits = limits or Limits()
        widen = 1.0 + limits.margin
        self.global_gap = widen / limits.global_per_sec
        self.private_gap = widen / limits.private_per_sec
        self.group_gap = 60.0 * widen / limits.group_per_min
        self.paused_until = 0.0
        self._taken: set[int] = set()            # global slot numbers (time / global_gap)
        self._chat_next: dict[int, float] = {}   # earliest next send per chat
        self._pruned_at = 0.0
        self._global_log = Window(int(limits.global_per_sec), widen)
        self._chat_logs: dict[int, Window] = {}
        self._quickest = 0.0         # fastest round trip seen; 0 until one is measured: cautious
        self._measured = False

    def chat_gap(self, chat_id: int) -> float:
        return self.group_gap if chat_id < 0 else self.private_gap

    def earliest(self, chat_id: int, now: float) -> float:
        """The first moment at or after ``now`` when a message to ``chat_id`` may go."""
        if now - self._pruned_at > 10.0:
            self._prune(now)
        start = max(now, self.paused_until, self._chat_next.get(chat_id, 0.0))
        slot = math.ceil(start / self.global_gap - 1e-9)
        while slot in self._taken:
            slot += 1
        return slot * self.global_gap

    def take(self, chat_id: int, at: float) -> None:
        """Book the slot at ``at`` (a value :meth:`earliest` returned) for ``chat_id``."""
        self._taken.add(round(at / self.global_gap))
        self._chat_next[chat_id] = max(self._chat_next.get(chat_id, 0.0), at + self.chat_gap(chat_id))

    def reserve(self, chat_id: int, now: float) -> float:
        at = self.earliest(chat_id, now)
        self.take(chat_id, at)
        return at

    def _chat_log(self, chat_id: int) -> Window:
        log = self._chat_logs.get(chat_id)
        if log is None:
            if chat_id < 0:
                log = Window(int(self.limits.group_per_min), 60.0 * (1.0 + self.limits.margin))
            else:
                log = Window(1, self.private_gap)
            self._chat_logs[chat_id] = log
        return log

    def ready_in(self, chat_id: int, now: float) -> float:
        """Seconds to wait before a request to ``chat_id`` may start at ``now`` (0: go now)."""
        return max(self.paused_until - now, self._global_log.ready_in(now), self._chat_log(chat_id).ready_in(now))

    def record(self, chat_id: int, now: float) -> Send:
        """A request to ``chat_id`` starts now (call right after :meth:`ready_in` said 0)."""
        send = Send(now)
        self._global_log.record(send)
        self._chat_log(chat_id).record(send)
        return send

    def finished(self, send: Send, now: float) -> None:
        """The request came back at ``now``: it reached Telegram at the latest ``now - quickest``."""
        rtt = now - send.started
        if not self._measured or rtt < self._quickest:
            self._quickest, self._measured = max(0.0, rtt), True
        send.at = max(send.started, now - self._quickest)

    def pause(self, until: float) -> None:
        """Telegram answered 429: nothing at all may go before ``until``."""
        self.paused_until = max(self.paused_until, until)

    def _prune(self, now: float) -> None:
        """Forget what lies before ``now``: no slot before ``now`` can be handed out any more."""
        self._pruned_at = now
        limit = now / self.global_gap - 1
        self._taken = {slot for slot in self._taken if slot >= limit}
        self._chat_next = {chat: t for chat, t in self._chat_next.items() if t >= now}
        horizon = now - 60.0 * (1.0 + self.limits.margin)
        self._chat_logs = {chat: log for chat, log in self._chat_logs.items() if log.sends and log.sends[-1].at >= horizon}
