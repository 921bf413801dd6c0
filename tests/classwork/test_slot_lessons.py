"""A journal slot linked to a library lesson: pinned to its published version, shown to the
class's pupils and their parents (without keys), to nobody else."""

from __future__ import annotations

import httpx
from starlette.applications import Starlette

from tests.classwork.conftest import Gradebook, Library


async def test_a_slot_pins_the_published_version_and_families_can_open_it(
    app: Starlette, client: httpx.AsyncClient, as_user, gradebook: Gradebook, library: Library
) -> None:
    teacher = await as_user("teacher")
    slot = gradebook.past_slot(gradebook.math_7a)
    linked = await client.patch(
        f"/api/v1/slots/{slot.id}",
        json={"lesson_id": library.lesson_id, "topic": "Дроби"},
        headers=teacher,
    )
    assert linked.status_code == 200, linked.text
    assert linked.json()["lesson"] == {
        "lesson_id": library.lesson_id,
        "version": 1,
        "title": "Дроби",
    }
    assert linked.json()["topic"] == "Дроби"

    # A later edit and publish of the lesson does not move what the slot pinned.
    lesson = (await client.get(f"/api/v1/lessons/{library.lesson_id}", headers=teacher)).json()
    await client.put(
        f"/api/v1/lessons/{library.lesson_id}",
        json={**lesson, "title": "Дроби, издание 2"},
        headers=teacher,
    )
    assert (
        await client.post(f"/api/v1/lessons/{library.lesson_id}/publish", headers=teacher)
    ).json()["version"] == 2
    slot_now = (await client.get(f"/api/v1/slots/{slot.id}", headers=teacher)).json()
    assert slot_now["lesson"]["version"] == 1

    for login in ("pupil", "parent"):
        page = await client.get(f"/slots/{slot.id}/lesson", headers=await as_user(login))
        assert page.status_code == 200, (login, page.text[:300])
        assert "Дроби" in page.text and "издание 2" not in page.text
        assert "Москва" not in page.text  # the answer key of the text question
    assert (
        await client.get(f"/slots/{slot.id}/lesson", headers=await as_user("pupil2"))
    ).status_code == 404


async def test_only_a_published_lesson_the_teacher_may_see_is_linked(
    client: httpx.AsyncClient, as_user, gradebook: Gradebook, library: Library
) -> None:
    teacher, teacher2 = await as_user("teacher"), await as_user("teacher2")
    draft = await client.post(
        "/api/v1/lessons",
        json={"title": "Черновик", "subject": "Математика", "grades": [7], "blocks": []},
        headers=teacher,
    )
    slot = gradebook.past_slot(gradebook.math_7a)
    unpublished = await client.patch(
        f"/api/v1/slots/{slot.id}", json={"lesson_id": draft.json()["id"]}, headers=teacher
    )
    assert unpublished.status_code == 404
    not_theirs = await client.patch(
        f"/api/v1/slots/{slot.id}", json={"lesson_id": library.lesson_id}, headers=teacher2
    )
    assert not_theirs.status_code in (403, 404)
    by_pupil = await client.patch(
        f"/api/v1/slots/{slot.id}",
        json={"lesson_id": library.lesson_id},
        headers=await as_user("pupil"),
    )
    assert by_pupil.status_code == 403
    unchanged = (await client.get(f"/api/v1/slots/{slot.id}", headers=teacher)).json()
    assert unchanged["lesson"] is None
