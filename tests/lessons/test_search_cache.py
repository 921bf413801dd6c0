"""Search answers are reused only while the school's library is unchanged (lessons.search_cache):
every write, through the API or straight into the database by another process, is found on
the next search."""

from __future__ import annotations

import pytest
from sqlalchemy import event, text

from eschool.db import create_engine
from lessons import search_cache
from tests.lessons.test_search import LESSONS, publish, titles


@pytest.fixture
def statements(app):
    """A counter of the statements the app's engine runs."""
    counted = {"n": 0}

    def count(*_args) -> None:
        counted["n"] += 1

    event.listen(app.state.engine.sync_engine, "before_cursor_execute", count)
    yield counted
    event.remove(app.state.engine.sync_engine, "before_cursor_execute", count)


async def test_an_unchanged_library_answers_again_without_reading_its_rows(
    client, as_user, statements
):
    teacher, pupil = await as_user("teacher"), await as_user("pupil")
    await publish(client, teacher, LESSONS[1])
    runs = []
    for headers in (teacher, teacher, pupil):
        before = statements["n"]
        first = await client.get("/api/v1/lessons?q=уравн", headers=headers)
        runs.append(statements["n"] - before)
        assert first.json()["total"] == 1
    # The page statement is read once; the teacher's and the pupil's answers are the same.
    assert runs[1] == runs[0] - 1
    assert runs[2] <= runs[1]


async def test_writes_through_the_api_are_found_on_the_next_search(client, as_user):
    teacher = await as_user("teacher")
    assert await titles(client, teacher, "?q=уравн") == []
    lesson_id = await publish(client, teacher, LESSONS[1])
    assert await titles(client, teacher, "?q=уравн") == ["Линейные уравнения"]

    lesson = (await client.get(f"/api/v1/lessons/{lesson_id}", headers=teacher)).json()
    edited = {**LESSONS[1], "title": "Уравнения с двумя неизвестными", "revision": 1}
    assert lesson["revision"] == 1
    response = await client.put(f"/api/v1/lessons/{lesson_id}", json=edited, headers=teacher)
    assert response.status_code == 200, response.text
    # The working copy changed; the library lists the published version until it is published.
    assert await titles(client, teacher, "?q=уравн&author=me") == [edited["title"]]
    assert await titles(client, teacher, "?q=уравн") == ["Линейные уравнения"]
    await client.post(f"/api/v1/lessons/{lesson_id}/publish", headers=teacher)
    assert await titles(client, teacher, "?q=уравн") == [edited["title"]]

    assert (await client.delete(f"/api/v1/lessons/{lesson_id}", headers=teacher)).is_success
    assert await titles(client, teacher, "?q=уравн") == []


async def test_writes_of_another_process_are_found_on_the_next_search(
    client, as_user, database_url
):
    teacher = await as_user("teacher")
    lesson_id = await publish(client, teacher, LESSONS[1])
    body = (await client.get("/api/v1/lessons?q=уравн", headers=teacher)).json()
    assert body["items"][0]["copies"] == 0

    other = create_engine(database_url)  # another process: its own engine and connections
    try:
        async with other.begin() as connection:
            await connection.execute(
                text("UPDATE lessons SET copies = 3 WHERE id = :id"), {"id": lesson_id}
            )
        body = (await client.get("/api/v1/lessons?q=уравн", headers=teacher)).json()
        assert body["items"][0]["copies"] == 3

        async with other.begin() as connection:
            await connection.execute(
                text("UPDATE users SET name = 'Renamed Teacher' WHERE login = 'teacher'")
            )
        body = (await client.get("/api/v1/lessons?q=уравн", headers=teacher)).json()
        assert body["items"][0]["author"]["name"] == "Renamed Teacher"
    finally:
        await other.dispose()


async def test_own_searches_are_answered_per_person(client, as_user):
    teacher, teacher2 = await as_user("teacher"), await as_user("teacher2")
    await publish(client, teacher, LESSONS[1])
    await publish(client, teacher2, {**LESSONS[1], "title": "Уравнения teacher2"})
    assert await titles(client, teacher, "?q=уравн&author=me") == ["Линейные уравнения"]
    assert await titles(client, teacher2, "?q=уравн&author=me") == ["Уравнения teacher2"]
    both = await titles(client, teacher2, "?q=уравн")
    assert sorted(both) == sorted(await titles(client, teacher, "?q=уравн"))
    assert len(both) == 2


def test_answers_kept_are_bounded_by_size(monkeypatch):
    monkeypatch.setattr(search_cache, "KEPT_BYTES", 100)
    answers = search_cache._Answers()
    for n in range(6):
        answers.put(n, 7, bytes(20))
    assert [n for n in range(6) if answers.get(n, 7) is not None] == [1, 2, 3, 4, 5]
    assert answers.get(5, 8) is None  # another generation
    answers.put("large", 7, bytes(26))  # more than a quarter of the bound: not kept
    assert answers.get("large", 7) is None
    assert answers.size == 100
