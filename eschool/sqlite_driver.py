"""aiosqlite with one trip to the connection's thread per statement.

SQLAlchemy's aiosqlite adapter makes a cursor, executes, fetches and closes it: four trips
through aiosqlite's queue to the connection's thread and back, each a thread wake-up and an
event-loop wake-up. Every signed-in request pays them for the sign-in lookup alone. Here a
statement runs whole in the thread (cursor, execute, fetch every row, close) and comes back
once, with what SQLAlchemy reads of a cursor afterwards: the rows, ``description``,
``rowcount`` and ``lastrowid``. Transactions, errors, server-side cursors (streaming) and
everything else are SQLAlchemy's and aiosqlite's own.

Writers of one process take turns on an asyncio lock (:class:`WriterGate`) before SQLite's
write lock: a statement that opens a write transaction waits for the gate, which its
connection holds until the commit or rollback. Without it, writers that find the database
locked sleep in SQLite's busy handler (1, 2, 5 … 100 ms at a time) however soon the lock is
free: under a few concurrent writes most of a request's time went to those sleeps. Other
processes still meet SQLite's busy timeout, as before.

:func:`dbapi` is handed to ``create_async_engine(..., module=...)`` (see :mod:`eschool.db`).
"""

from __future__ import annotations

import asyncio
import collections
import sqlite3
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)


def _run(
    connection: sqlite3.Connection, operation: str, parameters: Any, many: bool
) -> tuple[list[Any], Any, int, int | None, bool]:
    """In the connection's thread: the statement run whole, its rows fetched; and whether a
    transaction is open after it."""
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        rows = cursor.fetchall() if cursor.description else []
        return (
            rows,
            cursor.description,
            cursor.rowcount,
            cursor.lastrowid,
            connection.in_transaction,
        )
    finally:
        cursor.close()


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    """A cursor that holds a finished statement's results (no aiosqlite cursor behind it)."""

    __slots__ = ("_arraysize", "_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: AsyncAdapt_aiosqlite_connection) -> None:
        # Deliberately not the parent's __init__: it would make an aiosqlite cursor (a trip).
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None
        self._arraysize = 1

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int:
        return self._lastrowid  # type: ignore[return-value]

    @property
    def arraysize(self) -> int:
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value

    async def _async_soft_close(self) -> None:
        return  # nothing is open: the rows are already here

    def close(self) -> None:
        self._rows.clear()

    def setinputsizes(self, *inputsizes: Any) -> None:
        return None

    async def _trip(self, operation: Any, parameters: Any, many: bool) -> None:
        adapt: OneTripConnection = self._adapt_connection  # type: ignore[assignment]
        if not (adapt._writing or adapt._ungated) and _opens_write(operation):
            adapt._writing = await adapt.dbapi.writers.enter()
            adapt._ungated = not adapt._writing
        async with adapt._execute_mutex:
            connection: aiosqlite.Connection = self._connection  # type: ignore[assignment]
            adapt._in_transaction = True  # until the statement says otherwise (it may fail)
            (
                rows,
                description,
                rowcount,
                lastrowid,
                adapt._in_transaction,
            ) = await connection._execute(_run, connection._conn, operation, parameters, many)
        self._rows = collections.deque(rows)
        self._description, self._rowcount, self._lastrowid = description, rowcount, lastrowid
        if not adapt._in_transaction:
            adapt._stop_writing()

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        await self._trip(operation, parameters, False)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> Any:
        await self._trip(operation, seq_of_parameters, True)


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    """SQLAlchemy's aiosqlite connection with :class:`OneTripCursor` for plain cursors, whose
    commit and rollback make no trip when no transaction is open: a request that only read
    (SQLite's reads open none) is handed back to the pool without one."""

    __slots__ = ("_in_transaction", "_ungated", "_writing")
    _cursor_cls = OneTripCursor  # type: ignore[assignment]  # a subclass of the parent's
    dbapi: OneTripDBAPI

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        self._in_transaction = True  # unknown until a statement ran: assume one is open
        self._writing = False  # whether this connection holds the process's writer gate
        self._ungated = False  # in a write transaction begun after the gate's wait ran out

    def _stop_writing(self) -> None:
        self._ungated = False
        if self._writing:
            self._writing = False
            self.dbapi.writers.leave()

    def cursor(self, server_side: bool = False) -> Any:
        if server_side:
            self._in_transaction = True  # a streamed statement is not watched: assume one
        return super().cursor(server_side)

    def rollback(self) -> None:
        if self._in_transaction:
            super().rollback()
            self._in_transaction = False
        self._stop_writing()

    def commit(self) -> None:
        if self._in_transaction:
            super().commit()  # when it fails the gate is kept until the rollback
            self._in_transaction = False
        self._stop_writing()

    def close(self) -> None:
        self._stop_writing()
        super().close()

    def terminate(self) -> None:
        self._stop_writing()
        super().terminate()


# Statements before which Python's sqlite3 opens a write transaction of its own accord.
_WRITE_VERBS = ("INSERT", "UPDATE", "DELETE", "REPLACE")
# Longer than any turn should take: past it a writer goes on to SQLite's busy timeout, as
# without the gate (so a write that waits for another of its own request cannot hang).
GATE_WAIT = 5.0  # seconds


def _opens_write(operation: Any) -> bool:
    return isinstance(operation, str) and operation.lstrip()[:7].upper().startswith(_WRITE_VERBS)


class WriterGate:
    """The turn of one write transaction at a time among a process's connections to one
    database (see the module's docstring)."""

    def __init__(self) -> None:
        self._lock = asyncio.Lock()

    async def enter(self) -> bool:
        """Wait for the turn; True once it is taken, False after :data:`GATE_WAIT`."""
        if not self._lock.locked():
            await self._lock.acquire()
            return True
        waiter = asyncio.ensure_future(self._lock.acquire())
        try:
            done, _pending = await asyncio.wait({waiter}, timeout=GATE_WAIT)
        finally:
            if not waiter.done():
                waiter.cancel()
                # Taken in the same moment it was given up: handed straight back.
                waiter.add_done_callback(self._hand_back)
        return waiter in done

    def _hand_back(self, waiter: asyncio.Future[Any]) -> None:
        if not waiter.cancelled() and waiter.exception() is None:
            self._lock.release()

    def leave(self) -> None:
        """Give the turn to the next writer."""
        self._lock.release()


class OneTripDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """SQLAlchemy's aiosqlite DBAPI shim making :class:`OneTripConnection` connections."""

    def __init__(self, aiosqlite: Any, sqlite: Any) -> None:
        super().__init__(aiosqlite, sqlite)
        self.writers = WriterGate()  # one database per engine, one engine per DBAPI

    def connect(self, *arg: Any, **kw: Any) -> OneTripConnection:
        connection = super().connect(*arg, **kw)
        return OneTripConnection(self, connection._connection)


def dbapi() -> OneTripDBAPI:
    """The DBAPI module for ``create_async_engine(url, module=dbapi())``."""
    return OneTripDBAPI(aiosqlite, sqlite3)
