"""aiortc clients for the media tests: a publisher of numbered frames, subscribers reading them.

The publisher's video frames carry their number in pixels: a 4x4 grid of flat blocks, dark for
0 and bright for 1, sixteen bits that survive VP8 compression at both hops (publisher to server,
server to viewer), so a subscriber can tell which frames it got and that they go forward.
Everything runs on loopback with no ICE servers.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Any

from aiortc import (
    RTCConfiguration,
    RTCPeerConnection,
    RTCSessionDescription,
    VideoStreamTrack,
)
from aiortc.mediastreams import AudioStreamTrack, MediaStreamError, MediaStreamTrack
from av import VideoFrame

from live.rtc_types import MediaStateEvent

WIDTH, HEIGHT = 160, 120
GRID = 4  # GRID x GRID blocks, one bit each
BLOCK_W, BLOCK_H = WIDTH // GRID, HEIGHT // GRID
DARK, BRIGHT = 40, 215
# How long a helper waits for something that should happen: a bound so a bug fails, not hangs.
PATIENCE = 10.0
# For an end that may be known only when ICE consent lapses (see SubscriberClient.wait_ended).
_END_PATIENCE = 45.0


def numbered_frame(number: int) -> VideoFrame:
    """A grey 160x120 frame whose blocks spell ``number`` (modulo 2**16) in binary."""
    frame = VideoFrame(width=WIDTH, height=HEIGHT, format="yuv420p")
    luma = frame.planes[0]
    rows = bytearray()
    for block_row in range(GRID):
        line = bytearray()
        for block_col in range(GRID):
            bit = (number >> (block_row * GRID + block_col)) & 1
            line += bytes([BRIGHT if bit else DARK]) * BLOCK_W
        line += bytes(luma.line_size - WIDTH)
        rows += bytes(line) * BLOCK_H
    luma.update(bytes(rows))
    for chroma in frame.planes[1:]:
        chroma.update(bytes([128]) * chroma.buffer_size)
    return frame


def frame_number(frame: VideoFrame) -> int:
    """Read back the number :func:`numbered_frame` drew, from the middle of each block."""
    if frame.format.name != "yuv420p" or (frame.width, frame.height) != (WIDTH, HEIGHT):
        frame = frame.reformat(width=WIDTH, height=HEIGHT, format="yuv420p")
    luma = frame.planes[0]
    data = bytes(luma)
    number = 0
    for block_row in range(GRID):
        for block_col in range(GRID):
            top = block_row * BLOCK_H + BLOCK_H // 3
            left = block_col * BLOCK_W + BLOCK_W // 3
            samples = [
                data[(top + y) * luma.line_size + left + x]
                for y in range(BLOCK_H // 3)
                for x in range(BLOCK_W // 3)
            ]
            if sum(samples) / len(samples) > (DARK + BRIGHT) / 2:
                number |= 1 << (block_row * GRID + block_col)
    return number


class NumberedVideoTrack(VideoStreamTrack):
    """A 30 fps video track whose frames are numbered 0, 1, 2, ... in their pixels.

    ``delay`` holds back the first frame, as a camera slow to start would.
    """

    def __init__(self, start: int = 0, *, delay: float = 0.0) -> None:
        super().__init__()
        self.sent = start
        self._delay = delay

    async def recv(self) -> VideoFrame:
        """The next numbered frame, paced like a camera."""
        if self._delay:
            await asyncio.sleep(self._delay)
            self._delay = 0.0
        pts, time_base = await self.next_timestamp()
        frame = numbered_frame(self.sent)
        frame.pts = pts
        frame.time_base = time_base
        self.sent += 1
        return frame


def _configuration() -> RTCConfiguration:
    return RTCConfiguration(iceServers=[])


async def wait_until(condition: Callable[[], bool], what: str, timeout: float = PATIENCE) -> None:
    """Poll ``condition`` until it holds; fail with ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


class PublisherClient:
    """A teacher's browser, in aiortc: sends numbered video (and silent audio) to the server."""

    def __init__(self, *, audio: bool = True, start: int = 0, video_delay: float = 0.0) -> None:
        self.pc = RTCPeerConnection(_configuration())
        self.video = NumberedVideoTrack(start, delay=video_delay)
        self.pc.addTransceiver(self.video, direction="sendonly")
        if audio:
            self.pc.addTransceiver(AudioStreamTrack(), direction="sendonly")

    async def offer(self) -> str:
        """The offer SDP, with every ICE candidate gathered."""
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return self.pc.localDescription.sdp

    async def accept(self, answer_sdp: str) -> None:
        """Apply the server's answer; media starts once ICE and DTLS are up."""
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=answer_sdp, type="answer"))

    async def close(self) -> None:
        """Hang up."""
        await self.pc.close()


class SubscriberClient:
    """A pupil's tablet, in aiortc: receives video and audio and keeps the frame numbers.

    With ``sends=True`` it also offers its own camera and microphone, as a careless browser
    client might (the server must not take them).
    """

    def __init__(self, *, sends: bool = False) -> None:
        self.pc = RTCPeerConnection(_configuration())
        if sends:
            self.pc.addTransceiver(NumberedVideoTrack(), direction="sendrecv")
            self.pc.addTransceiver(AudioStreamTrack(), direction="sendrecv")
        else:
            self.pc.addTransceiver("video", direction="recvonly")
            self.pc.addTransceiver("audio", direction="recvonly")
        self.numbers: list[int] = []
        self.audio_frames = 0
        self.tracks: dict[str, MediaStreamTrack] = {}
        self.ended: set[str] = set()
        self._readers: list[asyncio.Task[None]] = []
        self.pc.on("track", self._on_track)

    def _on_track(self, track: MediaStreamTrack) -> None:
        self.tracks[track.kind] = track
        self._readers.append(asyncio.ensure_future(self._read(track)))

    async def _read(self, track: MediaStreamTrack) -> None:
        while True:
            try:
                frame: Any = await track.recv()
            except MediaStreamError:
                self.ended.add(track.kind)
                return
            if track.kind == "video":
                self.numbers.append(frame_number(frame))
            else:
                self.audio_frames += 1

    async def offer(self) -> str:
        """The receive-only offer SDP, with every ICE candidate gathered."""
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return self.pc.localDescription.sdp

    async def accept(self, answer_sdp: str) -> None:
        """Apply the server's answer."""
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=answer_sdp, type="answer"))

    async def wait_for_video(self, frames: int) -> list[int]:
        """Wait for ``frames`` more video frames; return the numbers received meanwhile."""
        seen = len(self.numbers)
        await wait_until(lambda: len(self.numbers) >= seen + frames, f"{frames} video frames")
        return self.numbers[seen:]

    async def wait_for_audio(self, frames: int) -> None:
        """Wait for ``frames`` more audio frames."""
        seen = self.audio_frames
        await wait_until(lambda: self.audio_frames >= seen + frames, f"{frames} audio frames")

    async def wait_ended(self) -> None:
        """Wait until every received track has ended (``recv`` raised ``MediaStreamError``).
        Patient: the server's close goes over UDP, and when a loaded machine drops it the
        client learns of the end only when ICE consent lapses (about 30 s in aiortc)."""
        await wait_until(
            lambda: bool(self.tracks) and self.ended == set(self.tracks), "an end", _END_PATIENCE
        )

    async def close(self) -> None:
        """Hang up and stop reading."""
        await self.pc.close()
        for reader in self._readers:
            reader.cancel()
        for reader in self._readers:
            with contextlib.suppress(asyncio.CancelledError):
                await reader


class StateLog:
    """An ``on_state`` callback that keeps every event, for tests to wait on."""

    def __init__(self) -> None:
        self.events: list[tuple[str, MediaStateEvent]] = []
        self._taken: set[int] = set()

    async def __call__(self, room_id: str, event: MediaStateEvent) -> None:
        self.events.append((room_id, event))

    def reasons(self, room_id: str | None = None) -> list[str]:
        """The reasons of the events so far (of one room when given)."""
        return [e["reason"] for r, e in self.events if room_id in (None, r)]

    async def wait_for(self, reason: str, room_id: str | None = None) -> MediaStateEvent:
        """Wait for the first event with ``reason`` not yet waited for; return it."""
        await wait_until(lambda: self._find(reason, room_id) is not None, f"a {reason!r} event")
        found = self._find(reason, room_id)
        assert found is not None
        index, event = found
        self._taken.add(index)
        return event

    def _find(self, reason: str, room_id: str | None) -> tuple[int, MediaStateEvent] | None:
        for index, (room, event) in enumerate(self.events):
            if index in self._taken or event["reason"] != reason:
                continue
            if room_id is None or room == room_id:
                return index, event
        return None


async def start_publishing(
    room: Any,
    publisher_id: str = "teacher",
    *,
    kind: str = "camera",
    audio: bool = True,
    start: int = 0,
    video_delay: float = 0.0,
) -> PublisherClient:
    """Connect a :class:`PublisherClient` to ``room`` (a ``MediaRoom``); don't wait for live."""
    client = PublisherClient(audio=audio, start=start, video_delay=video_delay)
    try:
        answer = await room.publish(publisher_id, await client.offer(), kind=kind)
    except BaseException:
        await client.close()
        raise
    await client.accept(answer)
    return client


async def start_subscribing(room: Any, viewer_id: str) -> SubscriberClient:
    """Connect a :class:`SubscriberClient` to ``room`` (a ``MediaRoom``)."""
    client = SubscriberClient()
    try:
        answer = await room.subscribe(viewer_id, await client.offer())
    except BaseException:
        await client.close()
        raise
    await client.accept(answer)
    return client
