"""The async engine and sessions; SQLite gets the pragmas a busy server needs and one trip
to its thread per statement (:mod:`eschool.sqlite_driver`); PostgreSQL connections are
checked only after they sat idle (:func:`_ping_when_idle`) and begin a transaction only at
the first statement that is not a plain read (:class:`ReadFirstConnection`)."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, cast

from sqlalchemy import event, exc, text
from sqlalchemy.dialects.postgresql.asyncpg import (
    AsyncAdapt_asyncpg_connection,
    AsyncAdapt_asyncpg_cursor,
    AsyncAdapt_asyncpg_dbapi,
)
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.util.concurrency import await_
from sqlmodel.ext.asyncio.session import AsyncSession

from eschool import auth_cache, sqlite_driver

SessionMaker = async_sessionmaker[AsyncSession]

# A pooled PostgreSQL connection idle longer than this is pinged before it is handed out.
PING_AFTER_IDLE = 5.0  # seconds
_IDLE_SINCE = "eschool_idle_since"


def is_sqlite(url: str) -> bool:
    """True when the URL names a SQLite database."""
    return url.startswith("sqlite")


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def create_engine(url: str, **options: Any) -> AsyncEngine:
    """Create the async engine for ``url`` (aiosqlite or asyncpg)."""
    if is_sqlite(url):
        # SQLite serialises writers itself (busy_timeout); the pool only has to be large
        # enough that a burst of WebSocket handshakes waits for a connection, not fails.
        options.setdefault("pool_size", 20)
        options.setdefault("max_overflow", 40)
        options.setdefault("module", sqlite_driver.dbapi())
        engine = create_async_engine(url, connect_args={"timeout": 30}, **options)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()
            # SQLite's lower() folds ASCII only: "Макарова" would never match "макарова".
            dbapi_connection.create_function("lower", 1, _lower, deterministic=True)

        return engine
    options.setdefault("pool_size", 10)
    options.setdefault("max_overflow", 20)
    if url.startswith("postgresql+asyncpg"):
        options.setdefault("module", ReadFirstDBAPI(__import__("asyncpg")))
    engine = create_async_engine(url, **options)
    # Its writes to people and sessions drop the process's kept sign-in rows (at once).
    auth_cache.watch_engine(engine)
    if not options.get("pool_pre_ping"):
        _ping_when_idle(engine)
    if isinstance(engine.dialect.dbapi, ReadFirstDBAPI):
        dialect = engine.dialect

        @event.listens_for(engine.sync_engine, "connect")
        def _reads_first(dbapi_connection: Any, _record: Any) -> None:
            # After the dialect's first connect, which reads the server's default level.
            if isinstance(dbapi_connection, ReadFirstConnection):
                dbapi_connection.reads_first = dialect.default_isolation_level == "READ COMMITTED"

    return engine


# A SELECT that locks rows needs its transaction.
_LOCKING = re.compile(r"\bFOR\s+(UPDATE|SHARE|NO\s+KEY|KEY)\b", re.IGNORECASE)


class ReadFirstCursor(AsyncAdapt_asyncpg_cursor):
    """Tells its connection whether the statement it is about to run is a plain read."""

    async def _prepare_and_execute(self, operation: Any, parameters: Any) -> Any:
        adapt: ReadFirstConnection = self._adapt_connection  # type: ignore[assignment]
        adapt.next_is_read = (
            isinstance(operation, str)
            and operation.lstrip()[:6].upper() == "SELECT"
            and _LOCKING.search(operation) is None
        )
        return await super()._prepare_and_execute(operation, parameters)


class ReadFirstConnection(AsyncAdapt_asyncpg_connection):
    """asyncpg's SQLAlchemy connection whose ``BEGIN`` waits for the first statement that is
    not a plain SELECT: a request that only reads makes no ``BEGIN`` and no ``ROLLBACK``
    (two round trips of three for a request of one read).

    The same answers: at READ COMMITTED (PostgreSQL's default; :func:`create_engine` turns
    this on only when it is the server's default and the connection sets no other level,
    read-only or deferrable mode) every statement of a transaction reads its own fresh
    snapshot, as a statement outside one does, and before the first write there is nothing
    of the transaction's own to see. A SELECT locking rows (``FOR UPDATE`` / ``SHARE``)
    begins the transaction as before; so does every other statement, and what follows it
    runs in the transaction until its commit or rollback. The app's SELECTs write nothing
    (no volatile functions that write, no transaction-scoped locks or settings)."""

    _cursor_cls = ReadFirstCursor  # a subclass of the parent's
    reads_first = False  # set on connect (see create_engine)
    next_is_read = False

    async def _start_transaction(self) -> None:
        read, self.next_is_read = self.next_is_read, False
        if (
            read
            and self.reads_first
            and self.isolation_level is None
            and not (self.readonly or self.deferrable)
        ):
            return
        await super()._start_transaction()


class ReadFirstDBAPI(AsyncAdapt_asyncpg_dbapi):
    """SQLAlchemy's asyncpg DBAPI shim making :class:`ReadFirstConnection` connections."""

    def connect(self, *arg: Any, **kw: Any) -> ReadFirstConnection:
        creator = kw.pop("async_creator_fn", self.asyncpg.connect)
        cache_size = kw.pop("prepared_statement_cache_size", 100)
        name_func = kw.pop("prepared_statement_name_func", None)
        return await_(
            ReadFirstConnection.create(
                self,
                creator(*arg, **kw),
                prepared_statement_cache_size=cache_size,
                prepared_statement_name_func=name_func,
            )
        )


def _ping_when_idle(engine: AsyncEngine) -> None:
    """Ping a pooled connection before it is handed out only when it sat idle for longer than
    :data:`PING_AFTER_IDLE` (a dead one is replaced, as ``pool_pre_ping`` would). asyncpg's ping
    is three round trips (begin, ``;``, rollback): on every checkout it was most of what a
    signed-in request waited for before its own work. A connection that served a request a
    moment ago is alive; one broken since (a database restart) fails its statement and
    SQLAlchemy then drops every connection of the pool made before it."""
    dialect = engine.dialect

    @event.listens_for(engine.sync_engine, "checkin")
    def _checked_in(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get(_IDLE_SINCE)
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as error:
            if dialect.is_disconnect(cast(Any, error), dbapi_connection, None):
                raise exc.DisconnectionError() from error
            raise


def create_sessionmaker(engine: AsyncEngine, info: dict[str, Any] | None = None) -> SessionMaker:
    """Sessions that keep loaded objects usable after commit (each with its own copy of
    ``info`` as ``Session.info``)."""
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False, info=info)


async def flushed_connection(session: AsyncSession) -> AsyncConnection:
    """The session's connection, its pending changes flushed first (as the ORM's autoflush does
    before its own statements): for Core statements run on it, which get plain rows and skip
    the ORM's work per statement."""
    if session.new or session.dirty or session.deleted:
        await session.flush()
    return await session.connection()


@asynccontextmanager
async def session_scope(sessionmaker: SessionMaker) -> AsyncIterator[AsyncSession]:
    """A session for one unit of work outside a request (CLI, seed, live services)."""
    async with sessionmaker() as session:
        yield session


async def database_ok(engine: AsyncEngine) -> bool:
    """A cheap round trip to the database for /healthz."""
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception:
        return False
    return True
