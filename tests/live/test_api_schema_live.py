"""The live lessons' JSON API answers what its OpenAPI declarations say: every endpoint is
declared, and a real answer of each, as the roles that use it, fits its declared model."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette

from eschool.openapi import undocumented
from eschool.settings import Settings
from live.feedback import NoteInput, note_store
from live.room import Actor
from tests.api_conformance import assert_conforms
from tests.conftest import token_for
from tests.live.replay_support import run_lesson
from tests.live.ws_support import World, seed_world

RUBRIC = {
    "title": "Lesson observation",
    "criteria": [{"id": "pace", "title": "Pace", "levels": ["Too slow", "Right", "Too fast"]}],
}


@pytest.fixture
async def world(settings: Settings, app: Starlette) -> World:
    return await seed_world(settings.database_url)


async def _bearer(client: httpx.AsyncClient, login: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {await token_for(client, login)}"}


def test_every_live_api_route_is_declared(app: Starlette) -> None:
    missing = [entry for entry in undocumented(app.routes) if "/live" in entry or "rubric" in entry]
    assert missing == []


async def test_rubric_answers_fit_their_models(
    app: Starlette, client: httpx.AsyncClient, world: World
) -> None:
    admin, teacher = await _bearer(client, "admin"), await _bearer(client, "teacher")
    created = await client.post("/api/v1/rubrics", json=RUBRIC, headers=admin)
    assert created.status_code == 201, created.text
    rubric = assert_conforms(app, created)
    path = f"/api/v1/rubrics/{rubric.id}"
    answers = [
        await client.get("/api/v1/rubrics", headers=teacher),
        await client.get(path, headers=teacher),
        await client.put(path, json={**RUBRIC, "title": "Observation"}, headers=admin),
        await client.delete(path, headers=admin),
    ]
    assert [answer.status_code for answer in answers] == [200, 200, 200, 204]
    for answer in answers:
        assert_conforms(app, answer)
    assert answers[2].json()["title"] == "Observation"


async def test_a_lessons_answers_fit_their_models(
    app: Starlette, client: httpx.AsyncClient, world: World
) -> None:
    admin, teacher = await _bearer(client, "admin"), await _bearer(client, "teacher")
    rubric = (await client.post("/api/v1/rubrics", json=RUBRIC, headers=admin)).json()
    lesson = await run_lesson(
        app, client, teacher, world, end=False, rubric_id=rubric["id"], allow_observer_replay=True
    )
    api = f"/api/v1/live/{lesson.code}"

    running = await client.get("/api/v1/live", headers=teacher)
    (session,) = assert_conforms(app, running).items
    joined = await client.post(f"{api}/join", json={"name": "Guest"})
    guest = assert_conforms(app, joined)
    async with app.state.sessionmaker() as db:
        note = NoteInput(mid="n1", text="Good pace", criterion="pace", level=1, seq=3, slide=1)
        await note_store(
            db, live_id=session.id, actor=Actor(guest.id, "observer", "Guest"), note=note
        )

    report = await client.get(f"{api}/report", headers=teacher)
    so_far = assert_conforms(app, report)
    assert so_far.quiz and so_far.proposed and so_far.polls and so_far.slide_visits
    # Shapes kept as they were: dates as ISO text, the slide visit's "from".
    assert report.json()["session"]["started_at"].endswith("Z")
    assert "from" in report.json()["slide_visits"][0]
    notes = await client.get(f"{api}/notes", params={"token": guest.token})
    assert assert_conforms(app, notes).total == 1
    replay = await client.get(f"{api}/timeline", headers={"Authorization": f"Bearer {guest.token}"})
    assert assert_conforms(app, replay).you.role == "observer"
    for answer in (
        await client.get(f"{api}/media", headers=teacher),
        await client.post(f"{api}/board", headers=teacher),
        await client.get(f"{api}/feedback", headers=teacher),
        await client.get(f"{api}/timeline", headers=teacher),
    ):
        assert answer.status_code == 200, (answer.url, answer.text)
        assert_conforms(app, answer)

    ended = await client.post(f"{api}/end", headers=teacher)
    assert ended.status_code == 200, ended.text
    marks = [
        {"pupil_id": entry.pupil_id, "value": entry.mark}
        for entry in assert_conforms(app, ended).proposed
    ]
    confirm = {"marks": marks, "attendance": True}
    written = await client.post(f"{api}/journal", json=confirm, headers=teacher)
    assert written.status_code == 200, written.text
    assert len(assert_conforms(app, written).marks) == len(marks)
    exported = await client.get(f"{api}/report.csv", headers=teacher)
    assert exported.status_code == 200
    assert_conforms(app, exported)
