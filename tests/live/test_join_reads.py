"""What a socket's join reads is as it is now: a sign-in revoked a moment ago is refused (on
another process as soon as its notice arrives: eschool.auth_cache), and a pupil's class is read
again on every join, whether the lesson names a class or is for every class its teacher
teaches."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from eschool.db import create_engine, create_sessionmaker
from eschool.models import Enrolment
from eschool.settings import Settings
from live.room import Actor, new_room, replay
from live.views import view_for
from tests.live.ws_support import (
    LiveClient,
    ProcessServer,
    ThreadServer,
    World,
    bearer,
    observer_token,
    start_lesson,
    ws_url,
)

# How long another process may take to hear of a revoked sign-in (a notice; on a loaded machine).
PATIENCE = 10.0


@pytest.fixture
def server(settings: Settings, world: World) -> Iterator[ThreadServer]:
    running = ThreadServer(settings).start()
    yield running
    running.stop()


async def _first(url: str, headers: dict[str, str] | None = None) -> tuple[LiveClient, dict]:
    client = await LiveClient.connect(url, headers=headers)
    return client, await client.wait_for(lambda frame: True)


async def _lesson_for_all_taught(base_url: str, world: World) -> str:
    """A lesson started with no slot and no class: every class its teacher teaches."""
    async with httpx.AsyncClient(base_url=base_url) as http:
        response = await http.post(
            "/api/v1/live",
            json={"lesson_id": world.lesson_id, "allow_observers": True},
            headers=await bearer(base_url, "teacher"),
        )
    assert response.status_code == 201, response.text
    return str(response.json()["code"])


async def _enrol(settings: Settings, pupil_id: int, class_id: int) -> None:
    engine = create_engine(settings.database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            session.add(Enrolment(pupil_id=pupil_id, class_id=class_id))
            await session.commit()
    finally:
        await engine.dispose()


@pytest.mark.parametrize("lesson", ["class", "taught"])
async def test_a_pupil_of_another_class_is_refused_until_enrolled(
    server: ThreadServer, settings: Settings, world: World, lesson: str
) -> None:
    if lesson == "class":
        code = str((await start_lesson(server.base_url, world))["code"])
    else:
        code = await _lesson_for_all_taught(server.base_url, world)
    url = ws_url(server.ws_base, code)
    clients: list[LiveClient] = []
    try:
        member, welcome = await _first(url, await bearer(server.base_url, world.pupils[0].login))
        clients.append(member)
        assert welcome["type"] == "welcome"
        outsider = await bearer(server.base_url, world.outsider.login)
        refused, error = await _first(url, outsider)
        clients.append(refused)
        assert error["type"] == "error" and error["error"]["code"] == "other_class"
        assert await refused.closed() == 4403
        await _enrol(settings, world.outsider.id, world.class_id)
        admitted, welcome = await _first(url, outsider)
        clients.append(admitted)
        assert welcome["type"] == "welcome"
        assert welcome["data"]["you"]["role"] == "pupil"
    finally:
        for client in clients:
            await client.close()


async def test_observers_get_the_rubric_on_every_join_and_never_names(
    server: ThreadServer, world: World
) -> None:
    code = str((await start_lesson(server.base_url, world, allow_observers=True))["code"])
    url = ws_url(server.ws_base, code)
    clients: list[LiveClient] = []
    try:
        pupil, _welcome = await _first(url, await bearer(server.base_url, world.pupils[0].login))
        clients.append(pupil)
        for name in ("First Visitor", "Second Visitor"):
            token = await observer_token(server.base_url, code, name)
            observer, welcome = await _first(ws_url(server.ws_base, code, token=token))
            clients.append(observer)
            assert welcome["type"] == "welcome"
            listed = await observer.wait_for(lambda frame: frame.get("type") == "note.list")
            assert listed["data"] == {"rubric": None, "notes": []}
            assert world.pupils[0].name not in str(welcome)
    finally:
        for client in clients:
            await client.close()


@pytest.mark.redis
async def test_a_sign_in_revoked_on_another_process_is_refused_on_the_next_join(
    servers: tuple[ProcessServer, ProcessServer], world: World
) -> None:
    a, b = servers
    code = (await start_lesson(a.base_url, world))["code"]
    headers = await bearer(a.base_url, world.pupils[0].login)
    first, welcome = await _first(ws_url(a.ws_base, code), headers)
    try:
        assert welcome["type"] == "welcome"
        async with httpx.AsyncClient(base_url=b.base_url) as http:
            assert (await http.delete("/api/v1/auth/token", headers=headers)).status_code == 204
        # On PostgreSQL, process a drops what it kept of the sign-in when b's notice reaches it,
        # milliseconds after b's commit (eschool.auth_cache): a join in between may still pass.
        deadline = time.monotonic() + PATIENCE
        while True:
            late, error = await _first(ws_url(a.ws_base, code), headers)
            if error["type"] != "welcome" or time.monotonic() > deadline:
                break
            await late.close()
            await asyncio.sleep(0.02)
        assert error["type"] == "error" and error["error"]["code"] == "unauthorized"
        assert await late.closed() == 4401
    finally:
        await first.close()


def test_the_present_are_listed_in_order_and_observers_only_to_the_teacher() -> None:
    teacher = Actor(1, "teacher", "Teacher")
    pupils = [Actor(10 + n, "pupil", f"Pupil {n}") for n in range(3)]
    guests = [Actor(f"v-{n}", "observer", f"Guest {n}") for n in range(4)]
    arrivals = [guests[0], pupils[0], teacher, guests[1], pupils[1], guests[2], pupils[2]]
    state = replay(
        new_room([{"id": "a", "kind": "text"}], title="T", roster=pupils),
        [
            {"type": "presence.join", "data": {}, "actor": actor.as_dict(), "seq": seq}
            for seq, actor in enumerate(arrivals, start=1)
        ],
    )

    def present(viewer: Actor) -> list[Any]:
        return [p.get("id") for p in view_for(state, viewer)["people"]["present"]]

    assert present(teacher) == [actor.id for actor in arrivals]
    assert present(pupils[1]) == [10, 1, 11, 12]  # no observer
    # An observer sees themselves, in their place, but no other observer, and no pupil's id.
    assert present(guests[1]) == [1, "v-1"]
    assert present(guests[3]) == [1]  # not (yet) present
