"""Assembles all flows into one :class:`~dialogs.core.engine.Dialogs` — the only place that lists them."""
from __future__ import annotations

from typing import Any

from dialogs.broadcasts import staff_flow as broadcast
from dialogs.events import staff_flow as event_admin
from dialogs.events import resident_flow as events
from dialogs.ideas import resident_flow as ideas
from dialogs.intents import resident_flow as intents
from dialogs.meetings import resident_flow as meetings
from dialogs.meetings import staff_flow as meetings_staff
from dialogs.ideas import moderation
from dialogs.office import resident_flow as office
from dialogs.privacy import resident_flow as privacy
from dialogs.start import resident_flow as start
from dialogs.console_signin import staff_flow as console_signin
from dialogs.core.engine import Dialogs, Operator, utc_now
from dialogs.core.ports import Clock, UnitOfWork
from dialogs.core.safety import FloodGuard

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
