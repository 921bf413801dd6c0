"""Who may do what with lessons: every refusal, for every other role and another school."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from eschool.models import Role, UserCreate
from eschool.services import school_create, user_create
from tests.conftest import token_for

MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + bytes(100)

BODY: dict[str, Any] = {
    "title": "Дроби",
    "subject": "Mathematics",
    "grades": [5],
    "tags": ["дроби"],
    "blocks": [
        {"kind": "text", "text": "Дробь показывает часть целого."},
        {
            "kind": "quiz",
            "questions": [
                {"kind": "single", "prompt": "1/2 или 1/3?", "options": ["1/2", "1/3"], "answer": 0}
            ],
        },
    ],
}


@pytest.fixture
async def other_school_teacher(client: httpx.AsyncClient, sessionmaker, people) -> dict[str, str]:
    """Bearer headers of a teacher of a second school."""
    async with sessionmaker() as session:
        school = await school_create(session, name="Лицей № 2", slug="lyceum-2")
        await user_create(
            session,
            actor=None,
            school_id=school.id,
            data=UserCreate(
                login="stranger", name="Чужой Учитель", role=Role.teacher, password="password-2"
            ),
        )
    return {"Authorization": f"Bearer {await token_for(client, 'stranger', 'password-2')}"}


async def published(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    lesson = (await client.post("/api/v1/lessons", json=BODY, headers=headers)).json()
    response = await client.post(f"/api/v1/lessons/{lesson['id']}/publish", headers=headers)
    assert response.status_code == 200
    return lesson


async def test_only_teachers_and_admins_create(client, as_user):
    for login in ("pupil", "parent"):
        response = await client.post("/api/v1/lessons", json=BODY, headers=await as_user(login))
        assert response.status_code == 403, login
        assert response.json()["error"]["code"] == "forbidden"
    assert (await client.post("/api/v1/lessons", json=BODY)).status_code == 401
    admin = await client.post("/api/v1/lessons", json=BODY, headers=await as_user("admin"))
    assert admin.status_code == 201


async def test_parents_see_no_library(client, as_user):
    lesson = await published(client, await as_user("teacher"))
    parent = await as_user("parent")
    for path in (
        "/api/v1/lessons",
        f"/api/v1/lessons/{lesson['id']}",
        f"/api/v1/lessons/{lesson['id']}/versions",
    ):
        response = await client.get(path, headers=parent)
        assert response.status_code == 403, path


async def test_another_teacher_cannot_see_drafts_or_change_a_lesson(client, as_user):
    teacher = await as_user("teacher")
    other = await as_user("teacher2")
    draft = (await client.post("/api/v1/lessons", json=BODY, headers=teacher)).json()
    url = f"/api/v1/lessons/{draft['id']}"
    for method, path in (
        ("GET", url),
        ("GET", f"{url}/versions"),
        ("POST", f"{url}/copy"),
        ("GET", f"{url}/export"),
        ("POST", f"{url}/publish"),
        ("DELETE", url),
    ):
        response = await client.request(method, path, headers=other)
        assert response.status_code == 404, (method, path)
    assert (await client.put(url, json=draft, headers=other)).status_code == 404
    listed = await client.get("/api/v1/lessons?status=draft", headers=other)
    assert listed.json()["total"] == 0

    await client.post(f"{url}/publish", headers=teacher)
    assert (await client.get(url, headers=other)).status_code == 200
    put = await client.put(url, json=draft, headers=other)
    assert put.status_code == 403
    assert (await client.post(f"{url}/publish", headers=other)).status_code == 403
    assert (await client.delete(url, headers=other)).status_code == 403
    assert (await client.get(url, headers=teacher)).json()["revision"] == 1


async def test_admin_reads_drafts_and_archives_but_does_not_edit(client, as_user):
    teacher = await as_user("teacher")
    admin = await as_user("admin")
    draft = (await client.post("/api/v1/lessons", json=BODY, headers=teacher)).json()
    url = f"/api/v1/lessons/{draft['id']}"
    seen = await client.get(url, headers=admin)
    assert seen.status_code == 200 and seen.json()["can_edit"] is False
    drafts = await client.get("/api/v1/lessons?status=draft", headers=admin)
    assert [item["id"] for item in drafts.json()["items"]] == [draft["id"]]
    assert (await client.put(url, json=draft, headers=admin)).status_code == 403
    assert (await client.post(f"{url}/publish", headers=admin)).status_code == 403
    assert (await client.delete(url, headers=admin)).status_code == 204


async def test_pupils_neither_copy_export_nor_upload_lesson_media(client, as_user):
    lesson = await published(client, await as_user("teacher"))
    pupil = await as_user("pupil")
    url = f"/api/v1/lessons/{lesson['id']}"
    assert (await client.post(f"{url}/copy", headers=pupil)).status_code == 403
    assert (await client.get(f"{url}/export", headers=pupil)).status_code == 403
    assert (await client.put(url, json=lesson, headers=pupil)).status_code == 403
    # A pupil may send a photo or a PDF (to a teacher, docs/uploads.md), never a lesson's
    # other media: a page or a video is refused.
    for name, content in (("a.html", b"<html><script>x()</script>"), ("a.mp4", MP4)):
        upload = await client.post("/api/v1/assets", files={"file": (name, content)}, headers=pupil)
        assert upload.status_code == 415, upload.text
    drafts = await client.get("/api/v1/lessons?status=draft", headers=pupil)
    assert drafts.json()["total"] == 0


async def test_another_school_sees_nothing(client, as_user, other_school_teacher):
    teacher = await as_user("teacher")
    lesson = await published(client, teacher)
    url = f"/api/v1/lessons/{lesson['id']}"
    stranger = other_school_teacher
    for method, path in (
        ("GET", url),
        ("GET", f"{url}/versions"),
        ("GET", f"{url}/versions/1"),
        ("POST", f"{url}/copy"),
        ("GET", f"{url}/export"),
        ("POST", f"{url}/publish"),
        ("DELETE", url),
    ):
        response = await client.request(method, path, headers=stranger)
        assert response.status_code == 404, (method, path)
    for query in ("", "?q=дробь", "?subject=Mathematics", "?grade=5", "?tag=дроби"):
        listed = await client.get(f"/api/v1/lessons{query}", headers=stranger)
        assert listed.status_code == 200
        assert listed.json()["total"] == 0, query
    # Their own lessons stay theirs: our teacher cannot see them either.
    theirs = await published(client, stranger)
    assert (await client.get(f"/api/v1/lessons/{theirs['id']}", headers=teacher)).status_code == 404
    mine = await client.get("/api/v1/lessons?q=дробь", headers=teacher)
    assert [item["id"] for item in mine.json()["items"]] == [lesson["id"]]
