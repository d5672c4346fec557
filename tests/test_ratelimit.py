"""Telegram's limits as the rate limiter hands out slots (pure: the test passes the time)."""
from __future__ import annotations

from bot.delivery.ratelimit import Limits, RateLimiter

T0 = 1_000_000.0


def max_in_window(times: list[float], window: float) -> int:
    """The most sends any half-open window [s, s + window) holds — how Telegram counts."""
    times = sorted(times)
    best, j = 0, 0
    for i, start in enumerate(times):
        while j < len(times) and times[j] < start + window:
            j += 1
        best = max(best, j - i)
    return best


def test_many_chats_get_at_most_30_per_second_and_close_to_it():
    limiter = RateLimiter()
    times = [limiter.reserve(chat, T0) for chat in range(1, 3001)]
    assert max_in_window(times, 1.0) <= 30
    rate = (len(times) - 1) / (max(times) - min(times))
    assert 0.95 * 30 <= rate <= 30


def test_one_private_chat_gets_one_message_per_second():
    limiter = RateLimiter()
    times = [limiter.reserve(42, T0) for _ in range(5)]
    assert all(b - a >= 1.0 for a, b in zip(times, times[1:]))


def test_a_busy_chat_does_not_hold_up_the_others():
    limiter = RateLimiter()
    for _ in range(5):
        limiter.reserve(42, T0)
    assert limiter.earliest(43, T0) - T0 < 0.1


def test_a_group_gets_at_most_20_per_minute():
    limiter = RateLimiter()
    times = [limiter.reserve(-100500, T0) for _ in range(45)]
    assert max_in_window(times, 60.0) <= 20
    assert times[-1] - times[0] < 2 * 60 * 1.05 + 10       # but not slower than needed


def test_configured_limits_are_honoured():
    limiter = RateLimiter(Limits(global_per_sec=10, private_per_sec=0.5, group_per_min=6))
    overall = [limiter.reserve(chat, T0) for chat in range(1, 101)]
    assert max_in_window(overall, 1.0) <= 10
    private = [limiter.reserve(7, T0 + 100) for _ in range(3)]
    assert all(b - a >= 2.0 for a, b in zip(private, private[1:]))


def test_a_429_pauses_every_chat_until_retry_after():
    limiter = RateLimiter()
    limiter.reserve(1, T0)
    limiter.pause(T0 + 3)
    assert all(limiter.earliest(chat, T0 + 0.5) >= T0 + 3 for chat in (1, 2, -100))
    assert limiter.earliest(2, T0 + 3.5) < T0 + 3.6


def test_looking_does_not_book():
    limiter = RateLimiter()
    assert limiter.earliest(5, T0) == limiter.earliest(5, T0)
    first = limiter.reserve(5, T0)
    assert limiter.earliest(6, T0) > first


def test_old_bookings_are_forgotten_but_limits_still_hold():
    limiter = RateLimiter()
    times = []
    now = T0
    for _ in range(20):                      # 20 bursts, 12 s apart: pruning runs in between
        times += [limiter.reserve(chat, now) for chat in range(1, 61)]
        now += 12
    assert max_in_window(times, 1.0) <= 30
    assert len(limiter._taken) < 200
