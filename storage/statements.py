"""Prebuilt SQLAlchemy Core statements, run either through the update's session or straight on SQLite.

Every update reads the resident, their conversation and often the areas, and writes back what changed:
a handful of statements that SQLite answers in a few microseconds each. Through an ``AsyncSession``
each costs 30–40 µs more (greenlet hand-over, ORM execution path, result objects), and opening and
committing the session costs ~200 µs (bench/profile_split.py). :class:`DirectStatements` compiles
each statement once for SQLite, with SQLAlchemy itself (its SQL, its bind and result processors, its
column defaults), and then runs it on the connection of the update's transaction, in the event
loop's thread. :class:`AsyncpgStatements` does the same on PostgreSQL, on asyncpg's connection inside
the session's transaction. :class:`SessionStatements` runs the same statements through the session
(SQLite in memory, other drivers). Flows see no difference: tests run all of them.

Only what SQLAlchemy compiled runs this way (``IN`` lists expanded by SQLAlchemy per call); a statement
whose columns have defaults computed otherwise than from a value or a plain function goes through the
session instead, so nothing here has to know SQL beyond what SQLAlchemy produced.
"""
from __future__ import annotations

import sqlite3
from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Executable


def built_once(stmt: Executable) -> Executable:
    """Mark a statement built once at import (a module constant): only such statements are compiled and
    kept by :class:`DirectStatements`; one built per call would be compiled per call and kept forever."""
    return stmt.execution_options(kiezbot_built_once=True)


class Statements(Protocol):
    dialect_name: str

    async def rows(self, stmt: Executable, params: Mapping[str, Any] | None = None) -> Sequence[Any]: ...
    async def first(self, stmt: Executable, params: Mapping[str, Any] | None = None) -> Any | None: ...
    async def scalar(self, stmt: Executable, params: Mapping[str, Any] | None = None) -> Any: ...
    async def run(self, stmt: Executable, params: Mapping[str, Any] | None = None) -> int: ...


class SessionStatements:
    """The statements through the session: rows are SQLAlchemy ``Row`` objects, ``run`` gives rowcount."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @property
    def dialect_name(self) -> str:
        return self.session.bind.dialect.name

    async def rows(self, stmt: Executable, params: Mapping[str, Any] | None = None) -> Sequence[Any]:
        return (await self.session.execute(stmt, params)).all()

    async def first(self, stmt: Executable, params: Mapping[str, Any] | None = None) -> Any | None:
        return (await self.session.execute(stmt, params)).first()

    async def scalar(self, stmt: Executable, params: Mapping[str, Any] | None = None) -> Any:
        return await self.session.scalar(stmt, params)

    async def run(self, stmt: Executable, params: Mapping[str, Any] | None = None) -> int:
        return (await self.session.execute(stmt, params)).rowcount or 0


class _Plan:
    """One statement compiled for the database's driver (sqlite3, asyncpg): its SQL, the order of its
    parameters, how each value is converted on the way in and out, and the column defaults SQLAlchemy
    would fill in."""

    __slots__ = ("compiled", "sql", "expanding", "expanding_keys", "order", "binds", "defaults", "results",
                 "row", "layouts")

    def __init__(self, stmt: Executable, dialect: Dialect, keys: Sequence[str] | None,
                 results_from_server: bool = False) -> None:
        """Raises :class:`_NotHere` for what this class cannot run as SQLAlchemy would."""
        compiled = stmt.compile(dialect=dialect, column_keys=list(keys) if keys is not None else None)
        self.compiled = compiled
        self.sql = compiled.string
        # "IN (:ids)" with a list: SQLAlchemy renders the placeholders per call (construct_expanded_state)
        self.expanding = "POSTCOMPILE" in self.sql
        self.expanding_keys = frozenset(b.key for b in compiled.post_compile_params if b.expanding)
        # Layouts (see _layout) hold where the SQL and its values depend only on which keys are given and
        # how long the lists are: not when a value is rendered into the SQL (literal_execute), a bound
        # value is computed per call (callable_), or an IN list holds tuples.
        plain = not compiled.literal_execute_params and not any(
            b.callable is not None or (b.expanding and b.type._is_tuple_type) for b in compiled.binds.values())
        self.layouts: dict[tuple, tuple[str, tuple]] | None = {} if plain else None
        self.order = tuple(compiled.positiontup or ())
        processors = compiled._bind_processors       # SQLAlchemy's own, e.g. JSON -> text, datetime -> text
        self.binds = tuple(processors.get(name) for name in self.order)
        # Python-side defaults of columns the statement leaves out (created_at=utcnow, updated_at
        # onupdate=utcnow, state="pending"): SQLAlchemy computes them at execution; so do we.
        self.defaults: list[tuple[str, Callable[[], Any]]] = []
        for column in (*compiled.insert_prefetch, *compiled.update_prefetch):
            default = column.onupdate if column in compiled.update_prefetch else column.default
            if default is None or not (default.is_scalar or default.is_callable):
                raise _NotHere(f"{column}: a default computed otherwise")
            if default.is_scalar:
                self.defaults.append((column.key, lambda value=default.arg: value))
            else:
                self.defaults.append((column.key, lambda fn=default.arg: fn(None)))
        columns = compiled._result_columns
        # Some result processors depend on the type the server reports (asyncpg's numerics): those
        # statements learn their processors at their first run (AsyncpgStatements), as SQLAlchemy does
        # from the cursor's description.
        self.results: tuple | None = None
        if not results_from_server:
            self.results = tuple(c.type._cached_result_processor(dialect, None) for c in columns)
        self.row = namedtuple("Row", [c.keyname for c in columns], rename=True) if columns else None

    def statement(self, params: Mapping[str, Any] | None) -> tuple[str, tuple]:
        """The SQL and its positional values for these parameters."""
        given = dict(params) if params else {}
        for key, make in self.defaults:
            given[key] = make()
        shape = (tuple(given), tuple(len(given[k]) for k in self.expanding_keys if k in given))
        layout = self.layouts.get(shape) if self.layouts is not None else None
        if layout is None:
            layout = self._layout(given)
            if layout is None:
                return self._through_sqlalchemy(given)
            if len(self.layouts) < _LAYOUTS_PER_STATEMENT:     # type: ignore[arg-type]
                self.layouts[shape] = layout                     # type: ignore[index]
        sql, positions = layout
        values = []
        for key, index, constant, process in positions:
            value = constant if key is None else given[key] if index is None else given[key][index]
            values.append(value if process is None else process(value))
        return sql, tuple(values)

    def _through_sqlalchemy(self, given: dict[str, Any]) -> tuple[str, tuple]:
        if self.expanding:
            state = self.compiled.construct_expanded_state(given, escape_names=False)
            every, processors = state.parameters, state.processors
            return state.statement, tuple(processors[name](every[name]) if name in processors else every[name]
                                          for name in state.positiontup or ())
        every = self.compiled.construct_params(given, escape_names=False)
        # Processors see None too, as in SQLAlchemy (a JSON column stores None as JSON null).
        return self.sql, tuple(value if bind is None else bind(value)
                               for value, bind in zip((every[name] for name in self.order), self.binds))

    def _layout(self, given: dict[str, Any]) -> tuple[str, tuple] | None:
        """Where each value of the statement comes from, for parameters of this shape (these keys, these
        list lengths), learnt by asking SQLAlchemy once with a marker object in place of every value:
        a marker found at a position says which parameter (and list element) goes there; anything else
        is the statement's own constant. The SQL and the values are then what SQLAlchemy's
        ``construct_params``/``construct_expanded_state`` give for these parameters, without their
        ~10–25 µs per call. ``None`` where that does not hold (see ``layouts`` in ``__init__``)."""
        if self.layouts is None:
            return None
        source: dict[int, tuple[str, int | None]] = {}
        probe: dict[str, Any] = {}
        for key, value in given.items():
            if key in self.expanding_keys:
                markers = [object() for _ in value]
                source.update((id(m), (key, i)) for i, m in enumerate(markers))
            else:
                markers = object()   # type: ignore[assignment]
                source[id(markers)] = (key, None)
            probe[key] = markers
        if self.expanding:
            state = self.compiled.construct_expanded_state(probe, escape_names=False)
            sql, names, every, processors = (state.statement, state.positiontup or (), state.parameters,
                                             state.processors)
        else:
            every = self.compiled.construct_params(probe, escape_names=False)
            sql, names, processors = self.sql, self.order, self.compiled._bind_processors
        positions = []
        for name in names:
            key, index = source.get(id(every[name]), (None, None))
            positions.append((key, index, every[name] if key is None else None, processors.get(name)))
        return sql, tuple(positions)

    def convert(self, raw: tuple) -> Any:
        return self.row._make(value if proc is None else proc(value)   # type: ignore[union-attr]
                              for value, proc in zip(raw, self.results))   # type: ignore[arg-type]

    def learn_result_types(self, dialect: Dialect, type_codes: Sequence[Any]) -> None:
        self.results = tuple(c.type._cached_result_processor(dialect, code)
                             for c, code in zip(self.compiled._result_columns, type_codes))


_LAYOUTS_PER_STATEMENT = 256     # shapes kept per statement (an IN list of 1…256 ids); others per call


class _NotHere(Exception):
    """A statement that runs through the session instead."""


_THROUGH_SESSION = object()


class DirectStatements:
    """The statements on the SQLite connection the update's transaction runs on (see module doc).

    ``session`` is the update's ORM session on the same connection; changes it holds are flushed
    before a statement runs here, as its autoflush would. ``plans`` is shared by all units of work on
    one database (a statement is compiled once per process)."""

    dialect_name = "sqlite"
    results_from_server = False

    def __init__(self, connection: sqlite3.Connection | Any, dialect: Dialect, plans: dict,
                 session: Callable[[], AsyncSession | None], fallback: SessionStatements) -> None:
        self.connection = connection
        self.dialect = dialect
        self.plans = plans
        self._session = session
        self.fallback = fallback

    def _plan(self, stmt: Executable, params: Mapping[str, Any] | None) -> _Plan | object:
        if not stmt.get_execution_options().get("kiezbot_built_once"):
            return _THROUGH_SESSION
        insert = getattr(stmt, "is_insert", False)
        key = (id(stmt), tuple(params)) if insert and params else id(stmt)
        found = self.plans.get(key)
        if found is None:
            keys = list(params) if insert and params else None
            try:
                plan: _Plan | object = _Plan(stmt, self.dialect, keys, self.results_from_server)
            except _NotHere:
                plan = _THROUGH_SESSION
            found = self.plans[key] = (stmt, plan)     # the statement is kept, so its id stays its own
        return found[1]

    async def _ready(self, plan: _Plan, params: Mapping[str, Any] | None) -> tuple[str, tuple]:
        """The SQL and its values, after flushing what the ORM session holds (as its autoflush would)."""
        session = self._session()
        if session is not None and (session.new or session.dirty or session.deleted):
            await session.flush()
        return plan.statement(params)

    # What the driver does with them (sqlite3 here; asyncpg in AsyncpgStatements).
    async def _all(self, sql: str, values: tuple) -> Sequence[Any]:
        return self.connection.execute(sql, values).fetchall()

    async def _one(self, sql: str, values: tuple) -> Any | None:
        return self.connection.execute(sql, values).fetchone()

    async def _count(self, sql: str, values: tuple) -> int:
        return self.connection.execute(sql, values).rowcount

    async def rows(self, stmt: Executable, params: Mapping[str, Any] | None = None) -> Sequence[Any]:
        plan = self._plan(stmt, params)
        if plan is _THROUGH_SESSION:
            return await self.fallback.rows(stmt, params)
        raw = await self._all(*await self._ready(plan, params))   # type: ignore[arg-type]
        return [plan.convert(r) for r in raw]   # type: ignore[union-attr]

    async def first(self, stmt: Executable, params: Mapping[str, Any] | None = None) -> Any | None:
        plan = self._plan(stmt, params)
        if plan is _THROUGH_SESSION:
            return await self.fallback.first(stmt, params)
        row = await self._one(*await self._ready(plan, params))   # type: ignore[arg-type]
        return plan.convert(row) if row is not None else None   # type: ignore[union-attr]

    async def scalar(self, stmt: Executable, params: Mapping[str, Any] | None = None) -> Any:
        row = await self.first(stmt, params)
        return row[0] if row is not None else None

    async def run(self, stmt: Executable, params: Mapping[str, Any] | None = None) -> int:
        plan = self._plan(stmt, params)
        if plan is _THROUGH_SESSION:
            return await self.fallback.run(stmt, params)
        return await self._count(*await self._ready(plan, params))   # type: ignore[arg-type]


class AsyncpgStatements(DirectStatements):
    """The same prebuilt statements on PostgreSQL, on the asyncpg connection of the update's session,
    inside the transaction the session opened (the unit of work has taken its advisory lock through the
    session first, so the transaction is open). Compiled by SQLAlchemy's asyncpg dialect — its SQL
    with ``$n`` placeholders and casts, its bind and result processors — and sent with asyncpg's own
    ``fetch``/``execute``, as SQLAlchemy's adapter does, without its execution path (~30–40 µs a
    statement in Python, bench/profile_split.py). The ORM session's pending changes are flushed first."""

    dialect_name = "postgresql"
    results_from_server = True

    async def _ready(self, plan: _Plan, params: Mapping[str, Any] | None) -> tuple[str, tuple]:
        """As on SQLite; and at a statement's first run, learn its result types from the server."""
        sql, values = await super()._ready(plan, params)
        if plan.results is None:
            prepared = await self.connection.prepare(sql)
            plan.learn_result_types(self.dialect, [a.type.oid for a in prepared.get_attributes()])
        return sql, values

    async def _all(self, sql: str, values: tuple) -> Sequence[Any]:
        return await self.connection.fetch(sql, *values)

    async def _one(self, sql: str, values: tuple) -> Any | None:
        return await self.connection.fetchrow(sql, *values)

    async def _count(self, sql: str, values: tuple) -> int:
        status = await self.connection.execute(sql, *values)     # "UPDATE 3", "INSERT 0 1", "DELETE 0"
        count = status.rsplit(" ", 1)[-1]
        return int(count) if count.isdecimal() else 0
