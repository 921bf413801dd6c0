"""Every live JSON endpoint under ``/api/v1`` (the old bare ``/live/{code}/…`` paths answer the
same for one release, marked ``Deprecation``), and a visitor's pass taken as ``Authorization:
Bearer`` as well as ``?token=``."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from eschool.settings import Settings
from live.media_homes import MediaError
from tests.conftest import token_for
from tests.live.ws_support import World, seed_world


@pytest.fixture
async def world(settings: Settings, app: Starlette) -> World:
    return await seed_world(settings.database_url)


async def _bearer(client: httpx.AsyncClient, login: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {await token_for(client, login)}"}


async def _start(client: httpx.AsyncClient, world: World, teacher: dict[str, str]) -> str:
    body = {"lesson_id": world.lesson_id, "slot_id": world.slot_id}
    started = await client.post("/api/v1/live", json=body, headers=teacher)
    assert started.status_code == 201, started.text
    return started.json()["code"]


async def test_the_live_json_api_is_under_api_v1(client: httpx.AsyncClient, world: World) -> None:
    teacher = await _bearer(client, "teacher")
    code = await _start(client, world, teacher)

    joined = await client.post(f"/api/v1/live/{code}/join", json={"name": "Guest"})
    assert joined.status_code == 200, joined.text
    assert "Deprecation" not in joined.headers
    guest = {"Authorization": f"Bearer {joined.json()['token']}"}
    # The pass as a bearer token: the observer's own notes and the timeline (403: the teacher
    # did not allow observers to replay — but the pass itself was understood, not 401).
    notes = await client.get(f"/api/v1/live/{code}/notes", headers=guest)
    assert notes.status_code == 200, notes.text
    timeline = await client.get(f"/api/v1/live/{code}/timeline", headers=guest)
    assert timeline.status_code == 403
    assert (await client.get(f"/api/v1/live/{code}/notes")).status_code == 401

    media = await client.get(f"/api/v1/live/{code}/media", headers=teacher)
    assert media.status_code == 200, media.text
    so_far = await client.get(f"/api/v1/live/{code}/report", headers=teacher)
    assert so_far.status_code == 200 and "participants" in so_far.json()
    ended = await client.post(f"/api/v1/live/{code}/end", headers=teacher)
    assert ended.status_code == 200, ended.text
    confirm: dict[str, Any] = {"marks": [], "attendance": False}
    journal = await client.post(f"/api/v1/live/{code}/journal", json=confirm, headers=teacher)
    assert journal.status_code == 200, journal.text


async def test_the_old_bare_paths_answer_for_one_release(
    client: httpx.AsyncClient, world: World
) -> None:
    teacher = await _bearer(client, "teacher")
    code = await _start(client, world, teacher)
    answers = [
        await client.post(f"/live/{code}/join", json={"name": "Guest"}),
        await client.get(f"/live/{code}/media", headers=teacher),
        await client.get(f"/live/{code}/report", headers=teacher),
        await client.post(f"/live/{code}/board", headers=teacher),
        await client.post(f"/live/{code}/end", headers=teacher),
    ]
    for answer in answers:
        assert answer.status_code == 200, (answer.url, answer.text)
        assert answer.headers["Deprecation"] == "true"
        assert answer.headers["Link"] == f'</api/v1{answer.url.path}>; rel="successor-version"'
    # the report page itself is not deprecated
    page = await client.get(f"/live/{code}/report", headers={**teacher, "Accept": "text/html"})
    assert page.status_code == 200 and "Deprecation" not in page.headers


async def test_a_media_home_that_does_not_answer_is_a_503_not_a_500(
    client: httpx.AsyncClient, world: World, app: Starlette, monkeypatch: pytest.MonkeyPatch
) -> None:
    teacher = await _bearer(client, "teacher")
    code = await _start(client, world, teacher)

    async def silent(room_id: str) -> dict[str, Any]:
        raise MediaError("media_unavailable", "the room's media home keeps moving")

    monkeypatch.setattr(app.state.live_media, "status", silent)
    media = await client.get(f"/api/v1/live/{code}/media", headers=teacher)
    assert media.status_code == 503, media.text
    assert media.json()["error"]["code"] == "media_unavailable"

    async def ended(room_id: str) -> dict[str, Any]:
        raise MediaError("ended", "the lesson has ended")

    monkeypatch.setattr(app.state.live_media, "status", ended)
    media = await client.get(f"/api/v1/live/{code}/media", headers=teacher)
    assert media.status_code == 409 and media.json()["error"]["code"] == "ended"
