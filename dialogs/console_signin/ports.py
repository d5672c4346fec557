"""What the /console sign-in needs from storage: one-time link tokens (``storage/console.py``)."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol


class ConsoleSignIn(Protocol):
    async def issue_link(self, user_id: int, language: str, now: datetime, valid_for: timedelta) -> str:
        """A new one-time token for ``user_id`` (their earlier unused one stops working)."""
        ...
