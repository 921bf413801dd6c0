"""Who may read and write what: every refusal answers 401/403/404 and carries no data."""

from __future__ import annotations

import httpx
import pytest

from eschool.models import Role, User
from eschool.security import hash_password
from eschool.services import school_create
from tests.gradebook.conftest import Gradebook


def _no_names(response: httpx.Response, *pupils: User) -> None:
    for pupil in pupils:
        assert pupil.name not in response.text


async def test_wrong_teacher_gets_404_and_no_data(
    client: httpx.AsyncClient, as_user, gradebook: Gradebook
) -> None:
    teacher2 = await as_user("teacher2")  # teaches Russian in 7A, not Mathematics
    pupil = gradebook.classmate()
    slot = gradebook.past_slot(gradebook.math_7a)
    journal = await client.get(f"/api/v1/courses/{gradebook.math_7a}/journal", headers=teacher2)
    assert journal.status_code == 404
    _no_names(journal, pupil)
    for path in ("journal.csv", "journal.xlsx"):
        export = await client.get(f"/api/v1/courses/{gradebook.math_7a}/{path}", headers=teacher2)
        assert export.status_code == 404
    mark = await client.post(
        "/api/v1/marks",
        json={"pupil_id": pupil.id, "slot_id": slot.id, "value": 5},
        headers=teacher2,
    )
    assert mark.status_code == 404
    attendance = await client.put(
        "/api/v1/attendance",
        json={"pupil_id": pupil.id, "slot_id": slot.id, "status": "absent"},
        headers=teacher2,
    )
    assert attendance.status_code == 404
    topic = await client.patch(f"/api/v1/slots/{slot.id}", json={"topic": "x"}, headers=teacher2)
    assert topic.status_code == 404
    term_mark = await client.put(
        "/api/v1/term-marks",
        json={
            "pupil_id": pupil.id,
            "course_id": gradebook.math_7a,
            "term_id": gradebook.term_id,
            "value": 5,
        },
        headers=teacher2,
    )
    assert term_mark.status_code == 404
    # The 7B form tutor teaches nothing here: no 7A journal, no 7A diary.
    history = await as_user("history")
    assert (
        await client.get(f"/api/v1/courses/{gradebook.russian_7a}/journal", headers=history)
    ).status_code == 404
    assert (await client.get(f"/api/v1/diary/{pupil.id}", headers=history)).status_code == 404


async def test_form_tutor_reads_every_course_of_the_class_but_writes_only_their_own(
    client: httpx.AsyncClient, as_user, gradebook: Gradebook
) -> None:
    teacher = await as_user("teacher")  # form tutor of 7A; teaches Mathematics only
    teacher2 = await as_user("teacher2")
    pupil = gradebook.classmate()
    slot = gradebook.past_slot(gradebook.russian_7a)
    given = await client.post(
        "/api/v1/marks",
        json={"pupil_id": pupil.id, "slot_id": slot.id, "value": 5},
        headers=teacher2,
    )
    assert given.status_code == 201
    journal = await client.get(f"/api/v1/courses/{gradebook.russian_7a}/journal", headers=teacher)
    assert journal.status_code == 200 and journal.json()["access"] == "read"
    assert [m["value"] for m in journal.json()["marks"]] == ["5"]
    history = await client.get(f"/api/v1/marks/{given.json()['id']}/history", headers=teacher)
    assert history.status_code == 200
    refused = [
        await client.post(
            "/api/v1/marks",
            json={"pupil_id": pupil.id, "slot_id": slot.id, "value": 4},
            headers=teacher,
        ),
        await client.patch(
            f"/api/v1/marks/{given.json()['id']}", json={"value": 4}, headers=teacher
        ),
        await client.delete(f"/api/v1/marks/{given.json()['id']}", headers=teacher),
        await client.patch(f"/api/v1/slots/{slot.id}", json={"topic": "x"}, headers=teacher),
    ]
    assert [r.status_code for r in refused] == [403] * 4


@pytest.mark.parametrize("login", ["pupil", "parent"])
async def test_pupils_and_parents_never_reach_the_journal(
    client: httpx.AsyncClient, as_user, gradebook: Gradebook, login: str
) -> None:
    headers = await as_user(login)
    teacher = await as_user("teacher")
    pupil = gradebook.pupil("pupil")
    slot = gradebook.past_slot(gradebook.math_7a)
    mark = (
        await client.post(
            "/api/v1/marks",
            json={"pupil_id": pupil.id, "slot_id": slot.id, "value": 5},
            headers=teacher,
        )
    ).json()
    for response in (
        await client.get(f"/api/v1/courses/{gradebook.math_7a}/journal", headers=headers),
        await client.get(f"/api/v1/courses/{gradebook.math_7a}/journal.csv", headers=headers),
        await client.get(f"/api/v1/marks/{mark['id']}/history", headers=headers),
        await client.post(
            "/api/v1/marks",
            json={"pupil_id": pupil.id, "slot_id": slot.id, "value": 5},
            headers=headers,
        ),
        await client.patch(f"/api/v1/marks/{mark['id']}", json={"value": 2}, headers=headers),
        await client.put(
            "/api/v1/attendance",
            json={"pupil_id": pupil.id, "slot_id": slot.id, "status": "present"},
            headers=headers,
        ),
        await client.patch(f"/api/v1/slots/{slot.id}", json={"topic": "x"}, headers=headers),
    ):
        assert response.status_code == 403, response.request.url
        _no_names(response, *gradebook.pupils_7a)


async def test_pupil_and_parent_see_only_their_own_diary(
    client: httpx.AsyncClient, as_user, gradebook: Gradebook
) -> None:
    own = gradebook.pupil("pupil")
    other = gradebook.classmate()
    other_class = gradebook.pupil("pupil2")
    for login in ("pupil", "parent"):
        headers = await as_user(login)
        assert (await client.get(f"/api/v1/diary/{own.id}", headers=headers)).status_code == 200
        for stranger in (other, other_class):
            for suffix in ("", "/summary", "/news", ".ics", "/feed"):
                response = await client.get(f"/api/v1/diary/{stranger.id}{suffix}", headers=headers)
                assert response.status_code == 404, (login, suffix)
                _no_names(response, stranger)
            feed = await client.post(f"/api/v1/diary/{stranger.id}/feed", headers=headers)
            assert feed.status_code == 404


async def test_unauthenticated_gets_401(client: httpx.AsyncClient, gradebook: Gradebook) -> None:
    for path in (
        f"/api/v1/courses/{gradebook.math_7a}/journal",
        "/api/v1/courses",
        f"/api/v1/diary/{gradebook.classmate().id}",
        f"/api/v1/diary/{gradebook.classmate().id}.ics",
    ):
        response = await client.get(path)
        assert response.status_code == 401
    page = await client.get(f"/journal/{gradebook.math_7a}")
    assert page.status_code == 303 and page.headers["location"].startswith("/login")


async def test_another_schools_admin_sees_nothing(
    app, client: httpx.AsyncClient, gradebook: Gradebook
) -> None:
    async with app.state.sessionmaker() as session:
        school = await school_create(session, name="Другая школа", slug="other")
        session.add(
            User(
                school_id=school.id,
                login="other.admin",
                name="Другой Администратор",
                role=Role.admin,
                password_hash=hash_password("other-password"),
            )
        )
        await session.commit()
    token = (
        await client.post(
            "/api/v1/auth/token", json={"login": "other.admin", "password": "other-password"}
        )
    ).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    pupil = gradebook.classmate()
    slot = gradebook.past_slot(gradebook.math_7a)
    assert (await client.get("/api/v1/courses", headers=headers)).json()["total"] == 0
    assert (await client.get("/api/v1/subjects", headers=headers)).json()["total"] == 0
    for response in (
        await client.get(f"/api/v1/courses/{gradebook.math_7a}/journal", headers=headers),
        await client.get(f"/api/v1/diary/{pupil.id}", headers=headers),
        await client.get(f"/api/v1/slots/{slot.id}", headers=headers),
        await client.post(
            "/api/v1/marks",
            json={"pupil_id": pupil.id, "slot_id": slot.id, "value": 5},
            headers=headers,
        ),
    ):
        assert response.status_code == 404
        _no_names(response, pupil)


async def test_mark_for_a_pupil_of_another_class_is_refused(
    client: httpx.AsyncClient, as_user, gradebook: Gradebook
) -> None:
    response = await client.post(
        "/api/v1/marks",
        json={
            "pupil_id": gradebook.pupil("pupil2").id,
            "slot_id": gradebook.past_slot(gradebook.math_7a).id,
            "value": 5,
        },
        headers=await as_user("teacher"),
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "not_in_class"


async def test_admin_only_structure_endpoints(
    client: httpx.AsyncClient, as_user, gradebook: Gradebook, people
) -> None:
    teacher = await as_user("teacher")
    for method, path, body in (
        ("POST", "/api/v1/subjects", {"name": "Химия"}),
        (
            "POST",
            "/api/v1/courses",
            {"class_id": people.classes["7A"].id, "subject_id": 1, "teacher_ids": []},
        ),
        ("POST", "/api/v1/holidays", {"name": "x", "starts": "2026-01-01", "ends": "2026-01-02"}),
        ("PATCH", "/api/v1/gradebook/settings", {"rounding_threshold": 0.6}),
        ("PUT", f"/api/v1/classes/{people.classes['7A'].id}/timetable", {"entries": []}),
    ):
        response = await client.request(method, path, json=body, headers=teacher)
        assert response.status_code == 403, path
    journal = await client.get(
        f"/api/v1/classes/{people.classes['7A'].id}/timetable", headers=teacher
    )
    assert journal.json()["total"] == 5
