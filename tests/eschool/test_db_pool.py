"""The database engine: a pooled PostgreSQL connection that died while idle is replaced
before a request gets it; PostgreSQL reads before a request's first write begin no
transaction; SQLite's one-trip statements keep transactions whole."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from eschool import db


@pytest.mark.postgres
async def test_a_connection_killed_while_idle_is_replaced(
    postgres_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "PING_AFTER_IDLE", 0.0)  # every pooled connection counts as idle
    engine = db.create_engine(postgres_database, pool_size=1, max_overflow=0)
    killer = db.create_engine(postgres_database)
    try:
        async with engine.connect() as conn:
            first = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        async with killer.connect() as conn:
            await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        async with engine.connect() as conn:
            second = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        assert second != first
    finally:
        await engine.dispose()
        await killer.dispose()


@pytest.mark.postgres
async def test_postgres_reads_begin_no_transaction_until_a_write(postgres_database: str) -> None:
    engine = db.create_engine(postgres_database, pool_size=1, max_overflow=0)
    other = db.create_engine(postgres_database)
    count = text("SELECT count(*) FROM read_first")
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE read_first (n INT)"))
        async with engine.connect() as conn:
            raw: Any = (await conn.get_raw_connection()).dbapi_connection
            assert (await conn.execute(count)).scalar() == 0
            assert raw._transaction is None
            await conn.execute(text("INSERT INTO read_first VALUES (1)"))
            assert raw._transaction is not None
            assert (await conn.execute(count)).scalar() == 1  # the transaction's own row
            async with other.connect() as seen_elsewhere:
                assert (await seen_elsewhere.execute(count)).scalar() == 0
            await conn.rollback()
            await conn.execute(text("SELECT n FROM read_first FOR UPDATE"))
            assert raw._transaction is not None
            await conn.rollback()
            assert (await conn.execute(count)).scalar() == 0
        async with engine.begin() as conn:
            await conn.execute(text("DROP TABLE read_first"))
    finally:
        await engine.dispose()
        await other.dispose()


async def test_sqlite_statements_keep_transactions_whole(tmp_path: Path) -> None:
    engine = db.create_engine(f"sqlite+aiosqlite:///{tmp_path / 'one.db'}")
    try:
        async with engine.connect() as conn:
            await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE)"))
            await conn.commit()
            await conn.execute(text("INSERT INTO t (v) VALUES ('gone')"))
            await conn.rollback()
            inserted = await conn.execute(text("INSERT INTO t (v) VALUES ('kept')"))
            assert (inserted.lastrowid, inserted.rowcount) == (1, 1)
            await conn.commit()
            with pytest.raises(Exception, match="UNIQUE"):
                await conn.execute(text("INSERT INTO t (v) VALUES ('kept')"))
            await conn.rollback()
        async with engine.connect() as conn:
            rows = (await conn.execute(text("SELECT id, v FROM t"))).all()
        assert rows == [(1, "kept")]
    finally:
        await engine.dispose()
