"""What a media room holds: its peer connections, the publication being relayed, and the tracks
put between a publisher and its readers (an incoming track that ends the moment it is stopped,
the recorder's feed that holds audio back until the video has started)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from aiortc import RTCPeerConnection
from aiortc.contrib.media import MediaBlackhole, MediaRecorder
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av.frame import Frame
from av.packet import Packet
from av.video.frame import VideoFrame


class IncomingTrack(MediaStreamTrack):
    """A publisher's incoming track that ends as soon as it is stopped.

    aiortc ends a remote track only once its decoder has run: a publisher closed before its
    media flowed would leave the relay's reader waiting on it forever.
    """

    def __init__(self, source: MediaStreamTrack) -> None:
        super().__init__()
        self.kind = source.kind
        self._source = source
        self._stopped = asyncio.get_running_loop().create_future()

    async def recv(self) -> Frame | Packet:
        """The next frame of the source; ``MediaStreamError`` once either of them has ended."""
        if self.readyState != "live":
            raise MediaStreamError
        frame = asyncio.ensure_future(self._source.recv())
        try:
            await asyncio.wait((frame, self._stopped), return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopped_first = not frame.done()
            if stopped_first:
                frame.cancel()
                frame.add_done_callback(discard_result)
        if stopped_first:
            raise MediaStreamError
        try:
            return frame.result()
        except MediaStreamError:
            self.stop()
            raise

    def stop(self) -> None:
        """End the track; a pending ``recv`` raises ``MediaStreamError`` at once."""
        super().stop()
        if not self._stopped.done():
            self._stopped.set_result(None)


class RecorderFeed(MediaStreamTrack):
    """A relayed track fed to the recorder; audio is held back until the video has started.

    MediaRecorder sizes the video stream from its first frame, but FFmpeg writes the file's
    header at the first packet of any stream: audio muxed first would freeze the video at
    PyAV's default 640x480 and the video would be lost.
    """

    def __init__(self, source: MediaStreamTrack, video_started: asyncio.Event) -> None:
        super().__init__()
        self.kind = source.kind
        self._source = source
        self._video_started = video_started

    async def recv(self) -> Frame | Packet:
        """The next frame to record (audio frames before the first video frame are dropped)."""
        while True:
            frame = await self._source.recv()
            if self.kind == "video":
                self._video_started.set()
                assert isinstance(frame, VideoFrame)  # what a video track delivers
                # The encoder rewrites a frame's timestamps in place, and the viewers'
                # encoders share these relayed frames: the recorder gets its own copy.
                copy = frame.reformat(format="nv12")
                copy.pts, copy.time_base = frame.pts, frame.time_base
                return copy
            if self._video_started.is_set():
                return frame

    def stop(self) -> None:
        """Stop feeding the recorder, and the relayed track with it."""
        super().stop()
        self._source.stop()


def discard_result(task: asyncio.Future[Any]) -> None:
    """Retrieve the outcome of an abandoned task, so that asyncio does not report it."""
    if not task.cancelled():
        task.exception()


@dataclass(eq=False)
class Peer:
    """One peer connection held by a room: the publisher's or a viewer's."""

    user_id: str
    pc: RTCPeerConnection
    publication: Publication | None = None  # a viewer's: what it relays
    tracks: list[MediaStreamTrack] = field(default_factory=list)
    closing: bool = False
    timer: asyncio.TimerHandle | None = None


@dataclass(eq=False)
class Publication:
    """The publisher's connection and its tracks, from ``publish`` until it ends."""

    peer: Peer
    kind: str
    sources: list[IncomingTrack]
    drain: MediaBlackhole = field(default_factory=MediaBlackhole)
    live: bool = False
    ended: bool = False
    number: int | None = None
    recorder: MediaRecorder | None = None
    recording_file: BinaryIO | None = None
    recorder_tracks: list[MediaStreamTrack] = field(default_factory=list)
