"""SQLite only: the live log's rows written on a connection of the process's own, in the event
loop's thread, in one step: no pool checkout, no ORM, no trip to a connection's thread and back.

A live room acknowledges a command once its events are committed (:mod:`live.event_log`).
Through a session that commit is two trips through aiosqlite's thread (the insert, the commit),
each a thread wake-up and an event-loop wake-up: about 0.5 ms of CPU and 1-5 ms of waiting
(far more on a busy machine) for a write SQLite does in some 20 µs, paid by each command
when they come one at a time. Here a commit's rows go in with ``BEGIN IMMEDIATE``, one
``INSERT`` and ``COMMIT`` on a connection that never waits for a lock (``timeout=0``): when
another writer holds the database (a request's transaction, another process) or anything else
fails, nothing is stored and the caller takes the usual way through a session, which waits its
turn and sorts out seqs stored already.

Durability is the pool's: WAL, ``synchronous=NORMAL``, foreign keys checked. The connection
never checkpoints by itself (``wal_autocheckpoint=0``: a checkpoint writes and syncs the
database file, which must not stall the loop); after :data:`CHECKPOINT_EVERY` commits
:meth:`DirectLogWriter.checkpoint_due` says so, and the caller runs a passive one the usual
way, off the loop (the pool's connections also checkpoint as they commit).
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3

from sqlalchemy.engine import make_url

logger = logging.getLogger(__name__)

CHECKPOINT_EVERY = 200
_INSERT = "INSERT INTO live_events (session_id, seq, body) VALUES (?, ?, ?)"


def sqlite_file(database_url: str) -> str | None:
    """The database file of a SQLite URL; None for other databases, in-memory ones and URLs
    with options (those take the usual way)."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or url.query:
        return None
    database = url.database or ""
    return None if database in ("", ":memory:") or database.startswith("file:") else database


class DirectLogWriter:
    """Stores live log rows straight into a SQLite file (see the module)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._connection: sqlite3.Connection | None = None
        self._commits = 0

    @classmethod
    def for_url(cls, database_url: str) -> DirectLogWriter | None:
        """A writer for a SQLite database file, else None."""
        path = sqlite_file(database_url)
        return cls(path) if path is not None else None

    def _connect(self) -> sqlite3.Connection:
        if self._connection is None:
            connection = sqlite3.connect(self.path, timeout=0, isolation_level=None)
            connection.execute("PRAGMA foreign_keys=ON")
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute("PRAGMA wal_autocheckpoint=0")
            self._connection = connection
        return self._connection

    def store(self, rows: list[tuple[int, int, str]]) -> bool:
        """Insert ``(session_id, seq, body)`` rows and commit, all or nothing, without waiting;
        whether they are stored (False: nothing is, take the usual way)."""
        try:
            connection = self._connect()
        except sqlite3.Error:
            logger.warning("live log: no direct connection to %s", self.path, exc_info=True)
            return False
        try:
            connection.execute("BEGIN IMMEDIATE")
        except sqlite3.Error:
            return False  # another writer holds the database: the usual way waits for it
        try:
            connection.executemany(_INSERT, rows)
            connection.execute("COMMIT")
        except sqlite3.Error:
            # A seq stored already, or the database refused: the usual way sorts it out.
            with contextlib.suppress(sqlite3.Error):
                connection.execute("ROLLBACK")
            return False
        self._commits += 1
        return True

    def checkpoint_due(self) -> bool:
        """Whether a checkpoint is due (once every :data:`CHECKPOINT_EVERY` commits)."""
        if self._commits < CHECKPOINT_EVERY:
            return False
        self._commits = 0
        return True

    def close(self) -> None:
        """Close the connection (a later :meth:`store` opens another)."""
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()
