"""The messaging API answers what its endpoints declare (OpenAPI), in the shapes it has
always had."""

from __future__ import annotations

import re

import httpx
from starlette.applications import Starlette

from eschool.openapi import undocumented
from tests.api_conformance import assert_conforms
from tests.messaging.conftest import World
from tests.messaging.test_threads import PNG

MOMENT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
THREAD_KEYS = {"id", "subject", "participants", "pupil", "broadcast_id", "created_by", "unread"}
SUMMARY_KEYS = {"kind", "id", "subject", "participants", "pupil", "broadcast_id", "unread"}


def test_every_messaging_route_is_declared(app: Starlette) -> None:
    assert [r for r in undocumented(app.routes) if "/threads" in r or "/news" in r] == []


async def test_messaging_answers_conform(
    app: Starlette, client: httpx.AsyncClient, world: World
) -> None:
    async def call(method: str, url: str, who: str, status: int = 200, **kwargs) -> httpx.Response:
        response = await client.request(method, url, headers=world.headers[who], **kwargs)
        assert response.status_code == status, (method, url, response.text)
        assert_conforms(app, response)
        return response

    picker = (await call("GET", "/api/v1/threads/recipients", "teacher")).json()
    assert {g["key"] for g in picker["groups"]} >= {"staff", f"parents-{world.class_7a}"}
    assert {"id": world.class_7a, "name": "7A"} in picker["class_parents"]
    upload = {"file": ("plan.png", PNG, "image/png")}
    sha = (await call("POST", "/api/v1/assets", "teacher", 201, files=upload)).json()["id"]
    body = {"to": [world.ids["parent"]], "subject": "Тема", "text": "Здравствуйте!"}
    started = await call(
        "POST", "/api/v1/threads", "teacher", 201, json=body | {"attachments": [sha]}
    )
    thread = started.json()
    assert set(thread) == THREAD_KEYS | {"kind", "messages"} and thread["kind"] == "thread"
    message = thread["messages"][0]
    assert set(message) == {"id", "author", "mine", "text", "at", "attachments"}
    assert message["attachments"] == [
        {"id": sha, "url": f"/assets/{sha}", "mime": "image/png", "size": len(PNG),
         "filename": "plan.png"}
    ]  # fmt: skip
    url = f"/api/v1/threads/{thread['id']}"

    mine = (await call("GET", "/api/v1/threads", "parent")).json()
    assert set(mine) == {"items", "total", "page", "per_page", "unread"} and mine["unread"] == 1
    summary = mine["items"][0]
    assert set(summary) == SUMMARY_KEYS | {"last_at", "last_message"}
    assert set(summary["last_message"]) == {"author", "text", "at"}
    assert MOMENT.match(summary["last_at"]) and MOMENT.match(summary["last_message"]["at"])
    read = (await call("GET", url, "parent")).json()
    assert set(read) == THREAD_KEYS | {"messages"} and read["unread"] == 1
    reply = await call("POST", f"{url}/messages", "parent", 201, json={"text": "Спасибо"})
    assert reply.json()["mine"] is True and reply.json()["attachments"] == []

    to_class = {"class_parents": world.class_7a, "subject": "Собрание", "text": "В пятницу."}
    broadcast = (await call("POST", "/api/v1/threads", "teacher", 201, json=to_class)).json()
    assert set(broadcast) == {"kind", "id", "threads", "url"} and broadcast["kind"] == "broadcast"
    listed = (await call("GET", "/api/v1/threads", "teacher")).json()["items"]
    entry = next(item for item in listed if item["kind"] == "broadcast")
    assert set(entry) == {"kind", "id", "subject", "threads", "unread", "last_at", "class"}
    assert entry["class"] == {"id": world.class_7a, "name": "7A"}
    families = await call("GET", f"/api/v1/threads?broadcast={broadcast['id']}", "teacher")
    assert families.json()["total"] == len(broadcast["threads"])

    news = {"title": "Каникулы", "text": "С понедельника.", "roles": ["parents"]}
    created = (await call("POST", "/api/v1/news", "admin", 201, json=news)).json()
    assert set(created) == {"id", "title", "text", "author", "at", "audience", "can_delete"}
    assert created["audience"] == {"roles": ["parents"], "classes": None}
    seen = (await call("GET", "/api/v1/news?per_page=5", "parent")).json()
    assert [item["id"] for item in seen["items"]] == [created["id"]]
    assert seen["items"][0]["can_delete"] is False
    await call("DELETE", f"/api/v1/news/{created['id']}", "admin", 204)
