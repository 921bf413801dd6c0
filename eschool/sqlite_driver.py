"""aiosqlite with one trip to the connection's thread per statement.

SQLAlchemy's aiosqlite adapter makes a cursor, executes, fetches and closes it: four trips
through aiosqlite's queue to the connection's thread and back, each a thread wake-up and an
event-loop wake-up. Every signed-in request pays them for the sign-in lookup alone. Here a
statement runs whole in the thread (cursor, execute, fetch every row, close) and comes back
once, with what SQLAlchemy reads of a cursor afterwards: the rows, ``description``,
``rowcount`` and ``lastrowid``. Transactions, errors, server-side cursors (streaming) and
everything else are SQLAlchemy's and aiosqlite's own.

A short read runs in the event loop's thread instead, no trip at all, when it is safe to
(:func:`_read_here`): a SELECT on a connection with no transaction open and no call of its
thread under way. It is the same statement on the same connection, so it sees exactly what
the trip would (nothing of the session is left unseen: no transaction means nothing
uncommitted). It cannot hold up the loop: SQLite's busy handler is off for it (a busy
database answers at once) and a progress handler stops it after :data:`READ_HERE_STEPS`
virtual-machine steps; either way, and on any error, it is run again as usual by a trip to
the thread, which then answers or raises as before. A read that ran no write has nothing to
undo, so running it twice is harmless.

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
from sqlalchemy.util.concurrency import await_


def _run(
    connection: sqlite3.Connection,
    operation: str,
    parameters: Any,
    many: bool,
    busy_ms: int | None = None,
) -> tuple[list[Any], Any, int, int | None, bool]:
    """In the connection's thread: the statement run whole, its rows fetched; and whether a
    transaction is open after it. With ``busy_ms`` SQLite's busy timeout is set back first
    (a read in the loop's thread had it off)."""
    if busy_ms is not None:
        connection.execute(f"PRAGMA busy_timeout={busy_ms:d}")
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


# A read in the loop's thread is stopped after this many SQLite virtual-machine steps (and
# run again in the connection's thread): a fraction of a millisecond of the loop at most.
READ_HERE_STEPS = 20_000
_STEPS_PER_CHECK = 1_000


def _is_read(operation: Any) -> bool:
    return isinstance(operation, str) and operation.lstrip()[:6].upper() == "SELECT"


def _read_here(
    adapt: OneTripConnection, operation: str, parameters: Any
) -> tuple[list[Any], Any, int, int | None, bool] | None:
    """In the event loop's thread: what :func:`_run` returns, or None when SQLite refused the
    read (busy, locked, too long, any error): the caller then runs it in the thread."""
    connection: sqlite3.Connection = adapt._connection._conn
    checks = READ_HERE_STEPS // _STEPS_PER_CHECK

    def too_long() -> bool:
        nonlocal checks
        checks -= 1
        return checks < 0

    try:
        if not adapt._busy_off:  # off until the next trip to the thread sets it back
            if adapt._busy_ms is None:
                adapt._busy_ms = int(connection.execute("PRAGMA busy_timeout").fetchone()[0])
            connection.execute("PRAGMA busy_timeout=0")
            adapt._busy_off = True
        connection.set_progress_handler(too_long, _STEPS_PER_CHECK)
        try:
            return _run(connection, operation, parameters, False)
        finally:
            connection.set_progress_handler(None, 0)
    except sqlite3.Error:
        return None


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
            done = None
            if adapt._thread_idle and not (adapt._in_transaction or many) and _is_read(operation):
                done = _read_here(adapt, operation, parameters)
            if done is None:
                adapt._in_transaction = True  # until the statement says otherwise (it may fail)
                busy_ms = adapt._busy_ms if adapt._busy_off else None
                adapt._busy_off = False
                done = await adapt._in_thread(
                    _run, connection._conn, operation, parameters, many, busy_ms
                )
            rows, description, rowcount, lastrowid, adapt._in_transaction = done
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

    __slots__ = (
        "_busy_ms",
        "_busy_off",
        "_in_transaction",
        "_thread_idle",
        "_ungated",
        "_writing",
    )
    _cursor_cls = OneTripCursor  # type: ignore[assignment]  # a subclass of the parent's
    dbapi: OneTripDBAPI

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        self._in_transaction = True  # unknown until a statement ran: assume one is open
        self._writing = False  # whether this connection holds the process's writer gate
        self._ungated = False  # in a write transaction begun after the gate's wait ran out
        # False for good once a call of the thread was given up (cancelled): it may still run.
        self._thread_idle = True
        self._busy_ms: int | None = None  # SQLite's busy timeout, read at the first need
        self._busy_off = False  # whether a read in the loop's thread left it at 0

    async def _in_thread(self, function: Any, *args: Any) -> Any:
        """``function(*args)`` in the connection's thread; a call given up on leaves the
        connection to its thread for good (see :func:`_read_here`)."""
        try:
            return await self._connection._execute(function, *args)
        except BaseException as error:
            self._thread_idle = self._thread_idle and isinstance(error, Exception)
            raise

    def _stop_writing(self) -> None:
        self._ungated = False
        if self._writing:
            self._writing = False
            self.dbapi.writers.leave()

    def cursor(self, server_side: bool = False) -> Any:
        if server_side:
            self._in_transaction = True  # a streamed statement is not watched: assume one
            if self._busy_off:  # an aiosqlite cursor's statement waits on a busy database
                self._busy_off = False
                sql = f"PRAGMA busy_timeout={self._busy_ms:d}"
                await_(self._in_thread(self._connection._conn.execute, sql))
        return super().cursor(server_side)

    def rollback(self) -> None:
        if self._in_transaction:
            try:
                super().rollback()
            except BaseException as error:
                self._thread_idle = self._thread_idle and isinstance(error, Exception)
                raise
            self._in_transaction = False
        self._stop_writing()

    def commit(self) -> None:
        if self._in_transaction:
            try:
                super().commit()  # when it fails the gate is kept until the rollback
            except BaseException as error:
                self._thread_idle = self._thread_idle and isinstance(error, Exception)
                raise
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
        # Short reads run in the event loop's thread too (see the module's docstring).
        kw.setdefault("check_same_thread", False)
        connection = super().connect(*arg, **kw)
        return OneTripConnection(self, connection._connection)


def dbapi() -> OneTripDBAPI:
    """The DBAPI module for ``create_async_engine(url, module=dbapi())``."""
    return OneTripDBAPI(aiosqlite, sqlite3)
