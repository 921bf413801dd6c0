"""Observers counted, through the WebSocket: fifty guests join at once, the teacher gets a few
``presence.counts`` frames with the right count and their names, the guests each other's count
and no name."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Iterator

import pytest

from eschool.settings import Settings
from tests.live.ws_support import (
    LiveClient,
    ThreadServer,
    World,
    bearer,
    observer_token,
    seed_world,
    start_lesson,
    ws_url,
)

GUESTS = 50


@pytest.fixture
async def world(settings: Settings) -> World:
    return await seed_world(settings.database_url)


@pytest.fixture
def server(settings: Settings, world: World) -> Iterator[ThreadServer]:
    # A one-second tick: however slowly the machine lets fifty guests in, a few frames.
    ticked = dataclasses.replace(settings, live_presence_tick=1)
    running = ThreadServer(ticked).start()
    yield running
    running.stop()


async def test_fifty_guests_reach_the_teacher_as_a_few_counted_frames(
    server: ThreadServer, world: World
) -> None:
    code = (await start_lesson(server.base_url, world))["code"]
    url = ws_url(server.ws_base, code)
    teacher = await LiveClient.connect(url, headers=await bearer(server.base_url, "teacher"))
    pupil = await LiveClient.connect(url, headers=await bearer(server.base_url, "pupil"))
    names = [f"Guest {n:02d}" for n in range(GUESTS)]
    tokens = await asyncio.gather(*(observer_token(server.base_url, code, n) for n in names))
    guests = await asyncio.gather(
        *(LiveClient.connect(ws_url(server.ws_base, code, token=t)) for t in tokens)
    )
    try:
        for guest in guests:
            await guest.wait_for(lambda f: f["type"] == "welcome")
        last = await teacher.wait_for(
            lambda f: f["type"] == "presence.counts" and f["data"]["observers"] == GUESTS
        )
        assert last["data"]["pupils"] == 1
        counted = [f for f in teacher.frames if f["type"] == "presence.counts"]
        assert len(counted) < GUESTS // 4  # one a tick, not one a guest
        assert not [f for f in teacher.frames if f["type"] == "presence.join" and f["seq"] > 2]
        joined = sorted(p["name"] for f in counted for p in f["data"]["joined"])
        assert joined == names
        await pupil.wait_for(
            lambda f: f["type"] == "presence.counts" and f["data"]["observers"] == GUESTS
        )
        # The first guest sees the others come as a count, never by name.
        first = guests[0]
        await first.wait_for(
            lambda f: f["type"] == "presence.counts" and f["data"]["observers"] == GUESTS
        )
        to_first = json.dumps(first.frames, ensure_ascii=False)
        assert [name for name in names[1:] if name in to_first] == []  # only her own
        to_pupil = json.dumps(pupil.frames, ensure_ascii=False)
        assert [name for name in names if name in to_pupil] == []
    finally:
        for client in (teacher, pupil, *guests):
            await client.close()
