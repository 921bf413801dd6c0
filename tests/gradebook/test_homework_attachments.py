"""Files attached to homework reach the class's pupils and parents, nobody else."""

from __future__ import annotations

import hashlib

import httpx

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
