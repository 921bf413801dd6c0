"""Error pages speak the reader's language, message included."""

from __future__ import annotations

import httpx


async def test_the_403_page_is_in_russian_for_a_russian_reader(
    client: httpx.AsyncClient, as_user
) -> None:
    headers = {**(await as_user("pupil")), "Accept": "text/html", "Accept-Language": "ru"}
    page = await client.get("/admin/people", headers=headers)
    assert page.status_code == 403
    assert "Эта страница не для вашей роли." in page.text
    assert "This page is not for your role." not in page.text
    api = await client.get("/api/v1/me", headers={"Accept-Language": "ru"})
    assert api.status_code == 401
    assert api.json()["error"]["message"] == "Войдите или передайте API-токен."
