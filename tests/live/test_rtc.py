"""The media engine with real aiortc peers on loopback: its configuration, publishing and
relaying."""

from __future__ import annotations

import pytest
from aiortc import RTCIceServer

from live.rtc_types import RtcConfig, RtcError
from tests.live.rtc_clients import (
    PublisherClient,
    SubscriberClient,
    frame_number,
    numbered_frame,
    start_subscribing,
    wait_until,
)
from tests.live.rtc_media import Media, increasing, needs_ice_interface, other_tasks

pytestmark = needs_ice_interface

DIRECTIONS = {"a=sendrecv", "a=sendonly", "a=recvonly", "a=inactive"}


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
