"""Chats and people in log lines: by pseudonym, never by their Telegram id.

``log.warning("… %s …", who(user_id))`` writes the keyed pseudonym ``r-…`` — the same one the staff
access log and the ``chat`` field of JSON logs use (``storage/privacy.py``), so the data-protection
officer can find a person's lines (``kiezbot privacy log --resident ID`` prints it) while the log names
nobody. Every entry point installs the key when it opens the database (``bot/runtime.py``,
:func:`use`); before that (tests, a process that has not opened the database) the line says ``r-?``.
Group chats (negative ids, such as the staff group) are no person and are written as they are — an
operator needs the new id when the staff group becomes a supergroup.

The text is made only when a line is written (a lazy ``__str__``).
"""
from __future__ import annotations

from collections.abc import Callable

_pseudonymise: Callable[[int], str] | None = None


def use(pseudonymise: Callable[[int], str] | None) -> None:
    """Install the function that turns an id into its pseudonym (``None``: forget it)."""
    global _pseudonymise
    _pseudonymise = pseudonymise


class _Who:
    __slots__ = ("value",)

    def __init__(self, value: int | None) -> None:
        self.value = value

    def __str__(self) -> str:
        if self.value is None:
            return "-"
        if self.value < 0:
            return str(self.value)          # a group, not a person
        return _pseudonymise(self.value) if _pseudonymise is not None else "r-?"

    __repr__ = __str__


def who(chat_or_user_id: int | None) -> _Who:
    """A chat or user id as it may appear in a log line (see the module docstring)."""
    return _Who(chat_or_user_id)


__all__ = ["use", "who"]
