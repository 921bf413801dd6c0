"""The school structure's API, absence notes and the roster import answer exactly what their
``operation`` declarations say (issue #16): every GET and a write per resource, as the roles
that use them, validated by ``assert_conforms``; and none of their routes is undocumented."""

from __future__ import annotations

import httpx
from starlette.applications import Starlette

from eschool.openapi import undocumented
from eschool.seed import DemoPeople
from gradebook.rosters.models import RosterImportRefused
from tests.api_conformance import assert_conforms
from tests.gradebook.conftest import Gradebook

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
MINE = (
    "/subjects",
    "/courses",
    "/work-types",
    "/gradebook/settings",
    "/timetable",
    "/holidays",
    "/slots",
    "/bell-times",
    "/absence-notes",
    "/rosters",
)


async def test_every_route_is_documented(app: Starlette) -> None:
    assert [route for route in undocumented(app.routes) if any(m in route for m in MINE)] == []


async def test_structure_answers_conform(
    app: Starlette, client: httpx.AsyncClient, as_user, gradebook: Gradebook, people: DemoPeople
) -> None:
    admin, teacher = await as_user("admin"), await as_user("teacher")
    pupil, parent = await as_user("pupil"), await as_user("parent")

    async def call(method: str, url: str, headers: dict, status: int = 200, **kw):
        response = await client.request(method, url, headers=headers, **kw)
        assert response.status_code == status, (method, url, response.text)
        return assert_conforms(app, response)

    for who in (admin, teacher, pupil, parent):
        await call("GET", "/api/v1/subjects", who)
        await call("GET", "/api/v1/work-types", who)
        await call("GET", "/api/v1/gradebook/settings", who)
        await call("GET", "/api/v1/holidays", who)
        await call("GET", "/api/v1/bell-times", who)
        courses = await call("GET", "/api/v1/courses?class=7A", who)
        assert courses.items, who
    # Pupils and parents see a course without journal access.
    assert {c.access for c in courses.items} == {None}
    mine = await call("GET", "/api/v1/courses?teacher=me", teacher)
    assert {c.access for c in mine.items} == {"write"}

    # Subjects: add, rename, delete.
    chem = await call("POST", "/api/v1/subjects", admin, 201, json={"name": "Химия"})
    await call("PATCH", f"/api/v1/subjects/{chem.id}", admin, json={"short_name": "Хим"})
    await call("DELETE", f"/api/v1/subjects/{chem.id}", admin, 204)

    # Courses: add, read, change.
    class_7b = people.classes["7B"].id
    course = await call(
        "POST",
        "/api/v1/courses",
        admin,
        201,
        json={"class_id": class_7b, "subject_id": mine.items[0].subject.id, "scale": "ten"},
    )
    assert course.teacher is None and course.teachers == []
    await call("GET", f"/api/v1/courses/{gradebook.math_7a}", teacher)
    teacher_id = people.staff["teacher"].id
    changed = await call(
        "PATCH", f"/api/v1/courses/{course.id}", admin, json={"teacher_ids": [teacher_id]}
    )
    assert changed.teacher.id == teacher_id

    # Work types, settings.
    body = {"code": "project", "name": "Проект", "weight": 2.5}
    await call("PUT", "/api/v1/work-types", admin, json=body)
    await call("DELETE", "/api/v1/work-types/project", admin, 204)
    settings = await call(
        "PATCH", "/api/v1/gradebook/settings", admin, json={"rounding_threshold": 0.6}
    )
    assert settings.rounding_threshold == 0.6 and settings.mark_bands["five"]

    # Timetable and bell times: "HH:MM" times.
    timetable = f"/api/v1/classes/{class_7b}/timetable"
    entries = await call("GET", timetable, teacher)
    kept = [e.model_dump(exclude={"id"}) for e in entries.items]
    await call("PUT", timetable, admin, json={"entries": kept})
    raw = (await client.get(timetable, headers=admin)).json()["items"][0]
    assert len(raw["starts"]) == 5 and raw["starts"][2] == ":"
    bells = await call("GET", "/api/v1/bell-times", admin)
    periods = [b.model_dump() for b in bells.periods]
    saved = await call("PUT", "/api/v1/bell-times", admin, json={"periods": periods})
    assert saved.timetable_updated == 0

    # Holidays, slots.
    day = gradebook.slots[gradebook.math_7a][0].date.isoformat()
    holiday = await call(
        "POST",
        "/api/v1/holidays",
        admin,
        201,
        json={"name": "Каникулы", "starts": day, "ends": day},
    )
    listed = (await client.get("/api/v1/holidays", headers=admin)).json()["items"]
    assert listed == [{"id": holiday.id, "name": "Каникулы", "starts": day, "ends": day}]
    await call("DELETE", f"/api/v1/holidays/{holiday.id}", admin, 204)
    generated = await call(
        "POST", "/api/v1/slots/generate", admin, json={"term_id": gradebook.term_id}
    )
    assert generated.term_id == gradebook.term_id
    slot = gradebook.past_slot(gradebook.math_7a)
    detail = await call("GET", f"/api/v1/slots/{slot.id}", teacher)
    assert detail.course.id == gradebook.math_7a and detail.term.id == gradebook.term_id


async def test_absence_note_answers_conform(
    app: Starlette, client: httpx.AsyncClient, as_user, gradebook: Gradebook
) -> None:
    parent, tutor = await as_user("parent"), await as_user("teacher")
    pupil, admin = await as_user("pupil"), await as_user("admin")
    asset = await client.post(
        "/api/v1/assets", files={"file": ("note.pdf", PDF, "application/pdf")}, headers=parent
    )
    assert asset.status_code in (200, 201), asset.text
    day = gradebook.today.isoformat()
    body = {
        "pupil_id": gradebook.pupil("pupil").id,
        "from": day,
        "to": day,
        "periods": [1, 2],
        "reason": "Приём у врача",
        "upload_id": asset.json()["id"],
    }
    created = await client.post("/api/v1/absence-notes", json=body, headers=parent)
    assert created.status_code == 201, created.text
    note = assert_conforms(app, created)
    raw = created.json()
    assert raw["from"] == day and raw["reported_at"].endswith("Z") and "." not in raw["reported_at"]
    assert raw["upload"]["filename"] == "note.pdf" and raw["decided_at"] is None
    assert note.can.withdraw and not note.can.decide
    for who in (parent, pupil, tutor, admin):
        listed = await client.get("/api/v1/absence-notes?status=reported&per_page=5", headers=who)
        assert listed.status_code == 200 and assert_conforms(app, listed).total == 1
    one = await client.get(f"/api/v1/absence-notes/{note.id}", headers=tutor)
    assert assert_conforms(app, one).can.decide
    decided = await client.patch(
        f"/api/v1/absence-notes/{note.id}", json={"status": "accepted"}, headers=tutor
    )
    assert decided.status_code == 200 and assert_conforms(app, decided).status == "accepted"
    assert decided.json()["decided_at"].endswith("Z")
    bad = await client.get("/api/v1/absence-notes?status=lost", headers=parent)
    assert bad.status_code == 400


async def test_roster_answers_conform(
    app: Starlette, client: httpx.AsyncClient, as_user, gradebook: Gradebook
) -> None:
    admin = await as_user("admin")
    csv = "login,name,role,class,parent_of\r\nn.new,Новикова Нина,pupil,7A,\r\n"
    for text, status in ((csv, 200), ("login,name\r\n,\r\n", 422)):
        response = await client.post(
            "/api/v1/rosters/people?dry_run=1",
            files={"file": ("people.csv", text.encode(), "text/csv")},
            headers=admin,
        )
        assert response.status_code == status, response.text
        assert_conforms(app, response)
        if status == 422:  # the refusal is declared with its counts, not only the error
            RosterImportRefused.model_validate_json(response.content)
        assert response.json()["dry_run"] is True and response.json()["applied"] is False
    refused = response.json()
    assert refused["error"]["code"] == "roster_invalid" and refused["errors"]
    zipped = await client.get(
        f"/api/v1/rosters/oneroster/results.zip?term={gradebook.term_id}", headers=admin
    )
    assert zipped.status_code == 200 and assert_conforms(app, zipped)[:2] == b"PK"
