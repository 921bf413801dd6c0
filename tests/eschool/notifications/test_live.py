"""New notifications reach open pages live: the stream of one app instance gets what was
committed through another, across a real Redis (``ESCHOOL_TEST_REDIS_URL``)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace

import httpx
import pytest

from eschool.settings import Settings
from tests.conftest import REDIS_URL
from tests.gradebook import conftest as gradebook_fixtures
from tests.live.ws_support import ThreadServer, bearer

gradebook = gradebook_fixtures.gradebook
pytestmark = pytest.mark.redis

ARRIVAL = 15.0  # a bound so that a broken server fails instead of hanging


@pytest.fixture
def two_servers(settings: Settings, gradebook) -> Iterator[tuple[ThreadServer, ThreadServer]]:
    """Two app instances on one database and one Redis (a namespace of this test's own)."""
    if not REDIS_URL:
        pytest.skip("ESCHOOL_TEST_REDIS_URL not set: live delivery across servers needs Redis")
    shared = replace(settings, broker_url=f"{REDIS_URL}?namespace=notif-{uuid.uuid4().hex[:8]}")
    first, second = ThreadServer(shared).start(), ThreadServer(shared).start()
    try:
        yield first, second
    finally:
        first.stop()
        second.stop()


async def _events(response: httpx.Response) -> AsyncIterator[tuple[str, dict]]:
    """``(event, data)`` of a Server-Sent Events response, skipping comments."""
    name, data = "message", ""
    async for line in response.aiter_lines():
        if line == "":
            if data:
                yield name, json.loads(data)
            name, data = "message", ""
        elif line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data += line[5:].strip()


async def test_the_parent_stream_on_one_server_gets_a_mark_posted_on_the_other(
    two_servers: tuple[ThreadServer, ThreadServer], gradebook
) -> None:
    a, b = two_servers
    pupil = gradebook.pupil("pupil")
    slot = gradebook.past_slot(gradebook.math_7a)
    sse = {"Accept": "text/event-stream"}
    parent = {**await bearer(b.base_url, "parent"), **sse}
    outsider = {**await bearer(b.base_url, f"p.{gradebook.classmate().login}"), **sse}
    async with (
        httpx.AsyncClient(base_url=b.base_url, timeout=ARRIVAL) as http,
        http.stream("GET", "/api/v1/notifications/stream", headers=parent) as stream,
        http.stream("GET", "/api/v1/notifications/stream", headers=outsider) as other,
    ):
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        events, other_events = _events(stream), _events(other)
        first = await asyncio.wait_for(anext(events), ARRIVAL)
        assert first == ("unread", {"unread": 0})
        assert (await asyncio.wait_for(anext(other_events), ARRIVAL))[0] == "unread"
        async with httpx.AsyncClient(base_url=a.base_url) as teacher_http:
            response = await teacher_http.post(
                "/api/v1/marks",
                headers=await bearer(a.base_url, "teacher"),
                json={"pupil_id": pupil.id, "slot_id": slot.id, "value": "5"},
            )
            assert response.status_code == 201, response.text
        name, item = await asyncio.wait_for(anext(events), ARRIVAL)
        assert name == "notification"
        assert item["kind"] == "mark" and item["pupil_id"] == pupil.id and item["unread"] == 1
        assert "5" in item["title"]
        # The other family's stream got nothing about the child (only heartbeats, if any).
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(anext(other_events), 0.5)
