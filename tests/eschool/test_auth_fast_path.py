"""Who is signed in, found in one plain statement: revocation, expiry and deactivation are
seen on the very next request, and a WebSocket keeps no database session for its life."""

from __future__ import annotations

import gc
import weakref
from contextlib import contextmanager
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import httpx
from sqlalchemy import event, update
from sqlmodel import select

from eschool.middleware import AuthMiddleware
from eschool.models import AuthSession, User
from eschool.security import digest
from eschool.services import auth_resolve
from eschool.timeutil import utcnow
from tests.conftest import token_for


@contextmanager
def counted(app) -> Any:
    """Every SQL statement the app's engine runs inside the block."""
    statements: list[str] = []

    def before_cursor_execute(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    engine = app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", before_cursor_execute)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before_cursor_execute)


async def _change_session(sessionmaker, token: str, **values: Any) -> None:
    """Change the stored session behind ``token`` directly (as another worker would)."""
    async with sessionmaker() as session:
        await session.exec(
            update(AuthSession).where(AuthSession.id == digest(token)).values(**values)
        )
        await session.commit()


async def test_the_sign_in_lookup_is_one_statement(app, client: httpx.AsyncClient, people) -> None:
    headers = {"Authorization": f"Bearer {await token_for(client, 'pupil')}"}
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 200
    with counted(app) as signed_in:
        response = await client.get("/api/v1/me", headers=headers)
    assert response.json()["login"] == "pupil"
    auth_reads = [s for s in signed_in if "auth_sessions" in s]
    assert len(auth_reads) == 1
    assert "users" in auth_reads[0]
    assert signed_in[0] is auth_reads[0]
    with counted(app) as anonymous:
        assert (await client.get("/api/v1/me")).status_code == 401
    assert anonymous == []


async def test_revocation_is_seen_on_the_next_request(
    client: httpx.AsyncClient, sessionmaker, people
) -> None:
    token = await token_for(client, "teacher")
    headers = {"Authorization": f"Bearer {token}"}
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 200
    await _change_session(sessionmaker, token, revoked_at=utcnow())
    response = await client.get("/api/v1/me", headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


async def test_an_expired_session_is_refused(
    client: httpx.AsyncClient, sessionmaker, people
) -> None:
    token = await token_for(client, "teacher")
    headers = {"Authorization": f"Bearer {token}"}
    await _change_session(sessionmaker, token, expires_at=utcnow() + timedelta(minutes=1))
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 200
    await _change_session(sessionmaker, token, expires_at=utcnow() - timedelta(seconds=1))
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 401


async def test_a_deactivated_user_is_signed_out(
    client: httpx.AsyncClient, sessionmaker, people
) -> None:
    headers = {"Authorization": f"Bearer {await token_for(client, 'parent')}"}
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 200
    async with sessionmaker() as session:
        await session.exec(update(User).where(User.login == "parent").values(active=False))
        await session.commit()
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 401


async def test_the_signed_in_user_is_the_whole_user(
    client: httpx.AsyncClient, as_user, people
) -> None:
    teacher = people.staff["teacher"]
    headers = await as_user("teacher")
    me = (await client.get("/api/v1/me", headers=headers)).json()
    assert (me["id"], me["name"], me["login"]) == (teacher.id, teacher.name, "teacher")
    changed = await client.patch(
        f"/api/v1/users/{teacher.id}", json={"lang": "ru"}, headers=headers
    )
    assert changed.status_code == 200, changed.text
    assert (await client.get("/api/v1/me", headers=headers)).json()["lang"] == "ru"


async def test_the_found_user_can_join_a_session_and_be_updated(
    client: httpx.AsyncClient, sessionmaker, people
) -> None:
    token = await token_for(client, "teacher")
    async with sessionmaker() as session:
        found = await auth_resolve(session, secret=token)
        assert found is not None
        assert list(session.identity_map.values()) == []
    user, auth = found
    assert auth.kind == "token" and auth.user_id == user.id and auth.csrf_token
    async with sessionmaker() as session:
        session.add(user)
        user.email = "teacher@example.org"
        await session.commit()  # an update of the row, not a second user
    async with sessionmaker() as session:
        stored = (await session.exec(select(User).where(User.login == "teacher"))).all()
    assert [u.email for u in stored] == ["teacher@example.org"]


async def test_a_websocket_keeps_no_database_session(
    app, client: httpx.AsyncClient, people
) -> None:
    token = await token_for(client, "pupil")
    opened: list[weakref.ref] = []

    def sessionmaker():
        session = app.state.sessionmaker()
        opened.append(weakref.ref(session))
        return session

    seen: dict[str, Any] = {}

    async def socket_app(scope, receive, send) -> None:
        gc.collect()
        seen["user"] = scope["state"]["user"]
        seen["db"] = scope["state"].get("db")
        seen["alive"] = [ref for ref in opened if ref() is not None]

    scope = {
        "type": "websocket",
        "path": "/live/ABC/ws",
        "headers": [(b"authorization", f"Bearer {token}".encode())],
        "app": SimpleNamespace(state=SimpleNamespace(sessionmaker=sessionmaker)),
    }
    await AuthMiddleware(socket_app)(scope, None, None)  # type: ignore[arg-type]
    assert seen["user"].login == "pupil"
    assert seen["db"] is None
    assert len(opened) == 1
    assert seen["alive"] == []
