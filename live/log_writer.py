"""SQLite only: the live log's rows written on a connection of the process's own, in the event
loop's thread, in one step (:mod:`eschool.sqlite_direct`).

A live room acknowledges a command once its events are committed (:mod:`live.event_log`).
Through a session that commit is two trips through aiosqlite's thread, paid by each command
when they come one at a time. Here a commit's rows go in with one ``INSERT`` on a connection
that never waits for a lock: when another writer holds the database or a seq is stored
already, nothing is stored and the caller takes the usual way through a session, which waits
its turn and sorts out seqs stored already.
"""

from __future__ import annotations

from eschool.sqlite_direct import DirectWriter, sqlite_file

__all__ = ["DirectLogWriter", "sqlite_file"]

_INSERT = "INSERT INTO live_events (session_id, seq, body) VALUES (?, ?, ?)"


class DirectLogWriter(DirectWriter):
    """Stores live log rows straight into a SQLite file (see the module)."""

    def store(self, rows: list[tuple[int, int, str]]) -> bool:
        """Insert ``(session_id, seq, body)`` rows and commit, all or nothing, without waiting;
        whether they are stored (False: nothing is, take the usual way)."""
        return self.insert(_INSERT, rows)
