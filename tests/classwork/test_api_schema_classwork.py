"""Homework's answers conform to the models their endpoints declare (OpenAPI)."""

from __future__ import annotations

import re

import httpx
from starlette.applications import Starlette

from eschool.openapi import undocumented
from tests.api_conformance import assert_conforms
from tests.classwork.conftest import RIGHT_Q1, Gradebook, Library, due_in

MOMENT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
ASSIGNMENT_KEYS = {
    *("id", "lesson", "course_id", "slot_id", "due", "attempts", "auto_mark", "late"),
    *("work_type", "status", "created_at"),
}


def test_every_homework_route_is_declared(app: Starlette) -> None:
    missing = undocumented(app.routes)
    assert [route for route in missing if "/assignments" in route or "/slots" in route] == []


async def test_homework_answers_conform(
    app: Starlette, client: httpx.AsyncClient, as_user, gradebook: Gradebook, library: Library
) -> None:
    teacher, pupil, parent = [await as_user(who) for who in ("teacher", "pupil", "parent")]

    async def call(method: str, url: str, headers: dict[str, str], **kwargs) -> dict:
        response = await client.request(method, url, headers=headers, **kwargs)
        assert response.status_code < 300, (method, url, response.text)
        assert_conforms(app, response)
        return response.json()

    slot = gradebook.past_slot(gradebook.math_7a)
    created = await call(
        "POST",
        "/api/v1/assignments",
        teacher,
        json={
            "lesson_id": library.lesson_id,
            "course_id": gradebook.math_7a,
            "slot_id": slot.id,
            "due": due_in(app, 3),
        },
    )
    assert set(created) == ASSIGNMENT_KEYS
    assert MOMENT.match(created["due"]) and MOMENT.match(created["created_at"])
    url = f"/api/v1/assignments/{created['id']}"

    staff_list = await call("GET", "/api/v1/assignments?status=open", teacher)
    assert set(staff_list["items"][0]) == ASSIGNMENT_KEYS | {"course", "counts", "can_edit"}
    assert set(staff_list["items"][0]["course"]) == {"id", "class", "subject", "scale"}
    pupil_id = gradebook.pupil("pupil").id
    await call("GET", f"/api/v1/assignments?pupil={pupil_id}&course=", teacher)
    for family in (pupil, parent):
        items = (await call("GET", "/api/v1/assignments", family))["items"]
        assert set(items[0]) == ASSIGNMENT_KEYS | {"course", "pupil_id", "progress"}
    assert (await client.get("/api/v1/assignments?status=late", headers=pupil)).status_code == 400

    for who in (teacher, parent):
        assert "pupils" in await call("GET", url, who)
    await call("PUT", f"{url}/answers", pupil, json={"block_id": "q1", "answers": RIGHT_Q1})
    mine = await call("GET", url, pupil)
    assert mine["access"] == "pupil" and mine["answers"] == {"q1": RIGHT_Q1}
    submitted = await call("POST", f"{url}/submit", pupil)
    assert submitted["max"] == 6 and isinstance(submitted["attempt"], int)

    results = await call("GET", f"{url}/results", teacher)
    line = next(p for p in results["pupils"] if p["pupil_id"] == pupil_id)
    scores = [None] * len(results["questions"])
    regraded = await call(
        "PATCH", f"{url}/results/{pupil_id}", teacher, json={"question_scores": [0.5, *scores[1:]]}
    )
    assert regraded["regraded"] is True and set(regraded) == set(line)
    written = await call(
        "POST", f"{url}/marks", teacher, json={"marks": [{"pupil_id": pupil_id, "value": 5}]}
    )
    assert written == {"marks": [{"pupil_id": pupil_id, "value": "5"}]}
    changed = await call("PATCH", url, teacher, json={"attempts": 2})
    assert changed["attempts"] == 2
    topic = await call("PATCH", f"/api/v1/slots/{slot.id}", teacher, json={"topic": "Дроби"})
    assert topic["topic"] == "Дроби" and topic["id"] == slot.id

    # The pages embed the same answers as JSON.
    for who in (teacher, pupil, parent):
        for page in (f"/assignments/{created['id']}", "/assignments"):
            shown = await client.get(page, headers=who)
            assert shown.status_code == 200 and "Дроби" in shown.text, (page, shown.text[:300])
