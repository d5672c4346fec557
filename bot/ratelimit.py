"""Telegram's sending limits as slots in time: pure, the caller passes the time.

Telegram allows about 30 messages per second overall, 1 per second in one private chat and 20 per
minute in one group. The limiter hands out *slots*: overall they are evenly spaced (``1/30`` s apart),
so any one-second window holds at most 30 sends; per chat a send must follow the chat's previous one by
its gap. Every gap is widened by ``margin`` (3 %) because Telegram counts on its clock, when a request
arrives: without slack, two requests that leave exactly one window apart arrive a few milliseconds
closer and the 31st is answered 429. A 429 nevertheless pauses every slot until ``retry_after`` is over.

Group chats have negative ids in Telegram; private chats positive ones.
"""
from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    global_per_sec: float = 30.0
    private_per_sec: float = 1.0
    group_per_min: float = 20.0
    margin: float = 0.03


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

    def pause(self, until: float) -> None:
        """Telegram answered 429: nothing at all may go before ``until``."""
        self.paused_until = max(self.paused_until, until)

    def _prune(self, now: float) -> None:
        """Forget what lies before ``now``: no slot before ``now`` can be handed out any more."""
        self._pruned_at = now
        limit = now / self.global_gap - 1
        self._taken = {slot for slot in self._taken if slot >= limit}
        self._chat_next = {chat: t for chat, t in self._chat_next.items() if t >= now}
