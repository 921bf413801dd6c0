"""The assignment lifecycle through the JSON API, for every role."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import httpx
from starlette.applications import Starlette

from tests.classwork.conftest import RIGHT_Q1, RIGHT_Q2, Gradebook, Library, due_in, set_scale


async def _assign(client: httpx.AsyncClient, headers: dict, **fields) -> dict:
    response = await client.post("/api/v1/assignments", json=fields, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def test_the_whole_loop_on_a_hundred_point_course(
    app: Starlette, client: httpx.AsyncClient, as_user, gradebook: Gradebook, library: Library
) -> None:
    await set_scale(app, gradebook.math_7a, "hundred")
    teacher, pupil, parent = (
        await as_user("teacher"),
        await as_user("pupil"),
        await as_user("parent"),
    )
    created = await _assign(
        client,
        teacher,
        lesson_id=library.lesson_id,
        course_id=gradebook.math_7a,
        due=due_in(app, 3),
    )
    assert created["lesson"] == {
        "id": library.lesson_id,
        "version": library.version,
        "title": "Дроби",
    }
    assert created["status"] == "open" and created["attempts"] == 1
    # A due date means the end of that day at school.
    end_of_day = datetime.combine(
        date.fromisoformat(due_in(app, 3)), time(23, 59), ZoneInfo(app.state.settings.timezone)
    )
    assert created["due"] == end_of_day.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    aid = created["id"]

    seen = (await client.get(f"/api/v1/assignments/{aid}", headers=pupil)).json()
    quiz = [b for b in seen["blocks"] if b["kind"] == "quiz"]
    assert quiz and all("answer" not in q for b in quiz for q in b["questions"])
    assert seen["progress"]["state"] == "not_started"

    saved = await client.put(
        f"/api/v1/assignments/{aid}/answers",
        json={"block_id": "q1", "answers": RIGHT_Q1},
        headers=pupil,
    )
    assert saved.status_code == 200 and saved.json()["saved_at"]
    again = (await client.get(f"/api/v1/assignments/{aid}", headers=pupil)).json()
    assert again["answers"] == {"q1": RIGHT_Q1}
    assert again["progress"]["state"] == "in_progress"

    wrong = await client.put(
        f"/api/v1/assignments/{aid}/answers",
        json={"block_id": "q2", "answers": [0.75, [1, 2]]},
        headers=pupil,
    )
    assert wrong.status_code == 422 and "Question 2" in wrong.json()["error"]["message"]

    # Half the second quiz right: five of six points.
    await client.put(
        f"/api/v1/assignments/{aid}/answers",
        json={"block_id": "q2", "answers": [RIGHT_Q2[0], [0, 1, 2], RIGHT_Q2[2]]},
        headers=pupil,
    )
    submitted = await client.post(f"/api/v1/assignments/{aid}/submit", headers=pupil)
    assert submitted.status_code == 200, submitted.text
    body = submitted.json()
    assert body["attempt"] == 1 and body["max"] == 6 and body["mark"] is None
    assert 4 < body["score"] < 6

    twice = await client.post(f"/api/v1/assignments/{aid}/submit", headers=pupil)
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "no_attempts_left"

    results = (await client.get(f"/api/v1/assignments/{aid}/results", headers=teacher)).json()
    mine = next(p for p in results["pupils"] if p["state"] == "submitted")
    expected = str(round(body["score"] / 6 * 100))
    assert mine["proposed_mark"] == expected
    written = await client.post(
        f"/api/v1/assignments/{aid}/marks",
        json={"marks": [{"pupil_id": mine["pupil_id"], "value": mine["proposed_mark"]}]},
        headers=teacher,
    )
    assert written.status_code == 200, written.text

    listed = (await client.get("/api/v1/assignments", headers=parent)).json()
    item = next(i for i in listed["items"] if i["id"] == aid)
    assert item["progress"] == {**item["progress"], "state": "marked", "mark": expected}

    journal = (
        await client.get(f"/api/v1/courses/{gradebook.math_7a}/journal", headers=teacher)
    ).json()
    assert any(
        m["pupil_id"] == mine["pupil_id"] and m["value"] == expected for m in journal["marks"]
    )


async def test_a_pupil_of_another_class_gets_404(
    app: Starlette, client: httpx.AsyncClient, as_user, gradebook: Gradebook, library: Library
) -> None:
    created = await _assign(
        client,
        await as_user("teacher"),
        lesson_id=library.lesson_id,
        course_id=gradebook.math_7a,
        due=due_in(app, 2),
    )
    other = await as_user("pupil2")
    assert (
        await client.get(f"/api/v1/assignments/{created['id']}", headers=other)
    ).status_code == 404
    listed = (await client.get("/api/v1/assignments", headers=other)).json()
    assert listed["total"] == 0
