"""People, classes, enrolment and guardians through the API, with every refusal."""

from __future__ import annotations

import httpx
import pytest

ADMIN_ONLY = [
    ("POST", "/api/v1/users", {"login": "x.y", "name": "X Y", "role": "pupil"}),
    ("POST", "/api/v1/classes", {"name": "8C"}),
    ("POST", "/api/v1/guardians", {"parent_id": 1, "child_id": 2}),
    ("POST", "/api/v1/users/1/password", {"password": "something-long"}),
    ("PATCH", "/api/v1/terms/1", {"closed": True}),
]


@pytest.mark.parametrize("login", ["teacher", "pupil", "parent"])
@pytest.mark.parametrize(("method", "path", "body"), ADMIN_ONLY)
async def test_admin_endpoints_refuse_other_roles(
    client: httpx.AsyncClient, as_user, login: str, method: str, path: str, body: dict
) -> None:
    response = await client.request(method, path, json=body, headers=await as_user(login))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


async def _id_of(client: httpx.AsyncClient, headers: dict, login: str) -> int:
    listing = await client.get(
        "/api/v1/users", params={"q": login, "per_page": 200}, headers=headers
    )
    return next(u["id"] for u in listing.json()["items"] if u["login"] == login)


async def test_parent_cannot_read_another_family(
    client: httpx.AsyncClient, as_user, people
) -> None:
    admin = await as_user("admin")
    parent = await as_user("parent")
    other_pupil = (
        people.pupils["7A"][5]
        if people.pupils["7A"][5].login != "pupil"
        else people.pupils["7A"][6]
    )
    response = await client.get(f"/api/v1/users/{other_pupil.id}", headers=parent)
    assert response.status_code == 404
    assert other_pupil.name not in response.text
    own = await _id_of(client, admin, "pupil")
    assert (await client.get(f"/api/v1/users/{own}", headers=parent)).status_code == 200
    listing = (await client.get("/api/v1/users", headers=parent)).json()
    assert {u["login"] for u in listing["items"]} == {"parent", "pupil"}


async def test_pupil_sees_only_themselves(client: httpx.AsyncClient, as_user, people) -> None:
    pupil = await as_user("pupil")
    classmate = next(p for p in people.pupils["7A"] if p.login != "pupil")
    assert (await client.get(f"/api/v1/users/{classmate.id}", headers=pupil)).status_code == 404
    listing = (await client.get("/api/v1/users", headers=pupil)).json()
    assert [u["login"] for u in listing["items"]] == ["pupil"]
    pupils_7a = await client.get(f"/api/v1/classes/{people.classes['7A'].id}/pupils", headers=pupil)
    assert [u["login"] for u in pupils_7a.json()["items"]] == ["pupil"]
    other_class = await client.get(
        f"/api/v1/classes/{people.classes['7B'].id}/pupils", headers=pupil
    )
    assert other_class.status_code == 404


async def test_teacher_sees_pupils_of_classes_taught(
    client: httpx.AsyncClient, as_user, people
) -> None:
    teacher = await as_user("teacher")  # form tutor of 7A
    response = await client.get(
        f"/api/v1/classes/{people.classes['7A'].id}/pupils", headers=teacher
    )
    assert response.status_code == 200
    assert response.json()["total"] == len(people.pupils["7A"])
    pupils = (
        await client.get(
            "/api/v1/users", params={"role": "pupil", "per_page": 200}, headers=teacher
        )
    ).json()
    logins = {u["login"] for u in pupils["items"]}
    assert "pupil" in logins
    # biology teaches nothing yet: sees no pupil at all
    biology = await as_user("biology")
    none = (await client.get("/api/v1/users", params={"role": "pupil"}, headers=biology)).json()
    assert none["total"] == 0


async def test_admin_adds_person_with_generated_password(
    client: httpx.AsyncClient, as_user, people
) -> None:
    admin = await as_user("admin")
    response = await client.post(
        "/api/v1/users",
        json={
            "login": "k.novikova",
            "name": "  Ксения   Новикова ",
            "role": "pupil",
            "class": "7b",
        },
        headers=admin,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["name"] == "Ксения Новикова"
    password = body["password"]
    signed_in = await client.post(
        "/api/v1/auth/token", json={"login": "k.novikova", "password": password}
    )
    assert signed_in.status_code == 200
    pupils = await client.get(f"/api/v1/classes/{people.classes['7B'].id}/pupils", headers=admin)
    assert "k.novikova" in {u["login"] for u in pupils.json()["items"]}


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"login": "teacher", "name": "Dup", "role": "teacher"}, 409, "login_taken"),
        ({"login": "Bad Login!", "name": "X", "role": "teacher"}, 422, "invalid"),
        ({"login": "okay", "name": "X", "role": "wizard"}, 422, "invalid"),
        ({"login": "okay", "name": "   ", "role": "teacher"}, 422, "invalid"),
        ({"login": "okay", "name": "X", "role": "pupil", "class": "9Z"}, 422, "invalid"),
        ({"login": "okay", "name": "X", "role": "teacher", "class": "7A"}, 422, "invalid"),
        ({"login": "okay", "name": "X", "role": "teacher", "password": "short"}, 422, "invalid"),
        ({"login": "okay", "name": "X", "role": "teacher", "extra": 1}, 201, None),
    ],
)
async def test_add_person_refusals_store_nothing(
    client: httpx.AsyncClient, as_user, people, body: dict, status: int, code: str | None
) -> None:
    admin = await as_user("admin")
    before = (await client.get("/api/v1/users", headers=admin)).json()["total"]
    response = await client.post("/api/v1/users", json=body, headers=admin)
    assert response.status_code == status, response.text
    after = (await client.get("/api/v1/users", headers=admin)).json()["total"]
    if code:
        assert response.json()["error"]["code"] == code
        assert after == before
    else:
        assert after == before + 1


async def test_deactivated_person_cannot_sign_in(
    client: httpx.AsyncClient, as_user, people
) -> None:
    admin = await as_user("admin")
    old_token = await as_user("pupil2")
    pupil2 = await _id_of(client, admin, "pupil2")
    response = await client.patch(f"/api/v1/users/{pupil2}", json={"active": False}, headers=admin)
    assert response.status_code == 200
    assert response.json()["active"] is False
    assert (await client.get("/api/v1/me", headers=old_token)).status_code == 401
    refused = await client.post("/api/v1/auth/token", json={"login": "pupil2", "password": "demo"})
    assert refused.status_code == 401


async def test_person_cannot_rename_themselves(client: httpx.AsyncClient, as_user, people) -> None:
    pupil = await as_user("pupil")
    me = (await client.get("/api/v1/me", headers=pupil)).json()
    response = await client.patch(f"/api/v1/users/{me['id']}", json={"name": "Boss"}, headers=pupil)
    assert response.status_code == 403
    ok = await client.patch(f"/api/v1/users/{me['id']}", json={"lang": "ru"}, headers=pupil)
    assert ok.status_code == 200


async def test_classes_enrolment_and_guardians(client: httpx.AsyncClient, as_user, people) -> None:
    admin = await as_user("admin")
    created = await client.post("/api/v1/classes", json={"name": "8v"}, headers=admin)
    assert created.status_code == 201
    assert created.json()["name"] == "8V"
    assert created.json()["grade"] == 8
    duplicate = await client.post("/api/v1/classes", json={"name": "8V"}, headers=admin)
    assert duplicate.status_code == 409
    wrong_grade = await client.post(
        "/api/v1/classes", json={"name": "9A", "grade": 5}, headers=admin
    )
    assert wrong_grade.status_code == 422
    class_id = created.json()["id"]
    pupil_id = await _id_of(client, admin, "pupil2")
    moved = await client.post(
        f"/api/v1/classes/{class_id}/pupils", json={"pupil_id": pupil_id}, headers=admin
    )
    assert moved.status_code == 201
    assert [u["login"] for u in moved.json()["items"]] == ["pupil2"]
    old = await client.get(f"/api/v1/classes/{people.classes['7B'].id}/pupils", headers=admin)
    assert "pupil2" not in {u["login"] for u in old.json()["items"]}
    teacher_id = await _id_of(client, admin, "teacher")
    not_pupil = await client.post(
        f"/api/v1/classes/{class_id}/pupils", json={"pupil_id": teacher_id}, headers=admin
    )
    assert not_pupil.status_code == 422

    parent_id = await _id_of(client, admin, "parent")
    link = await client.post(
        "/api/v1/guardians", json={"parent_id": parent_id, "child_id": pupil_id}, headers=admin
    )
    assert link.status_code == 201
    parent = await as_user("parent")
    children = (await client.get("/api/v1/me", headers=parent)).json()["children"]
    assert {c["login"] for c in children} == {"pupil", "pupil2"}
    unlink = await client.request(
        "DELETE",
        "/api/v1/guardians",
        json={"parent_id": parent_id, "child_id": pupil_id},
        headers=admin,
    )
    assert unlink.status_code == 204
    children = (await client.get("/api/v1/me", headers=parent)).json()["children"]
    assert {c["login"] for c in children} == {"pupil"}


async def test_terms_cover_today_and_can_be_closed(
    client: httpx.AsyncClient, as_user, people
) -> None:
    from datetime import date

    admin = await as_user("admin")
    terms = (await client.get("/api/v1/terms", headers=admin)).json()["items"]
    assert len(terms) == 4
    today = date.today().isoformat()
    assert any(t["start"] <= today <= t["end"] for t in terms)
    closed = await client.patch(
        f"/api/v1/terms/{terms[0]['id']}", json={"closed": True}, headers=admin
    )
    assert closed.json()["closed"] is True


async def test_lists_are_paginated(client: httpx.AsyncClient, as_user, people) -> None:
    admin = await as_user("admin")
    first = (await client.get("/api/v1/users", params={"per_page": 10}, headers=admin)).json()
    second = (
        await client.get("/api/v1/users", params={"per_page": 10, "page": 2}, headers=admin)
    ).json()
    assert len(first["items"]) == 10
    assert first["total"] == second["total"] > 100
    assert not {u["id"] for u in first["items"]} & {u["id"] for u in second["items"]}
    bad = await client.get("/api/v1/users", params={"page": "x"}, headers=admin)
    assert bad.status_code == 400
    huge = await client.get("/api/v1/users", params={"per_page": 100000}, headers=admin)
    assert huge.status_code == 400


async def test_admin_changes_tutor_and_deactivates_a_class(
    client: httpx.AsyncClient, as_user, people
) -> None:
    admin = await as_user("admin")
    class_id = people.classes["7B"].id
    biology = people.staff["biology"].id
    changed = await client.patch(
        f"/api/v1/classes/{class_id}", json={"form_tutor_id": biology}, headers=admin
    )
    assert changed.status_code == 200
    assert changed.json()["form_tutor_id"] == biology
    # the new tutor now sees the class's pupils
    tutor = await as_user("biology")
    pupils = await client.get(f"/api/v1/classes/{class_id}/pupils", headers=tutor)
    assert pupils.json()["total"] == len(people.pupils["7B"])
    not_teacher = await client.patch(
        f"/api/v1/classes/{class_id}",
        json={"form_tutor_id": people.pupils["7B"][0].id},
        headers=admin,
    )
    assert not_teacher.status_code == 422
    off = await client.patch(f"/api/v1/classes/{class_id}", json={"active": False}, headers=admin)
    assert off.json()["active"] is False
    refused = await client.patch(
        f"/api/v1/classes/{class_id}", json={"active": True}, headers=await as_user("teacher")
    )
    assert refused.status_code == 403
