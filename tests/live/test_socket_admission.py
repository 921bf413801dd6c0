"""Who may open a room's socket once its lesson is known to a process: a process keeps what it
read of a running lesson for the next joins (live.services.session_for_socket), so an end
asked of another process must still refuse them. Runs when ``ESCHOOL_TEST_REDIS_URL`` is set."""

from __future__ import annotations

import httpx
import pytest

from tests.live.ws_support import LiveClient, ProcessServer, World, bearer, start_lesson, ws_url

pytestmark = pytest.mark.redis


async def test_a_lesson_ended_on_another_process_refuses_new_sockets_here(
    servers: tuple[ProcessServer, ProcessServer], world: World
) -> None:
    """Whether A still has the room open or has let it go: one lesson for each, one after the
    other on the same two processes (starting them is most of the cost)."""
    a, b = servers
    await _end_on_b_then_join_on_a(a, b, world, stays=True)
    await _end_on_b_then_join_on_a(a, b, world, stays=False)


async def _end_on_b_then_join_on_a(
    a: ProcessServer, b: ProcessServer, world: World, *, stays: bool
) -> None:
    """A pupil joins a new lesson on A (which so reads it), leaves again unless ``stays``, the
    teacher ends the lesson on B; A must then close the open socket and refuse a new one."""
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
