"""The library's answers conform to the models their endpoints declare (OpenAPI)."""

from __future__ import annotations

import re

import httpx
from starlette.applications import Starlette

from eschool.openapi import undocumented
from tests.api_conformance import assert_conforms
from tests.lessons.test_api_lessons import lesson_body

MOMENT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
LESSON_KEYS = {
    *("id", "title", "summary", "subject", "grades", "tags", "language", "licence", "credits"),
    *("status", "author", "version", "draft_changes", "copied_from", "copies", "block_kinds"),
    *("updated_at", "published_at", "revision", "shown_version", "can_edit", "created_at"),
    "blocks",
}


def test_every_library_route_is_declared(app: Starlette) -> None:
    assert [route for route in undocumented(app.routes) if "/lessons" in route] == []


async def test_library_answers_conform(app: Starlette, client: httpx.AsyncClient, as_user) -> None:
    teacher, pupil = await as_user("teacher"), await as_user("pupil")

    async def call(method: str, url: str, headers: dict[str, str], **kwargs) -> httpx.Response:
        response = await client.request(method, url, headers=headers, **kwargs)
        assert response.status_code < 300, (method, url, response.text)
        assert_conforms(app, response)
        return response

    created = (await call("POST", "/api/v1/lessons", teacher, json=lesson_body())).json()
    assert set(created) == LESSON_KEYS
    assert MOMENT.match(created["created_at"]) and MOMENT.match(created["updated_at"])
    assert created["published_at"] is None and created["author"]["name"]
    url = f"/api/v1/lessons/{created['id']}"
    await call("GET", url, teacher)
    saved = await call("PUT", url, teacher, json=lesson_body(title="Другое", revision=1))
    assert saved.json()["revision"] == 2
    assert (await call("POST", f"{url}/publish", teacher)).json() == {"version": 1}
    versions = (await call("GET", f"{url}/versions", teacher)).json()
    assert versions["total"] == 1 and MOMENT.match(versions["items"][0]["published_at"])
    shown = (await call("GET", f"{url}/versions/1", pupil)).json()
    assert all("answer" not in q for b in shown["blocks"] for q in b.get("questions", []))
    for who in (teacher, pupil):
        found = (await call("GET", "/api/v1/lessons?q=Другое&page=1", who)).json()
        assert [item["id"] for item in found["items"]] == [created["id"]]
        assert set(found["items"][0]) == LESSON_KEYS - {
            *("revision", "shown_version", "can_edit", "created_at", "blocks")
        }
    copied = (await call("POST", f"{url}/copy", teacher)).json()
    assert copied["copied_from"] == {
        "id": created["id"],
        "title": "Другое",
        "author": created["author"]["name"],
        "version": None,  # the author copied the working copy
    }
    html = (await call("POST", "/api/v1/lessons/preview", teacher, json={"text": "**a**"})).json()
    assert html == {"html": "<p><strong>a</strong></p>\n"}

    exported = await call("GET", f"{url}/export", teacher)
    upload = {"files": {"file": ("lesson.zip", exported.content)}}
    report = await call("POST", "/api/v1/lessons/import?dry_run=1", teacher, **upload)
    assert report.status_code == 200 and report.json()["format"] == "eschool"
    imported = await call("POST", "/api/v1/lessons/import", teacher, **upload)
    assert imported.status_code == 201
    assert imported.json()["import"] == report.json()
    assert set(imported.json()) == LESSON_KEYS | {"import"}
    assert (await call("DELETE", url, teacher)).status_code == 204
