"""Conditional GETs of the journal (JSON and page): a tag known before building, 304 while
nothing changed, a new tag and the new value as soon as a mark is written."""

from __future__ import annotations

import httpx
import pytest

from tests.gradebook.conftest import Gradebook


@pytest.mark.parametrize("kind", ["json", "html"])
async def test_journal_answers_304_until_a_mark_changes_it(
    client: httpx.AsyncClient, as_user, gradebook: Gradebook, kind: str
) -> None:
    teacher = await as_user("teacher")
    course = gradebook.math_7a
    path = (
        f"/api/v1/courses/{course}/journal?term={gradebook.term_id}"
        if kind == "json"
        else f"/journal/{course}?term={gradebook.term_id}"
    )
    first = await client.get(path, headers=teacher)
    assert first.status_code == 200, first.text
    etag = first.headers["etag"]
    assert etag.startswith('W/"') and "private" in first.headers["cache-control"]

    again = await client.get(path, headers={**teacher, "If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag

    pupil = gradebook.classmate()
    slot = gradebook.past_slot(course)
    marked = await client.post(
        "/api/v1/marks",
        json={"pupil_id": pupil.id, "slot_id": slot.id, "value": 5, "work_type": "classwork"},
        headers=teacher,
    )
    assert marked.status_code == 201, marked.text
    mark_id = marked.json()["id"]

    changed = await client.get(path, headers={**teacher, "If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    assert f'"id":{mark_id},' in changed.text  # the new mark is in the body (JSON or page)


async def test_a_tag_is_not_another_callers_and_not_another_languages(
    client: httpx.AsyncClient, as_user, gradebook: Gradebook
) -> None:
    path = f"/api/v1/courses/{gradebook.math_7a}/journal?term={gradebook.term_id}"
    teacher = await as_user("teacher")
    admin = await as_user("admin")
    etag = (await client.get(path, headers=teacher)).headers["etag"]
    as_admin = await client.get(path, headers={**admin, "If-None-Match": etag})
    assert as_admin.status_code == 200 and as_admin.headers["etag"] != etag
    russian = await client.get(
        path, headers={**teacher, "If-None-Match": etag, "Accept-Language": "ru"}
    )
    assert russian.status_code == 200 and russian.headers["etag"] != etag


async def test_a_pupils_new_name_is_a_new_journal(
    client: httpx.AsyncClient, as_user, gradebook: Gradebook, app
) -> None:
    # A write outside the gradebook's services (another package, a bulk update) bumps the
    # revision too: the triggers see every write.
    from sqlmodel import update

    from eschool.models import User

    teacher = await as_user("teacher")
    path = f"/api/v1/courses/{gradebook.math_7a}/journal?term={gradebook.term_id}"
    etag = (await client.get(path, headers=teacher)).headers["etag"]
    pupil = gradebook.classmate()
    async with app.state.sessionmaker() as session:
        await session.exec(update(User).where(User.id == pupil.id).values(name="Яна Новая"))  # type: ignore[call-overload]
        await session.commit()
    fresh = await client.get(path, headers={**teacher, "If-None-Match": etag})
    assert fresh.status_code == 200
    assert "Яна Новая" in {p["name"] for p in fresh.json()["pupils"]}
