"""A school made by `eschool school add` (its service) lives apart from the demo school:
its admin sees none of the demo's people, classes, courses, lessons or journal."""

from __future__ import annotations

import httpx
from starlette.applications import Starlette

from eschool.schools import school_add
from eschool.seed import DemoPeople
from tests.gradebook.conftest import Gradebook


async def test_a_new_schools_admin_sees_nothing_of_the_demo_school(
    app: Starlette, client: httpx.AsyncClient, gradebook: Gradebook, people: DemoPeople, as_user
) -> None:
    teacher = await as_user("teacher")
    lesson = await client.post(
        "/api/v1/lessons",
        json={
            "title": "Линейные уравнения",
            "subject": "Математика",
            "grades": [7],
            "tags": [],
            "summary": "",
            "blocks": [{"kind": "text", "text": "Решаем уравнения."}],
        },
        headers=teacher,
    )
    assert lesson.status_code == 201, lesson.text
    lesson_id = lesson.json()["id"]
    assert (
        await client.post(f"/api/v1/lessons/{lesson_id}/publish", headers=teacher)
    ).status_code == 200

    async with app.state.sessionmaker() as session:
        added = await school_add(session, name="Лицей № 2", admin_login="lyceum2.admin")
    signed_in = await client.post(
        "/api/v1/auth/token", json={"login": "lyceum2.admin", "password": added.password}
    )
    assert signed_in.status_code == 200, signed_in.text
    assert signed_in.json()["user"]["role"] == "admin"
    headers = {"Authorization": f"Bearer {signed_in.json()['token']}"}

    users = (await client.get("/api/v1/users", headers=headers)).json()
    assert [u["login"] for u in users["items"]] == ["lyceum2.admin"]
    for listing in ("classes", "courses", "subjects", "terms", "holidays", "lessons"):
        response = await client.get(f"/api/v1/{listing}", headers=headers)
        assert response.status_code == 200 and response.json()["total"] == 0, listing
    pupil = gradebook.pupil("pupil")
    slot = gradebook.past_slot(gradebook.math_7a)
    for path in (
        f"/api/v1/courses/{gradebook.math_7a}/journal",
        f"/api/v1/diary/{pupil.id}",
        f"/api/v1/slots/{slot.id}",
        f"/api/v1/users/{pupil.id}",
        f"/api/v1/lessons/{lesson_id}",
    ):
        response = await client.get(path, headers=headers)
        assert response.status_code == 404, path
        assert pupil.name not in response.text
    # Nor can it write into the demo's timetable or slots.
    assert (
        await client.post(
            "/api/v1/slots/generate", json={"term_id": gradebook.term_id}, headers=headers
        )
    ).status_code == 404
    assert (
        await client.put(
            f"/api/v1/classes/{people.classes['7A'].id}/timetable",
            json={"entries": [{"weekday": 0, "period": 1, "course_id": gradebook.math_7a}]},
            headers=headers,
        )
    ).status_code == 404
    bells = (await client.get("/api/v1/bell-times", headers=headers)).json()
    assert bells["default"] is True
