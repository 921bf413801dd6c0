"""News: who publishes to whom, who sees what (never another class's or another school's),
who deletes, the notifications they make, and the home pages."""

from __future__ import annotations

import httpx
from sqlmodel import select

from eschool.notifications.models import Notification
from tests.messaging.conftest import World


async def _post(client, world: World, who: str, **body) -> httpx.Response:
    body = {"title": "Объявление", "text": "Текст объявления", **body}
    return await client.post("/api/v1/news", json=body, headers=world.headers[who])


async def _seen(client, world: World, who: str) -> set[str]:
    response = await client.get("/api/v1/news", headers=world.headers[who])
    assert response.status_code == 200
    return {item["title"] for item in response.json()["items"]}


async def test_audiences(client: httpx.AsyncClient, world: World, app) -> None:
    assert (await _post(client, world, "admin", title="Всем")).status_code == 201
    assert (await _post(client, world, "admin", title="Staff", roles=["staff"])).status_code == 201
    created = await _post(
        client, world, "teacher", title="7A parents", roles=["parents"], class_ids=[world.class_7a]
    )
    assert created.status_code == 201, created.text
    assert created.json()["audience"] == {
        "roles": ["parents"],
        "classes": [{"id": world.class_7a, "name": "7A"}],
    }
    both = await _post(client, world, "admin", title="7B", roles=["pupils", "parents"],
                       class_ids=[world.class_7b])  # fmt: skip
    assert both.status_code == 201
    assert await _seen(client, world, "parent") == {"Всем", "7A parents"}
    assert await _seen(client, world, "parent7b") == {"Всем", "7B"}  # not 7A's class news
    assert await _seen(client, world, "pupil") == {"Всем"}
    assert await _seen(client, world, "teacher2") == {"Всем", "Staff"}
    assert await _seen(client, world, "teacher") == {"Всем", "Staff", "7A parents"}  # author
    assert await _seen(client, world, "admin") == {"Всем", "Staff", "7A parents", "7B"}
    assert await _seen(client, world, "stranger") == set()
    # Notified: the audience, never anyone else.
    news_id = created.json()["id"]
    async with app.state.sessionmaker() as session:
        rows = await session.exec(
            select(Notification.user_id).where(
                Notification.kind == "news", Notification.url == f"/news#news-{news_id}"
            )
        )
        notified = set(rows.all())
    assert world.ids["parent"] in notified and len(notified) >= 25
    assert not notified & {world.ids[n] for n in ("parent7b", "pupil", "teacher2", "teacher")}
    home = await client.get("/", headers=world.headers["parent"])
    assert home.status_code == 200 and "7A parents" in home.text and "7B" not in home.text
    page = await client.get("/news", headers=world.headers["parent7b"])
    assert page.status_code == 200 and "7A parents" not in page.text


async def test_who_publishes_and_who_deletes(client: httpx.AsyncClient, world: World) -> None:
    for who, body, status in (
        ("teacher", {"class_ids": [world.class_7b], "roles": ["parents"]}, 403),  # tutors 7A only
        ("teacher", {"roles": ["parents"]}, 403),  # a tutor has no whole-school news
        ("teacher", {"class_ids": [world.class_7a], "roles": ["staff"]}, 403),
        ("teacher2", {"class_ids": [world.class_7a], "roles": ["parents"]}, 403),  # not a tutor
        ("parent", {}, 403),
        ("pupil", {}, 403),
        ("admin", {"class_ids": [world.other_class]}, 404),
        ("stranger.admin", {"class_ids": [world.class_7a]}, 404),
        ("admin", {"title": " "}, 422),
        ("admin", {"text": "x" * 10_001}, 422),
        ("admin", {"roles": ["everyone"]}, 422),
    ):
        response = await _post(client, world, who, **body)
        assert response.status_code == status, (who, body, response.text)
    tutor_item = (
        await _post(client, world, "teacher", roles=["parents"], class_ids=[world.class_7a])
    ).json()["id"]
    admin_item = (await _post(client, world, "admin")).json()["id"]
    families = await _post(client, world, "teacher", class_ids=[world.class_7a])
    assert families.json()["audience"]["roles"] == ["pupils", "parents"]  # a tutor's default
    for who, news_id, status in (
        ("stranger.admin", admin_item, 404),
        ("parent", admin_item, 403),  # sees it, may not delete it
        ("parent7b", tutor_item, 404),  # does not even see it
        ("teacher", admin_item, 403),
        ("teacher", tutor_item, 204),
        ("admin", admin_item, 204),
        ("admin", admin_item, 404),
    ):
        response = await client.delete(f"/api/v1/news/{news_id}", headers=world.headers[who])
        assert response.status_code == status, (who, news_id)
    form = await client.post(
        "/news",
        data={"title": "С формы", "text": "Текст", "roles": ["pupils", "parents"],
              "class_ids": str(world.class_7a)},
        headers=world.headers["teacher"],
    )  # fmt: skip
    assert form.status_code == 303
    assert "С формы" in await _seen(client, world, "pupil")
