"""PostgreSQL: a few asyncpg connections of the driver writes' own (:mod:`eschool.driver_tx`).

A write on the driver used to run on the connection the request's session checks out of
SQLAlchemy's pool: the checkout, the session's hold of it and its return (a rollback through
SQLAlchemy's greenlet) cost about as much CPU as one of the write's round trips. Here the
connections are plain asyncpg ones, handed out and taken back with no I/O, set up as the
engine's own are (its JSON codecs: the same values in and out).

At most :attr:`DriverPool.size` are open: when all are in use, :meth:`DriverPool.take` gives
None and the caller takes the session's way. A connection is kept when it comes back only if
its user says it is reusable (no statement was cut off or refused on it) and it is idle (open,
outside a transaction); any other is closed, so a connection lost with the database (a
restart) is replaced at the next need, and the write that found it lost takes the session's
way, which reconnects as it always did.
"""

from __future__ import annotations

import logging
from types import SimpleNamespace
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)

# The connections' name in ``pg_stat_activity``.
APPLICATION_NAME = "eschool driver writes"


class DriverPool:
    """Up to ``size`` asyncpg connections to ``engine``'s database (see the module)."""

    def __init__(self, engine: AsyncEngine, *, size: int = 10) -> None:
        self.size = size
        self._dialect: Any = engine.dialect
        self._dsn = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._idle: list[asyncpg.Connection] = []
        self._open = 0
        self._closed = False

    async def take(self) -> asyncpg.Connection | None:
        """An idle connection, made if need be; None when all are in use or none can be made
        (take the session's way). Give it back with :meth:`give_back`."""
        if self._closed:
            return None
        while self._idle:
            connection = self._idle.pop()
            if not connection.is_closed():
                return connection
            self._open -= 1
        if self._open >= self.size:
            return None
        self._open += 1
        try:
            return await self._connect()
        except Exception:
            self._open -= 1
            log.warning("no driver connection to PostgreSQL", exc_info=True)
            return None
        except BaseException:  # cancelled
            self._open -= 1
            raise

    async def _connect(self) -> asyncpg.Connection:
        connection = await asyncpg.connect(
            self._dsn, server_settings={"application_name": APPLICATION_NAME}
        )
        try:
            # The engine's own set-up of a connection's types (the dialect's on_connect).
            adapted = SimpleNamespace(_connection=connection)
            await self._dialect.setup_asyncpg_json_codec(adapted)
            await self._dialect.setup_asyncpg_jsonb_codec(adapted)
            if self._dialect._native_inet_types is False:
                await self._dialect._disable_asyncpg_inet_codecs(adapted)
        except BaseException:
            connection.terminate()
            raise
        return connection

    def give_back(self, connection: asyncpg.Connection, *, reusable: bool) -> None:
        """Take back a connection of :meth:`take`: kept if ``reusable`` and idle, else closed."""
        if (
            reusable
            and not self._closed
            and not connection.is_closed()
            and not connection.is_in_transaction()
        ):
            self._idle.append(connection)
            return
        self._open -= 1
        connection.terminate()

    def close(self) -> None:
        """Close the idle connections (one in use is closed when it comes back)."""
        self._closed = True
        idle, self._idle = self._idle, []
        for connection in idle:
            self._open -= 1
            connection.terminate()
