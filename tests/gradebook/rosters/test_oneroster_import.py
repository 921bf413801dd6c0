"""A realistic OneRoster 1.1 set goes in through the API: a dry run stores nothing, the
import makes the people, classes, courses, guardians and enrolments (read back through the
public API), a re-import changes nothing, and a delta updates and deactivates."""

from __future__ import annotations

import copy

import httpx
from sqlmodel import select
from starlette.applications import Starlette

from eschool.models import User
from eschool.services import api_token_create
from tests.conftest import TODAY
from tests.gradebook.rosters.conftest import School, row_counts
from tests.gradebook.rosters.oneroster_data import realistic_set, to_zip

URL = "/api/v1/rosters/oneroster"


async def post(client: httpx.AsyncClient, school: School, data: bytes, *, dry_run: bool = False):
    return await client.post(
        URL + ("?dry_run=1" if dry_run else ""),
        files={"file": ("roster.zip", data, "application/zip")},
        headers=school.headers,
    )


async def listed(client: httpx.AsyncClient, school: School, path: str, **query: str) -> list[dict]:
    items, page = [], 1
    while True:
        params = {**query, "page": page, "per_page": 200}
        body = (await client.get(path, params=params, headers=school.headers)).json()
        items += body["items"]
        if len(items) >= body["total"] or not body["items"]:
            return items
        page += 1


async def bearer(app: Starlette, who: str | int) -> dict[str, str]:
    """A token for a person (by login or id) made directly: imported people have no password."""
    async with app.state.sessionmaker() as session:
        where = User.login == who if isinstance(who, str) else User.id == who
        user = (await session.exec(select(User).where(where))).one()
        return {"Authorization": f"Bearer {await api_token_create(session, user=user, label='t')}"}


def zero(changes: dict) -> bool:
    return all(value == 0 for counts in changes.values() for value in counts.values())


async def test_a_realistic_set_imports_reimports_and_takes_a_delta(
    app: Starlette, client: httpx.AsyncClient, school: School
) -> None:
    data = realistic_set(TODAY)
    users = data["users.csv"]
    assert len(data["courses.csv"]) >= 6 and len(data["classes.csv"]) >= 12
    assert len(users) >= 300 and len(data["enrollments.csv"]) >= 1000
    assert {u["role"] for u in users} >= {
        "student",
        "teacher",
        "parent",
        "guardian",
        "administrator",
    }
    upload = to_zip(data)

    before = await row_counts(app)
    preview = await post(client, school, upload, dry_run=True)
    assert preview.status_code == 200, preview.text
    assert await row_counts(app) == before  # a dry run stores nothing
    expected = {
        "academicSessions": {"create": 7, "update": 0, "deactivate": 0},
        "subjects": {"create": 6, "update": 0, "deactivate": 0},
        "classes": {"create": 6, "update": 0, "deactivate": 0},
        "courses": {"create": 36, "update": 0, "deactivate": 0},
        "users": {"create": len(users), "update": 0, "deactivate": 0},
        "guardianships": {"create": 180, "update": 0, "deactivate": 0},
        "enrollments": {"create": len(data["enrollments.csv"]), "update": 0, "deactivate": 0},
    }
    assert preview.json()["changes"] == expected
    assert preview.json()["errors"] == [] and preview.json()["applied"] is False

    applied = await post(client, school, upload)
    assert applied.status_code == 200, applied.text
    assert applied.json()["changes"] == expected and applied.json()["applied"] is True

    # What the import made, through the public API.
    pupils = await listed(client, school, "/api/v1/users", role="pupil")
    parents = await listed(client, school, "/api/v1/users", role="parent")
    teachers = await listed(client, school, "/api/v1/users", role="teacher")
    assert (len(pupils), len(parents), len(teachers)) == (150, 180, 12)
    first = next(p for p in pupils if p["login"] == "5a.00")
    assert first["name"] == "Ivanov Anna"
    classes = (await client.get("/api/v1/classes", headers=school.headers)).json()["items"]
    assert sorted(c["name"] for c in classes) == ["5A", "5B", "6A", "6B", "7A", "7B"]
    seven_a = next(c for c in classes if c["name"] == "7A")
    assert seven_a["form_tutor_id"] is not None
    in_7a = (
        await client.get(f"/api/v1/classes/{seven_a['id']}/pupils", headers=school.headers)
    ).json()
    assert len(in_7a["items"] if isinstance(in_7a, dict) else in_7a) == 25
    courses = (await client.get("/api/v1/courses", headers=school.headers)).json()["items"]
    assert len(courses) == 36
    maths_7a = next(
        c for c in courses if c["class"]["name"] == "7A" and c["subject"]["name"] == "Mathematics"
    )
    assert maths_7a["teacher"] is not None
    subjects = (await client.get("/api/v1/subjects", headers=school.headers)).json()["items"]
    assert {s["name"] for s in subjects} == {
        "Mathematics",
        "Russian language",
        "English",
        "History",
        "Biology",
        "Physics",
    }
    terms = (await client.get("/api/v1/terms", headers=school.headers)).json()
    terms = terms["items"] if isinstance(terms, dict) else terms
    assert [t["name"] for t in terms] == ["Quarter 1", "Quarter 2", "Quarter 3", "Quarter 4"]
    me = (await client.get("/api/v1/me", headers=await bearer(app, "p.5a.00"))).json()
    assert [c["login"] for c in me["children"]] == ["5a.00"]
    teacher_courses = (
        await client.get(
            "/api/v1/courses?teacher=me", headers=await bearer(app, maths_7a["teacher"]["id"])
        )
    ).json()["items"]
    assert maths_7a["id"] in {c["id"] for c in teacher_courses}

    # A re-import changes nothing.
    again = await post(client, school, upload)
    assert again.status_code == 200 and zero(again.json()["changes"]), again.json()["changes"]

    # A delta: one renamed pupil, one pupil leaving (and their enrolment ending).
    delta_users = [copy.deepcopy(u) for u in users if u["sourcedId"] in ("s-7A-01", "s-7A-02")]
    for user in delta_users:
        user["status"], user["dateLastModified"] = "active", "2026-12-01T10:00:00Z"
    delta_users[0]["familyName"] = "Renamed"
    delta_users[1]["status"] = "tobedeleted"
    gone = [
        {**e, "status": "tobedeleted", "dateLastModified": "2026-12-01T10:00:00Z"}
        for e in data["enrollments.csv"]
        if e["userSourcedId"] == "s-7A-02"
    ]
    delta = to_zip({"users.csv": delta_users, "enrollments.csv": gone}, mode="delta")
    response = await post(client, school, delta)
    assert response.status_code == 200, response.text
    changes = response.json()["changes"]
    assert changes["users"] == {"create": 0, "update": 1, "deactivate": 1}
    assert changes["enrollments"] == {"create": 0, "update": 0, "deactivate": 7}
    pupils = {p["login"]: p for p in await listed(client, school, "/api/v1/users", role="pupil")}
    assert pupils["7a.01"]["name"].startswith("Renamed") and pupils["7a.01"]["active"] is True
    assert pupils["7a.02"]["active"] is False  # deactivated, not deleted
    in_7a = (
        await client.get(f"/api/v1/classes/{seven_a['id']}/pupils", headers=school.headers)
    ).json()
    in_7a = in_7a["items"] if isinstance(in_7a, dict) else in_7a
    assert "7a.02" not in {p["login"] for p in in_7a} and len(in_7a) == 24
    assert zero((await post(client, school, delta)).json()["changes"])  # the same delta again
