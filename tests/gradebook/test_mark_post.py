"""A new mark's answer (POST /marks): the pupil's term result as the journal shows it, with the
school's own work types, threshold and term mark; refusals change nothing."""

from __future__ import annotations

import httpx

from tests.gradebook.conftest import Gradebook


async def _post(client: httpx.AsyncClient, headers: dict, **body: object) -> httpx.Response:
    return await client.post("/api/v1/marks", json=body, headers=headers)


async def _journal_result(
    client: httpx.AsyncClient, headers: dict, course_id: int, pupil_id: int
) -> tuple[float | None, str | None, str | None, int]:
    response = await client.get(f"/api/v1/courses/{course_id}/journal", headers=headers)
    assert response.status_code == 200, response.text
    journal = response.json()
    key = str(pupil_id)
    marks = [m for m in journal["marks"] if m["pupil_id"] == pupil_id]
    return (
        journal["averages"][key],
        journal["suggested"][key],
        journal["term_marks"][key],
        len(marks),
    )


async def test_each_answer_is_the_journals_term_result(
    client: httpx.AsyncClient, as_user, gradebook: Gradebook
) -> None:
    teacher, admin = await as_user("teacher"), await as_user("admin")
    pupil = gradebook.classmate()
    slot = gradebook.past_slot(gradebook.math_7a)
    added = await client.put(
        "/api/v1/work-types",
        json={"code": "project", "name": "Project", "weight": 2.5},
        headers=admin,
    )
    assert added.status_code == 200, added.text
    settings = await client.patch(
        "/api/v1/gradebook/settings", json={"rounding_threshold": 0.8}, headers=admin
    )
    assert settings.status_code == 200, settings.text
    # A mark of another course (Russian in 7A) is not in Mathematics' result.
    other = gradebook.past_slot(gradebook.russian_7a)
    assert (
        await _post(
            client, await as_user("teacher2"), pupil_id=pupil.id, slot_id=other.id, value="2"
        )
    ).status_code == 201

    first = await _post(client, teacher, pupil_id=pupil.id, slot_id=slot.id, value="5")
    assert first.status_code == 201, first.text
    deleted = await client.delete(f"/api/v1/marks/{first.json()['id']}", headers=teacher)
    assert deleted.status_code == 200 and deleted.json()["average"] is None
    given = await client.put(
        "/api/v1/term-marks",
        json={
            "pupil_id": pupil.id,
            "course_id": gradebook.math_7a,
            "term_id": gradebook.term_id,
            "value": "4",
        },
        headers=teacher,
    )
    assert given.status_code == 200, given.text
    for value, work_type in (("4", "classwork"), ("3", "project"), ("5", "classwork")):
        answer = await _post(
            client, teacher, pupil_id=pupil.id, slot_id=slot.id, value=value, work_type=work_type
        )
        assert answer.status_code == 201, answer.text
        body = answer.json()
        average, suggested, term_mark, count = await _journal_result(
            client, teacher, gradebook.math_7a, pupil.id
        )
        assert (body["average"], body["suggested"], body["term_mark"]) == (
            average,
            suggested,
            term_mark,
        )
        assert body["weight"] == (2.5 if work_type == "project" else 1)
    # (4·1 + 3·2.5 + 5·1) / 4.5 = 3.666… → 3.67; below 3.8 the suggestion stays 3.
    assert (body["average"], body["suggested"], body["term_mark"], count) == (3.67, "3", "4", 3)


async def test_a_refused_mark_stores_nothing(
    client: httpx.AsyncClient, as_user, gradebook: Gradebook
) -> None:
    teacher = await as_user("teacher")
    pupil = gradebook.classmate()
    slot = gradebook.past_slot(gradebook.math_7a)
    before = await _journal_result(client, teacher, gradebook.math_7a, pupil.id)
    refusals = [
        ({"value": "5", "work_type": "nonsense"}, 422, "unknown_work_type"),
        ({"value": "9"}, 422, "out_of_scale"),
        ({"value": "5", "slot_id": gradebook.past_slot(gradebook.russian_7a).id}, 403, None),
        ({"value": "5", "pupil_id": gradebook.pupils_7b[0].id}, 422, "not_in_class"),
        ({"value": "5", "slot_id": 10**9}, 404, None),
    ]
    for extra, status, code in refusals:
        body = {"pupil_id": pupil.id, "slot_id": slot.id, **extra}
        response = await client.post("/api/v1/marks", json=body, headers=teacher)
        assert response.status_code == status, (extra, response.text)
        if code is not None:
            assert response.json()["error"]["code"] == code
    assert await _journal_result(client, teacher, gradebook.math_7a, pupil.id) == before
