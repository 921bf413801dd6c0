"""Observation rubrics: validation of the wire model, who may read and write them (admins
write, teachers read, another school sees nothing), starting a lesson with one, the admin's
pages, and a deleted rubric kept in the feedback of a lesson that used it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from eschool.models import Role, UserCreate
from eschool.services import api_token_create, school_create, user_create
from live.seed import seed_demo
from tests.gradebook import conftest as gradebook_fixtures

as_user = gradebook_fixtures.as_user  # tokens made directly: no password hashing per login


def rubric(title: str = "Open lesson observation", criteria: int = 2) -> dict[str, Any]:
    return {
        "title": title,
        "criteria": [
            {"id": f"c{n}", "title": f"Criterion {n}", "levels": ["weak", "fair", "good", "great"]}
            for n in range(criteria)
        ],
    }


LESSON = {
    "title": "Дроби",
    "subject": "Mathematics",
    "grades": [7],
    "blocks": [{"kind": "text", "text": "Дробь показывает часть целого."}],
}


@pytest.fixture
async def stranger(app, people) -> dict[str, str]:
    """Bearer headers of the admin of a second school."""
    async with app.state.sessionmaker() as session:
        school = await school_create(session, name="Лицей № 2", slug="lyceum-2")
        user, _password = await user_create(
            session,
            actor=None,
            school_id=school.id,
            data=UserCreate(
                login="admin2", name="Чужой Админ", role=Role.admin, password="pw-22222"
            ),
        )
        token = await api_token_create(session, user=user, label="rubric tests")
    return {"Authorization": f"Bearer {token}"}


async def test_rubric_validation_and_who_may_write(
    client: httpx.AsyncClient, as_user, stranger
) -> None:
    admin, teacher, pupil = [await as_user(login) for login in ("admin", "teacher", "pupil")]
    bad_bodies = [
        {**rubric(), "title": " "},
        {**rubric(), "title": "x" * 201},
        rubric(criteria=0),
        rubric(criteria=21),
        {"title": "t", "criteria": [{"id": "aim", "title": "Aim", "levels": ["only one"]}]},
        {"title": "t", "criteria": [{"id": "aim", "title": "Aim", "levels": ["l"] * 11}]},
        {"title": "t", "criteria": [{"id": "Aim!", "title": "Aim", "levels": ["a", "b"]}]},
        {"title": "t", "criteria": [{"id": "aim", "title": "", "levels": ["a", "b"]}]},
        {"title": "t", "criteria": [{"id": "aim", "title": "Aim", "levels": ["a", " "]}]},
        {"title": "t", "criteria": [{"id": "aim", "title": "A", "levels": ["a", "b"]}] * 2},
        {"title": "t"},
        ["not", "an", "object"],
    ]
    for body in bad_bodies:
        response = await client.post("/api/v1/rubrics", json=body, headers=admin)
        assert response.status_code in (400, 422), body
        assert response.json()["error"]["code"]
    assert (await client.post("/api/v1/rubrics", json=rubric())).status_code == 401
    for headers in (teacher, pupil):
        assert (
            await client.post("/api/v1/rubrics", json=rubric(), headers=headers)
        ).status_code == 403
    assert (await client.get("/api/v1/rubrics", headers=pupil)).status_code == 403

    created = await client.post("/api/v1/rubrics", json=rubric(criteria=20), headers=admin)
    assert created.status_code == 201, created.text
    body = created.json()
    path = f"/api/v1/rubrics/{body['id']}"
    assert len(body["criteria"]) == 20 and body["criteria"][0]["levels"][0] == "weak"
    listed = (await client.get("/api/v1/rubrics", headers=teacher)).json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == body["id"]
    assert (await client.get(path, headers=teacher)).json()["title"] == body["title"]

    changed = {
        "title": "Наблюдение",
        "criteria": [{"id": "aim", "title": "Цель", "levels": ["нет", "да"]}],
    }
    assert (await client.put(path, json=changed, headers=teacher)).status_code == 403
    updated = await client.put(path, json=changed, headers=admin)
    assert updated.status_code == 200 and updated.json()["criteria"][0]["title"] == "Цель"
    assert (await client.put(path, json={"title": "x"}, headers=admin)).status_code == 422
    assert (await client.get(path, headers=admin)).json()["title"] == "Наблюдение"

    # Another school's admin sees nothing of it.
    for method in ("GET", "PUT", "DELETE"):
        response = await client.request(method, path, json=changed, headers=stranger)
        assert response.status_code == 404, method
    assert (await client.get("/api/v1/rubrics", headers=stranger)).json()["total"] == 0
    assert (await client.delete(path, headers=teacher)).status_code == 403
    assert (await client.get("/api/v1/rubrics/999999", headers=admin)).status_code == 404


async def test_a_lesson_keeps_the_rubric_it_started_with(
    client: httpx.AsyncClient, as_user, stranger
) -> None:
    admin, teacher = await as_user("admin"), await as_user("teacher")
    mine = (await client.post("/api/v1/rubrics", json=rubric(), headers=admin)).json()
    theirs = (await client.post("/api/v1/rubrics", json=rubric(), headers=stranger)).json()
    lesson = (await client.post("/api/v1/lessons", json=LESSON, headers=teacher)).json()
    await client.post(f"/api/v1/lessons/{lesson['id']}/publish", headers=teacher)
    start = {"lesson_id": lesson["id"]}
    for rubric_id, status in ((theirs["id"], 404), (999999, 404), ("x", 422), (0, 422)):
        response = await client.post(
            "/api/v1/live", json={**start, "rubric_id": rubric_id}, headers=teacher
        )
        assert response.status_code == status, (rubric_id, response.text)
    started = await client.post(
        "/api/v1/live", json={**start, "rubric_id": mine["id"]}, headers=teacher
    )
    assert started.status_code == 201, started.text
    code = started.json()["code"]
    page = await client.get("/live", headers=teacher)
    assert 'name="rubric_id"' in page.text and mine["title"] in page.text
    form = {"lesson_id": str(lesson["id"]), "rubric_id": str(mine["id"])}
    assert (await client.post("/live", data=form, headers=teacher)).status_code == 303

    assert (await client.delete(f"/api/v1/rubrics/{mine['id']}", headers=admin)).status_code == 204
    assert (await client.get(f"/api/v1/rubrics/{mine['id']}", headers=admin)).status_code == 404
    assert (await client.get("/api/v1/rubrics", headers=admin)).json()["total"] == 0
    archived = await client.post(
        "/api/v1/live", json={**start, "rubric_id": mine["id"]}, headers=teacher
    )
    assert archived.status_code == 404

    feedback = await client.get(f"/api/v1/live/{code}/feedback", headers=teacher)
    assert feedback.status_code == 200, feedback.text
    body = feedback.json()
    assert body["rubric"]["title"] == mine["title"]
    assert [score["criterion"] for score in body["scores"]] == ["c0", "c1"]
    assert all(score["average"] is None for score in body["scores"]) and body["notes"] == []
    assert (await client.get(f"/api/v1/live/{code}/feedback", headers=stranger)).status_code == 404
    pupil = await as_user("pupil")
    assert (await client.get(f"/api/v1/live/{code}/feedback", headers=pupil)).status_code == 403


async def test_admin_pages_and_the_demo_rubrics(
    client: httpx.AsyncClient, as_user, people, app
) -> None:
    admin = await as_user("admin")
    async with app.state.sessionmaker() as session:
        for _twice in range(2):  # idempotent
            await seed_demo(session, people=people, today=None, settings=app.state.settings)  # type: ignore[arg-type]
    listed = (await client.get("/api/v1/rubrics", headers=admin)).json()
    titles = sorted(item["title"] for item in listed["items"])
    assert titles == ["Open lesson observation", "Открытый урок: наблюдение"]
    assert all(len(item["criteria"]) == 6 for item in listed["items"])
    assert all(len(c["levels"]) == 4 for item in listed["items"] for c in item["criteria"])

    page = await client.get("/admin/rubrics", headers=admin)
    assert page.status_code == 200 and "Открытый урок: наблюдение" in page.text
    assert (await client.get("/admin/rubrics", headers=await as_user("teacher"))).status_code == 403
    assert (await client.get("/admin/rubrics?new=1", headers=admin)).status_code == 200
    form = {"title": "Краткий", "c0_title": "Цель", "c0_levels": "нет\nда", "c1_title": ""}
    created = await client.post("/admin/rubrics", data=form, headers=admin)
    assert created.status_code == 303, created.text
    edit = created.headers["location"].split("?")[0]
    assert "Цель" in (await client.get(edit, headers=admin)).text
    refused = await client.post(
        edit, data={"title": "Краткий", "c0_title": "Цель", "c0_levels": "одна"}, headers=admin
    )
    assert refused.status_code == 422 and "одна" in refused.text
    deleted = await client.post(edit, data={"action": "delete"}, headers=admin)
    assert deleted.status_code == 303
    assert (await client.get(edit, headers=admin)).status_code == 404
