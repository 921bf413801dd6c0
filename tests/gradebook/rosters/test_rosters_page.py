"""The admin's roster page renders in English and Russian, carries its script and the
term picker of the export, and is refused to other roles."""

from __future__ import annotations

import httpx

from eschool.seed import DemoPeople
from tests.gradebook import conftest as gradebook_fixtures

as_user = gradebook_fixtures.as_user  # tokens made directly: no password hashing per login


async def test_the_rosters_page_is_the_admins(
    client: httpx.AsyncClient, as_user, people: DemoPeople
) -> None:
    admin = await as_user("admin")
    page = await client.get("/admin/rosters", headers=admin)
    assert page.status_code == 200
    assert "/static/js/gradebook/rosters.js" in page.text and "data-roster-form" in page.text
    assert 'href="/admin/setup"' in page.text  # the set-up steps
    assert page.text.count('name="term"') == 1 and "Quarter 1" in page.text
    russian = await client.get("/admin/rosters", headers=admin | {"Accept-Language": "ru"})
    assert "Списки: загрузка и выгрузка" in russian.text and "Ошибки" in russian.text
    for login in ("teacher", "pupil", "parent"):
        refused = await client.get("/admin/rosters", headers=await as_user(login))
        assert refused.status_code == 403, login
        upload = await client.post(
            "/api/v1/rosters/people",
            files={"file": ("p.csv", b"login,name,role\r\n", "text/csv")},
            headers=await as_user(login),
        )
        assert upload.status_code == 403, login
