"""The webhook secret kiezbot makes for itself when ``KIEZBOT_WEBHOOK_SECRET`` is not set.

Telegram sends it in the ``X-Telegram-Bot-Api-Secret-Token`` header of each webhook POST; kiezbot
refuses POSTs without it. Kept in the database (table ``privacy_keys``, the installation's own secrets,
beside the pseudonym key) so every process of a fleet, and every restart, registers and checks the same.
"""
from __future__ import annotations

import secrets

from sqlalchemy.ext.asyncio import async_sessionmaker

from storage.privacy import generated_secret

WEBHOOK_SECRET = "webhook_secret"


async def webhook_secret(sessions: async_sessionmaker) -> str:
    """The installation's webhook secret: random (43 characters of Telegram's allowed A-Z a-z 0-9 _ -),
    made once."""
    async with sessions() as session, session.begin():
        return await generated_secret(session, WEBHOOK_SECRET, lambda: secrets.token_urlsafe(32))
