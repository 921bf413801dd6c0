"""A new mark on the driver alone (:mod:`gradebook.mark_direct`): with the sign-in found
straight on the driver (SQLite) or kept (PostgreSQL), the request opens no database session
and checks out no pooled connection (PostgreSQL: the driver writes' own connections,
:mod:`eschool.driver_pool`); a connection of those lost with the database is replaced, the
mark it refused written the session's way."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from typing import Any

import httpx
import pytest
from sqlalchemy import event, text
from starlette.applications import Starlette

from eschool import driver_pool, driver_tx
from eschool.settings import Settings
from gradebook.mark_direct import mark_write
from tests.gradebook.conftest import Gradebook
from tests.gradebook.test_mark_direct import _counts, _mark


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Sign-in rows kept on PostgreSQL, as a server keeps them (other tests read every time)."""
    return replace(settings, sign_in_keep_seconds=60.0)


@pytest.fixture
async def teacher(app: Starlette, client: httpx.AsyncClient, as_user) -> dict[str, str]:
    """The teacher's headers, their sign-in found once (and kept, on PostgreSQL)."""
    kept = app.state.auth_cache
    deadline = time.monotonic() + 10
    while kept is not None and not kept.serving:
        assert time.monotonic() < deadline, "the sign-in cache never listened"
        await asyncio.sleep(0.01)
    headers = await as_user("teacher")
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 200
    return headers


class _CountingMaker:
    """The app's sessionmaker, counting the sessions made."""

    def __init__(self, maker: Any) -> None:
        self.maker = maker
        self.kw = maker.kw
        self.made = 0

    def __call__(self) -> Any:
        self.made += 1
        return self.maker()


async def test_a_mark_on_the_driver_opens_no_session(
    app: Starlette, client: httpx.AsyncClient, teacher: dict[str, str], gradebook: Gradebook
) -> None:
    pupil = gradebook.pupil("pupil")
    before = await _counts(app, pupil.id)
    maker = _CountingMaker(app.state.sessionmaker)
    checkouts: list[object] = []
    engine = app.state.engine.sync_engine

    def checked_out(*args: Any) -> None:
        checkouts.append(args)

    app.state.sessionmaker = maker
    event.listen(engine, "checkout", checked_out)
    try:
        answer = await client.post(
            "/api/v1/marks", json=_mark(gradebook, pupil.id), headers=teacher
        )
    finally:
        event.remove(engine, "checkout", checked_out)
        app.state.sessionmaker = maker.maker
    assert answer.status_code == 201, answer.text
    # Signed in, written and told to the family without a session or a pooled connection.
    assert (maker.made, len(checkouts)) == (0, 0)
    assert await _counts(app, pupil.id) == (before[0] + 1, before[1] + 1, before[2] + 2)


async def test_a_lost_driver_connection_is_replaced(
    app: Starlette, client: httpx.AsyncClient, as_user, gradebook: Gradebook
) -> None:
    if app.state.engine.dialect.driver != "asyncpg":
        pytest.skip("PostgreSQL only: the driver writes' own connections")
    teacher = await as_user("teacher")
    pupil = gradebook.pupil("pupil")
    before = await _counts(app, pupil.id)
    first = await client.post("/api/v1/marks", json=_mark(gradebook, pupil.id), headers=teacher)
    assert first.status_code == 201, first.text
    async with app.state.sessionmaker() as session:  # as a database restart would
        await session.exec(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE application_name = :name"
            ).bindparams(name=driver_pool.APPLICATION_NAME)  # type: ignore[call-overload]
        )
    run: list[Any] = []
    real_rows = driver_tx._Transaction.rows

    async def spied(self: Any, statement: Any, values: Any) -> Any:
        run.append(statement)
        return await real_rows(self, statement, values)

    driver_tx._Transaction.rows = spied  # type: ignore[method-assign]
    try:
        for _ in range(2):  # the lost one seen closed, or refused: each mark written once
            answer = await client.post(
                "/api/v1/marks", json=_mark(gradebook, pupil.id), headers=teacher
            )
            assert answer.status_code == 201, answer.text
    finally:
        driver_tx._Transaction.rows = real_rows  # type: ignore[method-assign]
    assert run[-1] is mark_write(2)  # the last mark went on the driver again
    assert await _counts(app, pupil.id) == (before[0] + 3, before[1] + 3, before[2] + 6)


async def test_a_mark_with_every_driver_connection_taken_takes_the_sessions_way(
    app: Starlette, client: httpx.AsyncClient, teacher: dict[str, str], gradebook: Gradebook
) -> None:
    pool = app.state.driver_writes.pool
    if pool is None:
        pytest.skip("PostgreSQL only: the driver writes' own connections")
    pupil = gradebook.pupil("pupil")
    before = await _counts(app, pupil.id)
    taken = [await pool.take() for _ in range(pool.size)]
    try:
        assert all(taken) and await pool.take() is None
        answer = await client.post(
            "/api/v1/marks", json=_mark(gradebook, pupil.id), headers=teacher
        )
    finally:
        for connection in taken:
            pool.give_back(connection, reusable=True)
    assert answer.status_code == 201, answer.text
    assert await _counts(app, pupil.id) == (before[0] + 1, before[1] + 1, before[2] + 2)
    again = await pool.take()
    pool.give_back(again, reusable=True)
    assert again in taken  # given back, and handed out again
