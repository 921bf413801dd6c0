"""Short SQLite reads run in the event loop's thread (eschool.sqlite_driver): a SELECT with
no transaction open is answered there, on the same connection; a read inside a write
transaction, a long read and a read of a busy database go to the connection's thread and
answer as before; SQLite's busy timeout is back for the statements that need it."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from eschool import sqlite_driver
from eschool.db import create_engine, create_sessionmaker

LONG = (
    "SELECT thread(), (SELECT count(*) FROM (WITH RECURSIVE c(x) AS "
    "(SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 200000) SELECT x FROM c))"
)


def _with_thread_function(engine: AsyncEngine) -> None:
    """``thread()`` in SQL: the id of the thread that runs the statement."""

    @event.listens_for(engine.sync_engine, "connect")
    def _thread(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.create_function("thread", 0, threading.get_ident)


async def test_reads_run_here_unless_in_a_transaction_or_long(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'here.db'}")
    _with_thread_function(engine)
    here = threading.get_ident()
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, n INT)"))
        async with create_sessionmaker(engine)() as session:
            connection = await session.connection()
            await connection.execute(text("SELECT 1"))  # a new connection's first: a trip
            assert (await connection.execute(text("SELECT thread()"))).scalar() == here
            # The busy timeout the engine set is back for the statements of the thread.
            busy = (await connection.execute(text("PRAGMA busy_timeout"))).scalar()
            assert busy == 30000
            assert (await connection.execute(text("SELECT thread()"))).scalar() == here
            thread, count = (await connection.execute(text(LONG))).one()
            assert thread != here and count == 200000
            await connection.execute(text("INSERT INTO t (n) VALUES (1)"))
            # In the write transaction: the thread, seeing the transaction's own row.
            thread, n = (await connection.execute(text("SELECT thread(), n FROM t"))).one()
            assert thread != here and n == 1
            await session.commit()
            connection = await session.connection()  # the pool's, after the commit
            thread, n = (await connection.execute(text("SELECT thread(), n FROM t"))).one()
            assert thread == here and n == 1
            await connection.execute(text("UPDATE t SET n = 2"))
            await session.rollback()
        async with create_sessionmaker(engine)() as session:
            connection = await session.connection()
            assert (await connection.execute(text("SELECT n FROM t"))).scalar() == 1
    finally:
        await engine.dispose()


async def test_a_read_of_a_busy_database_waits_in_the_thread(tmp_path: Path) -> None:
    path = tmp_path / "busy.db"  # a rollback journal: a writer's commit shuts readers out
    engine = create_async_engine(
        f"sqlite+aiosqlite:///{path}", module=sqlite_driver.dbapi(), connect_args={"timeout": 30}
    )
    _with_thread_function(engine)
    here = threading.get_ident()
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("CREATE TABLE t (n INT)")
        other.execute("INSERT INTO t VALUES (1)")
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
            assert (await connection.execute(text("SELECT thread()"))).scalar() == here
            other.execute("BEGIN EXCLUSIVE")
            other.execute("UPDATE t SET n = 2")
            read = asyncio.ensure_future(connection.execute(text("SELECT thread(), n FROM t")))
            for _ in range(20):  # the loop goes on while the read waits for the lock
                await asyncio.sleep(0)
            assert not read.done()
            other.execute("COMMIT")
            thread, n = (await asyncio.wait_for(read, timeout=30)).one()
            assert thread != here and n == 2
            await connection.rollback()
    finally:
        other.close()
        await engine.dispose()
