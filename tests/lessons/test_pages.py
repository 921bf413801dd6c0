"""The library's HTML pages: who gets which page, and what they show."""

from __future__ import annotations

import re
from typing import Any

import httpx

BODY: dict[str, Any] = {
    "title": "Тема <b>урока</b>",
    "subject": "Physics",
    "grades": [7],
    "tags": ["механика"],
    "blocks": [
        {"kind": "text", "text": "Скорость — это *путь за единицу времени*. <script>x()</script>"},
        {
            "kind": "quiz",
            "questions": [
                {
                    "kind": "single",
                    "prompt": "Единица скорости?",
                    "options": ["м/с", "кг"],
                    "answer": 0,
                }
            ],
        },
    ],
}


async def publish(client: httpx.AsyncClient, headers: dict[str, str]) -> int:
    lesson = (await client.post("/api/v1/lessons", json=BODY, headers=headers)).json()
    await client.post(f"/api/v1/lessons/{lesson['id']}/publish", headers=headers)
    return lesson["id"]


async def test_pages_render_for_the_roles_that_have_them(client, as_user):
    physics = await as_user("physics")
    lesson_id = await publish(client, physics)
    for login in ("physics", "teacher", "pupil", "admin"):
        headers = await as_user(login)
        for path in ("/lessons", f"/lessons/{lesson_id}", f"/lessons/{lesson_id}/present"):
            response = await client.get(path, headers=headers)
            assert response.status_code == 200, (login, path)
            assert "text/html" in response.headers["content-type"]
    page = (await client.get(f"/lessons/{lesson_id}", headers=physics)).text
    assert "Тема &lt;b&gt;урока&lt;/b&gt;" in page  # titles are escaped
    assert "<em>путь за единицу времени</em>" in page  # text blocks are rendered
    assert "<script>x()" not in page
    editor = await client.get(f"/lessons/{lesson_id}/edit", headers=physics)
    assert editor.status_code == 200
    assert '"revision": 1' in editor.text  # the editor starts from the saved revision
    assert (await client.get("/lessons/new", headers=physics)).status_code == 200


async def test_pages_refuse_whom_they_must(client, as_user):
    physics = await as_user("physics")
    lesson_id = await publish(client, physics)
    parent = await as_user("parent")
    assert (await client.get("/lessons", headers=parent)).status_code == 403
    assert (await client.get(f"/lessons/{lesson_id}", headers=parent)).status_code == 403
    teacher = await as_user("teacher")
    assert (await client.get(f"/lessons/{lesson_id}/edit", headers=teacher)).status_code == 403
    assert (await client.get("/lessons/new", headers=await as_user("pupil"))).status_code == 403
    assert (await client.get("/lessons/999999", headers=teacher)).status_code == 404
    anonymous = await client.get("/lessons")
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")


async def test_pupils_page_has_no_answer_keys(client, as_user):
    lesson_id = await publish(client, await as_user("physics"))
    pupil = (await client.get(f"/lessons/{lesson_id}", headers=await as_user("pupil"))).text
    teacher = (await client.get(f"/lessons/{lesson_id}", headers=await as_user("teacher"))).text
    assert "is-correct" in teacher and 'data-action="answers"' in teacher
    assert "is-correct" not in pupil and 'data-action="answers"' not in pupil
    present = (
        await client.get(f"/lessons/{lesson_id}/present", headers=await as_user("pupil"))
    ).text
    assert "is-correct" not in present and "data-reveal" not in present


async def test_library_page_searches_and_speaks_russian(client, as_user):
    await publish(client, await as_user("physics"))
    headers = {**(await as_user("teacher")), "Accept-Language": "ru"}
    found = await client.get("/lessons?q=скорость", headers=headers)
    assert "Тема &lt;b&gt;урока&lt;/b&gt;" in found.text
    assert "Библиотека уроков" in found.text
    assert "Физика" in found.text  # the subject, translated
    empty = await client.get("/lessons?q=несуществующееслово", headers=headers)
    assert "Ничего не найдено" in empty.text


async def test_the_lesson_page_offers_every_export_format_and_each_downloads(client, as_user):
    teacher = await as_user("teacher")
    lesson_id = await publish(client, await as_user("physics"))
    page = (await client.get(f"/lessons/{lesson_id}", headers=teacher)).text
    links = re.findall(rf'href="(/api/v1/lessons/{lesson_id}/export[^"]*)" download', page)
    assert len(links) == 3
    kinds = set()
    for link in links:
        response = await client.get(link.replace("&amp;", "&"), headers=teacher)
        assert response.status_code == 200, link
        assert response.content.startswith(b"PK")  # each is a package (zip)
        kinds.add(response.headers["content-disposition"].rsplit(".", 1)[-1])
    assert kinds == {'zip"', 'imscc"'}  # our zip and the QTI package are .zip, the cartridge not
    pupil = (await client.get(f"/lessons/{lesson_id}", headers=await as_user("pupil"))).text
    assert "/export" not in pupil
