"""Sign-in, tokens, rate limiting, CSRF and sessions through the HTTP API."""

from __future__ import annotations

import httpx

from tests.conftest import token_for
from tests.login_form import form_login


async def test_token_login_returns_token_and_user(client: httpx.AsyncClient, people) -> None:
    response = await client.post(
        "/api/v1/auth/token", json={"login": "teacher", "password": "demo"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["user"]["login"] == "teacher"
    assert body["user"]["role"] == "teacher"
    assert len(body["token"]) > 30


async def test_login_is_case_insensitive_and_trimmed(client: httpx.AsyncClient, people) -> None:
    response = await client.post(
        "/api/v1/auth/token", json={"login": " Teacher ", "password": "demo"}
    )
    assert response.status_code == 200


async def test_bad_password_is_401_invalid_credentials(client: httpx.AsyncClient, people) -> None:
    response = await client.post(
        "/api/v1/auth/token", json={"login": "teacher", "password": "nope"}
    )
    assert response.status_code == 401
    assert response.json() == {
        "error": {"code": "invalid_credentials", "message": "Wrong login or password."}
    }


async def test_unknown_login_is_the_same_401(client: httpx.AsyncClient, people) -> None:
    response = await client.post("/api/v1/auth/token", json={"login": "ghost", "password": "demo"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_credentials"


async def test_repeated_failures_are_rate_limited(client: httpx.AsyncClient, people) -> None:
    for _ in range(5):
        response = await client.post(
            "/api/v1/auth/token", json={"login": "pupil", "password": "wrong"}
        )
        assert response.status_code == 401
    response = await client.post("/api/v1/auth/token", json={"login": "pupil", "password": "demo"})
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "too_many_requests"
    assert int(response.headers["retry-after"]) > 0
    # another login from the same address is not yet locked
    assert (
        await client.post("/api/v1/auth/token", json={"login": "teacher", "password": "demo"})
    ).status_code == 200


async def test_malformed_token_requests_are_clear_errors(client: httpx.AsyncClient, people) -> None:
    assert (
        await client.post(
            "/api/v1/auth/token", content=b"{nope", headers={"content-type": "application/json"}
        )
    ).status_code == 400
    response = await client.post("/api/v1/auth/token", json={"login": "teacher"})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid"
    assert (await client.post("/api/v1/auth/token", data={"login": "x"})).status_code == 415


async def test_revoked_token_stops_working(client: httpx.AsyncClient, people) -> None:
    token = await token_for(client, "teacher")
    headers = {"Authorization": f"Bearer {token}"}
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 200
    assert (await client.delete("/api/v1/auth/token", headers=headers)).status_code == 204
    response = await client.get("/api/v1/me", headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


async def test_me_per_role(client: httpx.AsyncClient, as_user, people) -> None:
    teacher = (await client.get("/api/v1/me", headers=await as_user("teacher"))).json()
    assert teacher["role"] == "teacher"
    assert "7A" in {c["name"] for c in teacher["classes"]}  # form tutor of 7A
    assert teacher["children"] == []

    pupil = (await client.get("/api/v1/me", headers=await as_user("pupil"))).json()
    assert pupil["role"] == "pupil"
    assert [c["name"] for c in pupil["classes"]] == ["7A"]

    parent = (await client.get("/api/v1/me", headers=await as_user("parent"))).json()
    assert parent["role"] == "parent"
    assert [c["login"] for c in parent["children"]] == ["pupil"]

    admin = (await client.get("/api/v1/me", headers=await as_user("admin"))).json()
    assert admin["role"] == "admin"
    assert {"7A", "7B"} <= {c["name"] for c in admin["classes"]}
    for body in (teacher, pupil, parent, admin):
        assert set(body) >= {"id", "login", "name", "role", "classes", "children"}
        assert "password_hash" not in body


async def test_me_without_credentials_is_401(client: httpx.AsyncClient, people) -> None:
    response = await client.get("/api/v1/me")
    assert response.status_code == 401
    response = await client.get("/api/v1/me", headers={"Authorization": "Bearer made-up"})
    assert response.status_code == 401


async def _cookie_login(client: httpx.AsyncClient, login: str) -> str:
    response = await form_login(client, login)
    assert response.status_code == 303
    assert "httponly" in response.headers["set-cookie"].lower()
    assert "samesite=lax" in response.headers["set-cookie"].lower()
    page = await client.get("/")
    assert page.status_code == 200
    marker = 'name="csrf-token" content="'
    return page.text.split(marker, 1)[1].split('"', 1)[0]


async def test_cookie_write_without_csrf_token_is_refused(
    client: httpx.AsyncClient, people
) -> None:
    csrf = await _cookie_login(client, "admin")
    assert csrf
    body = {"login": "newbie", "name": "New Person", "role": "teacher"}
    refused = await client.post("/api/v1/users", json=body)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "csrf_failed"
    wrong = await client.post("/api/v1/users", json=body, headers={"X-CSRF-Token": "forged"})
    assert wrong.status_code == 403
    # nothing was stored
    listing = await client.get("/api/v1/users", params={"q": "newbie"})
    assert listing.json()["total"] == 0
    accepted = await client.post("/api/v1/users", json=body, headers={"X-CSRF-Token": csrf})
    assert accepted.status_code == 201


async def test_form_post_needs_the_csrf_field(client: httpx.AsyncClient, people) -> None:
    csrf = await _cookie_login(client, "teacher")
    refused = await client.post("/lang", data={"lang": "ru"})
    assert refused.status_code == 403
    accepted = await client.post("/lang", data={"lang": "ru", "csrf_token": csrf})
    assert accepted.status_code == 303
    me = await client.get("/api/v1/me")
    assert me.json()["lang"] == "ru"


async def test_logout_revokes_the_session(client: httpx.AsyncClient, people) -> None:
    csrf = await _cookie_login(client, "teacher")
    cookie = client.cookies.get("eschool_session")
    response = await client.post("/logout", data={"csrf_token": csrf})
    assert response.status_code == 303
    client.cookies.set("eschool_session", cookie or "")
    assert (await client.get("/api/v1/me")).status_code == 401


async def test_password_change_revokes_other_sessions(
    client: httpx.AsyncClient, as_user, people
) -> None:
    old = await as_user("pupil")
    admin = await as_user("admin")
    pupil_id = (await client.get("/api/v1/me", headers=old)).json()["id"]
    response = await client.post(
        f"/api/v1/users/{pupil_id}/password", json={"password": "brand-new-pass"}, headers=admin
    )
    assert response.status_code == 200
    assert response.json()["password"] == "brand-new-pass"
    assert (await client.get("/api/v1/me", headers=old)).status_code == 401
    assert await token_for(client, "pupil", "brand-new-pass")


async def test_login_page_signs_in_and_redirects_to_next(client: httpx.AsyncClient, people) -> None:
    page = await client.get("/login")
    assert page.status_code == 200
    assert 'name="password"' in page.text
    response = await form_login(client, "teacher", next="/account")
    assert response.headers["location"] == "/account"
    client.cookies.clear()
    bad = await form_login(client, "teacher", "x", next="https://evil.example/")
    assert bad.status_code == 401
    assert "Wrong login or password." in bad.text


async def test_open_redirect_is_refused(client: httpx.AsyncClient, people) -> None:
    response = await form_login(client, "teacher", next="//evil.example/x")
    assert response.headers["location"] == "/"
