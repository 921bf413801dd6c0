"""The sign-in rows each process keeps on PostgreSQL (eschool.auth_cache): a signed-in request
reads nothing while its row is kept, and a change to the person or the session is seen on the
next request — made in this process at once, made by another process as its notice arrives —
and nothing is served while the process cannot hear the notices."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import asyncpg
import httpx
import pytest
from sqlalchemy import event, update
from sqlalchemy.engine import make_url

from eschool.auth_cache import LISTENER_NAME, AuthCache, writes_people
from eschool.models import AuthSession
from eschool.security import digest
from eschool.settings import Settings
from eschool.timeutil import utcnow
from tests.conftest import token_for

PATIENCE = 30.0


async def _until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + PATIENCE
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        await asyncio.sleep(0.01)


def _auth_reads(app) -> list[str]:
    """The sign-in reads the app's engine runs from here on (a list that fills)."""
    reads: list[str] = []

    def seen(_conn, _cursor, statement, _parameters, _context, _many) -> None:
        if "FROM auth_sessions" in statement:
            reads.append(statement)

    event.listen(app.state.engine.sync_engine, "before_cursor_execute", seen)
    return reads


async def _written_elsewhere(app, sql: str, *args: object) -> None:
    """Run ``sql`` on a plain asyncpg connection: a writer the app's engine never sees, as
    another process's would be."""
    url = make_url(app.state.settings.database_url).set(drivername="postgresql")
    other = await asyncpg.connect(url.render_as_string(hide_password=False))
    try:
        await other.execute(sql, *args)
    finally:
        await other.close()


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The tests' settings, keeping sign-in rows (the other tests read them every time)."""
    return replace(settings, sign_in_keep_seconds=60.0)


@pytest.fixture
async def kept(app) -> AuthCache:
    """The app's cache, once it listens (PostgreSQL only)."""
    cache = app.state.auth_cache
    if cache is None:
        pytest.skip("only PostgreSQL keeps sign-in rows")
    await _until(lambda: cache.serving, "the cache listens")
    return cache


async def _me(client: httpx.AsyncClient, token: str) -> int:
    response = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    return response.status_code


# Changes another process makes: a session revoked, a person deactivated.
_ELSEWHERE = {
    "revoked": "UPDATE auth_sessions SET revoked_at = now() WHERE user_id = "
    "(SELECT id FROM users WHERE login = $1)",
    "deactivated": "UPDATE users SET active = false WHERE login = $1",
}


@pytest.mark.parametrize("change", sorted(_ELSEWHERE))
async def test_a_kept_sign_in_reads_nothing_and_a_change_by_another_process_is_heard(
    app, client: httpx.AsyncClient, people, kept: AuthCache, change: str
) -> None:
    token = await token_for(client, "teacher")
    reads = _auth_reads(app)
    assert await _me(client, token) == 200
    assert await _me(client, token) == 200
    assert len(reads) == 1  # the first request read and kept the row; the second read none
    await _written_elsewhere(app, _ELSEWHERE[change], "teacher")
    await _until(lambda: len(kept) == 0, "the notice drops the kept row")
    assert await _me(client, token) == 401


async def test_a_revocation_in_this_process_is_seen_at_once(
    app, client: httpx.AsyncClient, people, kept: AuthCache
) -> None:
    token = await token_for(client, "teacher")
    assert await _me(client, token) == 200
    assert len(kept) == 1
    async with app.state.sessionmaker() as session:
        await session.exec(
            update(AuthSession).where(AuthSession.id == digest(token)).values(revoked_at=utcnow())
        )
        # Dropped when the statement ran, before the commit: no notice is waited for.
        assert len(kept) == 0
        await session.commit()
    assert await _me(client, token) == 401
    # Revoking a token through the API is the same.
    other = await token_for(client, "teacher")
    assert await _me(client, other) == 200
    revoked = await client.delete(
        "/api/v1/auth/token", headers={"Authorization": f"Bearer {other}"}
    )
    assert revoked.status_code == 204
    assert await _me(client, other) == 401


async def test_nothing_is_served_while_the_notices_cannot_be_heard(
    app, client: httpx.AsyncClient, people, kept: AuthCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = await token_for(client, "teacher")
    assert await _me(client, token) == 200
    assert len(kept) == 1
    # The listening connection is cut, and cannot be made again until the test allows it.
    allowed = asyncio.Event()
    real_connect = kept._listener.connect

    async def connect_when_allowed() -> object:
        if not allowed.is_set():
            raise OSError("the database cannot be reached")
        return await real_connect()

    monkeypatch.setattr(kept._listener, "connect", connect_when_allowed)
    await _written_elsewhere(
        app,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = current_database() AND application_name = $1",
        LISTENER_NAME,
    )
    await _until(lambda: not kept.serving, "the cache knows it cannot hear")
    assert len(kept) == 0
    reads = _auth_reads(app)
    assert await _me(client, token) == 200
    assert await _me(client, token) == 200
    assert len(reads) == 2 and len(kept) == 0  # read every time, nothing kept
    # It listens again by itself once it can, and keeps again.
    allowed.set()
    await _until(lambda: kept.serving, "the cache listens again")
    assert await _me(client, token) == 200
    assert len(kept) == 1


# --- the cache's own rules --------------------------------------------------------------------


def _cache_serving() -> AuthCache:
    cache = AuthCache("postgresql://unused", max_age=60.0, size=2)
    cache._listener.listening = True  # as when its connection listens
    return cache


def _row(user_id: int) -> tuple[object, ...]:
    return ("digest", user_id)


def test_a_row_read_across_a_change_is_not_kept() -> None:
    cache = _cache_serving()
    now = utcnow()
    later = now + timedelta(days=1)
    since = cache.generation()
    cache.heard("7")  # a change arrives while the row is read
    cache.keep("a", _row(7), user_id=7, expires_at=later, since=since)
    assert cache.get("a", now) is None
    cache.keep("a", _row(7), user_id=7, expires_at=later, since=cache.generation())
    assert cache.get("a", now) == _row(7)


def test_kept_rows_are_dropped_by_user_by_expiry_by_age_and_by_size() -> None:
    cache = _cache_serving()
    now = utcnow()
    later = now + timedelta(hours=1)
    cache.keep("a", _row(1), user_id=1, expires_at=later, since=cache.generation())
    cache.keep("b", _row(2), user_id=2, expires_at=later, since=cache.generation())
    cache.heard("1")
    assert cache.get("a", now) is None and cache.get("b", now) == _row(2)
    assert cache.get("b", later) is None  # its session expired
    cache.keep("c", _row(3), user_id=3, expires_at=later, since=cache.generation())
    cache.max_age = 0.0
    assert cache.get("c", now) is None  # too old
    cache.max_age = 60.0
    for name in ("d", "e", "f"):
        cache.keep(name, _row(4), user_id=4, expires_at=later, since=cache.generation())
    assert len(cache) == 2 and cache.get("d", now) is None  # the least recently used went
    cache.heard("*")
    assert len(cache) == 0
    cache._listener.listening = False
    cache.keep("g", _row(5), user_id=5, expires_at=later, since=cache.generation())
    assert len(cache) == 0


def test_the_statements_that_change_people_or_sessions_are_told_apart() -> None:
    assert writes_people("UPDATE auth_sessions SET revoked_at=$1 WHERE auth_sessions.id = $2")
    assert writes_people("DELETE FROM users WHERE users.id = $1")
    assert writes_people('TRUNCATE "users", "marks" RESTART IDENTITY CASCADE')
    assert not writes_people("SELECT auth_sessions.id FROM auth_sessions JOIN users ON true")
    assert not writes_people("INSERT INTO auth_sessions (id) VALUES ($1)")
    assert not writes_people("UPDATE marks SET value=$1 WHERE marks.id = $2")
