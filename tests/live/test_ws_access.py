"""Who may connect to a live lesson's socket end to end: origins, the reasons a connection is
refused, the code as people type it, a locked room, a removed pupil, observers."""

from __future__ import annotations

import httpx
import pytest
from websockets.exceptions import InvalidStatus

from tests.live.ws_room import Room
from tests.live.ws_support import LiveClient, ThreadServer, World, start_lesson, ws_url

# --- who may connect ---------------------------------------------------------------------------


async def test_a_foreign_origin_is_refused_and_the_own_is_let_in(room: Room) -> None:
    headers = await room.auth("pupil")
    url = ws_url(room.server.ws_base, room.code)
    with pytest.raises(InvalidStatus) as refused:
        await LiveClient.connect(url, headers=headers, origin="http://evil.example")
    assert refused.value.response.status_code == 403
    own = await LiveClient.connect(url, headers=headers, origin=room.server.base_url)
    room.clients.append(own)
    assert (await own.wait_for(lambda f: True))["type"] == "welcome"


async def test_who_may_not_connect_is_told_why(room: Room) -> None:
    base = room.server.ws_base
    cases = [
        (ws_url(base, room.code), {}, 4401, "unauthorized"),
        (
            ws_url(base, room.code),
            await room.auth(room.world.outsider.login),
            4403,
            "other_class",
        ),
        (ws_url(base, room.code), await room.auth("parent"), 4403, "forbidden"),
        (
            ws_url(base, "ZZZZ-ZZ"),
            await room.auth("pupil"),
            4404,
            "unknown_code",
        ),
        (ws_url(base, room.code, token="forged.token"), {}, 4401, "unauthorized"),
    ]
    for url, headers, close_code, error in cases:
        client = await LiveClient.connect(url, headers=headers)
        frame = await client.wait_for(lambda f: True)
        assert (frame["type"], frame["error"]["code"]) == ("error", error)
        assert await client.closed() == close_code


async def test_the_code_is_read_in_any_case_and_without_the_dash(room: Room) -> None:
    sloppy = room.code.replace("-", "").lower()
    client = await LiveClient.connect(
        ws_url(room.server.ws_base, sloppy), headers=await room.auth("pupil")
    )
    room.clients.append(client)
    assert (await client.wait_for(lambda f: True))["type"] == "welcome"


async def test_the_teacher_locks_the_room_and_removes_a_pupil(room: Room) -> None:
    pupils = room.world.pupils
    teacher = await room.join("teacher")
    anna = await room.join(pupils[0].login)
    boris = await room.join(pupils[1].login)
    await teacher.ok("room.lock", {"on": True})
    late = await room.join(pupils[2].login)
    assert (await late.wait_for(lambda f: True))["error"]["code"] == "locked"
    assert await late.closed() == 4423
    # Someone who was already in may come back to a locked room.
    await anna.close()
    again = await room.join(pupils[0].login)
    assert (await again.wait_for(lambda f: True))["type"] == "welcome"

    await teacher.ok("room.kick", {"user_id": pupils[1].id})
    assert await boris.closed() == 4403
    back = await room.join(pupils[1].login)
    assert (await back.wait_for(lambda f: True))["error"]["code"] == "forbidden"
    gone = await teacher.event("room.kick")
    assert gone["data"]["person"]["id"] == pupils[1].id


async def test_observers_need_the_teachers_leave(server: ThreadServer, world: World) -> None:
    started = await start_lesson(server.base_url, world, allow_observers=False)
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        response = await http.post(f"/live/{started['code']}/join", json={"name": "Guest"})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "no_observers"
