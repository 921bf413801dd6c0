"""The media engine under test with real aiortc peers, for the test_rtc* modules: a hub with a
log of its state events and the clients a test connects to it, and what the tests check."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import pytest
from aioice.ice import get_host_addresses

from live.rtc import MediaHub, MediaRoom
from live.rtc_types import RtcConfig
from tests.live.rtc_clients import (
    PublisherClient,
    StateLog,
    SubscriberClient,
    start_publishing,
    start_subscribing,
)

# aioice never offers 127.0.0.1 or ::1 as a candidate: the peers meet on another interface.
needs_ice_interface = pytest.mark.skipif(
    not get_host_addresses(use_ipv4=True, use_ipv6=True),
    reason="ICE needs a network interface other than loopback (aioice skips 127.0.0.1 and ::1)",
)

ROOM = "room-1"


class Media:
    """A hub with a log of its state events, and the clients a test connects to it."""

    def __init__(self, config: RtcConfig | None = None) -> None:
        self.log = StateLog()
        self.hub = MediaHub(config or RtcConfig(), on_state=self.log)
        self.clients: list[PublisherClient | SubscriberClient] = []

    def room(self, room_id: str = ROOM) -> MediaRoom:
        return self.hub.room(room_id)

    async def publish(
        self, publisher_id: str = "teacher", *, room_id: str = ROOM, **options: Any
    ) -> PublisherClient:
        """Publish and wait until the room is live."""
        client = await start_publishing(self.room(room_id), publisher_id, **options)
        self.clients.append(client)
        await self.log.wait_for("live", room_id)
        return client

    async def subscribe(self, viewer_id: str, *, room_id: str = ROOM) -> SubscriberClient:
        client = await start_subscribing(self.room(room_id), viewer_id)
        self.clients.append(client)
        return client

    async def close(self) -> None:
        for client in self.clients:
            await client.close()
        await self.hub.close()


def other_tasks() -> set[asyncio.Task[object]]:
    return {task for task in asyncio.all_tasks() if task is not asyncio.current_task()}


def increasing(numbers: list[int]) -> bool:
    return all(a < b for a, b in itertools.pairwise(numbers))
