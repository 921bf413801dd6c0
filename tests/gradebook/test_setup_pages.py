"""The set-up pages: each renders for the admin (in English and Russian) and is refused to a
teacher or pupil; without JavaScript their forms post back and run the same services,
showing a refusal next to the field."""

from __future__ import annotations

import re

import httpx

from eschool.seed import DemoPeople

PAGES = (
    "/admin/setup",
    "/admin/terms",
    "/admin/subjects",
    "/admin/courses",
    "/admin/work-types",
    "/admin/holidays",
)


async def test_pages_render_for_the_admin_only(
    client: httpx.AsyncClient, as_user, people: DemoPeople
) -> None:
    admin = await as_user("admin")
    for path in PAGES:
        page = await client.get(path, headers=admin)
        assert page.status_code == 200, path
        assert 'href="/admin/setup"' in page.text, path
        for login in ("teacher", "pupil"):
            refused = await client.get(path, headers=await as_user(login))
            assert refused.status_code == 403, (path, login)
    overview = await client.get("/admin/setup", headers=admin)
    for href in (
        "/admin/terms", "/admin/classes", "/admin/subjects", "/admin/courses",
        "/admin/timetable", "/admin/work-types", "/admin/holidays", "/admin/rosters",
    ):  # fmt: skip
        assert f'href="{href}"' in overview.text
    # Years and classes exist in the demo people; subjects do not yet.
    steps = re.findall(r'class="setup-step (is-[a-z]+)"', overview.text)
    assert steps[:3] == ["is-done", "is-done", "is-todo"]
    russian = await client.get("/admin/setup", headers=admin | {"Accept-Language": "ru"})
    assert "Предметы" in russian.text and "Учебные годы и периоды" in russian.text
    journal_setup = await client.get("/journal/setup", headers=admin)
    assert (
        "PUT /api/v1" not in journal_setup.text and 'href="/admin/timetable"' in journal_setup.text
    )


async def test_forms_work_without_javascript(
    client: httpx.AsyncClient, as_user, people: DemoPeople
) -> None:
    admin = await as_user("admin")
    added = await client.post(
        "/admin/subjects", data={"action": "subject_add", "name": "Физика"}, headers=admin
    )
    assert added.status_code == 303 and added.headers["location"] == "/admin/subjects?done=1"
    again = await client.post(
        "/admin/subjects", data={"action": "subject_add", "name": "Физика"}, headers=admin
    )
    assert again.status_code == 409
    assert 'id="subject-new-name-error"' in again.text and 'aria-invalid="true"' in again.text
    subject = next(
        s
        for s in (await client.get("/api/v1/subjects", headers=admin)).json()["items"]
        if s["name"] == "Физика"
    )
    teacher, teacher2 = people.staff["teacher"].id, people.staff["teacher2"].id
    course = await client.post(
        "/admin/courses",
        data={
            "action": "course_add",
            "class_id": str(people.classes["7B"].id),
            "subject_id": str(subject["id"]),
            "scale": "ten",
            "teacher_ids": [str(teacher), str(teacher2)],
        },
        headers=admin,
    )
    assert course.status_code == 303, course.text
    made = (await client.get("/api/v1/courses?class=7B", headers=admin)).json()["items"]
    physics = next(c for c in made if c["subject"]["name"] == "Физика")
    assert physics["scale"] == "ten"
    assert {t["id"] for t in physics["teachers"]} == {teacher, teacher2}
    edit = await client.get(f"/admin/courses?edit={physics['id']}", headers=admin)
    assert edit.status_code == 200 and 'value="course_change"' in edit.text
    no_subject = await client.post(
        "/admin/courses",
        data={"action": "course_add", "class_id": str(people.classes["7B"].id)},
        headers=admin,
    )
    assert no_subject.status_code == 422 and 'id="course-new-subject_id-error"' in no_subject.text
    holiday = await client.post(
        "/admin/holidays",
        data={
            "action": "holiday_add",
            "name": "Зима",
            "starts": "2000-01-01",
            "ends": "2000-01-02",
        },
        headers=admin,
    )
    assert holiday.status_code == 422 and 'id="holiday-new-starts-error"' in holiday.text
    term = await client.post(
        "/admin/terms",
        data={"action": "term_change", "term_id": "1", "starts": "2000-01-01"},
        headers=admin,
    )
    assert term.status_code == 422 and 'id="term-1-starts-error"' in term.text
    kinds = await client.post(
        "/admin/work-types",
        data={"action": "work_type_save", "code": "test", "name": "Test", "weight": "2.5"},
        headers=admin,
    )
    assert kinds.status_code == 303
    weights = (await client.get("/api/v1/work-types", headers=admin)).json()["items"]
    assert next(k for k in weights if k["code"] == "test")["weight"] == 2.5
    unknown = await client.post("/admin/subjects", data={"action": "nope"}, headers=admin)
    assert unknown.status_code == 400
