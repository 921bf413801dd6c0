"""The media engine with real aiortc peers on loopback: publishing, relaying, cleaning up."""

from __future__ import annotations

import asyncio
import itertools
import os
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import av
import pytest
from aioice.ice import get_host_addresses
from aiortc import RTCIceServer

from live.rtc import MediaHub, MediaRoom
from live.rtc_types import MediaStateEvent, RtcConfig, RtcError
from tests.live.rtc_clients import (
    PublisherClient,
    StateLog,
    SubscriberClient,
    frame_number,
    numbered_frame,
    start_publishing,
    start_subscribing,
    wait_until,
)

# aioice never offers 127.0.0.1 or ::1 as a candidate: the peers meet on another interface.
pytestmark = pytest.mark.skipif(
    not get_host_addresses(use_ipv4=True, use_ipv6=True),
    reason="ICE needs a network interface other than loopback (aioice skips 127.0.0.1 and ::1)",
)

ROOM = "room-1"
DIRECTIONS = {"a=sendrecv", "a=sendonly", "a=recvonly", "a=inactive"}


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


@pytest.fixture
async def media() -> AsyncIterator[Media]:
    media = Media()
    yield media
    await media.close()
    assert media.hub.peer_count() == 0
    await wait_until(lambda: not other_tasks(), "every media task to finish")


def increasing(numbers: list[int]) -> bool:
    return all(a < b for a, b in itertools.pairwise(numbers))


# --- configuration ---------------------------------------------------------------------------


def test_default_config_asks_no_ice_server() -> None:
    # ``None`` would make aiortc ask a public STUN server, which this network cannot reach.
    assert RtcConfig().rtc_configuration().iceServers == []
    assert RtcConfig().browser_ice_servers() == []


def test_ice_servers_reach_aiortc_and_the_browser() -> None:
    config = RtcConfig(
        ice_servers=["stun:stun.school.example:3478", "turn:turn.school.example?transport=tcp"],
        ice_username="eschool",
        ice_credential="s3cret",
    )
    assert config.browser_ice_servers() == [
        {"urls": ["stun:stun.school.example:3478"]},
        {
            "urls": ["turn:turn.school.example?transport=tcp"],
            "username": "eschool",
            "credential": "s3cret",
        },
    ]
    assert config.rtc_configuration().iceServers == [
        RTCIceServer(urls=["stun:stun.school.example:3478"]),
        RTCIceServer(
            urls=["turn:turn.school.example?transport=tcp"],
            username="eschool",
            credential="s3cret",
        ),
    ]


@pytest.mark.parametrize(
    ("options", "complaint"),
    [
        ({"port_min": 40000, "port_max": 40100}, "port range"),
        ({"ice_servers": ["http://stun.example"]}, "not a stun"),
        ({"ice_servers": ["turn:turn.example"]}, "needs ice_username"),
        ({"max_viewers": -1}, "max_viewers"),
        ({"connect_timeout": 0}, "connect_timeout"),
    ],
)
def test_config_refuses_what_cannot_work(options: dict[str, object], complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        RtcConfig(**options)


def test_unset_port_range_from_settings_is_accepted() -> None:
    # Settings say 0 for "no range".
    assert RtcConfig(port_min=0, port_max=0).port_min == 0


def test_numbered_frames_read_back() -> None:
    for number in (0, 1, 1234, 65535):
        assert frame_number(numbered_frame(number)) == number


# --- relaying ---------------------------------------------------------------------------------


async def test_viewers_and_a_late_joiner_receive_the_publishers_video_and_audio(
    media: Media,
) -> None:
    await media.publish("teacher")
    assert media.room().state() == {
        "live": True,
        "kind": "camera",
        "publisher": "teacher",
        "viewers": 0,
        "publication": 1,
    }
    anna, boris = await media.subscribe("anna"), await media.subscribe("boris")
    first = await anna.wait_for_video(15)
    second = await boris.wait_for_video(15)
    assert increasing(first)
    assert increasing(second)
    await anna.wait_for_audio(10)
    await boris.wait_for_audio(10)

    late = await media.subscribe("late")
    frames = await late.wait_for_video(10)
    assert increasing(frames)
    # The late joiner sees the lesson as it is now, not from its start.
    assert frames[0] > first[0]
    await late.wait_for_audio(5)
    assert media.room().state()["viewers"] == 3
    assert media.hub.peer_count() == 4


async def test_incoming_media_is_read_while_nobody_watches(media: Media) -> None:
    publisher = await media.publish("teacher")
    sent = publisher.video.sent

    await wait_until(lambda: publisher.video.sent >= sent + 30, "the publisher to send 30 frames")

    # aiortc queues every decoded frame of a remote track until someone reads it (white box).
    publication = media.room()._publication
    assert publication is not None
    for source in publication.sources:
        assert source._source._queue.qsize() < 5


async def test_viewers_send_nothing_back(media: Media) -> None:
    await media.publish("teacher")
    viewer = SubscriberClient(sends=True)  # it offers to send its own video and audio too...
    media.clients.append(viewer)
    answer = await media.room().subscribe("anna", await viewer.offer())
    await viewer.accept(answer)

    # ... and is told the server only sends: nothing from a viewer would be queued unread.
    directions = [line for line in answer.splitlines() if line in DIRECTIONS]
    assert directions == ["a=sendonly", "a=sendonly"]
    await viewer.wait_for_video(3)


async def test_viewer_tracks_end_when_the_publisher_stops(media: Media) -> None:
    await media.publish("teacher")
    viewers = [await media.subscribe("anna"), await media.subscribe("boris")]
    for viewer in viewers:
        await viewer.wait_for_video(3)

    assert await media.room().unpublish("someone-else") is False
    assert await media.room().unpublish("teacher") is True

    stopped = await media.log.wait_for("stopped")
    assert stopped["live"] is False
    assert stopped["viewers"] == 0
    for viewer in viewers:
        await viewer.wait_ended()
    assert media.room().state()["live"] is False
    assert media.hub.peer_count() == 0


async def test_subscribing_before_anything_is_live_is_refused(media: Media) -> None:
    room = media.room()
    with pytest.raises(RtcError) as refused:
        await start_subscribing(room, "anna")
    assert refused.value.code == "no_publisher"

    # Published but not connected yet (the answer never reaches the publisher): not live.
    publisher = PublisherClient()
    media.clients.append(publisher)
    await room.publish("teacher", await publisher.offer())
    assert room.state()["live"] is False
    with pytest.raises(RtcError) as refused:
        await start_subscribing(room, "anna")
    assert refused.value.code == "no_publisher"
    assert room.peer_count() == 1

    # Its incoming tracks never carried a frame; ending it must still end every reader.
    assert await room.unpublish("teacher") is True
    assert room.peer_count() == 0
    await publisher.close()
    await wait_until(lambda: not other_tasks(), "the relay's readers to end")


async def test_a_new_publication_replaces_the_old_one(media: Media) -> None:
    old_publisher = await media.publish("teacher")
    anna = await media.subscribe("anna")
    await anna.wait_for_video(3)

    await media.publish("teacher2", kind="screen", start=10_000)

    replaced = await media.log.wait_for("replaced")
    assert replaced["live"] is False
    await anna.wait_ended()
    await wait_until(lambda: old_publisher.pc.connectionState == "closed", "the old pc to close")
    live = media.log.events[-1][1]
    assert (live["reason"], live["kind"], live["publisher"]) == ("live", "screen", "teacher2")
    assert live["publication"] == 2

    again = await media.subscribe("anna")
    frames = await again.wait_for_video(5)
    assert min(frames) >= 10_000
    assert media.hub.peer_count() == 2


async def test_the_publisher_hanging_up_ends_the_publication(media: Media) -> None:
    publisher = await media.publish("teacher")
    anna = await media.subscribe("anna")
    await anna.wait_for_video(3)

    await publisher.close()

    lost = await media.log.wait_for("publisher_lost")
    assert lost["live"] is False
    await anna.wait_ended()
    await wait_until(lambda: media.hub.peer_count() == 0, "the server to drop every pc")


async def test_a_viewer_hanging_up_is_forgotten(media: Media) -> None:
    await media.publish("teacher")
    anna = await media.subscribe("anna")
    boris = await media.subscribe("boris")
    await anna.wait_for_video(3)

    await anna.close()

    lost = await media.log.wait_for("viewer_lost")
    assert lost["viewer"] == "anna"
    assert lost["viewers"] == 1
    assert await media.room().leave("anna") is False
    await boris.wait_for_video(3)


async def test_subscribing_again_replaces_the_viewers_connection(media: Media) -> None:
    await media.publish("teacher")
    first = await media.subscribe("anna")
    await first.wait_for_video(3)

    second = await media.subscribe("anna")

    await first.wait_ended()
    await second.wait_for_video(3)
    assert media.room().state()["viewers"] == 1
    assert await media.room().leave("anna") is True
    assert media.hub.peer_count() == 1


async def test_a_publisher_that_never_connects_is_closed() -> None:
    media = Media(RtcConfig(connect_timeout=0.3))
    try:
        publisher = PublisherClient()
        media.clients.append(publisher)
        await media.room().publish("teacher", await publisher.offer())

        lost = await media.log.wait_for("publisher_lost")
        assert lost["live"] is False
        assert media.hub.peer_count() == 0
    finally:
        await media.close()


async def test_a_viewer_gone_before_connecting_is_closed() -> None:
    # Long enough for the publisher to connect on loopback, short enough for a test.
    media = Media(RtcConfig(connect_timeout=2.0))
    try:
        await media.publish("teacher")
        viewer = SubscriberClient()
        media.clients.append(viewer)
        await media.room().subscribe("anna", await viewer.offer())
        await viewer.close()  # hangs up before it ever applied the answer

        lost = await media.log.wait_for("viewer_lost")
        assert lost["viewer"] == "anna"
        assert media.room().state()["viewers"] == 0
        assert media.hub.peer_count() == 1
    finally:
        await media.close()


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


# --- recording ------------------------------------------------------------------------------------


async def test_recording_writes_the_publication_to_a_file(media: Media, tmp_path: Path) -> None:
    room = media.room()
    path = tmp_path / "lesson.webm"
    with pytest.raises(RtcError) as refused:
        await room.start_recording(path)
    assert refused.value.code == "no_publisher"

    await media.publish("teacher")
    for unwritable in (tmp_path / "missing" / "lesson.webm", tmp_path / "lesson.avi"):
        with pytest.raises(RtcError) as refused:
            await room.start_recording(unwritable)
        assert refused.value.code == "recording_failed"
    await room.start_recording(tmp_path / "empty.webm")
    assert await room.stop_recording() is True  # before any frame: still finishes cleanly

    clock = await media.subscribe("anna")  # frames seen by a viewer tell how long it recorded
    await room.start_recording(path)
    with pytest.raises(RtcError) as refused:
        await room.start_recording(tmp_path / "again.webm")
    assert refused.value.code == "already_recording"
    await clock.wait_for_video(20)
    assert await room.stop_recording() is True
    assert await room.stop_recording() is False

    with av.open(str(path)) as container:
        assert {stream.type for stream in container.streams} == {"video", "audio"}
        video = container.streams.video[0]
        assert (video.width, video.height) == (160, 120)  # the publisher's size, not a default
        numbers = [frame_number(frame) for frame in container.decode(video=0)]
    assert len(numbers) >= 5
    assert increasing(numbers)


async def test_a_recording_ends_with_its_publication(media: Media, tmp_path: Path) -> None:
    room = media.room()
    # The camera starts after the microphone: the recording must still get the video's size.
    await media.publish("teacher", video_delay=0.5)
    path = tmp_path / "lesson.mkv"
    await room.start_recording(path)
    clock = await media.subscribe("anna")
    await clock.wait_for_video(10)

    await room.unpublish("teacher")

    assert await room.stop_recording() is False
    with av.open(str(path)) as container:
        assert (container.streams.video[0].width, container.streams.video[0].height) == (160, 120)
        assert sum(1 for _ in container.decode(video=0)) >= 1
