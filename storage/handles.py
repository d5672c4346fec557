"""The database handles ``bot/`` passes along without opening sessions itself.

``bot/`` reaches the database only through storage functions and classes (an import-linter contract
forbids ``bot`` → ``sqlalchemy``); where it keeps or hands on a handle, it names its type from here.
"""
from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

Engine = AsyncEngine
Sessions = async_sessionmaker

__all__ = ["Engine", "Sessions"]
