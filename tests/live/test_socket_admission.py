"""Who may open a room's socket once its lesson is known to a process: a process keeps what it
read of a running lesson for the next joins (live.services.session_for_socket), so an end
asked of another process must still refuse them. Runs when ``ESCHOOL_TEST_REDIS_URL`` is set."""

from __future__ import annotations

import httpx
import pytest

from tests.live.ws_support import LiveClient, ProcessServer, World, bearer, start_lesson, ws_url

pytestmark = pytest.mark.redis


@pytest.mark.parametrize("stays", [True, False], ids=["room-open-here", "room-let-go"])
async def test_a_lesson_ended_on_another_process_refuses_new_sockets_here(
    servers: tuple[ProcessServer, ProcessServer], world: World, stays: bool
) -> None:
    a, b = servers
    code = (await start_lesson(a.base_url, world))["code"]
    anna, boris = world.pupils[0], world.pupils[1]
    first = await LiveClient.connect(
        ws_url(a.ws_base, code), headers=await bearer(a.base_url, anna.login)
    )
    assert (await first.wait_for(lambda f: True))["type"] == "welcome"  # A has read the lesson
    if not stays:
        await first.close()  # A lets the room go
    async with httpx.AsyncClient(base_url=b.base_url) as http:
        ended = await http.post(f"/live/{code}/end", headers=await bearer(b.base_url, "teacher"))
    assert ended.status_code == 200, ended.text
    if stays:
        assert await first.closed() == 4410
    late = await LiveClient.connect(
        ws_url(a.ws_base, code), headers=await bearer(a.base_url, boris.login)
    )
    refused = await late.wait_for(lambda f: f["type"] == "error")
    assert refused["error"]["code"] == "ended"
    assert await late.closed() == 4410
