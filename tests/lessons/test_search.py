"""Searching the library: full text (SQLite FTS5 and PostgreSQL), filters, sorting, pages."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from lessons.search import search_terms


def text(words: str) -> dict[str, Any]:
    return {"kind": "text", "text": words}


LESSONS: list[dict[str, Any]] = [
    {
        "title": "Фотосинтез",
        "subject": "Biology",
        "grades": [6, 7],
        "tags": ["растения"],
        "summary": "Как листья делают сахар из света",
        "blocks": [text("Хлорофилл поглощает **свет**. Уравнения реакции мы не пишем.")],
    },
    {
        "title": "Линейные уравнения",
        "subject": "Mathematics",
        "grades": [7],
        "tags": ["алгебра", "Equations"],
        "summary": "ax + b = c",
        "blocks": [text("Перенесите слагаемые и разделите на коэффициент.")],
    },
    {
        "title": "The Present Perfect",
        "subject": "English",
        "grades": [7, 8],
        "tags": ["grammar"],
        "summary": "Have you ever…?",
        "blocks": [text("We use the *present perfect* for experience: I have seen a whale.")],
    },
]


async def publish(client: httpx.AsyncClient, headers: dict[str, str], body: dict) -> int:
    response = await client.post("/api/v1/lessons", json=body, headers=headers)
    assert response.status_code == 201, response.text
    lesson_id = response.json()["id"]
    assert (
        await client.post(f"/api/v1/lessons/{lesson_id}/publish", headers=headers)
    ).status_code == 200
    return lesson_id


@pytest.fixture
async def library(client, as_user) -> dict[str, int]:
    """Three published lessons (by teacher, teacher2, biology) and a draft of teacher's."""
    ids = {}
    for login, body in zip(("biology", "teacher", "teacher2"), LESSONS, strict=True):
        ids[body["title"]] = await publish(client, await as_user(login), body)
    draft = {
        **LESSONS[1],
        "title": "Квадратные уравнения (черновик)",
        "blocks": [text("Дискриминант")],
    }
    response = await client.post("/api/v1/lessons", json=draft, headers=await as_user("teacher"))
    ids["draft"] = response.json()["id"]
    return ids


async def titles(client: httpx.AsyncClient, headers: dict[str, str], query: str) -> list[str]:
    response = await client.get(f"/api/v1/lessons{query}", headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] >= len(body["items"])
    return [item["title"] for item in body["items"]]


def test_search_terms_keep_words_and_drop_query_syntax():
    assert search_terms('"Дроби" OR -x* (NEAR) Ёлка') == ["дроби", "or", "x", "near", "елка"]
    assert search_terms("  ") == []
    assert len(search_terms("a " * 50)) == 8


async def test_full_text_finds_russian_words_in_text_blocks(client, as_user, library):
    pupil = await as_user("pupil")
    assert await titles(client, pupil, "?q=хлорофилл") == ["Фотосинтез"]
    assert await titles(client, pupil, "?q=ХЛОРОФИЛЛ") == ["Фотосинтез"]
    # A word's beginning finds its forms: "коэффициент" from "коэффициент", "слагаем".
    assert await titles(client, pupil, "?q=слагаем") == ["Линейные уравнения"]
    assert await titles(client, pupil, "?q=whale") == ["The Present Perfect"]
    # Every word must match; tags and the summary are searched too.
    assert await titles(client, pupil, "?q=растения свет") == ["Фотосинтез"]
    assert await titles(client, pupil, "?q=листья") == ["Фотосинтез"]
    assert await titles(client, pupil, "?q=grammar") == ["The Present Perfect"]
    assert await titles(client, pupil, "?q=хлорофилл whale") == []
    # Query syntax is not ours to run: operators and quotes are just words.
    assert await titles(client, pupil, '?q="свет" OR') == []
    assert await titles(client, pupil, "?q=*") != []  # no words: everything


async def test_title_hits_rank_first(client, as_user, library):
    teacher2 = await as_user("teacher2")
    # "уравнения" is in one lesson's title and in another's text: the title wins.
    assert await titles(client, teacher2, "?q=уравнения") == ["Линейные уравнения", "Фотосинтез"]


async def test_drafts_are_found_only_by_their_author(client, as_user, library):
    assert await titles(client, await as_user("teacher2"), "?q=дискриминант") == []
    assert await titles(client, await as_user("teacher2"), "?q=дискриминант&status=draft") == []
    teacher = await as_user("teacher")
    assert await titles(client, teacher, "?q=дискриминант") == []  # the library shows published
    mine = await titles(client, teacher, "?q=дискриминант&author=me")
    assert mine == ["Квадратные уравнения (черновик)"]


async def test_filters(client, as_user, library, people):
    teacher = await as_user("teacher")
    assert await titles(client, teacher, "?subject=Biology") == ["Фотосинтез"]
    assert await titles(client, teacher, "?subject=biology") == ["Фотосинтез"]
    assert sorted(await titles(client, teacher, "?grade=7")) == [
        "The Present Perfect",
        "Линейные уравнения",
        "Фотосинтез",
    ]
    assert await titles(client, teacher, "?grade=8") == ["The Present Perfect"]
    assert await titles(client, teacher, "?grade=6&subject=Biology") == ["Фотосинтез"]
    assert await titles(client, teacher, "?tag=equations") == ["Линейные уравнения"]
    assert await titles(client, teacher, "?tag=Алгебра") == ["Линейные уравнения"]
    assert await titles(client, teacher, "?tag=алг") == []  # tags match whole
    teacher2_id = people.staff["teacher2"].id
    assert await titles(client, teacher, f"?author={teacher2_id}") == ["The Present Perfect"]
    assert sorted(await titles(client, teacher, "?author=me")) == [
        "Квадратные уравнения (черновик)",
        "Линейные уравнения",
    ]
    assert await titles(client, teacher, "?author=me&status=draft") == [
        "Квадратные уравнения (черновик)"
    ]
    assert await titles(client, teacher, "?author=me&status=published") == ["Линейные уравнения"]
    assert len(await titles(client, teacher, "?status=published")) == 3
    bad = await client.get("/api/v1/lessons?grade=12", headers=teacher)
    assert bad.status_code == 422
    assert (await client.get("/api/v1/lessons?sort=best", headers=teacher)).status_code == 422


async def test_sorting_and_pages(client, as_user, library):
    teacher = await as_user("teacher")
    # Newest first by default.
    assert await titles(client, teacher, "") == [
        "The Present Perfect",
        "Линейные уравнения",
        "Фотосинтез",
    ]
    assert await titles(client, teacher, "?sort=title") == [
        "The Present Perfect",
        "Линейные уравнения",
        "Фотосинтез",
    ]
    copier = await as_user("history")
    for _ in range(2):
        await client.post(f"/api/v1/lessons/{library['Фотосинтез']}/copy", headers=copier)
    await client.post(f"/api/v1/lessons/{library['Линейные уравнения']}/copy", headers=copier)
    copied = (await client.get("/api/v1/lessons?sort=copied", headers=teacher)).json()["items"]
    assert [(item["title"], item["copies"]) for item in copied] == [
        ("Фотосинтез", 2),
        ("Линейные уравнения", 1),
        ("The Present Perfect", 0),
    ]
    first = (await client.get("/api/v1/lessons?sort=title&per_page=2", headers=teacher)).json()
    second = (
        await client.get("/api/v1/lessons?sort=title&per_page=2&page=2", headers=teacher)
    ).json()
    assert first["total"] == second["total"] == 3
    assert [i["title"] for i in first["items"] + second["items"]] == [
        "The Present Perfect",
        "Линейные уравнения",
        "Фотосинтез",
    ]


async def test_list_items_have_the_summary_form(client, as_user, library):
    items = (
        await client.get("/api/v1/lessons?q=фотосинтез", headers=await as_user("pupil"))
    ).json()
    (item,) = items["items"]
    assert item["title"] == "Фотосинтез"
    assert item["version"] == 1 and item["status"] == "published"
    assert item["author"]["name"] == "Марина Олеговна Лебедева"
    assert item["grades"] == [6, 7] and item["tags"] == ["растения"]
    assert item["copied_from"] is None and item["copies"] == 0
    assert item["block_kinds"] == ["text"]
    assert item["updated_at"].endswith("Z")
    assert "blocks" not in item


async def test_yo_and_ye_find_each_other(client, as_user):
    """ё and е are one letter to search, both in the query and in the lesson (either case)."""
    teacher = await as_user("teacher")
    ids = {
        await publish(client, teacher, {"title": "Ёжик в тумане", "blocks": [text("ёлка")]}),
        await publish(
            client,
            teacher,
            {"title": "Ежевика", "summary": "ЁМКОСТЬ", "tags": ["лес"], "blocks": [text("ягода")]},
        ),
    }
    assert len(ids) == 2
    pupil = await as_user("pupil")
    assert await titles(client, pupil, "?q=ежик") == ["Ёжик в тумане"]
    assert await titles(client, pupil, "?q=ЁЖИК") == ["Ёжик в тумане"]
    assert await titles(client, pupil, "?q=елка") == ["Ёжик в тумане"]
    assert await titles(client, pupil, "?q=ёжевика") == ["Ежевика"]
    assert await titles(client, pupil, "?q=емкость") == ["Ежевика"]
    assert await titles(client, pupil, "?q=ёмкость&tag=лес") == ["Ежевика"]
    assert set(await titles(client, pupil, "?q=ёж")) == {"Ежевика", "Ёжик в тумане"}
    # An edit is searched as it now reads, and the old words are gone.
    draft = await client.get("/api/v1/lessons?q=ежик&author=me", headers=teacher)
    (mine,) = draft.json()["items"]
    lesson = (await client.get(f"/api/v1/lessons/{mine['id']}", headers=teacher)).json()
    edit = {"title": "Ёрш", "blocks": [text("рыба")], "revision": lesson["revision"]}
    assert (
        await client.put(f"/api/v1/lessons/{mine['id']}", json=edit, headers=teacher)
    ).status_code == 200
    assert await titles(client, teacher, "?q=ерш&author=me") == ["Ёрш"]
    assert await titles(client, teacher, "?q=ежик&author=me") == []


async def test_list_items_are_the_lessons_as_read(client, as_user, library):
    """A list item holds the same values as the lesson read alone (both faces). Each reader
    sees one face in both places: a pupil the published versions, the author a draft's working
    copy (the author reads an own published lesson's working copy alone, which a search lists
    by its version: their times differ once create and publish fall in different seconds)."""
    pupil, teacher = await as_user("pupil"), await as_user("teacher")
    for reader, query in (
        (pupil, "?q=уравнения"),
        (teacher, "?author=me&status=draft"),
        (pupil, "?subject=Mathematics"),
    ):
        items = (await client.get(f"/api/v1/lessons{query}", headers=reader)).json()["items"]
        assert items, query
        for item in items:
            full = (await client.get(f"/api/v1/lessons/{item['id']}", headers=reader)).json()
            assert item == {key: full[key] for key in item}


async def test_a_page_past_the_end_still_counts(client, as_user, library):
    teacher = await as_user("teacher")
    past = await client.get("/api/v1/lessons?sort=title&per_page=2&page=5", headers=teacher)
    assert past.status_code == 200
    assert past.json()["items"] == [] and past.json()["total"] == 3
    found = await client.get("/api/v1/lessons?q=уравн&page=3", headers=teacher)
    assert found.json()["items"] == [] and found.json()["total"] == 2
    nothing = await client.get("/api/v1/lessons?q=zzzz", headers=teacher)
    assert nothing.json()["items"] == [] and nothing.json()["total"] == 0


async def test_the_last_page_there_can_be_is_empty_not_an_error(client, as_user, library):
    """An offset of page × per_page past 2**31 (PostgreSQL's integer) is still a page."""
    teacher = await as_user("teacher")
    for query in ("q=уравн", "subject=Mathematics", "author=me&status=draft&q=уравн"):
        found = await client.get(
            f"/api/v1/lessons?{query}&page={2**31 - 1}&per_page=200", headers=teacher
        )
        assert found.status_code == 200, found.text
        assert found.json()["items"] == [] and found.json()["total"] >= 1
