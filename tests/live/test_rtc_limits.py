"""The media engine with real aiortc peers on loopback: its limits, and cleaning up after
viewers, bad offers, a closed hub or room and a failing callback."""

from __future__ import annotations

import asyncio
import os
import threading

import pytest

from live.rtc import MediaHub
from live.rtc_types import MediaStateEvent, RtcConfig, RtcError
from tests.live.rtc_clients import SubscriberClient, start_publishing, start_subscribing, wait_until
from tests.live.rtc_media import ROOM, Media, needs_ice_interface

pytestmark = needs_ice_interface


def open_sockets() -> int:
    """How many sockets the process has open (Linux)."""
    fds = os.listdir("/proc/self/fd")
    links = []
    for fd in fds:
        try:
            links.append(os.readlink(f"/proc/self/fd/{fd}"))
        except FileNotFoundError:  # the fd of listdir itself
            continue
    return sum(link.startswith("socket:") for link in links)


# --- limits and cleaning up ----------------------------------------------------------------------


async def test_max_viewers_counts_every_room_of_the_process() -> None:
    media = Media(RtcConfig(max_viewers=1))
    try:
        await media.publish("teacher", room_id="7a")
        await media.publish("teacher2", room_id="7b")
        await media.subscribe("anna", room_id="7a")

        with pytest.raises(RtcError) as refused:
            await media.subscribe("boris", room_id="7b")
        assert refused.value.code == "too_many_viewers"
        assert "1 viewers" in refused.value.message
        assert media.hub.peer_count() == 3

        assert await media.hub.room("7a").leave("anna") is True
        boris = await media.subscribe("boris", room_id="7b")
        await boris.wait_for_video(3)
    finally:
        await media.close()


async def test_join_leave_cycles_leak_nothing(media: Media) -> None:
    room = media.room()
    await media.publish("teacher")

    async def cycle(n: int) -> None:
        viewer = await start_subscribing(room, f"viewer-{n}")
        await viewer.wait_for_video(1)
        if n % 2:  # the server hangs up on half of them, the others hang up themselves
            assert await room.leave(f"viewer-{n}") is True
        await viewer.close()

    await asyncio.gather(*(cycle(n) for n in range(5)))
    await wait_until(lambda: room.peer_count() == 1, "the warm-up viewers to be gone")
    sockets, threads = open_sockets(), threading.active_count()

    for round_ in range(10):
        await asyncio.gather(*(cycle(100 + round_ * 5 + n) for n in range(5)))

    await wait_until(lambda: media.hub.peer_count() == 1, "every viewer's pc to be dropped")
    assert room.state()["viewers"] == 0
    # Each viewer's pc held UDP sockets and a decoder-free sender; 50 leaked would show.
    assert open_sockets() <= sockets + 4
    # The default executor may still grow to its ceiling; a leak would add a thread per pc.
    assert threading.active_count() <= threads + min(32, (os.cpu_count() or 1) + 4)


async def test_bad_offers_are_refused_and_leave_nothing(media: Media) -> None:
    room = media.room()
    cases = [("v=0\r\nnot sdp at all\r\n", "offer"), ("", "offer"), ("v=0\r\n", "answer")]
    for sdp, type_ in cases:
        with pytest.raises(RtcError) as refused:
            await room.publish("teacher", sdp, type_)
        assert refused.value.code == "bad_offer"

    # A receive-only offer has nothing to publish.
    viewer = SubscriberClient()
    media.clients.append(viewer)
    with pytest.raises(RtcError) as refused:
        await room.publish("teacher", await viewer.offer())
    assert refused.value.code == "bad_offer"

    with pytest.raises(RtcError) as refused:
        await room.publish("teacher", "v=0\r\n", kind="hologram")
    assert refused.value.code == "bad_kind"
    assert media.hub.peer_count() == 0
    assert room.state()["live"] is False


async def test_closing_the_hub_closes_every_peer_connection(media: Media) -> None:
    publisher = await media.publish("teacher")
    viewers = [await media.subscribe("anna"), await media.subscribe("boris")]
    await viewers[0].wait_for_video(3)
    events = len(media.log.events)

    await media.hub.close()

    assert media.hub.peer_count() == 0
    assert len(media.log.events) == events  # shutting down sends no state events
    for viewer in viewers:
        await viewer.wait_ended()
    await wait_until(lambda: publisher.pc.connectionState == "closed", "the publisher to close")
    with pytest.raises(RtcError) as refused:
        media.hub.room(ROOM)
    assert refused.value.code == "closed"


async def test_closing_a_room_leaves_the_others_alone(media: Media) -> None:
    await media.publish("teacher", room_id="7a")
    await media.publish("teacher2", room_id="7b")
    boris = await media.subscribe("boris", room_id="7b")

    await media.hub.close_room("7a")

    assert media.hub.find("7a") is None
    assert media.hub.peer_count() == 2
    await boris.wait_for_video(3)


async def test_a_failing_state_callback_does_not_stop_the_media() -> None:
    async def broken(room_id: str, event: MediaStateEvent) -> None:
        raise RuntimeError("the web layer fell over")

    hub = MediaHub(on_state=broken)
    room = hub.room(ROOM)
    publisher = await start_publishing(room)
    viewer: SubscriberClient | None = None
    try:
        await wait_until(lambda: room.state()["live"], "the room to go live")
        viewer = await start_subscribing(room, "anna")
        await viewer.wait_for_video(3)
    finally:
        for client in (publisher, viewer):
            if client is not None:
                await client.close()
        await hub.close()
