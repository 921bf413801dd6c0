"""The media engine with real aiortc peers on loopback: recording a publication to a file."""

from __future__ import annotations

from pathlib import Path

import av
import pytest

from live.rtc_types import RtcError
from tests.live.rtc_clients import frame_number
from tests.live.rtc_media import Media, increasing, needs_ice_interface

pytestmark = needs_ice_interface

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
