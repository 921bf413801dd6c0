"""Term marks, and how closing a term locks marks, attendance and term marks."""

from __future__ import annotations

import httpx

from tests.gradebook.conftest import Gradebook, close_term


async def _put_term_mark(client, headers, gradebook: Gradebook, pupil_id: int, value, **extra):
    return await client.put(
        "/api/v1/term-marks",
        json={
            "pupil_id": pupil_id,
            "course_id": gradebook.math_7a,
            "term_id": gradebook.term_id,
            "value": value,
            **extra,
        },
        headers=headers,
    )


async def test_teacher_sets_changes_and_clears_a_term_mark(
    client: httpx.AsyncClient, as_user, gradebook: Gradebook
) -> None:
    teacher = await as_user("teacher")
    pupil = gradebook.classmate()
    slot = gradebook.past_slot(gradebook.math_7a)
    await client.post(
        "/api/v1/marks",
        json={"pupil_id": pupil.id, "slot_id": slot.id, "value": 5, "work_type": "test"},
        headers=teacher,
    )
    response = await _put_term_mark(client, teacher, gradebook, pupil.id, 5)
    assert response.status_code == 200, response.text
    assert response.json()["value"] == "5" and response.json()["suggested"] == "5"
    await _put_term_mark(client, teacher, gradebook, pupil.id, "4")
    journal = (
        await client.get(f"/api/v1/courses/{gradebook.math_7a}/journal", headers=teacher)
    ).json()
    assert journal["term_marks"][str(pupil.id)] == "4"
    assert journal["suggested"][str(pupil.id)] == "5"
    out_of_scale = await _put_term_mark(client, teacher, gradebook, pupil.id, 9)
    assert out_of_scale.status_code == 422
    cleared = await _put_term_mark(client, teacher, gradebook, pupil.id, None)
    assert cleared.json()["value"] is None
    history = await client.get(
        "/api/v1/term-marks/history",
        params={"pupil_id": pupil.id, "course_id": gradebook.math_7a, "term_id": gradebook.term_id},
        headers=teacher,
    )
    assert [(e["action"], e["old"], e["new"]) for e in history.json()] == [
        ("create", None, "5"),
        ("change", "5", "4"),
        ("delete", "4", None),
    ]


async def test_closed_term_locks_teachers_and_needs_the_admins_reason(
    app, client: httpx.AsyncClient, as_user, gradebook: Gradebook
) -> None:
    teacher, admin = await as_user("teacher"), await as_user("admin")
    pupil = gradebook.classmate()
    slot = gradebook.past_slot(gradebook.math_7a)
    mark = (
        await client.post(
            "/api/v1/marks",
            json={"pupil_id": pupil.id, "slot_id": slot.id, "value": 4},
            headers=teacher,
        )
    ).json()
    await _put_term_mark(client, teacher, gradebook, pupil.id, 4)
    closed = await client.patch(
        f"/api/v1/terms/{gradebook.term_id}", json={"closed": True}, headers=admin
    )
    assert closed.status_code == 200

    new_mark = {"pupil_id": pupil.id, "slot_id": slot.id, "value": 5}
    attendance = {"pupil_id": pupil.id, "slot_id": slot.id, "status": "absent"}
    refusals = [
        await client.post("/api/v1/marks", json=new_mark, headers=teacher),
        await client.patch(f"/api/v1/marks/{mark['id']}", json={"value": 5}, headers=teacher),
        await client.delete(f"/api/v1/marks/{mark['id']}", params={"reason": "x"}, headers=teacher),
        await client.put("/api/v1/attendance", json=attendance, headers=teacher),
        await _put_term_mark(client, teacher, gradebook, pupil.id, 5),
    ]
    assert [r.status_code for r in refusals] == [403] * 5
    assert {r.json()["error"]["code"] for r in refusals} == {"term_closed"}

    without_reason = [
        await client.post("/api/v1/marks", json=new_mark, headers=admin),
        await client.patch(f"/api/v1/marks/{mark['id']}", json={"value": 5}, headers=admin),
        await client.delete(f"/api/v1/marks/{mark['id']}", headers=admin),
        await client.put("/api/v1/attendance", json=attendance, headers=admin),
        await _put_term_mark(client, admin, gradebook, pupil.id, 5, reason="   "),
    ]
    assert [r.status_code for r in without_reason] == [422] * 5
    assert {r.json()["error"]["code"] for r in without_reason} == {"reason_required"}
    journal = (
        await client.get(f"/api/v1/courses/{gradebook.math_7a}/journal", headers=admin)
    ).json()
    assert [m["value"] for m in journal["marks"]] == ["4"]
    assert journal["attendance"] == [] and journal["term_marks"][str(pupil.id)] == "4"
    assert journal["term"]["closed"] is True

    reason = "решение педсовета"
    changed = await client.patch(
        f"/api/v1/marks/{mark['id']}", json={"value": 5, "reason": reason}, headers=admin
    )
    assert changed.status_code == 200 and changed.json()["value"] == "5"
    taken = await client.put(
        "/api/v1/attendance", json={**attendance, "reason": reason}, headers=admin
    )
    assert taken.status_code == 200
    term_mark = await _put_term_mark(client, admin, gradebook, pupil.id, 5, reason=reason)
    assert term_mark.status_code == 200 and term_mark.json()["value"] == "5"
    history = (await client.get(f"/api/v1/marks/{mark['id']}/history", headers=teacher)).json()
    assert (
        history[-1]["reason"] == reason and history[-1]["by"]["name"] == "Ольга Сергеевна Миронова"
    )

    # Reopened, the teacher may write again without a reason.
    await close_term(app, gradebook.term_id, closed=False)
    again = await client.post("/api/v1/marks", json=new_mark, headers=teacher)
    assert again.status_code == 201
