"""Broadcast bookkeeping done by the delivery engine between sends.

Expands broadcasts into outbox rows chunk by chunk while they are sent, keeping about ``ahead`` of
their messages queued (each resident's text in their language, German as the fallback), posts progress to the chat the broadcast was started from at 25, 50 and 75 %, and the final
counts once none of its messages is waiting. Everything is conditional in the database, so with two
processes each report is posted once.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any


from dialogs.broadcasts.staff_flow import final_message, progress_message, resident_message
from dialogs.broadcasts.sending import BroadcastInfo, text_for
from dialogs.core.engine import Dialogs
from dialogs.core.messages import reply_to_dict
from storage.broadcasts import BroadcastJobs
from storage.broadcasts import audience_languages, create_broadcast, stop_broadcast  # noqa: F401  (moved there)
from storage.handles import Sessions

MILESTONES = (25, 50, 75)


class BroadcastSteps:
    def __init__(self, sessions: Sessions, dialogs: Dialogs, *, batch: int = 300,
                 ahead: int | None = 300) -> None:
        """``batch``: recipients queued per transaction; ``ahead``: queue the next chunk once fewer than this
        many of a broadcast's messages wait (about ten seconds of sending at 30/s), so a stop has little to
        cancel and the audience as it is while sending counts; ``None``: queue the whole audience at once
        (``kiezbot chat``, which shows only the terminal user's messages)."""
        self.jobs = BroadcastJobs(sessions)
        self.sessions = sessions
        self.dialogs = dialogs
        self.batch = batch
        self.ahead = ahead

    def payload_for(self, info: BroadcastInfo):  # noqa: ANN201
        def build(language: str) -> dict[str, Any]:
            text, fallback = text_for(info.texts, language)
            t = self.dialogs.translator(language)
            return reply_to_dict(self.dialogs.finalise(resident_message(t, text, fallback), t))
        return build

    def _wants_more(self, info: BroadcastInfo, now: datetime) -> bool:
        if info.expanded or not info.due(now):
            return False
        return info.state == "queued" or self.ahead is None or info.waiting < self.ahead

    async def _expand(self, info: BroadcastInfo, now: datetime) -> None:
        build = self.payload_for(info)
        while await self.jobs.expand(info.id, build, now, self.batch) and self.ahead is None:
            pass

    async def expand(self, now: datetime) -> bool:
        """Only queue the next chunk of broadcasts running low (no reports); True when it queued any."""
        queued = False
        for info in await self.jobs.unfinished():
            if self._wants_more(info, now):
                await self._expand(info, now)
                queued = True
        return queued

    async def step(self, now: datetime) -> bool:
        """One round over unfinished broadcasts; True when it queued any message."""
        queued = False
        for info in await self.jobs.unfinished():
            if info.state == "queued" and not info.due(now):
                continue                        # scheduled for later
            if self._wants_more(info, now):
                await self._expand(info, now)
                queued = True
                continue
            t = self.dialogs.translator(info.language)
            if info.state == "sending" and info.report_chat_id is not None and info.total:
                percent = 100 * info.finished / info.total
                reached = [m for m in MILESTONES if percent >= m]
                if reached and percent < 100:
                    payload = reply_to_dict(self.dialogs.finalise(progress_message(t, info), t))
                    queued |= await self.jobs.report(info.id, milestone=reached[-1], chat_id=info.report_chat_id,
                                                     payload=payload, now=now)
            finished = await self.jobs.finish(info.id, now=now,
                                              final_payload=lambda i: reply_to_dict(
                                                  self.dialogs.finalise(final_message(t, i), t)))
            queued |= finished is not None and finished.report_chat_id is not None
        return queued
