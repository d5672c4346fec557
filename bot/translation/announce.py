"""The job runner's announce hook: what happens in the chats when translations and transcripts are done.

* the staff card of a submission is drawn again, with the translations (``dialogs/ideas/staff_card.py``);
* a notice to a resident that waited for its translation goes out translated, unless its bounded wait
  ran out and the team's original went out already (``dialogs/ideas/decisions.py``).

Both write to the outbox under keys that name the jobs, so seeing a job twice queues nothing twice.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from dialogs.core.engine import Dialogs
from dialogs.ideas.decisions import deliver_translated
from dialogs.ideas.staff_card import redraw_translated
from dialogs.translation.jobs import Job


def announcer(dialogs: Dialogs, after: Callable[[], Any] | None = None):
    """``announce(jobs)`` for :class:`bot.translation.runner.TranslationRunner`; ``after``: e.g. the
    delivery engine's ``tick``, so that what was queued goes out now."""
    async def announce(jobs: Sequence[Job]) -> None:
        now = dialogs.clock()
        async with dialogs.uow(dialogs.staff_chat_id or 0) as store:
            queued = await redraw_translated(store, dialogs, jobs, now)
            queued += await deliver_translated(store, dialogs, jobs, now)
        if queued and after is not None:
            after()
    return announce


__all__ = ["announcer"]
