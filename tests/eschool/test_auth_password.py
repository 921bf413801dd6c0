"""One's own password changes only with the current one (the admin's too); the sign-in form
carries its own CSRF token before any session exists."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import token_for
from tests.login_form import Clock, form_login, login_form_token


async def _me(client: httpx.AsyncClient, headers: dict[str, str]) -> int:
    return (await client.get("/api/v1/me", headers=headers)).json()["id"]


async def test_an_admin_changes_their_own_password_only_with_the_current_one(
    client: httpx.AsyncClient, as_user, people
) -> None:
    admin = await as_user("admin")
    own = f"/api/v1/users/{await _me(client, admin)}/password"
    for body in (
        {"password": "taken-over-1"},
        {"password": "taken-over-1", "current_password": "x"},
    ):
        refused = await client.post(own, json=body, headers=admin)
        assert refused.status_code == 422
        assert refused.json()["error"]["code"] == "wrong_password"
    assert (await client.get("/api/v1/me", headers=admin)).status_code == 200  # nothing changed
    changed = await client.post(
        own, json={"password": "brand-new-pass", "current_password": "demo"}, headers=admin
    )
    assert changed.status_code == 200
    assert (await client.get("/api/v1/me", headers=admin)).status_code == 401  # signed out
    assert await token_for(client, "admin", "brand-new-pass")


async def test_an_admin_still_resets_someone_elses_without_it(
    client: httpx.AsyncClient, as_user, people
) -> None:
    admin = await as_user("admin")
    teacher = people.staff["teacher"]
    reset = await client.post(f"/api/v1/users/{teacher.id}/password", headers=admin)
    assert reset.status_code == 200
    assert await token_for(client, "teacher", reset.json()["password"])


async def test_any_role_changes_only_their_own(client: httpx.AsyncClient, as_user, people) -> None:
    pupil = await as_user("pupil")
    other = next(p for p in people.pupils["7A"] if p.login != "pupil")
    body = {"password": "a-new-password", "current_password": "demo"}
    elsewhere = await client.post(f"/api/v1/users/{other.id}/password", json=body, headers=pupil)
    assert elsewhere.status_code == 403
    own = await client.post(
        f"/api/v1/users/{await _me(client, pupil)}/password", json=body, headers=pupil
    )
    assert own.status_code == 200
    assert await token_for(client, "pupil", "a-new-password")


async def test_the_account_page_needs_the_current_password_and_throttles_guesses(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, people
) -> None:
    Clock.stop(monkeypatch)
    assert (await form_login(client, "admin")).status_code == 303
    page = await client.get("/account")
    csrf = page.text.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
    form = {"csrf_token": csrf, "password": "new-password-1", "password2": "new-password-1"}
    statuses = []
    for guess in range(6):
        answer = await client.post(
            "/account/password", data={**form, "current_password": f"g{guess}"}
        )
        statuses.append(answer.status_code)
    assert statuses == [422] * 5 + [429]
    assert "retry-after" in answer.headers
    assert (await client.get("/account")).status_code == 200  # still the old password, signed in


async def test_the_admin_page_cannot_reset_the_admins_own_password(
    client: httpx.AsyncClient, people
) -> None:
    assert (await form_login(client, "admin")).status_code == 303
    page = await client.get("/account")
    csrf = page.text.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
    admin_id = people.staff["admin"].id
    # the admin's own entry offers the account page's password change, not a reset
    own = await client.get(f"/admin/people/{admin_id}")
    assert own.status_code == 200 and 'href="/account#current_password"' in own.text
    assert 'value="reset_password"' not in own.text
    other = await client.get(f"/admin/people/{people.staff['teacher'].id}")
    assert 'value="reset_password"' in other.text
    assert 'href="/account#current_password"' not in other.text
    answer = await client.post(
        f"/admin/people/{admin_id}", data={"csrf_token": csrf, "action": "reset_password"}
    )
    assert answer.status_code == 422
    assert (await client.get("/account")).status_code == 200


async def test_the_login_form_needs_its_token(client: httpx.AsyncClient, people) -> None:
    credentials = {"login": "teacher", "password": "demo"}
    missing = await client.post("/login", data=credentials)
    assert missing.status_code == 403
    assert "eschool_session" not in client.cookies
    # a token of another browser's form (an attacker's) does not fit this browser's cookie
    async with httpx.AsyncClient(
        transport=client._transport, base_url="http://testserver"
    ) as other:
        foreign = login_form_token((await other.get("/login")).text)
    await client.get("/login")
    forged = await client.post("/login", data={**credentials, "csrf_token": foreign})
    assert forged.status_code == 403
    assert "eschool_session" not in client.cookies
    page = await client.get("/login")
    cookie = page.headers.get("set-cookie", "")
    assert cookie == "" or "path=/login" in cookie.lower()  # the nonce is kept from before
    signed_in = await client.post(
        "/login", data={**credentials, "csrf_token": login_form_token(page.text)}
    )
    assert signed_in.status_code == 303
