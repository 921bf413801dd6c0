"""SQLite writers of one process take turns (eschool.sqlite_driver.WriterGate): concurrent
write transactions all commit, one at a time, and the turn is given back on commit, rollback
and a failed statement."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import exc, text

from eschool.db import create_engine


async def test_concurrent_writers_take_turns_and_give_them_back(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'gate.db'}")
    gate = engine.dialect.dbapi.writers  # type: ignore[union-attr]
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, n INT UNIQUE)"))
        inside: list[int] = []

        async def write(n: int) -> None:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT count(*) FROM t"))  # a read: no turn
                await connection.execute(text("INSERT INTO t (n) VALUES (:n)"), {"n": n})
                inside.append(n)
                assert inside == [n], inside  # nobody else between our write and commit
                await asyncio.sleep(0.001)
                await connection.execute(text("UPDATE t SET n = n WHERE n = :n"), {"n": n})
                inside.remove(n)
                await connection.commit()

        await asyncio.wait_for(asyncio.gather(*(write(n) for n in range(12))), timeout=60)
        assert not gate._lock.locked()

        async with engine.connect() as connection:
            assert (await connection.execute(text("SELECT count(*) FROM t"))).scalar() == 12
            await connection.execute(text("INSERT INTO t (n) VALUES (100)"))
            assert gate._lock.locked()
            await connection.rollback()
            assert not gate._lock.locked()
            with pytest.raises(exc.IntegrityError):
                await connection.execute(text("INSERT INTO t (n) VALUES (1)"))
            await connection.rollback()
            assert not gate._lock.locked()
            # Closed without a commit: the pool's reset gives the turn back.
            await connection.execute(text("INSERT INTO t (n) VALUES (101)"))
        assert not gate._lock.locked()
        async with engine.connect() as connection:
            rows = (await connection.execute(text("SELECT n FROM t WHERE n >= 100"))).all()
            assert rows == []
    finally:
        await engine.dispose()
