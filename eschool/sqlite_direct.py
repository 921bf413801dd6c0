"""SQLite only: small writes committed in one step on a connection of the process's own, in the
event loop's thread: no pool checkout, no ORM, no trip to a connection's thread and back.

Through a session a small write is two trips through aiosqlite's thread (the insert, the
commit), each a thread wake-up and an event-loop wake-up: about 0.5 ms of CPU and 1-5 ms of
waiting (far more on a busy machine) for a write SQLite does in some 20 µs. Here the rows go
in with ``BEGIN IMMEDIATE``, one ``executemany`` and ``COMMIT`` on a connection that never
waits for a lock (``timeout=0``): when another writer holds the database (a request's
transaction, another process) or anything else fails, nothing is stored and the caller takes
the usual way through a session, which waits its turn.

Durability is the pool's: WAL, ``synchronous=NORMAL``, foreign keys checked. The connection
never checkpoints by itself (``wal_autocheckpoint=0``: a checkpoint writes and syncs the
database file, which must not stall the loop); after :data:`CHECKPOINT_EVERY` commits
:meth:`DirectWriter.checkpoint_due` says so, and the caller runs :func:`passive_checkpoint`
off the loop (the pool's connections also checkpoint as they commit).

Used by the live log (:mod:`live.log_writer`) and the access record
(:mod:`eschool.privacy.access_log`).
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from collections.abc import Sequence
from typing import Any, Self

from sqlalchemy import text
from sqlalchemy.engine import make_url

from eschool.db import SessionMaker

logger = logging.getLogger(__name__)

CHECKPOINT_EVERY = 200


def sqlite_file(database_url: str) -> str | None:
    """The database file of a SQLite URL; None for other databases, in-memory ones and URLs
    with options (those take the usual way)."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or url.query:
        return None
    database = url.database or ""
    return None if database in ("", ":memory:") or database.startswith("file:") else database


class DirectWriter:
    """Commits rows straight into a SQLite file (see the module)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._connection: sqlite3.Connection | None = None
        self._commits = 0

    @classmethod
    def for_url(cls, database_url: str) -> Self | None:
        """A writer for a SQLite database file, else None."""
        path = sqlite_file(database_url)
        return cls(path) if path is not None else None

    def connect(self) -> sqlite3.Connection:
        """The writer's connection (opened at the first need)."""
        if self._connection is None:
            connection = sqlite3.connect(self.path, timeout=0, isolation_level=None)
            connection.execute("PRAGMA foreign_keys=ON")
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute("PRAGMA wal_autocheckpoint=0")
            self._connection = connection
        return self._connection

    def insert(self, sql: str, rows: Sequence[Sequence[Any]]) -> bool:
        """Run ``sql`` for each of ``rows`` and commit, all or nothing, without waiting;
        whether they are stored (False: nothing is, take the usual way)."""
        try:
            connection = self.connect()
        except sqlite3.Error:
            logger.warning("no direct SQLite connection to %s", self.path, exc_info=True)
            return False
        try:
            connection.execute("BEGIN IMMEDIATE")
        except sqlite3.Error:
            return False  # another writer holds the database: the usual way waits for it
        try:
            connection.executemany(sql, rows)
            connection.execute("COMMIT")
        except sqlite3.Error:
            # A constraint, or the database refused: the usual way sorts it out.
            with contextlib.suppress(sqlite3.Error):
                connection.execute("ROLLBACK")
            return False
        self.committed()
        return True

    def committed(self) -> None:
        """Count a commit made on :meth:`connect`'s connection (for :meth:`checkpoint_due`)."""
        self._commits += 1

    def checkpoint_due(self) -> bool:
        """Whether a checkpoint is due (once every :data:`CHECKPOINT_EVERY` commits)."""
        if self._commits < CHECKPOINT_EVERY:
            return False
        self._commits = 0
        return True

    def close(self) -> None:
        """Close the connection (a later :meth:`insert` opens another)."""
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()


async def passive_checkpoint(sessionmaker: SessionMaker) -> None:
    """A passive WAL checkpoint off the loop, after a direct writer's commits (a failure is
    logged: the next one catches up)."""
    try:
        async with sessionmaker() as session:
            await session.exec(text("PRAGMA wal_checkpoint(PASSIVE)"))  # type: ignore[call-overload]
    except Exception:
        logger.warning("WAL checkpoint failed", exc_info=True)
