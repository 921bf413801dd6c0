"""The rules of an assignment: who sees what, due times, attempts, shapes, regrading, marks
on a pass/fail course, auto-marking, and nothing half-written."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlmodel import col, select
from starlette.applications import Starlette

from eschool.models import Guardianship, User
from tests.classwork.conftest import (
    RIGHT_Q1,
    RIGHT_Q2,
    Gradebook,
    Library,
    due_in,
    set_scale,
)
from tests.gradebook.conftest import school_today


async def assign(client: httpx.AsyncClient, headers: dict, **fields) -> int:
    response = await client.post("/api/v1/assignments", json=fields, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def parent_of(app: Starlette, pupil_id: int) -> str:
    """The login of a pupil's (first) parent."""
    async with app.state.sessionmaker() as session:
        row = await session.exec(
            select(User.login)
            .join(Guardianship, col(Guardianship.parent_id) == User.id)
            .where(Guardianship.child_id == pupil_id)
        )
        return row.first()


async def answer_all(client: httpx.AsyncClient, aid: int, pupil: dict, q1=RIGHT_Q1, q2=RIGHT_Q2):
    for block, answers in (("q1", q1), ("q2", q2)):
        saved = await client.put(
            f"/api/v1/assignments/{aid}/answers",
            json={"block_id": block, "answers": answers},
            headers=pupil,
        )
        assert saved.status_code == 200, saved.text


async def test_setting_an_assignment_is_checked(
    app: Starlette, client: httpx.AsyncClient, as_user, gradebook: Gradebook, library: Library
) -> None:
    teacher, teacher2 = await as_user("teacher"), await as_user("teacher2")
    base = {"lesson_id": library.lesson_id, "course_id": gradebook.math_7a, "due": due_in(app, 2)}
    cases = [
        (teacher2, base, 404),  # not a course they may see as writer (Russian is theirs)
        (await as_user("pupil"), base, 403),
        (teacher, {**base, "due": due_in(app, -1)}, 422),
        (teacher, {**base, "lesson_id": 99999}, 404),
        (teacher, {**base, "attempts": 0}, 422),
        (teacher, {**base, "work_type": "nonsense"}, 422),
        (teacher, {**base, "slot_id": gradebook.past_slot(gradebook.math_7b).id}, 422),
        (teacher, {**base, "course_id": 10**12}, 422),
    ]
    for headers, body, status in cases:
        response = await client.post("/api/v1/assignments", json=body, headers=headers)
        assert response.status_code == status, (body, response.text)
    listed = await client.get("/api/v1/assignments", headers=teacher)
    assert listed.json()["total"] == 0


async def test_who_sees_what(
    app: Starlette, client: httpx.AsyncClient, as_user, gradebook: Gradebook, library: Library
) -> None:
    teacher = await as_user("teacher")
    aid = await assign(
        client,
        teacher,
        lesson_id=library.lesson_id,
        course_id=gradebook.math_7a,
        due=due_in(app, 2),
    )
    url = f"/api/v1/assignments/{aid}"
    staff = (await client.get(url, headers=teacher)).json()
    quiz = next(b for b in staff["blocks"] if b["kind"] == "quiz")
    assert quiz["questions"][0]["answer"] == 1
    assert len(staff["pupils"]) == len(gradebook.pupils_7a)

    parent = (await client.get(url, headers=await as_user("parent"))).json()
    assert [p["name"] for p in parent["pupils"]] == [gradebook.pupil("pupil").name]
    assert all(
        "answer" not in q for b in parent["blocks"] if b["kind"] == "quiz" for q in b["questions"]
    )

    other_parent = await parent_of(app, gradebook.pupil("pupil2").id)
    for outsider in ("pupil2", "teacher2", other_parent):
        assert (await client.get(url, headers=await as_user(outsider))).status_code == 404
    listed = await client.get("/api/v1/assignments", headers=await as_user(other_parent))
    assert listed.json()["total"] == 0
    # The form tutor of 7A (teacher) reads; teacher2 teaches 7A Russian but not this course.
    results = await client.get(f"{url}/results", headers=await as_user("teacher2"))
    assert results.status_code == 404
    pupil_results = await client.get(f"{url}/results", headers=await as_user("pupil"))
    assert pupil_results.status_code == 403
    # Only pupils do the work.
    by_parent = await client.put(
        f"{url}/answers",
        json={"block_id": "q1", "answers": RIGHT_Q1},
        headers=await as_user("parent"),
    )
    assert by_parent.status_code == 403


async def test_due_late_attempts_and_shapes(
    app: Starlette, client: httpx.AsyncClient, as_user, gradebook: Gradebook, library: Library
) -> None:
    teacher, pupil = await as_user("teacher"), await as_user("pupil")
    aid = await assign(
        client,
        teacher,
        lesson_id=library.lesson_id,
        course_id=gradebook.math_7a,
        due=due_in(app, 2),
        attempts=2,
    )
    url = f"/api/v1/assignments/{aid}"
    for block, answers, where in [
        ("q1", [7], "Question 1"),  # option out of range
        ("q1", [[1]], "Question 1"),  # a list for a single choice
        ("q1", [1, [1, 1]], "Question 2"),  # an option twice
        ("q2", [0.75, [1, 2]], "Question 2"),  # half an order
        ("q2", [0.75, [1, 2, 0], [[0, 0]]], "Question 3"),  # half a match
        ("q2", ["much"], "Question 1"),
        ("q2", [1, 2, 3, 4], None),  # more answers than questions
        ("intro", [], None),  # not a quiz
    ]:
        response = await client.put(
            f"{url}/answers", json={"block_id": block, "answers": answers}, headers=pupil
        )
        assert response.status_code == 422, (answers, response.text)
        if where:
            assert where in response.json()["error"]["message"]
    assert (await client.get(url, headers=pupil)).json()["answers"] == {}

    await answer_all(client, aid, pupil, q1=[0, [1], "Paris"])
    first = (await client.post(f"{url}/submit", headers=pupil)).json()
    assert first["attempt"] == 1 and first["attempts_left"] == 1
    assert 3 <= first["score"] < 6  # the second quiz right, the first mostly wrong
    detail = (await client.get(url, headers=pupil)).json()
    assert all(
        "answer" not in q for b in detail["blocks"] if b["kind"] == "quiz" for q in b["questions"]
    )

    # The teacher moves the due time into the past: no more work, unless late work is allowed.
    yesterday = (school_today(app) - timedelta(days=1)).isoformat()
    await client.patch(url, json={"due": yesterday}, headers=teacher)
    late = await client.put(
        f"{url}/answers", json={"block_id": "q1", "answers": RIGHT_Q1}, headers=pupil
    )
    assert (late.status_code, late.json()["error"]["code"]) == (409, "past_due")
    assert (await client.get(url, headers=pupil)).json()["status"] == "closed"
    await client.patch(url, json={"late": True}, headers=teacher)
    await answer_all(client, aid, pupil)
    second = (await client.post(f"{url}/submit", headers=pupil)).json()
    assert (second["attempt"], second["score"], second["share"]) == (2, 6.0, 1.0)
    finished = (await client.get(url, headers=pupil)).json()
    assert finished["attempts_left"] == 0
    keys = [q for b in finished["blocks"] if b["kind"] == "quiz" for q in b["questions"]]
    assert keys[0]["answer"] == 1  # no attempt left: the pupil may see what was right
    third = await client.post(f"{url}/submit", headers=pupil)
    assert (third.status_code, third.json()["error"]["code"]) == (409, "no_attempts_left")

    await client.patch(url, json={"closed": True}, headers=teacher)
    listed = (await client.get("/api/v1/assignments?status=closed", headers=pupil)).json()
    assert [item["id"] for item in listed["items"]] == [aid]
    assert (await client.get("/api/v1/assignments?status=open", headers=pupil)).json()["total"] == 0
    bad = await client.get("/api/v1/assignments?status=maybe", headers=pupil)
    assert bad.status_code == 400


async def test_regrade_and_marks_on_a_pass_fail_course_all_or_nothing(
    app: Starlette, client: httpx.AsyncClient, as_user, gradebook: Gradebook, library: Library
) -> None:
    await set_scale(app, gradebook.math_7a, "passfail")
    teacher, pupil = await as_user("teacher"), await as_user("pupil")
    me = gradebook.pupil("pupil")
    mate = gradebook.classmate()
    slot = gradebook.past_slot(gradebook.math_7a)
    aid = await assign(
        client,
        teacher,
        lesson_id=library.lesson_id,
        course_id=gradebook.math_7a,
        slot_id=slot.id,
        due=due_in(app, 2),
    )
    url = f"/api/v1/assignments/{aid}"
    await answer_all(client, aid, pupil, q1=[0, None, "Санкт-Петербург"], q2=[1.0, None, None])
    submitted = (await client.post(f"{url}/submit", headers=pupil)).json()
    assert submitted["score"] == 0

    results = (await client.get(f"{url}/results", headers=teacher)).json()
    assert results["scale"]["code"] == "passfail"
    assert [q["kind"] for q in results["questions"]] == [
        "single",
        "multiple",
        "text",
        "number",
        "order",
        "match",
    ]
    row = next(p for p in results["pupils"] if p["pupil_id"] == me.id)
    assert row["proposed_mark"] == "fail" and row["answers"][2] == "Санкт-Петербург"

    not_handed_in = await client.patch(
        f"{url}/results/{mate.id}", json={"question_scores": [1] * 6}, headers=teacher
    )
    assert not_handed_in.status_code == 409
    too_many = await client.patch(
        f"{url}/results/{me.id}",
        json={"question_scores": [None, None, 5, None, None, None]},
        headers=teacher,
    )
    assert too_many.status_code == 422
    regraded = await client.patch(
        f"{url}/results/{me.id}",
        json={"question_scores": [1, 1, 1, None, None, None]},
        headers=teacher,
    )
    assert regraded.status_code == 200, regraded.text
    assert (regraded.json()["score"], regraded.json()["proposed_mark"]) == (3.0, "pass")

    # A value off the scale for one pupil: nothing is written for anyone.
    refused = await client.post(
        f"{url}/marks",
        json={"marks": [{"pupil_id": me.id, "value": "pass"}, {"pupil_id": mate.id, "value": 5}]},
        headers=teacher,
    )
    assert refused.status_code == 422
    journal = (
        await client.get(f"/api/v1/courses/{gradebook.math_7a}/journal", headers=teacher)
    ).json()
    assert not [m for m in journal["marks"] if m["slot_id"] == slot.id]

    written = await client.post(
        f"{url}/marks", json={"marks": [{"pupil_id": me.id, "value": "pass"}]}, headers=teacher
    )
    assert written.status_code == 200, written.text
    again = await client.post(
        f"{url}/marks", json={"marks": [{"pupil_id": me.id, "value": "fail"}]}, headers=teacher
    )
    assert again.status_code == 200
    journal = (
        await client.get(f"/api/v1/courses/{gradebook.math_7a}/journal", headers=teacher)
    ).json()
    mine = [m for m in journal["marks"] if m["slot_id"] == slot.id]
    assert [(m["pupil_id"], m["value"], m["work_type"]) for m in mine] == [
        (me.id, "fail", "homework")
    ]
    history = (await client.get(f"/api/v1/marks/{mine[0]['id']}/history", headers=teacher)).json()
    assert [(h["old"], h["new"]) for h in history] == [(None, "pass"), ("pass", "fail")]
    assert (await client.get(url, headers=pupil)).json()["progress"]["state"] == "marked"


async def test_auto_mark_writes_the_proposed_mark_on_submit(
    app: Starlette, client: httpx.AsyncClient, as_user, gradebook: Gradebook, library: Library
) -> None:
    await set_scale(app, gradebook.math_7a, "ten")
    teacher, pupil = await as_user("teacher"), await as_user("pupil")
    aid = await assign(
        client,
        teacher,
        lesson_id=library.lesson_id,
        course_id=gradebook.math_7a,
        due=due_in(app, 2),
        auto_mark=True,
    )
    await answer_all(client, aid, pupil)
    submitted = (await client.post(f"/api/v1/assignments/{aid}/submit", headers=pupil)).json()
    assert submitted["mark"] == "10"
    journal = (
        await client.get(f"/api/v1/courses/{gradebook.math_7a}/journal", headers=teacher)
    ).json()
    mine = [m for m in journal["marks"] if m["pupil_id"] == gradebook.pupil("pupil").id]
    assert [(m["value"], m["work_type"]) for m in mine] == [("10", "homework")]


async def test_a_double_tap_on_submit_hands_in_once(
    app: Starlette, client: httpx.AsyncClient, as_user, gradebook: Gradebook, library: Library
) -> None:
    import asyncio

    teacher, pupil = await as_user("teacher"), await as_user("pupil")
    aid = await assign(
        client,
        teacher,
        lesson_id=library.lesson_id,
        course_id=gradebook.math_7a,
        due=due_in(app, 2),
    )
    await answer_all(client, aid, pupil)
    url = f"/api/v1/assignments/{aid}/submit"
    first, second = await asyncio.gather(
        client.post(url, headers=pupil), client.post(url, headers=pupil)
    )
    assert sorted((first.status_code, second.status_code)) == [200, 409]
    results = (await client.get(f"/api/v1/assignments/{aid}/results", headers=teacher)).json()
    mine = next(p for p in results["pupils"] if p["pupil_id"] == gradebook.pupil("pupil").id)
    assert (mine["attempts"], mine["score"]) == (1, 6.0)
