"""The daily retention job, wired to the running kiezbot: ``kiezbot run`` registers
:func:`daily_retention` as a housekeeping job (daily at 03:30, in one process of the fleet; see
``bot/scheduler.py``); ``kiezbot retention run`` does the same by hand. Safe to repeat.

What it does is explained in ``storage/retention.py``; staff get a summary in the staff chat.
"""
from __future__ import annotations

import logging
from datetime import datetime

from dialogs.core.ports import RetentionReport
from dialogs.privacy.resident_flow import erase_resident
from storage.retention import RetentionPolicy, run_retention

from bot.runtime import Runtime
from bot.settings import Settings

log = logging.getLogger(__name__)


def retention_policy(settings: Settings) -> RetentionPolicy:
    """The retention rules as configured (``KIEZBOT_RETENTION_*``, ``KIEZBOT_OUTBOX_KEEP_DAYS``)."""
    return RetentionPolicy(inactive_days=settings.retention_inactive_days,
                           warning_days=tuple(settings.retention_warning_days),
                           decided_days=settings.retention_decided_days, outbox_days=settings.outbox_keep_days,
                           access_log_days=settings.retention_access_log_days,
                           onboarding_days=settings.retention_onboarding_days)


async def daily_retention(runtime: Runtime, *, now: datetime | None = None, dry_run: bool = False) -> RetentionReport:
    dialogs = runtime.dialogs
    report = await run_retention(runtime.sessions, now or dialogs.clock(), retention_policy(runtime.settings),
                                 dry_run=dry_run,
                                 translator=dialogs.translator, staff_chat_id=runtime.settings.staff_chat_id,
                                 erase=lambda store, chat_id, at: erase_resident(store, dialogs, chat_id, at))
    log.info("retention%s: %s", " (dry run)" if dry_run else "", "; ".join(report.lines()))
    return report
