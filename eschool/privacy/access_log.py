"""The access record's lines stored by group commit: every line read in one loop tick goes in
one transaction, and each reader goes on once the commit holds its line.

A read of a pupil's data (a journal, a diary, a live lesson's report) is recorded before the
reader gets the data, as durable as any other write. Written in the reader's own session that
was an insert and a commit per read: on SQLite a trip to the connection's thread and back for
each, about 0.8 ms of CPU — more than a kept journal costs to serve. Here the lines of every
read waiting in the same tick are inserted together:

- on a SQLite file, in one step on the process's own connection in the loop's thread
  (:mod:`eschool.sqlite_direct`) when the database is free, else through a session (which
  waits its turn);
- on PostgreSQL, one ``executemany`` of all the lines in a transaction on one of the driver
  writes' connections (:class:`eschool.driver_pool.DriverPool`: no checkout from SQLAlchemy's
  pool), else on a pooled connection's driver (through a session of its own when that fails).

When a shared transaction fails, each line is tried alone, so one reader's trouble (say, a
user deleted meanwhile) is not another's: its reader gets the error, as before. A reader
cancelled while waiting (the client went away) leaves its line to be stored all the same.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

from sqlalchemy import bindparam, insert
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from eschool.db import create_sessionmaker
from eschool.direct_read import CompiledStatement, announce, driver_of
from eschool.driver_pool import DriverPool
from eschool.privacy.models import AccessRecord
from eschool.session_on_demand import info_of
from eschool.sqlite_direct import DirectWriter, passive_checkpoint

logger = logging.getLogger(__name__)

# Where a session finds its process's writer (``Session.info``, set by the app's sessionmaker);
# a session without one (a script's, a test's) writes its lines itself.
SESSION_INFO_KEY = "access_log"

# The columns of a line, in the order every line gives them.
COLUMNS = ("school_id", "actor_id", "at", "what", "pupil_id", "class_id", "target_id", "detail")

_TABLE = AccessRecord.__table__  # type: ignore[attr-defined]
_INSERT = insert(_TABLE)
_INSERT_ROW = insert(_TABLE).values({name: bindparam(name) for name in COLUMNS})

# A line waiting to be stored, and its reader's wait.
_Waiting = tuple[Mapping[str, Any], asyncio.Future[None]]


class AccessLog:
    """A process's access record writer for one engine, made in the application's lifespan
    and reached from its sessions (:func:`of_session`)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.sessionmaker = create_sessionmaker(engine)
        self.direct = DirectWriter.for_url(engine.url.render_as_string(hide_password=False))
        self._postgres = engine.dialect.driver == "asyncpg"
        # PostgreSQL: the driver writes' connections (eschool.driver_tx), set by the app.
        self.pool: DriverPool | None = None
        self._compiled = CompiledStatement(_INSERT_ROW, engine.dialect)
        self._pending: list[_Waiting] = []
        self._writer: asyncio.Task[None] | None = None

    async def append(self, line: Mapping[str, Any]) -> None:
        """Store ``line`` (its :data:`COLUMNS`); return once it is committed."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((line, done))
        if self._writer is None:
            self._writer = asyncio.create_task(self._write(), name="access-log-writer")
        # Shielded: a reader that goes away does not take its line out of the batch.
        await asyncio.shield(done)

    async def _write(self) -> None:
        try:
            while self._pending:
                await asyncio.sleep(0)  # the readers of this tick join the batch
                batch, self._pending = self._pending, []
                await self._store_batch(batch)
                if self.direct is not None and self.direct.checkpoint_due():
                    await passive_checkpoint(self.sessionmaker)
        finally:
            self._writer = None
            for _line, done in self._pending:  # only when the writer itself was cancelled
                _settle(done, RuntimeError("the access log's writer stopped"))
            self._pending = []

    async def _store_batch(
        self, batch: list[tuple[Mapping[str, Any], asyncio.Future[None]]]
    ) -> None:
        lines = [line for line, _done in batch]
        try:
            await self._store(lines)
        except Exception as error:
            if len(batch) == 1:
                _settle(batch[0][1], error)
                return
            logger.info("access log: a shared transaction failed", exc_info=True)
            for line, done in batch:  # each alone, so the cause shows on its own reader
                try:
                    await self._store([line])
                except Exception as error:
                    _settle(done, error)
                else:
                    _settle(done, None)
            return
        for _line, done in batch:
            _settle(done, None)

    async def _store(self, lines: list[Mapping[str, Any]]) -> None:
        compiled = self._compiled
        if self.direct is not None:
            rows = [compiled.parameters(line) for line in lines]
            if self.direct.insert(compiled.sql, rows):
                announce(self.engine, compiled.sql, rows)
                return
        elif self._postgres and await self._store_on_driver(lines):
            return
        async with self.sessionmaker() as session:
            await (await session.connection()).execute(_INSERT, [dict(line) for line in lines])
            await session.commit()

    async def _store_on_driver(self, lines: list[Mapping[str, Any]]) -> bool:
        """PostgreSQL: the lines in one ``executemany`` on a driver connection (one of
        :attr:`pool`'s when one is free, else a pooled one's; no session, no ORM), atomic on
        its own (asyncpg's, since 0.22): one round trip, no ``BEGIN`` and ``COMMIT`` around
        it; False when that failed (nothing is stored: the session's way runs it again and
        raises its error as SQLAlchemy's, the pool handling a lost connection)."""
        compiled = self._compiled
        rows = [compiled.parameters(line) for line in lines]
        pool = self.pool
        own = await pool.take() if pool is not None else None
        stored = False
        try:
            if own is not None:
                await own.executemany(compiled.sql, rows)
            else:
                async with self.engine.connect() as connection:
                    driver = await driver_of(connection)
                    await driver.executemany(compiled.sql, rows)
            stored = True
        except Exception:
            logger.debug("access log: the driver's insert failed", exc_info=True)
            return False
        finally:
            if pool is not None and own is not None:
                # Kept only after a clean insert: a failed or cut-off one's is closed.
                pool.give_back(own, reusable=stored)
        announce(self.engine, compiled.sql, rows)
        return True

    async def close(self) -> None:
        """Store what is waiting, then close the direct connection."""
        writer = self._writer
        if writer is not None:
            await asyncio.shield(writer)
        if self.direct is not None:
            self.direct.close()


def _settle(done: asyncio.Future[None], error: BaseException | None) -> None:
    if done.done():
        return
    if error is None:
        done.set_result(None)
    else:
        done.set_exception(error)


def of_session(session: AsyncSession) -> AccessLog | None:
    """The access log of the app whose sessionmaker made ``session``, if any (a request's
    session is not opened to find it)."""
    found = info_of(session).get(SESSION_INFO_KEY)
    return found if isinstance(found, AccessLog) else None
