"""The three performance paths into libraries' private internals (storage/fast_paths.py): each can be
switched off, is fenced to the library versions it was written for, and the private API it relies on is
checked here by name, so that a library update that changes it fails loudly, saying what changed.

    KIEZBOT_FAST_PATHS=off python -m pytest -q tests/test_fast_paths.py tests/test_statements.py …

runs the same tests on the plain paths (.ci/run does, for the tests that touch them)."""
from __future__ import annotations

import importlib.util
import inspect
import logging
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from storage import fast_paths

ROOT = Path(__file__).resolve().parent.parent


def require(owner: object, attribute: str, path: str) -> object:
    """``owner.attribute``, or a failure that names it and the fast path relying on it."""
    name = getattr(owner, "__qualname__", None) or type(owner).__qualname__
    module = getattr(owner, "__module__", None) or type(owner).__module__
    assert hasattr(owner, attribute), (
        f"private API gone: {module}.{name}.{attribute} — the fast path {path!r} "
        f"(storage/fast_paths.py) relies on it. Run with KIEZBOT_FAST_PATHS=off (or without {path}) and "
        f"adapt the path to the new version, or keep the version pin in pyproject.toml.")
    return getattr(owner, attribute)


def parameters(function: object) -> set[str]:
    return set(inspect.signature(function).parameters)   # type: ignore[arg-type]


@pytest.fixture
def fresh_switch(monkeypatch):
    fast_paths.enabled.cache_clear()
    yield monkeypatch
    fast_paths.enabled.cache_clear()


# --- the switch and the fence --------------------------------------------------------------------
def test_the_switch_names_all_none_or_some_paths():
    assert fast_paths.chosen("on") == set(fast_paths.PATHS) == fast_paths.chosen("")
    assert fast_paths.chosen("off") == set()
    assert fast_paths.chosen("inline_sqlite, direct_statements") == {"inline_sqlite", "direct_statements"}
    with pytest.raises(ValueError, match="unknown path.*lazy_modles"):
        fast_paths.chosen("lazy_modles")


def test_the_fences_are_the_ranges_pyproject_pins():
    pins = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    for path, fence in fast_paths.FENCES.items():
        for distribution, low, high in fence:
            assert f'"{distribution}' in pins and f">={low},<{high}" in pins, (path, distribution, low, high)


def test_a_path_is_off_with_one_warning_when_a_library_is_outside_its_fence(fresh_switch, caplog):
    real = fast_paths.metadata.version
    fresh_switch.setattr(fast_paths.metadata, "version",
                         lambda name: "2.2.0" if name.lower() == "sqlalchemy" else real(name))
    fresh_switch.delenv(fast_paths.ENV, raising=False)
    with caplog.at_level(logging.WARNING, logger="storage.fast_paths"):
        assert not fast_paths.enabled("direct_statements")
        assert not fast_paths.enabled("direct_statements")            # decided once, logged once
        assert fast_paths.enabled("inline_sqlite")
    lines = [r for r in caplog.records if r.name == "storage.fast_paths"]
    assert len(lines) == 1 and lines[0].levelno == logging.WARNING
    assert "direct_statements" in lines[0].getMessage() and "SQLAlchemy 2.2.0 is outside 2.1 <= version < 2.2" \
        in lines[0].getMessage()


def test_switched_off_the_unit_of_work_takes_the_plain_paths(fresh_switch, tmp_path):
    from sqlalchemy.ext.asyncio import async_sessionmaker

    from storage.db import create_engine
    from storage.unit_of_work import SqlUnitOfWork

    engine = create_engine(f"sqlite:///{tmp_path}/k.db")
    fresh_switch.setenv(fast_paths.ENV, "off")
    uow = SqlUnitOfWork(async_sessionmaker(engine), addresses=None)   # type: ignore[arg-type]
    assert uow.shared is None and not uow.direct                     # aiosqlite's thread, the session
    fast_paths.enabled.cache_clear()
    fresh_switch.setenv(fast_paths.ENV, "inline_sqlite")
    uow = SqlUnitOfWork(async_sessionmaker(engine), addresses=None)   # type: ignore[arg-type]
    assert uow.shared is not None and not uow.direct


def test_switched_off_aiogram_builds_its_models_at_import():
    code = ("import bot, aiogram.types\nfrom bot import lazy_models\n"
            "print(lazy_models.deferred(), aiogram.types.Message.__pydantic_complete__)")
    for switch, expected in (("off", "False True"), ("on", "True False")):
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300,
                              env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), fast_paths.ENV: switch})
        assert done.returncode == 0, done.stderr
        assert done.stdout.split() == expected.split(), (switch, done.stdout)


# --- lazy_models: pydantic's and aiogram's private parts --------------------------------------------
def test_lazy_models_private_api_of_pydantic_and_aiogram():
    from pydantic import BaseModel

    rebuild = BaseModel.__dict__.get("model_rebuild")
    assert isinstance(rebuild, classmethod), \
        "private API changed: pydantic.BaseModel.__dict__['model_rebuild'] is no classmethod (lazy_models)"
    missing = {"force", "raise_errors", "_parent_namespace_depth", "_types_namespace"} - parameters(rebuild.__func__)
    assert not missing, f"private API changed: pydantic.BaseModel.model_rebuild lost {sorted(missing)} (lazy_models)"
    require(BaseModel, "__pydantic_complete__", "lazy_models")

    spec = importlib.util.find_spec("aiogram.types")
    assert spec is not None and spec.origin is not None
    source = Path(spec.origin).read_text(encoding="utf-8")
    assert "model_rebuild(" in source and "_types_namespace" in source, (
        "private API changed: aiogram/types/__init__.py no longer calls model_rebuild(_types_namespace=…), "
        "which bot/lazy_models.py collects (lazy_models)")
    from aiogram.methods import base

    method = require(base, "TelegramMethod", "lazy_models")
    assert isinstance(require(method, "model_config", "lazy_models"), dict), \
        "private API changed: aiogram.methods.base.TelegramMethod.model_config is no dict (lazy_models)"


# --- inline_sqlite: aiosqlite's private parts --------------------------------------------------------
def test_inline_sqlite_private_api_of_aiosqlite():
    import aiosqlite

    assert {"connector", "iter_chunk_size"} <= parameters(aiosqlite.Connection.__init__), \
        "private API changed: aiosqlite.Connection(connector, iter_chunk_size) (inline_sqlite)"
    for method in ("_execute", "_connect", "stop", "close"):
        require(aiosqlite.Connection, method, "inline_sqlite")
    connection = aiosqlite.Connection(lambda: None, 64)     # not started: no thread, nothing opened
    for attribute in ("_tx", "_thread", "_running", "_connection", "_connector"):
        require(connection, attribute, "inline_sqlite")
    require(connection._tx, "put_nowait", "inline_sqlite")
    source = inspect.getsource(aiosqlite.Connection)
    assert "_tx.put_nowait((future, function))" in source or "_tx.put_nowait((future, fn))" in source, (
        "private API changed: aiosqlite.Connection no longer queues (future, function) pairs on self._tx, "
        "which storage/db.py _RunNow stands in for (inline_sqlite)")


async def test_inline_sqlite_runs_each_call_in_the_loops_thread(tmp_path):
    from storage.db import InlineSqliteConnection, open_sqlite

    raw = open_sqlite(str(tmp_path / "k.db"))
    threads: list[int] = []
    raw.create_function("whose", 0, lambda: threads.append(threading.get_ident()) or 1)
    connection = await InlineSqliteConnection(lambda: raw)
    try:
        cursor = await connection.execute("SELECT whose()")
        assert await cursor.fetchone() == (1,)
        assert threads == [threading.get_ident()]
    finally:
        await connection.close()


# --- direct_statements: SQLAlchemy's compiled statement ----------------------------------------------
def test_direct_statements_private_api_of_sqlalchemy():
    from sqlalchemy import Integer, bindparam, insert, select
    from sqlalchemy.dialects import postgresql, sqlite

    from storage.models import OutboxRow

    table = OutboxRow.__table__
    for dialect in (sqlite.dialect(), postgresql.asyncpg.dialect()):
        query = select(table.c.id, table.c.payload).where(table.c.id.in_(bindparam("ids", expanding=True)),
                                                          table.c.attempts < bindparam("n", type_=Integer))
        compiled = query.compile(dialect=dialect)
        for attribute in ("_bind_processors", "positiontup", "post_compile_params", "literal_execute_params",
                          "binds", "insert_prefetch", "update_prefetch", "_result_columns",
                          "construct_params", "construct_expanded_state"):
            require(compiled, attribute, "direct_statements")
        state = compiled.construct_expanded_state({"ids": [1, 2], "n": 3}, escape_names=False)
        for attribute in ("statement", "parameters", "processors", "positiontup"):
            require(state, attribute, "direct_statements")
        assert "escape_names" in parameters(compiled.construct_params), \
            "private API changed: SQLCompiler.construct_params(escape_names=…) (direct_statements)"
        for column in compiled._result_columns:
            require(column, "keyname", "direct_statements")
            require(column, "type", "direct_statements")
        require(table.c.payload.type, "_cached_result_processor", "direct_statements")
        require(table.c.payload.type, "_is_tuple_type", "direct_statements")
        ids = next(b for b in compiled.binds.values() if b.key == "ids")
        require(ids, "expanding", "direct_statements")
        require(ids, "callable", "direct_statements")
        write = insert(table).compile(dialect=dialect, column_keys=["chat_id", "payload", "due_at"])
        assert write.insert_prefetch, "SQLAlchemy no longer lists the Python-side defaults in insert_prefetch"
        default = next(c for c in write.insert_prefetch if c.key == "state").default
        for attribute in ("is_scalar", "is_callable", "arg"):
            require(default, attribute, "direct_statements")


def test_a_misspelt_switch_is_refused_in_one_line_at_start(tmp_path):
    """``KIEZBOT_FAST_PATHS=bogus``: no traceback, exit code 2, the known names listed."""
    import os
    import subprocess
    import sys
    env = {**os.environ, "KIEZBOT_FAST_PATHS": "inline_sqlite,bogus",
           "KIEZBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'k.db'}"}
    result = subprocess.run([sys.executable, "-m", "bot.cli", "chat"], input="", capture_output=True, text=True,
                            env=env, cwd=tmp_path, timeout=120)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "unknown path(s) bogus" in result.stderr and "lazy_models" in result.stderr
