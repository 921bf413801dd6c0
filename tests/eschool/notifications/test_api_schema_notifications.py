"""The notifications API answers what its endpoints declare (OpenAPI), in the shapes it has
always had."""

from __future__ import annotations

import re

import httpx
from starlette.applications import Starlette

from eschool.api_schema import Body
from eschool.notifications import notify
from eschool.notifications.models import KINDS, NotificationSettingsPublic
from eschool.openapi import undocumented
from eschool.queries import user_by_login
from eschool.seed import DemoPeople
from tests.api_conformance import assert_conforms, declared_operation
from tests.gradebook import conftest as gradebook_fixtures

as_user = gradebook_fixtures.as_user
MOMENT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
ITEM_KEYS = {"id", "kind", "title", "url", "at", "read", "pupil_id"}


def test_every_notifications_route_is_declared(app: Starlette) -> None:
    assert [r for r in undocumented(app.routes) if "notification" in r] == []
    assert set(NotificationSettingsPublic.model_fields) == set(KINDS)
    stream = declared_operation(app, "GET", "/api/v1/notifications/stream")
    assert isinstance(stream.responses[200], Body)
    assert stream.responses[200].media_type == "text/event-stream"


async def test_notifications_answers_conform(
    app: Starlette, client: httpx.AsyncClient, as_user, people: DemoPeople
) -> None:
    parent = await as_user("parent")
    async with app.state.sessionmaker() as session:
        reader = await user_by_login(session, "parent")
        pupil = await user_by_login(session, "pupil")
        for title in ("First", "Second"):
            await notify(
                session,
                school_id=people.school.id,
                kind="news",
                recipients=[reader.id],
                title=title,
                url="/news",
                pupil_id=pupil.id,
            )
        await session.commit()

    async def call(method: str, url: str, **kwargs) -> httpx.Response:
        response = await client.request(method, url, headers=parent, **kwargs)
        assert response.status_code == 200, (method, url, response.text)
        assert_conforms(app, response)
        return response

    listed = (await call("GET", "/api/v1/notifications?per_page=1")).json()
    assert set(listed) == {"items", "total", "unread", "page", "per_page"}
    assert (listed["total"], listed["unread"], listed["per_page"]) == (2, 2, 1)
    item = listed["items"][0]
    assert set(item) == ITEM_KEYS and MOMENT.match(item["at"])
    assert (item["title"], item["read"], item["pupil_id"]) == ("Second", False, pupil.id)
    read = await call("POST", "/api/v1/notifications/read", json={"ids": [item["id"]]})
    assert read.json() == {"changed": 1, "unread": 1}
    unread = (await call("GET", "/api/v1/notifications?unread=1")).json()
    assert [i["title"] for i in unread["items"]] == ["First"]

    settings = (await call("GET", "/api/v1/notification-settings")).json()
    assert settings == dict.fromkeys(KINDS, "app")
    changed = await call("PUT", "/api/v1/notification-settings", json={"news": "off"})
    assert changed.json() == {**settings, "news": "off"}
    refused = await client.put("/api/v1/notification-settings", headers=parent, json={"news": None})
    assert refused.status_code == 422
    assert_conforms(app, refused)
