"""The services that change something a family should know about notify the pupil and their
parents: homework, attendance, a changed mark, a term mark, an assignment set, and — daily —
an assignment due tomorrow that was not handed in (once a day, however many workers)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import httpx
from starlette.applications import Starlette

from classwork.models import AssignmentWork
from eschool.notifications.models import Notification
from eschool.timeutil import utcnow
from tests.classwork.conftest import Library, due_in, library
from tests.gradebook import conftest as gradebook_fixtures

as_user = gradebook_fixtures.as_user
gradebook = gradebook_fixtures.gradebook
__all__ = ["library"]


async def _kinds(client: httpx.AsyncClient, headers: dict[str, str]) -> Counter[str]:
    response = await client.get("/api/v1/notifications?per_page=200", headers=headers)
    assert response.status_code == 200
    return Counter(item["kind"] for item in response.json()["items"])


async def test_each_change_reaches_the_family(
    app: Starlette, client: httpx.AsyncClient, as_user, gradebook, library: Library
) -> None:
    teacher = await as_user("teacher")
    pupil = gradebook.pupil("pupil")
    classmate = gradebook.classmate()
    slot = gradebook.past_slot(gradebook.math_7a)

    response = await client.patch(
        f"/api/v1/slots/{slot.id}", headers=teacher, json={"homework": "№ 12, 13"}
    )
    assert response.status_code == 200, response.text
    for status in ("present", "late"):
        response = await client.put(
            "/api/v1/attendance",
            headers=teacher,
            json={"pupil_id": pupil.id, "slot_id": slot.id, "status": status},
        )
        assert response.status_code == 200, response.text
    mark = await client.post(
        "/api/v1/marks",
        headers=teacher,
        json={"pupil_id": pupil.id, "slot_id": slot.id, "value": "3"},
    )
    for change in ({"comment": "по теме"}, {"value": "4", "reason": "пересдача"}):
        response = await client.patch(
            f"/api/v1/marks/{mark.json()['id']}", headers=teacher, json=change
        )
        assert response.status_code == 200, response.text
    response = await client.put(
        "/api/v1/term-marks",
        headers=teacher,
        json={
            "pupil_id": pupil.id,
            "course_id": gradebook.math_7a,
            "term_id": gradebook.term_id,
            "value": "4",
        },
    )
    assert response.status_code == 200, response.text
    tomorrow = due_in(app, 1)
    response = await client.post(
        "/api/v1/assignments",
        headers=teacher,
        json={"lesson_id": library.lesson_id, "course_id": gradebook.math_7a, "due": tomorrow},
    )
    assert response.status_code == 201, response.text
    assignment_id = response.json()["id"]

    expected = Counter(
        homework=1, absence=1, mark=2, term_mark=1, assignment=1
    )  # "present" and a comment tell nobody
    for login in ("pupil", "parent"):
        assert await _kinds(client, await as_user(login)) == expected, login
    assert await _kinds(client, await as_user(f"p.{classmate.login}")) == Counter(
        homework=1, assignment=1
    )
    for outsider in ("pupil2", "teacher", "admin"):
        assert await _kinds(client, await as_user(outsider)) == Counter(), outsider

    # The daily task: the classmate handed the assignment in, the pupil did not.
    async with app.state.sessionmaker() as session:
        session.add(
            AssignmentWork(
                school_id=classmate.school_id,
                assignment_id=assignment_id,
                pupil_id=classmate.id,
                submitted_at=utcnow(),
            )
        )
        await session.commit()
    async with app.state.sessionmaker() as session:
        session.add(  # older than notifications are kept: the daily work deletes it
            Notification(
                school_id=classmate.school_id,
                user_id=classmate.id,
                kind="news",
                title="Old",
                url="/",
                created_at=utcnow() - timedelta(days=400),
            )
        )
        await session.commit()
    today = gradebook.today
    await app.state.notifications.daily(today)
    await app.state.notifications.daily(today)  # the same day again: claimed already
    assert (await _kinds(client, await as_user("parent")))["due"] == 1
    assert (await _kinds(client, await as_user("pupil")))["due"] == 1
    assert (await _kinds(client, await as_user(f"p.{classmate.login}")))["due"] == 0
    assert await _kinds(client, await as_user(classmate.login)) == Counter(homework=1, assignment=1)
    due = await client.get("/api/v1/notifications?per_page=1", headers=await as_user("parent"))
    assert due.json()["items"][0]["url"] == f"/assignments/{assignment_id}"
