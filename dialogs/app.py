"""Assembles all flows into one :class:`~dialogs.engine.Dialogs` — the only place that lists them."""
from __future__ import annotations

from typing import Any

from dialogs import (broadcast, event_admin, events, ideas, intents, meetings, meetings_staff, moderation, office,
                     privacy, start)
from dialogs import console_signin
from dialogs.engine import Dialogs, Operator, utc_now
from dialogs.ports import Clock, UnitOfWork
from dialogs.safety import FloodGuard

# intents last: an address typed at the menu is the office finder's, and intents only route to
# commands that the flows before them registered.
FLOWS = [start, office, ideas, moderation, events, event_admin, meetings, meetings_staff, broadcast, privacy,
         console_signin, intents]


def build_dialogs(uow: UnitOfWork, catalogs: Any, *, clock: Clock = utc_now, timezone: str = "Europe/Berlin",
                  default_language: str = "de", operator: Operator | None = None,
                  staff_chat_id: int | None = None,
                  max_submissions_per_day: int = ideas.DEFAULT_MAX_PER_DAY, meeting_reminders: str = "1d,2h",
                  deadline_reminders: str = "3d", flood_per_minute: int = 0) -> Dialogs:
    # flood_per_minute: kiezbot run passes KIEZBOT_FLOOD_MESSAGES_PER_MINUTE (20); 0 = off (tests drive
    # many updates at one frozen instant; tests/test_safety.py switches it on).
    app = Dialogs(uow=uow, catalogs=catalogs, clock=clock, timezone=timezone,
                  default_language=default_language, operator=operator or Operator(), staff_chat_id=staff_chat_id,
                  flood=FloodGuard(flood_per_minute))
    for flow in FLOWS:
        flow.register(app)
    ideas.settings(app).max_per_day = max_submissions_per_day
    meetings.configure(app, meeting_reminders, deadline_reminders)
    return app
