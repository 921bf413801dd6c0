"""The set-up API pieces: subject rename and delete, course teachers and scale (refused once
marks exist), validated holidays, work type removal — with their authorization and the
school boundary (another school's ids are 404)."""

from __future__ import annotations

from datetime import timedelta

import httpx
from starlette.applications import Starlette

from eschool.models import Role, User
from eschool.seed import DemoPeople
from eschool.services import api_token_create, school_create
from tests.gradebook.conftest import Gradebook


async def _other_school_admin(app: Starlette) -> dict[str, str]:
    async with app.state.sessionmaker() as session:
        school = await school_create(session, name="Другая школа", slug="other-setup")
        admin = User(
            school_id=school.id or 0,
            login="other.setup",
            name="Другой Администратор",
            role=Role.admin,
            password_hash="-",
        )
        session.add(admin)
        await session.commit()
        token = await api_token_create(session, user=admin, label="tests")
    return {"Authorization": f"Bearer {token}"}


def _field(response: httpx.Response) -> str:
    return response.json()["error"]["details"][0]["loc"][-1]


async def test_subjects_courses_and_work_types(
    app: Starlette, client: httpx.AsyncClient, as_user, gradebook: Gradebook, people: DemoPeople
) -> None:
    admin, teacher = await as_user("admin"), await as_user("teacher")
    other = await _other_school_admin(app)
    subjects = (await client.get("/api/v1/subjects", headers=admin)).json()["items"]
    maths = next(s for s in subjects if s["name"] == "Математика")

    # A subject: renamed, a taken name refused next to the field, deleted only when unused.
    created = await client.post("/api/v1/subjects", json={"name": " Химия "}, headers=admin)
    assert created.status_code == 201 and created.json()["name"] == "Химия"
    again = await client.post("/api/v1/subjects", json={"name": "Химия"}, headers=admin)
    assert again.status_code == 409 and _field(again) == "name"
    chem = created.json()["id"]
    renamed = await client.patch(
        f"/api/v1/subjects/{chem}", json={"name": "Химия (углублённая)"}, headers=admin
    )
    assert renamed.status_code == 200
    assert renamed.json() == {"id": chem, "name": "Химия (углублённая)", "short_name": "Химия"}
    taken = await client.patch(
        f"/api/v1/subjects/{chem}", json={"name": "Математика"}, headers=admin
    )
    assert taken.status_code == 409 and _field(taken) == "name"
    blank = await client.patch(f"/api/v1/subjects/{chem}", json={"name": "  "}, headers=admin)
    assert blank.status_code == 422 and _field(blank) == "name"
    in_use = await client.delete(f"/api/v1/subjects/{maths['id']}", headers=admin)
    assert in_use.status_code == 409 and in_use.json()["error"]["code"] == "subject_in_use"
    assert (await client.delete(f"/api/v1/subjects/{chem}", headers=teacher)).status_code == 403
    for method in ("PATCH", "DELETE"):
        response = await client.request(
            method, f"/api/v1/subjects/{maths['id']}", json={"name": "X"}, headers=other
        )
        assert response.status_code == 404, method
    assert (await client.delete(f"/api/v1/subjects/{chem}", headers=admin)).status_code == 204
    assert (await client.delete(f"/api/v1/subjects/{chem}", headers=admin)).status_code == 404

    # A course: several teachers; its scale changes while it has no marks, then never.
    teacher_id = people.staff["teacher"].id
    teacher2_id = people.staff["teacher2"].id
    course = f"/api/v1/courses/{gradebook.russian_7a}"
    both = await client.patch(
        course, json={"teacher_ids": [teacher2_id, teacher_id], "scale": "ten"}, headers=admin
    )
    assert both.status_code == 200, both.text
    assert {t["id"] for t in both.json()["teachers"]} == {teacher_id, teacher2_id}
    assert both.json()["scale"] == "ten"
    assert (await client.patch(course, json={"scale": "five"}, headers=teacher)).status_code == 403
    assert (await client.patch(course, json={"scale": "five"}, headers=other)).status_code == 404
    slot = gradebook.past_slot(gradebook.russian_7a)
    mark = await client.post(
        "/api/v1/marks",
        json={"pupil_id": gradebook.classmate().id, "slot_id": slot.id, "value": 9},
        headers=teacher,
    )
    assert mark.status_code == 201, mark.text
    refused = await client.patch(course, json={"scale": "five"}, headers=admin)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "scale_in_use"
    assert _field(refused) == "scale"
    same = await client.patch(course, json={"scale": "ten", "teacher_ids": []}, headers=admin)
    assert same.status_code == 200 and same.json()["teachers"] == []

    # Work types: one in use by a mark stays; an unused one goes; codes are the school's own.
    added = await client.put(
        "/api/v1/work-types", json={"code": "project", "name": "Project", "weight": 1.5},
        headers=admin,
    )  # fmt: skip
    assert added.status_code == 200
    used = await client.delete("/api/v1/work-types/classwork", headers=admin)
    assert used.status_code == 409 and used.json()["error"]["code"] == "work_type_in_use"
    assert (await client.delete("/api/v1/work-types/project", headers=other)).status_code == 404
    assert (await client.delete("/api/v1/work-types/project", headers=teacher)).status_code == 403
    assert (await client.delete("/api/v1/work-types/project", headers=admin)).status_code == 204
    assert (await client.delete("/api/v1/work-types/Bad%20Code", headers=admin)).status_code == 404
    codes = [
        k["code"] for k in (await client.get("/api/v1/work-types", headers=admin)).json()["items"]
    ]
    assert "project" not in codes and "classwork" in codes

    # Holidays of the other school are not this admin's to remove.
    holidays = (await client.get("/api/v1/holidays", headers=admin)).json()["items"]
    if holidays:
        gone = await client.delete(f"/api/v1/holidays/{holidays[0]['id']}", headers=other)
        assert gone.status_code == 404


async def test_holiday_dates_are_checked(
    app: Starlette, client: httpx.AsyncClient, as_user, people: DemoPeople
) -> None:
    admin = await as_user("admin")
    year = people.year

    async def post(name: str, starts, ends) -> httpx.Response:
        body = {"name": name, "starts": starts.isoformat(), "ends": ends.isoformat()}
        return await client.post("/api/v1/holidays", json=body, headers=admin)

    first = year.starts + timedelta(days=40)
    backwards = await post("Осенние", first, first - timedelta(days=1))
    assert backwards.status_code == 422 and _field(backwards) == "ends"
    outside = await post("Летние", year.ends + timedelta(days=1), year.ends + timedelta(days=60))
    assert outside.status_code == 422 and _field(outside) == "starts"
    assert year.ends.isoformat() in outside.json()["error"]["message"]
    bad_date = await client.post(
        "/api/v1/holidays",
        json={"name": "x", "starts": "2026-02-30", "ends": "2026-03-01"},
        headers=admin,
    )
    assert bad_date.status_code == 422 and _field(bad_date) == "starts"
    ok = await post("Осенние", first, first + timedelta(days=8))
    assert ok.status_code == 201, ok.text
    overlap = await post("Ещё", first + timedelta(days=8), first + timedelta(days=9))
    assert overlap.status_code == 422 and overlap.json()["error"]["code"] == "overlap"
    blank = await post("   ", first + timedelta(days=20), first + timedelta(days=21))
    assert blank.status_code == 422 and _field(blank) == "name"
    other = await _other_school_admin(app)
    no_year = await client.post(
        "/api/v1/holidays",
        json={"name": "x", "starts": first.isoformat(), "ends": first.isoformat()},
        headers=other,
    )
    assert no_year.status_code == 422 and no_year.json()["error"]["code"] == "no_year"
    assert (
        await client.delete(f"/api/v1/holidays/{ok.json()['id']}", headers=other)
    ).status_code == 404
