"""The team in tests: staff rows, a staff member writing in the staff group or in a private chat.

One place for what the ideas, moderation, meetings, events and broadcast tests all need, so a change
to how the staff chat works is made once.
"""
from __future__ import annotations

from storage.models import StaffRow
from tests.chat import ChatClient

STAFF_CHAT = -100777


async def add_staff(db, user_id: int, name: str = "Dana") -> None:
    """Put ``user_id`` on the team (what `kiezbot staff add` does)."""
    async with db.sessions() as session, session.begin():
        session.add(StaffRow(user_id=user_id, name=name))


def staff_in_group(dialogs, user_id: int, language_code: str = "de", *, name: str | None = None,
                   chat_id: int = STAFF_CHAT) -> ChatClient:
    """User ``user_id`` writing in the team's group chat, which is made the dialogs' staff chat.

    The group speaks the team's language whatever ``language_code`` the member's Telegram has;
    ``name`` is the Telegram display name (``staff<user_id>`` when not given).
    """
    dialogs.staff_chat_id = chat_id
    return ChatClient(dialogs, chat_id=chat_id, user_id=user_id, language_code=language_code,
                      name=name or f"staff{user_id}", chat_kind="group")


async def staff_in_private(dialogs, db, user_id: int, name: str, *, display_name: str | None = None,
                           language: str = "en") -> ChatClient:
    """A team member in their own private chat with kiezbot, onboarded in ``language``."""
    await add_staff(db, user_id, name)
    client = ChatClient(dialogs, chat_id=user_id, language_code=language, name=display_name or name)
    await client.onboard(language)
    return client
