"""Assembles all flows into one :class:`~dialogs.engine.Dialogs` — the only place that lists them."""
from __future__ import annotations

from typing import Any

from dialogs import office, privacy, start
from dialogs.engine import Dialogs, Operator, utc_now
from dialogs.ports import Clock, UnitOfWork
from dialogs.safety import FloodGuard

FLOWS = [start, office, privacy]


def build_dialogs(uow: UnitOfWork, catalogs: Any, *, clock: Clock = utc_now, timezone: str = "Europe/Berlin",
                  default_language: str = "de", operator: Operator | None = None,
                  staff_chat_id: int | None = None, flood_per_minute: int = 20) -> Dialogs:
    app = Dialogs(uow=uow, catalogs=catalogs, clock=clock, timezone=timezone,
                  default_language=default_language, operator=operator or Operator(), staff_chat_id=staff_chat_id,
                  flood=FloodGuard(flood_per_minute))
    for flow in FLOWS:
        flow.register(app)
    return app
