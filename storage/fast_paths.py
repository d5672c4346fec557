"""The switch and the version fence of kiezbot's three performance paths into libraries' private internals.

=====================  ==========================================  ===========================================
path                   what it does                                 private internals it relies on
=====================  ==========================================  ===========================================
``lazy_models``        aiogram's pydantic models built on first     ``BaseModel.model_rebuild``'s private
                       use, not all at import (bot/lazy_models.py)  arguments, aiogram.types' call of it
``inline_sqlite``      per-update SQLite transactions in the event  aiosqlite ``Connection._tx``, ``_thread``,
                       loop's thread (storage/db.py)                ``_execute``, ``_connect``, ``_connection``
``direct_statements``  prebuilt statements run on the driver's      SQLAlchemy's compiled statement
                       connection (storage/statements.py; on        (``_bind_processors``, ``_result_columns``,
                       PostgreSQL also the unit of work on asyncpg  ``construct_expanded_state`` …)
                       itself, storage/repositories.py)
=====================  ==========================================  ===========================================

``KIEZBOT_FAST_PATHS``: ``on`` (the default: all three), ``off`` (none: the libraries' plain public paths),
or the names of those to keep, comma-separated (``inline_sqlite,direct_statements``). A path whose
libraries are outside the versions it was written for is off as well, with one WARNING line in the
log (tests/test_fast_paths.py fails, naming the private attribute, when one of them changes).

Read from the environment (not the settings object): ``lazy_models`` decides before anything imports
aiogram or pydantic, and storage knows no bot settings.
"""
from __future__ import annotations

import logging
import os
import re
from functools import lru_cache
from importlib import metadata

ENV = "KIEZBOT_FAST_PATHS"

# path -> (distribution, lowest version, first version not covered): the ranges of pyproject.toml.
FENCES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "lazy_models": (("aiogram", "3.31", "3.32"), ("pydantic", "2.11", "2.14")),
    "inline_sqlite": (("aiosqlite", "0.22", "0.23"),),
    "direct_statements": (("SQLAlchemy", "2.1", "2.2"),),
}
PATHS = tuple(FENCES)

log = logging.getLogger(__name__)


def _version(text: str) -> tuple[int, ...]:
    """``2.1.9`` -> (2, 1, 9); ``3.32.0rc1`` -> (3, 32, 0); pre-release tags are ignored."""
    return tuple(int(m.group()) for m in (re.match(r"\d+", part) for part in text.split(".")) if m)


def chosen(value: str | None = None) -> frozenset[str]:
    """The paths ``KIEZBOT_FAST_PATHS`` (or ``value``) keeps on, before the version fence."""
    text = (os.environ.get(ENV, "on") if value is None else value).strip().lower()
    if text in ("", "on", "all", "1", "true", "yes"):
        return frozenset(PATHS)
    if text in ("off", "none", "0", "false", "no"):
        return frozenset()
    names = {n.strip() for n in text.split(",") if n.strip()}
    unknown = names - set(PATHS)
    if unknown:
        raise ValueError(f"{ENV}: unknown path(s) {', '.join(sorted(unknown))}; "
                         f"known: {', '.join(PATHS)}, or on/off")
    return frozenset(names)


def outside_fence(path: str) -> str | None:
    """Why ``path`` must not run with the installed libraries (a version outside its range), or None."""
    for distribution, low, high in FENCES[path]:
        try:
            installed = metadata.version(distribution)
        except metadata.PackageNotFoundError:
            return f"{distribution} is not installed"
        if not _version(low) <= _version(installed) < _version(high):
            return f"{distribution} {installed} is outside {low} <= version < {high}"
    return None


@lru_cache(maxsize=None)
def enabled(path: str) -> bool:
    """Whether ``path`` runs in this process: switched on and inside its version fence (decided once)."""
    if path not in FENCES:
        raise KeyError(path)
    try:
        keep = chosen()
    except ValueError:          # a typo: the plain paths run, and the settings refuse to start with one line
        return False
    if path not in keep:
        return False
    reason = outside_fence(path)
    if reason is not None:
        log.warning("fast path %s switched off: %s (it uses that library's private internals); the plain "
                    "path runs instead", path, reason)
        return False
    return True
