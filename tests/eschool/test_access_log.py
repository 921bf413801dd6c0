"""The access record's group commit (:mod:`eschool.privacy.access_log`): the lines of reads
waiting at once go in one transaction, each reader goes on only once its line is committed, a
busy SQLite database is waited for, one bad line fails only its own reader, and a reader that
goes away leaves its line stored."""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

import httpx
import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, func, select
from starlette.applications import Starlette

from eschool.privacy.access_log import AccessLog, of_session
from eschool.privacy.models import AccessRecord
from eschool.seed import DemoPeople
from eschool.sqlite_direct import sqlite_file
from eschool.timeutil import utcnow
from tests.gradebook import conftest as gradebook_fixtures
from tests.gradebook.conftest import Gradebook

as_user = gradebook_fixtures.as_user
gradebook = gradebook_fixtures.gradebook


@pytest.fixture
def admin(people: DemoPeople) -> tuple[int, int]:
    """The demo admin's id and school."""
    user = people.staff["admin"]
    return user.id or 0, user.school_id


def _line(actor_id: int, school_id: int, detail: str) -> dict[str, Any]:
    return {
        "school_id": school_id,
        "actor_id": actor_id,
        "at": utcnow(),
        "what": "journal",
        "pupil_id": None,
        "class_id": None,
        "target_id": None,
        "detail": detail,
    }


async def _details(app: Starlette) -> list[str]:
    async with app.state.sessionmaker() as session:
        rows = await session.exec(select(AccessRecord.detail).order_by(col(AccessRecord.id)))
        return list(rows.all())


async def test_the_apps_sessions_reach_its_access_log(app: Starlette) -> None:
    async with app.state.sessionmaker() as session:
        assert isinstance(of_session(session), AccessLog)


async def test_lines_waiting_at_once_are_one_commit_and_all_stored(
    app: Starlette, admin: tuple[int, int]
) -> None:
    actor_id, school_id = admin
    log = AccessLog(app.state.engine)
    stores: list[int] = []
    real_store = log._store

    async def counted(lines: list[Any]) -> None:
        stores.append(len(lines))
        await real_store(lines)

    log._store = counted  # type: ignore[method-assign]
    try:
        await asyncio.gather(
            *(log.append(_line(actor_id, school_id, f"read {n}")) for n in range(12))
        )
        assert stores == [12]  # one transaction for the twelve readers
        assert sorted(await _details(app)) == sorted(f"read {n}" for n in range(12))
        # Once the first batch is stored, the next readers make the next one.
        await log.append(_line(actor_id, school_id, "later"))
        assert stores == [12, 1] and "later" in await _details(app)
    finally:
        await log.close()


async def test_a_bad_line_fails_only_its_own_reader(app: Starlette, admin: tuple[int, int]) -> None:
    actor_id, school_id = admin
    log = AccessLog(app.state.engine)
    try:
        outcomes = await asyncio.gather(
            log.append(_line(actor_id, school_id, "first")),
            log.append(_line(10**9, school_id, "nobody")),  # no such user
            log.append(_line(actor_id, school_id, "third")),
            return_exceptions=True,
        )
        assert outcomes[0] is None and outcomes[2] is None
        assert isinstance(outcomes[1], IntegrityError)
        assert sorted(await _details(app)) == ["first", "third"]
    finally:
        await log.close()


async def test_a_reader_that_goes_away_leaves_its_line_stored(
    app: Starlette, admin: tuple[int, int]
) -> None:
    actor_id, school_id = admin
    log = AccessLog(app.state.engine)
    try:
        reader = asyncio.ensure_future(log.append(_line(actor_id, school_id, "gone")))
        await asyncio.sleep(0)  # the line is waiting in the batch
        reader.cancel()
        with pytest.raises(asyncio.CancelledError):
            await reader
        await log.append(_line(actor_id, school_id, "next"))  # after the batch of "gone"
        assert sorted(await _details(app)) == ["gone", "next"]
    finally:
        await log.close()


async def test_a_busy_sqlite_database_is_waited_for(app: Starlette, admin: tuple[int, int]) -> None:
    path = sqlite_file(app.state.settings.database_url)
    if path is None:
        pytest.skip("SQLite only: the direct writer's fallback")
    actor_id, school_id = admin
    log = AccessLog(app.state.engine)
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another process writes
        reader = asyncio.ensure_future(log.append(_line(actor_id, school_id, "waited")))
        # The direct writer is refused, so the line takes the session's way, which waits.
        await asyncio.wait({reader}, timeout=0.3)
        assert not reader.done()
        holder.execute("COMMIT")
        await asyncio.wait_for(reader, timeout=30)
        assert await _details(app) == ["waited"]
    finally:
        holder.close()
        await log.close()


async def test_a_read_through_the_api_is_committed_before_its_answer(
    app: Starlette, client: httpx.AsyncClient, as_user, gradebook: Gradebook
) -> None:
    teacher = await as_user("teacher")
    path = f"/api/v1/courses/{gradebook.math_7a}/journal?term={gradebook.term_id}"
    answers = await asyncio.gather(*(client.get(path, headers=teacher) for _ in range(5)))
    assert [answer.status_code for answer in answers] == [200] * 5
    async with app.state.sessionmaker() as session:
        count = (
            await session.exec(
                select(func.count()).where(
                    AccessRecord.what == "journal", AccessRecord.target_id == gradebook.math_7a
                )
            )
        ).one()
    assert count == 5
