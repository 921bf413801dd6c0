"""The hottest small reads run straight on the database driver, never cached.

Every signed-in request finds who is signed in before its own work: one primary-key read.
Through a session it cost more than the rest of a small request (a pool checkout, SQLAlchemy's
execution machinery, on SQLite a trip to the connection's thread and back). Here the same
Core statement is compiled once per database and run on the driver:

- **SQLite:** on a connection of the process's own, in the event loop's thread. A read of a
  few rows takes microseconds; the connection never waits for a lock (``timeout=0``, reads
  only), so it cannot hold up the loop: a read SQLite refuses as busy goes the usual way.
  It is in autocommit mode and every read is fetched to the end, so no snapshot is held
  between reads: each sees every commit made before it, by any process.
- **PostgreSQL:** on the request session's own connection (which the request goes on to
  use), as one prepared ``fetchrow``: no ``BEGIN`` and ``ROLLBACK`` around a read alone.

Values go in and rows come out through the statement's own types, as SQLAlchemy's execution
would convert them. A read the driver fails is run again through the session, so errors,
disconnects and the pool's handling of them stay SQLAlchemy's. The engine's
``before_cursor_execute`` listeners hear of each direct read (with no connection or cursor),
so statement counts stay whole.
"""

from __future__ import annotations

import logging
import operator
import sqlite3
import threading
from collections.abc import Mapping, Sequence
from typing import Any, cast

from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql import ClauseElement, Executable
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.selectable import SelectBase
from sqlmodel.ext.asyncio.session import AsyncSession

from eschool.sqlite_direct import sqlite_file

log = logging.getLogger(__name__)

# What runs here: a Core SELECT, or SQL text with its columns typed (``text(...).columns(...)``).
Readable = SelectBase


def _result_processor(type_: Any, dialect: Dialect) -> Any:
    """The type's conversion of a value the driver returns; None when it needs the driver's
    column type to choose (asyncpg's numbers: the driver's own float or Decimal is kept)."""
    try:
        return type_.dialect_impl(dialect).result_processor(dialect, None)
    except (TypeError, KeyError, ValueError):
        return None


class CompiledStatement:
    """A statement compiled for one dialect: its SQL, its values in the order the SQL takes
    them, and its rows (a SELECT's, a write's RETURNING ones) with the statement's result types
    applied."""

    def __init__(
        self,
        statement: ClauseElement,
        dialect: Dialect,
        column_keys: Sequence[str] | None = None,
    ) -> None:
        # An INSERT without values of its own takes the ``column_keys`` given.
        compiled = cast(
            SQLCompiler,
            statement.compile(
                dialect=dialect, column_keys=list(column_keys) if column_keys else None
            ),
        )
        self.sql = compiled.string
        self._names = tuple(compiled.positiontup or ())
        # The values the statement carries itself (a literal compared with, ``== 0``).
        self._own = {
            name: compiled.binds[name].effective_value
            for name in self._names
            if not compiled.binds[name].required
        }
        bind = [
            compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
            for name in self._names
        ]
        result = [
            _result_processor(column.type, dialect)
            # A SELECT's columns, or a write's RETURNING ones (an INSERT's implicit one too).
            for column in (compiled.returning or getattr(statement, "exported_columns", ()))
        ]
        # Only the places whose type converts anything (most values pass as they are).
        self._bind = [(place, process) for place, process in enumerate(bind) if process]
        self._result = [(place, process) for place, process in enumerate(result) if process]
        self._width = len(result)
        # The values in order, picked in C when the statement carries none of its own (and
        # takes more than one: itemgetter gives a tuple then).
        self._pick = (
            operator.itemgetter(*self._names) if not self._own and len(self._names) > 1 else None
        )

    def parameters(self, values: Mapping[str, Any]) -> list[Any]:
        """The bound values, in order, as the driver takes them."""
        if self._pick is not None:
            parameters = list(self._pick(values))
        else:
            own = self._own
            parameters = [
                values[name] if name in values or name not in own else own[name]
                for name in self._names
            ]
        for place, process in self._bind:
            parameters[place] = process(parameters[place])
        return parameters

    def rows(self, raw: Sequence[Sequence[Any]]) -> list[tuple[Any, ...]]:
        """Rows the driver returned (see :meth:`row`)."""
        if self._result or not raw or not isinstance(raw[0], tuple):
            return [self.row(one) for one in raw]
        # SQLite's rows are tuples already: only their width to check.
        width = self._width
        for one in raw:
            if len(one) != width:
                raise ValueError(f"a row of {len(one)} values for {width} columns")
        return cast(list[tuple[Any, ...]], raw)

    def row(self, raw: Sequence[Any]) -> tuple[Any, ...]:
        """A row the driver returned, in the statement's Python types."""
        if len(raw) != self._width:
            raise ValueError(f"a row of {len(raw)} values for {self._width} columns")
        if not self._result:
            return tuple(raw)
        row = list(raw)
        for place, process in self._result:
            row[place] = process(row[place])
        return tuple(row)


class DirectReads:
    """Reads straight on the driver for one engine (see the module docstring); made and
    closed with the engine, in the application's lifespan."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._compiled: dict[int, tuple[Readable, CompiledStatement]] = {}
        self._sqlite_file = sqlite_file(engine.url.render_as_string(hide_password=False))
        self._postgres = engine.dialect.driver == "asyncpg"
        self._connection: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def _compile(self, statement: Readable) -> CompiledStatement:
        found = self._compiled.get(id(statement))
        if found is None or found[0] is not statement:
            found = (statement, CompiledStatement(statement, self.engine.dialect))
            self._compiled[id(statement)] = found
        return found[1]

    async def first(
        self,
        session: AsyncSession,
        statement: Readable,
        values: Mapping[str, Any],
    ) -> tuple[Any, ...] | None:
        """The first row of ``statement`` with ``values`` bound, or None."""
        rows = await self._rows(session, statement, values, only_first=True)
        return rows[0] if rows else None

    async def all(
        self,
        session: AsyncSession,
        statement: Readable,
        values: Mapping[str, Any],
    ) -> list[tuple[Any, ...]]:
        """Every row of ``statement`` with ``values`` bound."""
        return await self._rows(session, statement, values, only_first=False)

    async def _rows(
        self,
        session: AsyncSession,
        statement: Readable,
        values: Mapping[str, Any],
        *,
        only_first: bool,
    ) -> list[tuple[Any, ...]]:
        compiled = self._compile(statement)
        parameters = compiled.parameters(values)
        if self._sqlite_file is not None:
            try:
                raw = self._sqlite_rows(compiled.sql, parameters)
            except sqlite3.Error:  # busy, locked: the session waits (or raises it as its own)
                log.debug("direct read refused: read through the session", exc_info=True)
            else:
                return [compiled.row(row) for row in raw[: 1 if only_first else None]]
        elif self._postgres:
            driver = await session_driver(session)
            try:
                if only_first:
                    record = await driver.fetchrow(compiled.sql, *parameters)
                    records = [] if record is None else [record]
                else:
                    records = await driver.fetch(compiled.sql, *parameters)
            except Exception:  # the session's run below raises it as SQLAlchemy's error
                log.debug("direct read failed: read through the session", exc_info=True)
            else:
                self._announce(compiled.sql, parameters)
                return [compiled.row(record) for record in records]
        return await _session_rows(session, statement, values, only_first=only_first)

    def _sqlite_rows(self, sql: str, parameters: list[Any]) -> list[Any]:
        with self._lock:
            connection = self._connection
            if connection is None:
                connection = sqlite3.connect(
                    self._sqlite_file or "",
                    timeout=0,
                    isolation_level=None,
                    check_same_thread=False,
                )
                connection.execute("PRAGMA query_only=ON")
                self._connection = connection
            rows = connection.execute(sql, parameters).fetchall()
        self._announce(sql, parameters)
        return rows

    def _announce(self, sql: str, parameters: list[Any]) -> None:
        announce(self.engine, sql, parameters)

    def close(self) -> None:
        """Close the SQLite connection, if one was opened (the engine closes the rest)."""
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None


_DRIVER_KEY = "eschool.direct_read.driver"


async def session_driver(session: AsyncSession) -> Any:
    """PostgreSQL: the asyncpg connection under the connection ``session`` holds (checked out
    on first use). Kept in the session's ``info`` with the session's transaction: until that
    ends (a commit, a rollback, the session closed), the connection is the same, and the
    request's later reads skip SQLAlchemy's look-up of it (two trips through its greenlet)."""
    sync = session.sync_session
    kept = sync.info.get(_DRIVER_KEY)
    current = sync.get_transaction()
    if kept is not None and current is not None and current.is_active and kept[0] is current:
        return kept[1]
    driver = await driver_of(await session.connection())
    sync.info[_DRIVER_KEY] = (sync.get_transaction(), driver)
    return driver


async def driver_of(connection: AsyncConnection) -> Any:
    """The driver's connection (asyncpg's) under a pooled SQLAlchemy one: read off the
    connection when it holds a valid one (no I/O to get it, so no trip through SQLAlchemy's
    greenlet), else through ``get_raw_connection``, which reconnects."""
    sync = connection.sync_connection
    if sync is not None and not sync.closed and not sync.invalidated:
        return sync.connection.driver_connection
    return (await connection.get_raw_connection()).driver_connection


def announce(engine: AsyncEngine, sql: str, parameters: Any) -> None:
    """Tell the engine's ``before_cursor_execute`` listeners of a statement run straight on
    the driver (with no connection or cursor), so statement counts stay whole."""
    listeners = engine.sync_engine.dispatch.before_cursor_execute
    if listeners:
        listeners(None, None, sql, parameters, None, False)


async def _session_rows(
    session: AsyncSession, statement: Readable, values: Mapping[str, Any], *, only_first: bool
) -> list[tuple[Any, ...]]:
    connection = await session.connection()
    result = await connection.execute(cast(Executable, statement), dict(values))
    if only_first:
        row = result.first()
        return [] if row is None else [tuple(row)]
    return [tuple(row) for row in result.all()]


async def first(
    session: AsyncSession,
    statement: Readable,
    values: Mapping[str, Any],
    reads: DirectReads | None = None,
) -> tuple[Any, ...] | None:
    """The first row of a Core ``statement``: straight on the driver with ``reads``, else
    through ``session``; the same values either way."""
    if reads is not None:
        return await reads.first(session, statement, values)
    rows = await _session_rows(session, statement, values, only_first=True)
    return rows[0] if rows else None


async def all_rows(
    session: AsyncSession,
    statement: Readable,
    values: Mapping[str, Any],
    reads: DirectReads | None = None,
) -> list[tuple[Any, ...]]:
    """Every row of a Core ``statement``: straight on the driver with ``reads``, else through
    ``session``; the same values either way."""
    if reads is not None:
        return await reads.all(session, statement, values)
    return await _session_rows(session, statement, values, only_first=False)
