"""Slow calls kept out of the update's transaction.

An update is handled inside one database transaction, and on SQLite that transaction holds the
database's single write lock. A slow call made there — the live machine translation of a staff preview
waits up to 4 s — would hold the transaction, and on SQLite every other update, that long. So an update
whose handler wants such a call is handled in two rounds (:func:`rounds`, used by the engine):

1. the handler runs as usual, but :func:`call` does not call out: it notes what is wanted and answers
   ``None``; the engine then rolls this round back (:func:`check` raises :class:`Rerun` inside the
   transaction) — nothing is stored, nothing is sent;
2. outside any transaction the noted calls run, all at once, each bounded by its own timeout;
3. the handler runs again in a fresh transaction, and :func:`call` answers from what came back
   (a call noted only now is made inline, as before).

Updates that want no slow call are handled once, exactly as before. Outside an update (the console, the
command line) :func:`call` simply calls. Handlers must therefore be safe to run twice on one update up to
their commit — which they are: everything they change goes through the store (rolled back) or the
context (thrown away).
"""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass
class Round:
    results: dict[Hashable, Any] | None = None            # None: the first round
    wanted: dict[Hashable, Callable[[], Awaitable[Any]]] = field(default_factory=dict)


class Rerun(Exception):
    """The first round wants slow calls: raised inside the update's transaction to roll it back."""


_ROUND: ContextVar[Round | None] = ContextVar("kiezbot_update_round", default=None)


async def call(key: Hashable, make: Callable[[], Awaitable[T]]) -> T | None:
    """``await make()`` — unless inside an update: then made outside its transaction (see above). ``make``
    should not raise (answer ``None`` for "no result"); an exception it raises outside counts as ``None``."""
    current = _ROUND.get()
    if current is None:
        return await make()
    if current.results is None:
        current.wanted.setdefault(key, make)
        return None
    if key in current.results:
        return current.results[key]
    return await make()


def check() -> None:
    """Inside the update's transaction, after the handler: roll the first round back if it wants calls."""
    current = _ROUND.get()
    if current is not None and current.results is None and current.wanted:
        raise Rerun()


async def rounds(handle: Callable[[bool], Awaitable[T]]) -> T:
    """``handle(first)`` once, or — when its first round raised :class:`Rerun` — the wanted calls outside
    any transaction and ``handle(False)`` again."""
    current = Round()
    token = _ROUND.set(current)
    try:
        try:
            return await handle(True)
        except Rerun:
            pass
        keys = list(current.wanted)
        found = await asyncio.gather(*(current.wanted[key]() for key in keys), return_exceptions=True)
        for value in found:
            if isinstance(value, asyncio.CancelledError):
                raise value
        current.results = {key: None if isinstance(value, BaseException) else value
                           for key, value in zip(keys, found)}
        return await handle(False)
    finally:
        _ROUND.reset(token)


__all__ = ["Rerun", "call", "check", "rounds"]
