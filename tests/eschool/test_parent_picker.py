"""The admin links a parent to a pupil by searching: by name or login (Cyrillic in any case),
each match with its login and children, so that namesakes are told apart."""

from __future__ import annotations

import re

import httpx

from eschool.queries import user_by_login


async def test_the_parent_picker_searches_and_tells_namesakes_apart(
    client: httpx.AsyncClient, as_user, people, sessionmaker
) -> None:
    admin = {**(await as_user("admin")), "Accept": "text/html", "Accept-Language": "en"}
    async with sessionmaker() as session:
        parent = await user_by_login(session, "parent")
        child = await user_by_login(session, "pupil")
        pupil2 = await user_by_login(session, "pupil2")
    assert parent is not None and child is not None and pupil2 is not None
    namesake = await client.post(
        "/api/v1/users",
        json={"login": "namesake", "name": parent.name, "role": "parent"},
        headers=await as_user("admin"),
    )
    assert namesake.status_code == 201, namesake.text

    page = await client.get(f"/admin/people/{pupil2.id}", headers=admin)
    assert page.status_code == 200
    assert 'name="parent_id"' not in page.text  # no list of every parent before a search
    surname = parent.name.split()[0].lower()  # typed in lower case
    found = await client.get(
        f"/admin/people/{pupil2.id}", params={"parent_q": surname}, headers=admin
    )
    assert found.status_code == 200
    rows = {
        login: row
        for row in re.findall(r"<tr>(.*?)</tr>", found.text, re.S)
        for login in re.findall(r"<td>([a-z0-9.]+)</td>", row)
    }
    assert {"parent", "namesake"} <= set(rows)
    assert child.name in rows["parent"] and "None linked" in rows["namesake"]
    assert f'name="parent_id" value="{namesake.json()["id"]}"' in rows["namesake"]

    linked = await client.post(
        f"/admin/people/{pupil2.id}",
        data={"action": "link_parent", "parent_id": str(namesake.json()["id"])},
        headers=admin,
    )
    assert linked.status_code == 303
    again = await client.get(
        f"/admin/people/{pupil2.id}", params={"parent_q": "namesake"}, headers=admin
    )
    assert "Linked</span>" in again.text


async def test_the_child_picker_searches_and_tells_namesakes_apart(
    client: httpx.AsyncClient, as_user, people, sessionmaker
) -> None:
    admin = {**(await as_user("admin")), "Accept": "text/html", "Accept-Language": "en"}
    async with sessionmaker() as session:
        parent = await user_by_login(session, "parent")
        child = await user_by_login(session, "pupil")
    assert parent is not None and child is not None
    namesake = await client.post(
        "/api/v1/users",
        json={"login": "namesake", "name": child.name, "role": "pupil"},
        headers=await as_user("admin"),
    )
    assert namesake.status_code == 201, namesake.text

    page = await client.get(f"/admin/people/{parent.id}", headers=admin)
    assert page.status_code == 200
    assert 'name="child_id"' not in page.text  # no list of every pupil before a search
    surname = child.name.split()[0].lower()  # typed in lower case
    found = await client.get(
        f"/admin/people/{parent.id}", params={"child_q": surname}, headers=admin
    )
    assert found.status_code == 200
    rows = {
        login: row
        for row in re.findall(r"<tr>(.*?)</tr>", found.text, re.S)
        for login in re.findall(r"<td>([a-z0-9.]+)</td>", row)
    }
    assert {"pupil", "namesake"} <= set(rows)
    assert "Linked</span>" in rows["pupil"] and "Not enrolled" in rows["namesake"]
    assert f'name="child_id" value="{namesake.json()["id"]}"' in rows["namesake"]

    linked = await client.post(
        f"/admin/people/{parent.id}",
        data={"action": "link_child", "child_id": str(namesake.json()["id"])},
        headers=admin,
    )
    assert linked.status_code == 303
    again = await client.get(
        f"/admin/people/{parent.id}", params={"child_q": "namesake"}, headers=admin
    )
    assert "Linked</span>" in again.text
