"""A short write transaction straight on the database driver, for the hottest writes.

A write through a session pays, per statement, SQLAlchemy's execution machinery and, on
SQLite, a trip to the connection's thread and back: for a mark (two reads, three inserts, the
commit) about 3 ms of CPU, for what the database does in a tenth of that. Here the same Core
statements, compiled once per database (:class:`eschool.direct_read.CompiledStatement`), run
on the driver in one transaction:

- **SQLite:** on a connection of the process's own in the event loop's thread
  (:class:`eschool.sqlite_direct.DirectWriter`'s), from ``BEGIN IMMEDIATE`` to ``COMMIT``
  without yielding to the loop, so the transaction is whole before anything else runs. When
  another writer holds the database, :meth:`DriverWrites.transaction` gives None at once and
  the caller takes the session's way, which waits its turn.
- **PostgreSQL:** on a pooled connection's asyncpg driver, in its transaction; or
  (:meth:`DriverWrites.statements`) outside one, each statement committed on its own, on a
  connection of the writes' own (:class:`eschool.driver_pool.DriverPool`: no checkout from
  SQLAlchemy's pool, no return through it): a write made of one statement (a multi-row
  INSERT, or several INSERTs as the CTEs of one statement) is atomic alone and saves the
  ``BEGIN`` and ``COMMIT`` round trips. At READ COMMITTED the reads before it see what they
  would see inside a transaction.

Anything the driver refuses inside (a constraint, a lost connection) rolls the transaction back
and raises :class:`DriverFailed`: nothing is stored, and the caller runs the same write the
session's way, which raises SQLAlchemy's own errors and lets the pool handle a lost connection.
Any other exception (a domain error raised by the caller's checks) rolls back and propagates.
Statements are announced to the engine's listeners (statement counts stay whole).
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from collections.abc import AsyncIterator, Mapping
from typing import Any, Protocol

from sqlalchemy import Insert
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql import ClauseElement
from sqlmodel.ext.asyncio.session import AsyncSession

from eschool.db import create_sessionmaker
from eschool.direct_read import CompiledStatement, announce, driver_of
from eschool.driver_pool import DriverPool
from eschool.sqlite_direct import DirectWriter, passive_checkpoint

logger = logging.getLogger(__name__)


_Compiled = tuple[ClauseElement, CompiledStatement]


class DriverFailed(Exception):
    """The driver refused the transaction: nothing is stored (take the session's way)."""


class DriverTransaction(Protocol):
    """One open transaction on the driver (or statements each committed on their own: see
    :meth:`DriverWrites.statements`)."""

    async def rows(
        self, statement: ClauseElement, values: Mapping[str, Any]
    ) -> list[tuple[Any, ...]]:
        """Run ``statement`` with ``values``; its rows (a write's ``RETURNING`` ones)."""


class _Transaction:
    def __init__(self, writes: DriverWrites, connection: Any) -> None:
        self._writes = writes
        self._connection = connection
        # False from a statement's start until it has answered: a statement cut off
        # (cancelled) or refused leaves the connection unfit to use again.
        self.reusable = True

    async def rows(
        self, statement: ClauseElement, values: Mapping[str, Any]
    ) -> list[tuple[Any, ...]]:
        compiled = self._writes.compiled(statement, values)
        parameters = compiled.parameters(values)
        self.reusable = False
        try:
            if self._writes.postgres:
                raw = await self._connection.fetch(compiled.sql, *parameters)
            else:
                raw = self._connection.execute(compiled.sql, parameters).fetchall()
        except Exception as error:  # the driver's own errors: the session's way says them
            raise DriverFailed(str(error)) from error
        self.reusable = True
        announce(self._writes.engine, compiled.sql, parameters)
        return compiled.rows(raw)


class DriverWrites:
    """Write transactions on the driver for one engine (see the module), made in the
    application's lifespan; None of them on other databases (the caller's usual way)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.postgres = engine.dialect.driver == "asyncpg"
        self.direct = DirectWriter.for_url(engine.url.render_as_string(hide_password=False))
        self.pool = DriverPool(engine) if self.postgres else None
        self._sessionmaker = create_sessionmaker(engine)
        self._compiled: dict[
            tuple[int, tuple[str, ...]], tuple[ClauseElement, CompiledStatement]
        ] = {}

    def compiled(self, statement: ClauseElement, values: Mapping[str, Any]) -> CompiledStatement:
        """``statement`` compiled for this database (once; an INSERT once per set of columns
        given, as a session compiles it)."""
        keys = tuple(values) if isinstance(statement, Insert) else ()
        key = (id(statement), keys)
        found = self._compiled.get(key)
        if found is None or found[0] is not statement:
            compiled = CompiledStatement(statement, self.engine.dialect, keys or None)
            found = self._compiled[key] = (statement, compiled)
        return found[1]

    def transaction(
        self, session: AsyncSession | None = None
    ) -> contextlib.AbstractAsyncContextManager[DriverTransaction | None]:
        """A transaction committed when the block ends, rolled back when it raises; None when
        there is none to have (SQLite busy, another database, ``session``'s connection in a
        transaction of its own): take the session's way. On PostgreSQL it runs on the
        connection ``session`` holds already (a request's, which read only), else on one of
        the pool's."""
        if self.postgres:
            return self._postgres_transaction(session)
        if self.direct is not None:
            return self._sqlite_transaction(self.direct)
        return contextlib.nullcontext(None)

    @contextlib.asynccontextmanager
    async def statements(self) -> AsyncIterator[DriverTransaction | None]:
        """PostgreSQL: statements on a connection of the writes' own, outside any
        transaction: each is committed on its own, all it writes or nothing (see the module).
        None on other databases, or when none of those connections is free: take the
        session's way."""
        pool = self.pool
        connection = await pool.take() if pool is not None else None
        if pool is None or connection is None:
            yield None
            return
        statements = _Transaction(self, connection)
        try:
            yield statements
        finally:
            pool.give_back(connection, reusable=statements.reusable)

    @contextlib.asynccontextmanager
    async def _postgres_transaction(
        self, session: AsyncSession | None
    ) -> AsyncIterator[DriverTransaction | None]:
        async with contextlib.AsyncExitStack() as stack:
            if session is not None:
                connection = await session.connection()
            else:
                connection = await stack.enter_async_context(self.engine.connect())
            driver = await driver_of(connection)
            if driver.is_in_transaction():  # the session wrote already: not on its side
                yield None
                return
            transaction = driver.transaction()
            try:
                await transaction.start()
            except Exception as error:
                raise DriverFailed(str(error)) from error
            try:
                yield _Transaction(self, driver)
            except BaseException:
                with contextlib.suppress(Exception):
                    await transaction.rollback()
                raise
            try:
                await transaction.commit()
            except Exception as error:
                raise DriverFailed(str(error)) from error

    @contextlib.asynccontextmanager
    async def _sqlite_transaction(
        self, direct: DirectWriter
    ) -> AsyncIterator[DriverTransaction | None]:
        try:
            connection = direct.connect()
            connection.execute("BEGIN IMMEDIATE")
        except sqlite3.Error:
            yield None  # another writer holds the database: the session's way waits
            return
        try:
            yield _Transaction(self, connection)
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                connection.execute("ROLLBACK")
            raise
        try:
            connection.execute("COMMIT")
        except sqlite3.Error as error:
            with contextlib.suppress(sqlite3.Error):
                connection.execute("ROLLBACK")
            raise DriverFailed(str(error)) from error
        direct.committed()
        if direct.checkpoint_due():
            await passive_checkpoint(self._sessionmaker)

    def close(self) -> None:
        """Close the SQLite connection, or the PostgreSQL ones, if any were opened."""
        if self.direct is not None:
            self.direct.close()
        if self.pool is not None:
            self.pool.close()
