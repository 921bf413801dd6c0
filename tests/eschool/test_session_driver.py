"""The asyncpg connection under the request session's (PostgreSQL), kept while the session's
transaction lasts: the one the session holds, and after a commit the one it holds next."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest

from eschool.direct_read import session_driver


async def _raw(connection: Any) -> Any:
    return (await connection.get_raw_connection()).driver_connection


async def test_the_kept_driver_is_the_one_the_session_holds(app, sessionmaker) -> None:
    if app.state.engine.dialect.driver != "asyncpg":
        pytest.skip("PostgreSQL only: SQLite reads on a connection of its own")
    async with sessionmaker() as session:
        first = await session_driver(session)
        assert await session_driver(session) is first
        assert first is await _raw(await session.connection())
        await session.commit()  # the connection goes back to the pool
        async with contextlib.AsyncExitStack() as stack:
            for _ in range(40):  # taken from the pool by someone else
                taken = await stack.enter_async_context(app.state.engine.connect())
                if await _raw(taken) is first:
                    break
            else:
                pytest.fail("the pool never handed the connection out again")
            again = await session_driver(session)
            assert again is not first
            assert again is await _raw(await session.connection())
