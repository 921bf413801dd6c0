"""Files attached to homework reach the class's pupils and parents, nobody else — under the
same rule, on the same route, as every stored file."""

from __future__ import annotations

import hashlib

import httpx

from eschool.models import Role, UserCreate
from eschool.services import school_create, user_create
from tests.gradebook.conftest import Gradebook

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(120))


async def test_attached_file_is_served_to_the_class_only(
    client: httpx.AsyncClient, as_user, gradebook: Gradebook
) -> None:
    teacher = await as_user("teacher")
    uploaded = await client.post(
        "/api/v1/assets", files={"file": ("task.png", PNG, "image/png")}, headers=teacher
    )
    assert uploaded.status_code == 201, uploaded.text
    sha = hashlib.sha256(PNG).hexdigest()
    assert uploaded.json()["id"] == sha

    # before it is attached, a pupil cannot fetch it
    pupil = await as_user("pupil")
    assert (await client.get(f"/assets/{sha}", headers=pupil)).status_code == 404

    slot = gradebook.past_slot(gradebook.math_7a)
    patched = await client.patch(
        f"/api/v1/slots/{slot.id}",
        json={"homework": "Solve the task in the picture", "attachments": [sha]},
        headers=teacher,
    )
    assert patched.status_code == 200, patched.text

    for login in ("pupil", "parent"):
        response = await client.get(f"/assets/{sha}", headers=await as_user(login))
        assert response.status_code == 200, login
        assert response.content == PNG
        assert response.headers["content-type"] == "image/png"
    # a pupil of another class, and that pupil's parent, get nothing
    for login in ("pupil2", "p.pupil2"):
        response = await client.get(f"/assets/{sha}", headers=await as_user(login))
        assert response.status_code == 404, login


PICTURE = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(120, 250))


async def test_an_attachment_and_a_lesson_picture_follow_one_rule_on_one_route(
    client: httpx.AsyncClient, as_user, gradebook: Gradebook, sessionmaker
) -> None:
    """One route serves every stored file: to its uploader, or to whom a file audience (the
    gradebook's for homework, the library's for lessons) grants it, in their school only."""
    teacher = await as_user("teacher")
    attachment = (
        await client.post("/api/v1/assets", files={"file": ("task.png", PNG)}, headers=teacher)
    ).json()["id"]
    picture = (
        await client.post("/api/v1/assets", files={"file": ("map.png", PICTURE)}, headers=teacher)
    ).json()["id"]
    slot = gradebook.past_slot(gradebook.math_7a)
    patched = await client.patch(
        f"/api/v1/slots/{slot.id}", json={"attachments": [attachment]}, headers=teacher
    )
    assert patched.status_code == 200, patched.text
    lesson = await client.post(
        "/api/v1/lessons",
        json={"title": "Карта", "blocks": [{"kind": "image", "asset": picture, "alt": "карта"}]},
        headers=teacher,
    )
    assert lesson.status_code == 201, lesson.text
    published = await client.post(f"/api/v1/lessons/{lesson.json()['id']}/publish", headers=teacher)
    assert published.status_code == 200, published.text

    async with sessionmaker() as session:
        school = await school_create(session, name="Гимназия № 3", slug="gymnasium-3")
        await user_create(
            session,
            actor=None,
            school_id=school.id,
            data=UserCreate(
                login="stranger", name="Чужой Учитель", role=Role.teacher, password="password-3"
            ),
        )

    async def fetch(sha: str, login: str, prefix: str) -> httpx.Response:
        return await client.get(f"{prefix}/{sha}", headers=await as_user(login))

    for prefix in ("/assets", "/api/v1/assets"):
        for sha, content in ((attachment, PNG), (picture, PICTURE)):
            served = await fetch(sha, "pupil", prefix)  # a pupil of 7A
            assert served.status_code == 200, (prefix, sha)
            assert served.content == content
            assert served.headers["content-type"] == "image/png"
            assert served.headers["x-content-type-options"] == "nosniff"
            assert served.headers["cache-control"] == "private, max-age=86400"
            # a teacher of another school gets neither
            assert (await fetch(sha, "stranger", prefix)).status_code == 404, (prefix, sha)
        # a pupil of 7B: not the homework of 7A, but the library's published lesson
        assert (await fetch(attachment, "pupil2", prefix)).status_code == 404
        assert (await fetch(picture, "pupil2", prefix)).status_code == 200


async def test_attachments_show_the_names_they_were_uploaded_with(
    client: httpx.AsyncClient, as_user, gradebook: Gradebook
) -> None:
    teacher = await as_user("teacher")
    names = ("Задачи к § 12.png", "map.png")
    ids = [
        (
            await client.post(
                "/api/v1/assets", files={"file": (name, PNG + bytes([n]))}, headers=teacher
            )
        ).json()["id"]
        for n, name in enumerate(names)
    ]
    slot = gradebook.past_slot(gradebook.math_7a)
    patched = await client.patch(
        f"/api/v1/slots/{slot.id}",
        json={"homework": "Решить задачи", "attachments": ids},
        headers=teacher,
    )
    assert patched.status_code == 200, patched.text
    expected = [{"id": sha, "name": name} for sha, name in zip(ids, names, strict=True)]

    journal = (
        await client.get(f"/api/v1/courses/{gradebook.math_7a}/journal", headers=teacher)
    ).json()
    assert next(s for s in journal["slots"] if s["id"] == slot.id)["files"] == expected
    pupil = gradebook.pupil("pupil")
    parent = await as_user("parent")
    week = (
        await client.get(
            f"/api/v1/diary/{pupil.id}", params={"from": slot.date.isoformat()}, headers=parent
        )
    ).json()
    lesson = next(
        item for day in week["days"] for item in day["lessons"] if item["slot_id"] == slot.id
    )
    assert lesson["files"] == expected
    page = await client.get("/diary", params={"week": slot.date.isoformat()}, headers=parent)
    assert ">Задачи к § 12.png</a>" in page.text and ">map.png</a>" in page.text
    assert ">File 1</a>" not in page.text
