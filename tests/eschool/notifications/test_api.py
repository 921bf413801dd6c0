"""Notifications through the API: a mark reaches the pupil and their parents only (stored and
pushed on the broker after the commit, never on a rollback); read and unread; settings."""

from __future__ import annotations

import asyncio

import httpx
from starlette.applications import Starlette

from eschool.notifications import family_of, notify
from eschool.notifications.live import CHANNEL
from eschool.queries import user_by_login
from eschool.seed import DemoPeople
from tests.gradebook import conftest as gradebook_fixtures

as_user = gradebook_fixtures.as_user
gradebook = gradebook_fixtures.gradebook


async def _inbox(client: httpx.AsyncClient, headers: dict[str, str], **params: str) -> dict:
    response = await client.get("/api/v1/notifications", headers=headers, params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_mark_notifies_the_family_only_after_the_commit(
    app: Starlette, client: httpx.AsyncClient, as_user, gradebook, people: DemoPeople
) -> None:
    pupil = gradebook.pupil("pupil")
    classmate = gradebook.classmate()
    slot = gradebook.past_slot(gradebook.math_7a)
    async with app.state.sessionmaker() as session:
        parent = await user_by_login(session, "parent")
        assert await family_of(session, pupil_id=pupil.id) == [pupil.id, parent.id]
        assert await family_of(session, pupil_id=parent.id) == []
    async with app.state.broker.subscribe_channel(CHANNEL) as pushed:
        response = await client.post(
            "/api/v1/marks",
            headers=await as_user("teacher"),
            json={"pupil_id": pupil.id, "slot_id": slot.id, "value": "5"},
        )
        assert response.status_code == 201, response.text
        message = await asyncio.wait_for(anext(aiter(pushed)), timeout=10)
    body = await _inbox(client, await as_user("parent"))
    assert body["total"] == body["unread"] == 1
    item = body["items"][0]
    assert message["users"][str(parent.id)] == [item["id"]]
    assert set(message["users"]) == {str(parent.id), str(pupil.id)}
    assert item["kind"] == "mark" and item["pupil_id"] == pupil.id and item["read"] is False
    assert "5" in item["title"] and pupil.name in item["title"]
    assert item["url"].startswith(f"/diary?pupil={pupil.id}")
    assert (await _inbox(client, await as_user("pupil")))["total"] == 1
    for outsider in ("teacher", "admin", f"p.{classmate.login}", "pupil2"):
        assert (await _inbox(client, await as_user(outsider)))["total"] == 0, outsider

    # The reader's language: the same row in Russian for a Russian reader.
    ru = await client.get(
        "/api/v1/notifications",
        headers={**await as_user("parent"), "Accept-Language": "ru"},
    )
    assert ru.json()["items"][0]["id"] == item["id"]

    # A rolled back write (or savepoint) stores and pushes nothing.
    async with app.state.broker.subscribe_channel(CHANNEL) as pushed:
        async with app.state.sessionmaker() as session:
            await notify(
                session,
                school_id=people.school.id,
                kind="news",
                recipients=[parent.id],
                title="Never",
                url="/",
            )
            await session.rollback()
            savepoint = await session.begin_nested()
            await notify(
                session,
                school_id=people.school.id,
                kind="news",
                recipients=[parent.id, pupil.id],
                title="Never either",
                url="/",
            )
            await savepoint.rollback()
            await notify(
                session,
                school_id=people.school.id,
                kind="news",
                recipients=[parent.id, people.staff["teacher"].id],
                title="School closed on {day}",
                params={"day": "Monday"},
                url="/",
            )
            await session.commit()
        message = await asyncio.wait_for(anext(aiter(pushed)), timeout=10)
    titles = [i["title"] for i in (await _inbox(client, await as_user("parent")))["items"]]
    assert titles[0] == "School closed on Monday" and not {"Never", "Never either"} & set(titles)
    assert message["users"][str(parent.id)] == [
        (await _inbox(client, await as_user("parent")))["items"][0]["id"]
    ]
    assert set(message["users"]) == {str(parent.id), str(people.staff["teacher"].id)}


async def test_read_unread_and_settings(
    app: Starlette, client: httpx.AsyncClient, as_user, gradebook
) -> None:
    pupil = gradebook.pupil("pupil")
    teacher = await as_user("teacher")
    parent = await as_user("parent")
    slots = gradebook.recent_slots(gradebook.math_7a, 3)
    for slot, value in zip(slots, ("5", "4", "3"), strict=True):
        response = await client.post(
            "/api/v1/marks",
            headers=teacher,
            json={"pupil_id": pupil.id, "slot_id": slot.id, "value": value},
        )
        assert response.status_code == 201, response.text
    items = (await _inbox(client, parent))["items"]
    assert len(items) == 3

    # Read by ids (someone else's ids are ignored), then the rest at once.
    pupil_items = (await _inbox(client, await as_user("pupil")))["items"]
    response = await client.post(
        "/api/v1/notifications/read",
        headers=parent,
        json={"ids": [items[0]["id"], pupil_items[1]["id"]]},
    )
    assert response.json() == {"changed": 1, "unread": 2}
    unread = await _inbox(client, parent, unread="1")
    assert unread["total"] == unread["unread"] == 2
    assert items[0]["id"] not in [i["id"] for i in unread["items"]]
    assert (await _inbox(client, await as_user("pupil")))["unread"] == 3
    page = await _inbox(client, parent, per_page="1", page="2")
    assert page["total"] == 3 and len(page["items"]) == 1
    response = await client.post("/api/v1/notifications/read", headers=parent, json={"all": True})
    assert response.json() == {"changed": 2, "unread": 0}
    for bad in ({}, {"ids": "x"}, {"ids": [0]}):
        response = await client.post("/api/v1/notifications/read", headers=parent, json=bad)
        assert response.status_code == 422, bad
    response = await client.get("/api/v1/notifications?unread=maybe", headers=parent)
    assert response.status_code == 400
    # The live stream is for an EventSource (which asks for text/event-stream).
    response = await client.get("/api/v1/notifications/stream", headers=parent)
    assert response.status_code == 400 and response.json()["error"]["code"]

    # Settings: every kind, "app" by default; unknown kinds and channels are refused.
    response = await client.get("/api/v1/notification-settings", headers=parent)
    assert response.json()["mark"] == "app" and len(response.json()) == 9
    for bad in ({"marks": "app"}, {"mark": "sms"}, {"mark": 1}, ["mark"]):
        response = await client.put("/api/v1/notification-settings", headers=parent, json=bad)
        assert response.status_code == 422, bad
        assert response.json()["error"]["code"]
    response = await client.put(
        "/api/v1/notification-settings", headers=parent, json={"mark": "off", "news": "digest"}
    )
    assert response.status_code == 200
    assert response.json()["mark"] == "off" and response.json()["news"] == "digest"
    assert response.json()["absence"] == "app"

    # "off": the next mark reaches the pupil but not this parent.
    response = await client.post(
        "/api/v1/marks",
        headers=teacher,
        json={"pupil_id": pupil.id, "slot_id": slots[0].id, "value": "2"},
    )
    assert response.status_code == 201
    assert (await _inbox(client, parent))["total"] == 3
    assert (await _inbox(client, await as_user("pupil")))["total"] == 4


async def test_the_account_form_sets_the_address_and_the_channels(
    client: httpx.AsyncClient, as_user, gradebook
) -> None:
    parent = await as_user("parent")
    page = await client.get("/account", headers=parent)
    assert page.status_code == 200 and 'id="notif-mark"' in page.text
    refused = await client.post(
        "/account/notifications",
        headers={**parent, "Accept-Language": "ru"},
        data={"email": "not-an-address", "mark": "email"},
    )
    # The account page again, with what was typed and the reason next to the field; the
    # channel chosen in the same form is kept, and nothing was saved.
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("text/html")
    assert 'id="notif-email-error"' in refused.text and 'aria-invalid="true"' in refused.text
    assert "Введите адрес электронной почты" in refused.text
    assert 'value="not-an-address"' in refused.text
    assert '<option value="email" selected>' in refused.text
    assert 'id="current_password"' in refused.text  # the whole account page
    chosen = (await client.get("/api/v1/notification-settings", headers=parent)).json()
    assert chosen["mark"] == "app"
    saved = await client.post(
        "/account/notifications",
        headers=parent,
        data={"email": " mum@example.org ", "mark": "email", "news": "nonsense"},
    )
    assert saved.status_code == 303
    chosen = (await client.get("/api/v1/notification-settings", headers=parent)).json()
    assert chosen["mark"] == "email" and chosen["news"] == "app"
    me = (await client.get("/account", headers=parent)).text
    assert 'value="mum@example.org"' in me
