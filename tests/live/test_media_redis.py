"""Live media across two server processes sharing Redis: the room's media is homed on one of
them and signalling from a socket on the other is forwarded to it through the broker.

Runs when ``ESCHOOL_TEST_REDIS_URL`` is set; both processes share one SQLite file.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.live.rtc_media import increasing, needs_ice_interface
from tests.live.test_media_ws import Peers, media_status, wait_for_status
from tests.live.ws_support import (
    LiveClient,
    ProcessServer,
    World,
    bearer,
    observer_token,
    start_lesson,
    ws_url,
)

pytestmark = [pytest.mark.redis, needs_ice_interface]


@pytest.fixture
def database_url(tmp_path: Path, sqlite_template: Path) -> str:
    """SQLite only: nothing here depends on the database."""
    path = tmp_path / "eschool.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
async def peers() -> AsyncIterator[Peers]:
    made = Peers()
    yield made
    await made.close()


async def test_a_viewer_on_another_process_receives_the_teachers_video(
    servers: tuple[ProcessServer, ProcessServer], world: World, peers: Peers
) -> None:
    a, b = servers
    code = (await start_lesson(a.base_url, world))["code"]
    anna = world.pupils[0]
    teacher = await LiveClient.connect(
        ws_url(a.ws_base, code), headers=await bearer(a.base_url, "teacher")
    )
    pupil = await LiveClient.connect(
        ws_url(b.ws_base, code), headers=await bearer(b.base_url, anna.login)
    )
    observer = await LiveClient.connect(
        ws_url(a.ws_base, code, token=await observer_token(a.base_url, code, "Guest"))
    )
    clients = [teacher, pupil, observer]
    try:
        # The teacher publishes through process A, which becomes the room's media home.
        await peers.publish(teacher)
        went_live = await pupil.event("rtc.state", live=True)  # told on process B as well
        assert went_live["data"]["publisher"]["id"] == world.teacher.id

        # Anna's socket is on process B: her offer is forwarded to A and answered from there.
        remote = await peers.subscribe(pupil)
        local = await peers.subscribe(observer)
        for viewer in (remote, local):
            assert increasing(await viewer.wait_for_video(15))
            await viewer.wait_for_audio(10)
        # Process B asks the home for the room's figures too.
        status = await media_status(b.base_url, code)
        assert (status["live"], status["viewers"], status["peers"]) == (True, 2, 3)

        # Anna's socket on B closes: the home, on A, drops her peer connection.
        await pupil.close()
        await wait_for_status(a.base_url, code, viewers=1, peers=2)

        # The end, asked of process B, closes the media homed on A.
        async with httpx.AsyncClient(base_url=b.base_url) as http:
            ended = await http.post(
                f"/live/{code}/end", headers=await bearer(b.base_url, "teacher")
            )
        assert ended.status_code == 200, ended.text
        await local.wait_ended()
        status = await wait_for_status(a.base_url, code, peers=0)
        assert status["live"] is False
    finally:
        for client in clients:
            await client.close()
