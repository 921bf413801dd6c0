"""The lessons API: create, read, edit with revisions, publish, versions, copy, archive."""

from __future__ import annotations

from typing import Any

import httpx

from eschool.models import User
from lessons.queries import lesson_version_get

QUIZ = {
    "kind": "quiz",
    "questions": [
        {"kind": "single", "prompt": "2 + 2 = ?", "options": ["3", "4", "5"], "answer": 1},
        {
            "kind": "number",
            "prompt": "1/4 как десятичная дробь",
            "answer": {"value": 0.25, "tolerance": 0},
        },
    ],
}


def lesson_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "Линейные уравнения",
        "summary": "Решаем уравнения вида ax + b = c",
        "subject": "Mathematics",
        "grades": [7],
        "tags": ["уравнения", "algebra"],
        "blocks": [{"kind": "text", "text": "Уравнение — это **равенство**."}, QUIZ],
    }
    body.update(changes)
    return body


async def create(client: httpx.AsyncClient, headers: dict[str, str], **changes: Any) -> dict:
    response = await client.post("/api/v1/lessons", json=lesson_body(**changes), headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def test_create_returns_the_draft_with_ids_html_and_defaults(client, as_user):
    teacher = await as_user("teacher")
    lesson = await create(client, teacher)
    assert lesson["status"] == "draft"
    assert lesson["revision"] == 1
    assert lesson["version"] is None
    assert lesson["licence"] == "CC-BY-SA-4.0"
    assert lesson["language"] == "ru"
    assert lesson["author"]["name"] == "Анна Викторовна Петрова"
    assert lesson["can_edit"] is True
    text, quiz = lesson["blocks"]
    assert text["id"] and quiz["id"] and text["id"] != quiz["id"]
    assert text["html"] == "<p>Уравнение — это <strong>равенство</strong>.</p>\n"
    assert quiz["questions"][0]["answer"] == 1

    again = await client.get(f"/api/v1/lessons/{lesson['id']}", headers=teacher)
    assert again.status_code == 200
    assert again.json()["blocks"] == lesson["blocks"]


async def test_create_refuses_invalid_lessons_with_details(client, as_user):
    teacher = await as_user("teacher")
    bad_key = {
        "kind": "quiz",
        "questions": [{"kind": "single", "prompt": "?", "options": ["a", "b"], "answer": 5}],
    }
    for body in (
        lesson_body(title=""),
        lesson_body(grades=[12]),
        lesson_body(blocks=[bad_key]),
        lesson_body(blocks=[{"kind": "slideshow"}]),
    ):
        response = await client.post("/api/v1/lessons", json=body, headers=teacher)
        assert response.status_code == 422, body
        assert response.json()["error"]["code"] == "invalid"
    listed = await client.get("/api/v1/lessons?author=me", headers=teacher)
    assert listed.json()["total"] == 0


async def test_script_in_a_text_block_comes_back_as_safe_html(client, as_user):
    teacher = await as_user("teacher")
    text = "Hi <script>alert(1)</script> [x](javascript:alert(2)) <img src=x onerror=alert(3)>"
    lesson = await create(client, teacher, blocks=[{"kind": "text", "text": text}])
    html = lesson["blocks"][0]["html"]
    assert "<script" not in html
    assert "<img" not in html
    assert 'href="javascript' not in html
    assert "&lt;script&gt;" in html  # shown as text, never run
    assert lesson["blocks"][0]["text"] == text  # the source is kept as written


async def test_edit_bumps_the_revision_and_a_stale_revision_gets_409(client, as_user):
    teacher = await as_user("teacher")
    lesson = await create(client, teacher)
    url = f"/api/v1/lessons/{lesson['id']}"
    edited = {**lesson, "title": "Уравнения с одной переменной"}  # the GET shape is accepted
    first = await client.put(url, json=edited, headers=teacher)
    assert first.status_code == 200, first.text
    assert first.json()["revision"] == 2
    assert first.json()["title"] == "Уравнения с одной переменной"

    stale = await client.put(url, json={**lesson, "title": "Другое"}, headers=teacher)
    assert stale.status_code == 409
    assert stale.json()["error"]["code"] == "conflict"
    assert stale.json()["error"]["details"] == {"revision": 2}
    current = (await client.get(url, headers=teacher)).json()
    assert current["title"] == "Уравнения с одной переменной"
    assert current["revision"] == 2


async def test_edit_keeps_block_ids_and_takes_new_blocks(client, as_user):
    teacher = await as_user("teacher")
    lesson = await create(client, teacher)
    blocks = [*lesson["blocks"], {"kind": "poll", "prompt": "Понятно?", "options": ["Да", "Нет"]}]
    response = await client.put(
        f"/api/v1/lessons/{lesson['id']}",
        json={**lesson, "blocks": list(reversed(blocks))},
        headers=teacher,
    )
    saved = response.json()["blocks"]
    assert [b["kind"] for b in saved] == ["poll", "quiz", "text"]
    assert saved[1]["id"] == lesson["blocks"][1]["id"]
    assert saved[0]["id"]


async def test_publish_makes_immutable_versions_and_edits_stay_drafts(client, as_user):
    teacher = await as_user("teacher")
    other = await as_user("teacher2")
    lesson = await create(client, teacher)
    url = f"/api/v1/lessons/{lesson['id']}"
    published = await client.post(f"{url}/publish", headers=teacher)
    assert published.status_code == 200
    assert published.json() == {"version": 1}
    again = await client.post(f"{url}/publish", headers=teacher)
    assert again.json() == {"version": 1}  # nothing changed, no new snapshot

    edit = await client.put(url, json={**lesson, "title": "Черновик v2"}, headers=teacher)
    assert edit.status_code == 200
    mine = edit.json()
    assert mine["status"] == "published" and mine["draft_changes"] is True
    assert mine["version"] == 1
    # Others still see version 1, not the unpublished edit.
    seen = (await client.get(url, headers=other)).json()
    assert seen["title"] == "Линейные уравнения"
    assert seen["shown_version"] == 1 and seen["revision"] is None and seen["can_edit"] is False

    assert (await client.post(f"{url}/publish", headers=teacher)).json() == {"version": 2}
    versions = (await client.get(f"{url}/versions", headers=other)).json()
    assert versions["total"] == 2
    assert [v["version"] for v in versions["items"]] == [2, 1]
    assert versions["items"][0]["title"] == "Черновик v2"
    assert versions["items"][0]["published_by"]["name"] == "Анна Викторовна Петрова"
    first = (await client.get(f"{url}/versions/1", headers=other)).json()
    assert first["title"] == "Линейные уравнения"
    assert first["blocks"][0]["html"].startswith("<p>")
    assert (await client.get(f"{url}/versions/3", headers=other)).status_code == 404
    assert (await client.get(url, headers=other)).json()["title"] == "Черновик v2"


async def test_publishing_an_empty_lesson_is_refused(client, as_user):
    teacher = await as_user("teacher")
    lesson = await create(client, teacher, blocks=[])
    response = await client.post(f"/api/v1/lessons/{lesson['id']}/publish", headers=teacher)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "empty_lesson"


async def test_pupils_see_published_lessons_without_answer_keys(client, as_user):
    teacher = await as_user("teacher")
    pupil = await as_user("pupil")
    lesson = await create(client, teacher)
    url = f"/api/v1/lessons/{lesson['id']}"
    assert (await client.get(url, headers=pupil)).status_code == 404  # a draft
    await client.post(f"{url}/publish", headers=teacher)
    seen = (await client.get(url, headers=pupil)).json()
    questions = seen["blocks"][1]["questions"]
    assert all("answer" not in q for q in questions)
    assert questions[0]["options"] == ["3", "4", "5"]
    teacher2 = (await client.get(url, headers=await as_user("teacher2"))).json()
    assert teacher2["blocks"][1]["questions"][0]["answer"] == 1


async def test_copy_makes_a_draft_with_attribution_and_counts(client, as_user):
    teacher = await as_user("teacher")
    teacher2 = await as_user("teacher2")
    lesson = await create(client, teacher)
    url = f"/api/v1/lessons/{lesson['id']}"
    await client.post(f"{url}/publish", headers=teacher)
    response = await client.post(f"{url}/copy", headers=teacher2)
    assert response.status_code == 201, response.text
    copy = response.json()
    assert copy["id"] != lesson["id"]
    assert copy["status"] == "draft" and copy["version"] is None
    assert copy["author"]["name"] == "Елена Игоревна Смирнова"
    assert copy["copied_from"] == {
        "id": lesson["id"],
        "title": "Линейные уравнения",
        "author": "Анна Викторовна Петрова",
        "version": 1,
    }
    assert copy["blocks"] == (await client.get(url, headers=teacher)).json()["blocks"]
    assert (await client.get(url, headers=teacher)).json()["copies"] == 1
    # The copy is the copier's own: they may edit it, the original's author may not see it.
    edit = await client.put(
        f"/api/v1/lessons/{copy['id']}", json={**copy, "title": "Моя версия"}, headers=teacher2
    )
    assert edit.status_code == 200
    assert (await client.get(f"/api/v1/lessons/{copy['id']}", headers=teacher)).status_code == 404


async def test_a_copy_is_titled_as_a_copy_in_the_copier_s_language(client, as_user):
    """Two lessons of the same title in a picker cannot be told apart: a copy says it is one
    ("Копия: …" for a Russian interface, "Copy of …" for an English one), within the limit."""
    teacher = await as_user("teacher")
    long_title = "Сила трения " + "и движение " * 20
    lesson = await create(client, teacher, title=long_title[:200])
    url = f"/api/v1/lessons/{lesson['id']}"
    await client.post(f"{url}/publish", headers=teacher)
    copier = await as_user("teacher2")
    short = await create(client, teacher, title="Сила трения")
    await client.post(f"/api/v1/lessons/{short['id']}/publish", headers=teacher)
    for lang, expected in (("ru", "Копия: Сила трения"), ("en", "Copy of Сила трения")):
        headers = {**copier, "Accept-Language": lang}
        copy = await client.post(f"/api/v1/lessons/{short['id']}/copy", headers=headers)
        assert copy.status_code == 201 and copy.json()["title"] == expected
    long_copy = await client.post(f"{url}/copy", headers={**copier, "Accept-Language": "ru"})
    assert long_copy.status_code == 201, long_copy.text
    title = long_copy.json()["title"]
    assert title.startswith("Копия: Сила трения") and title.endswith("…") and len(title) == 200
    assert long_copy.json()["copied_from"]["title"] == long_title[:200]


async def test_archive_hides_from_the_library_but_versions_stay_readable(client, as_user):
    teacher = await as_user("teacher")
    teacher2 = await as_user("teacher2")
    pupil = await as_user("pupil")
    lesson = await create(client, teacher)
    url = f"/api/v1/lessons/{lesson['id']}"
    await client.post(f"{url}/publish", headers=teacher)
    deleted = await client.delete(url, headers=teacher)
    assert deleted.status_code == 204
    assert (await client.get(url, headers=teacher)).json()["status"] == "archived"
    listed = await client.get("/api/v1/lessons", headers=teacher2)
    assert listed.json()["total"] == 0
    archived = await client.get("/api/v1/lessons?status=archived&author=me", headers=teacher)
    assert [item["id"] for item in archived.json()["items"]] == [lesson["id"]]
    # Teachers may still open it by id and its versions; pupils no longer find it.
    assert (await client.get(url, headers=teacher2)).status_code == 200
    assert (await client.get(f"{url}/versions/1", headers=teacher2)).status_code == 200
    assert (await client.get(url, headers=pupil)).status_code == 404
    # An archived lesson does not change.
    response = await client.put(url, json=lesson, headers=teacher)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "archived"


async def test_version_get_for_the_other_packages(client, as_user, sessionmaker, people):
    teacher = await as_user("teacher")
    lesson = await create(client, teacher)
    url = f"/api/v1/lessons/{lesson['id']}"
    staff: dict[str, User] = people.staff
    await client.post(f"{url}/publish", headers=teacher)
    await client.put(url, json={**lesson, "title": "Новое"}, headers=teacher)
    async with sessionmaker() as session:
        snapshot = await lesson_version_get(
            session, actor=staff["teacher2"], lesson_id=lesson["id"]
        )
        assert snapshot["version"] == 1
        assert snapshot["blocks"][1]["questions"][0]["answer"] == 1
        assert snapshot["blocks"][0]["html"]
        pupil = people.pupils["7A"][0]
        for_pupil = await lesson_version_get(
            session, actor=pupil, lesson_id=lesson["id"], version=1
        )
        assert "answer" not in for_pupil["blocks"][1]["questions"][0]


async def test_unknown_asset_in_a_block_is_refused(client, as_user):
    teacher = await as_user("teacher")
    body = lesson_body(blocks=[{"kind": "image", "asset": "a" * 64, "alt": "?"}])
    response = await client.post("/api/v1/lessons", json=body, headers=teacher)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "unknown_asset"


async def test_markdown_preview_renders_like_the_blocks(client, as_user):
    teacher = await as_user("teacher")
    response = await client.post(
        "/api/v1/lessons/preview", json={"text": "# Тема\n<b>x</b> $x^2$"}, headers=teacher
    )
    assert response.status_code == 200
    html = response.json()["html"]
    assert "<h1>Тема</h1>" in html
    assert "<b>" not in html
    assert '<span class="math-inline">x^2</span>' in html
