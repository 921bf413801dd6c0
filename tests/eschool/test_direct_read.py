"""Reads straight on the driver (the sign-in lookup): the same values as through the session,
every commit seen by the next read, and the session's way when the driver's read fails."""

from __future__ import annotations

import sqlite3
from typing import Any

import httpx
from sqlalchemy import update

from eschool import direct_read
from eschool.models import AuthSession
from eschool.queries import _LIVE_AUTH_SESSION
from eschool.security import digest
from eschool.timeutil import utcnow
from tests.conftest import token_for


def _values(token: str) -> dict[str, Any]:
    return {"digest": digest(token), "now": utcnow()}


async def test_a_direct_read_gives_what_the_session_gives(
    app, client: httpx.AsyncClient, sessionmaker, people
) -> None:
    token = await token_for(client, "teacher")
    reads = app.state.direct_reads
    async with sessionmaker() as session:
        values = _values(token)
        direct = await reads.first(session, _LIVE_AUTH_SESSION, values)
        through_session = await direct_read.first(session, _LIVE_AUTH_SESSION, values)
        missing = await reads.first(session, _LIVE_AUTH_SESSION, _values("unknown"))
    assert direct is not None and direct == through_session
    assert missing is None


async def test_the_next_direct_read_sees_a_commit(
    app, client: httpx.AsyncClient, sessionmaker, people
) -> None:
    token = await token_for(client, "parent")
    reads = app.state.direct_reads
    async with sessionmaker() as session:
        assert await reads.first(session, _LIVE_AUTH_SESSION, _values(token)) is not None
    async with sessionmaker() as other:  # another connection, as another worker's
        await other.exec(
            update(AuthSession)
            .where(AuthSession.id == digest(token))  # type: ignore[arg-type]
            .values(revoked_at=utcnow())
        )
        await other.commit()
    async with sessionmaker() as session:
        assert await reads.first(session, _LIVE_AUTH_SESSION, _values(token)) is None


async def test_a_busy_database_is_read_through_the_session(
    app, client: httpx.AsyncClient, people, monkeypatch
) -> None:
    token = await token_for(client, "pupil")
    reads = app.state.direct_reads

    def busy(*_args: Any) -> Any:
        raise sqlite3.OperationalError("database is locked")

    async def failing_fetch(*_args: Any) -> Any:
        raise OSError("connection lost")

    monkeypatch.setattr(reads, "_sqlite_rows", busy)
    if reads._postgres:  # the driver's read fails: the session reads instead
        from asyncpg import Connection

        monkeypatch.setattr(Connection, "fetchrow", failing_fetch)
    response = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.json()["login"] == "pupil"


async def test_many_rows_and_the_statements_own_values_as_through_the_session(
    app, sessionmaker, people
) -> None:
    # The diary's version: a row per course, literals in the statement (``course_id == 0``).
    from gradebook.diary_cache import VERSION_BY_ROLE

    pupil = people.pupils["7A"][0]
    statement = VERSION_BY_ROLE["admin"]
    admin = people.staff["admin"]
    values = {"pupil_id": pupil.id, "actor_id": admin.id, "school_id": admin.school_id}
    reads = app.state.direct_reads
    async with sessionmaker() as session:
        direct = await reads.all(session, statement, values)
        through_session = await direct_read.all_rows(session, statement, values)
        nobody = await reads.all(session, statement, {**values, "pupil_id": 10**9})
    assert direct == through_session and len(direct) >= 1
    assert nobody == []
