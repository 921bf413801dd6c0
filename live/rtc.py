"""The WebRTC media engine of live lessons: one upstream in, relayed to every viewer.

The teacher's browser sends one peer connection (camera or shared screen, plus voice) to this
process; :class:`MediaRoom` answers it and relays its tracks with aiortc's ``MediaRelay`` to one
peer connection per viewer, so the classroom uploads once whatever the number of pupils.

Signalling is non-trickle: each side gathers its ICE candidates before sending its description,
so an offer goes in and a complete answer comes out. A client subscribes after an ``rtc.state``
event with ``live`` true, and subscribes again after each new ``live`` event (a new publication
closes the viewers of the previous one). The events reach the web layer through the
``on_state`` callback; this module knows no HTTP, WebSocket or broker.

aiortc decodes the incoming media and encodes it again for every viewer: the cost grows with the
number of viewers, which :class:`RtcConfig` bounds per process (``max_viewers``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import av
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.contrib.media import MediaRecorder, MediaRelay
from aiortc.mediastreams import MediaStreamTrack

from live.rtc_peers import IncomingTrack, Peer, Publication, RecorderFeed
from live.rtc_types import (
    PUBLISH_KINDS,
    MediaState,
    MediaStateEvent,
    RtcConfig,
    RtcError,
    StateCallback,
    StateReason,
    check_offer,
)

logger = logging.getLogger(__name__)

_FAILED_STATES = ("failed", "closed")
_PUBLICATION_ENDED = "the publication ended; subscribe again after the next rtc.state live event"
RECORDING_FORMATS = {".webm": "webm", ".mkv": "matroska", ".mp4": "mp4"}


def _closed_error() -> RtcError:
    return RtcError("closed", "the room's media is closed (the lesson ended or the server stops)")


class MediaRoom:
    """The media of one live room homed on this process: one publisher, many viewers.

    ``viewer_id`` is any string unique per receiving client (a connection id suits best: one
    user may watch from two devices). Only the web layer decides who may publish.
    """

    def __init__(
        self,
        room_id: str,
        *,
        config: RtcConfig | None = None,
        on_state: StateCallback | None = None,
        viewers_in_process: Callable[[], int] | None = None,
    ) -> None:
        self.room_id = room_id
        self._config = config or RtcConfig()
        self._on_state = on_state
        # The hub counts viewers across its rooms; a room on its own counts its own.
        self._viewers_in_process = viewers_in_process or (lambda: len(self._viewers))
        self._relay = MediaRelay()
        self._publication: Publication | None = None
        self._negotiating: set[Peer] = set()
        self._viewers: dict[str, Peer] = {}
        self._publications = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` has been called."""
        return self._closed

    def state(self) -> MediaState:
        """The room's media state: who publishes what and how many viewers are attached."""
        publication = self._publication
        live = publication is not None and publication.live
        return {
            "live": live,
            "kind": publication.kind if publication and live else None,
            "publisher": publication.peer.user_id if publication and live else None,
            "viewers": len(self._viewers),
            "publication": publication.number if publication and live else None,
        }

    def peer_count(self) -> int:
        """How many peer connections the room holds (publishers, viewers, ones negotiating)."""
        publisher = 1 if self._publication is not None else 0
        return publisher + len(self._negotiating) + len(self._viewers)

    def viewer_count(self) -> int:
        """How many viewers' peer connections the room holds, connected or connecting."""
        return len(self._viewers)

    async def publish(
        self,
        publisher_id: str,
        offer_sdp: str,
        offer_type: str = "offer",
        *,
        kind: str = "camera",
    ) -> str:
        """Answer a publisher's offer (send-only audio and/or video); return the answer SDP.

        A previous publication (anyone's) ends: its connection and its viewers' are closed
        and an event with reason ``replaced`` is sent. The room goes live, with an event
        ``live``, once the new publisher's connection is up.
        """
        self._check_open()
        check_offer(offer_sdp, offer_type)
        if kind not in PUBLISH_KINDS:
            raise RtcError("bad_kind", f"kind must be one of {', '.join(PUBLISH_KINDS)}")
        peer = Peer(publisher_id, self._new_peer_connection())
        received: list[MediaStreamTrack] = []
        peer.pc.on("track", received.append)
        self._negotiating.add(peer)
        try:
            answer = await self._answer(peer, offer_sdp, interrupted=_closed_error())
            if not received:
                raise RtcError("bad_offer", "the offer sends neither audio nor video")
            if self._closed:
                raise _closed_error()
        except BaseException:
            self._negotiating.discard(peer)
            await self._close_peer(peer)
            raise
        self._negotiating.discard(peer)
        sources = [IncomingTrack(track) for track in received]
        peer.tracks.extend(sources)
        publication = Publication(peer=peer, kind=kind, sources=sources)
        previous, self._publication = self._publication, publication
        # A remote track queues every decoded frame until it is read: keep reading it even
        # while nobody watches.
        for source in sources:
            publication.drain.addTrack(self._relay.subscribe(source, buffered=False))
        await publication.drain.start()
        if previous is not None:
            await self._end_publication(previous, "replaced")
        if publication.ended:  # the room was closed meanwhile
            raise _closed_error()
        if peer.pc.connectionState == "connected":
            await self._go_live(publication)
        else:
            self._arm_timeout(peer)
        return answer

    async def subscribe(self, viewer_id: str, offer_sdp: str, offer_type: str = "offer") -> str:
        """Answer a viewer's (receive-only) offer with the live tracks; return the answer SDP.

        Raises ``RtcError("no_publisher")`` when nothing is live (wait for a ``live`` event)
        and ``RtcError("too_many_viewers")`` when the process relays to ``max_viewers``
        already. A viewer that subscribes again replaces its previous connection.
        """
        self._check_open()
        check_offer(offer_sdp, offer_type)
        publication = self._live_publication()
        previous = self._viewers.pop(viewer_id, None)
        if previous is not None:
            await self._close_peer(previous)
            publication = self._live_publication()
        if self._viewers_in_process() >= self._config.max_viewers:
            raise RtcError(
                "too_many_viewers",
                f"this server already relays the lesson's video to {self._config.max_viewers} "
                "viewers, its limit; try again later",
            )
        peer = Peer(viewer_id, self._new_peer_connection(), publication=publication)
        self._viewers[viewer_id] = peer
        try:
            answer = await self._answer(
                peer,
                offer_sdp,
                interrupted=RtcError("no_publisher", _PUBLICATION_ENDED),
                sources=publication.sources,
            )
            if publication is not self._publication:
                raise RtcError("no_publisher", _PUBLICATION_ENDED)
        except BaseException:
            if self._viewers.get(viewer_id) is peer:
                del self._viewers[viewer_id]
            await self._close_peer(peer)
            raise
        self._arm_timeout(peer)
        return answer

    async def unpublish(self, publisher_id: str) -> bool:
        """End the publication if ``publisher_id`` publishes; tell whether it did."""
        publication = self._publication
        if publication is None or publication.peer.user_id != publisher_id:
            return False
        await self._end_publication(publication, "stopped")
        return True

    async def leave(self, viewer_id: str) -> bool:
        """Close a viewer's connection; tell whether there was one."""
        peer = self._viewers.pop(viewer_id, None)
        if peer is None:
            return False
        await self._close_peer(peer)
        return True

    async def start_recording(self, path: str | Path) -> None:
        """Record the live publication into ``path``, a .webm (VP8/Opus), .mkv or .mp4 file
        (H.264/AAC), replacing the file if it exists.

        The recording stops with the publication or on :meth:`stop_recording` (a file stopped
        before any video frame came is left empty). aiortc encodes it on the event loop's
        thread: meant for an occasional lesson, not for every room.
        """
        publication = self._live_publication()
        if publication.recorder is not None:
            raise RtcError("already_recording", "this publication is being recorded already")
        path = Path(path)
        container_format = RECORDING_FORMATS.get(path.suffix.lower())
        if container_format is None:
            raise RtcError("recording_failed", "record to a .webm, .mkv or .mp4 file")
        try:
            # Opened here, not by FFmpeg, so that a bad path fails now rather than in a task.
            file = await asyncio.to_thread(path.open, "wb")
        except OSError as exc:
            raise RtcError("recording_failed", f"cannot write the recording: {exc}") from exc
        try:
            recorder = MediaRecorder(file, format=container_format)
        except (ValueError, av.FFmpegError) as exc:
            file.close()
            raise RtcError("recording_failed", f"cannot write the recording: {exc}") from exc
        publication.recording_file = file
        video_started = asyncio.Event()
        if not any(source.kind == "video" for source in publication.sources):
            video_started.set()
        for source in publication.sources:
            relayed = self._relay.subscribe(source, buffered=source.kind == "audio")
            track = RecorderFeed(relayed, video_started)
            publication.recorder_tracks.append(track)
            recorder.addTrack(track)
        publication.recorder = recorder
        await recorder.start()

    async def stop_recording(self) -> bool:
        """Stop and finish the recording of the current publication; tell whether there was one."""
        publication = self._publication
        if publication is None or publication.recorder is None:
            return False
        await self._stop_recorder(publication)
        return True

    async def close(self) -> None:
        """Close every peer connection of the room, without state events; idempotent."""
        if self._closed:
            return
        self._closed = True
        if self._publication is not None:
            await self._end_publication(self._publication, None)
        viewers = list(self._viewers.values())
        self._viewers.clear()
        await asyncio.gather(*(self._close_peer(p) for p in [*viewers, *self._negotiating]))
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def _check_open(self) -> None:
        if self._closed:
            raise _closed_error()

    def _live_publication(self) -> Publication:
        publication = self._publication
        if publication is None or not publication.live:
            raise RtcError(
                "no_publisher", "nothing is being published yet; wait for an rtc.state live event"
            )
        return publication

    def _new_peer_connection(self) -> RTCPeerConnection:
        return RTCPeerConnection(configuration=self._config.rtc_configuration())

    async def _answer(
        self,
        peer: Peer,
        offer_sdp: str,
        *,
        interrupted: RtcError,
        sources: list[IncomingTrack] | None = None,
    ) -> str:
        """Negotiate ``peer`` from the offer, sending ``sources`` (viewers only).

        ``interrupted`` is raised when the room closed the connection meanwhile.
        """
        pc = peer.pc
        pc.on("connectionstatechange", lambda: self._spawn(self._connection_changed(peer)))
        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
            if sources is not None:
                self._attach(peer, sources)
            await pc.setLocalDescription(await pc.createAnswer())
        except RtcError:
            raise
        except Exception as exc:
            if peer.closing:
                raise interrupted from exc
            raise RtcError("bad_offer", f"cannot negotiate media from this offer: {exc}") from exc
        if peer.closing:
            raise interrupted
        return pc.localDescription.sdp

    def _attach(self, peer: Peer, sources: list[IncomingTrack]) -> None:
        """Send the relayed ``sources`` on the viewer's transceivers, and receive nothing."""
        by_kind = {source.kind: source for source in sources}
        attached = False
        for transceiver in peer.pc.getTransceivers():
            source = by_kind.pop(transceiver.kind, None)
            if source is None:
                transceiver.direction = "inactive"
                continue
            # Live video is relayed unbuffered: a slow viewer skips frames instead of queueing
            # them without bound. Audio frames are tiny and dropping one is audible.
            track = self._relay.subscribe(source, buffered=source.kind == "audio")
            peer.tracks.append(track)
            transceiver.sender.replaceTrack(track)
            transceiver.direction = "sendonly"
            attached = True
        if not attached:
            raise RtcError("bad_offer", "the offer receives neither audio nor video")

    def _arm_timeout(self, peer: Peer) -> None:
        if peer.closing or peer.pc.connectionState == "connected":
            return
        loop = asyncio.get_running_loop()
        peer.timer = loop.call_later(
            self._config.connect_timeout, lambda: self._spawn(self._connect_timed_out(peer))
        )

    async def _connect_timed_out(self, peer: Peer) -> None:
        peer.timer = None
        if not peer.closing and peer.pc.connectionState != "connected":
            logger.info("room %s: a peer connection did not connect in time", self.room_id)
            await self._lose(peer)

    async def _connection_changed(self, peer: Peer) -> None:
        state = peer.pc.connectionState
        if peer.closing:
            return
        if state == "connected":
            if peer.timer is not None:
                peer.timer.cancel()
                peer.timer = None
            publication = self._publication
            if publication is not None and publication.peer is peer and not publication.live:
                await self._go_live(publication)
        elif state in _FAILED_STATES:
            await self._lose(peer)

    async def _go_live(self, publication: Publication) -> None:
        if publication.live or publication.ended:
            return
        self._publications += 1
        publication.number = self._publications
        publication.live = True
        await self._notify("live")

    async def _lose(self, peer: Peer) -> None:
        """A peer connection failed, was closed by the other side or never connected."""
        publication = self._publication
        if publication is not None and publication.peer is peer:
            await self._end_publication(publication, "publisher_lost")
        elif self._viewers.get(peer.user_id) is peer:
            del self._viewers[peer.user_id]
            await self._close_peer(peer)
            await self._notify("viewer_lost", viewer=peer.user_id)
        else:
            await self._close_peer(peer)

    async def _end_publication(self, publication: Publication, reason: StateReason | None) -> None:
        """Close the publication, its viewers and its recording; tell why unless ``None``."""
        if publication.ended:
            return
        publication.ended = True
        if self._publication is publication:
            self._publication = None
        viewers = [p for p in self._viewers.values() if p.publication is publication]
        for viewer in viewers:
            del self._viewers[viewer.user_id]
        for source in publication.sources:
            source.stop()
        await self._stop_recorder(publication)
        await asyncio.gather(*(self._close_peer(p) for p in [publication.peer, *viewers]))
        await publication.drain.stop()
        if reason is not None:
            await self._notify(reason)

    async def _stop_recorder(self, publication: Publication) -> None:
        recorder, publication.recorder = publication.recorder, None
        file, publication.recording_file = publication.recording_file, None
        try:
            if recorder is not None:
                await recorder.stop()
        except (OSError, ValueError, av.FFmpegError):
            logger.exception("room %s: the recording could not be finished", self.room_id)
        finally:
            for track in publication.recorder_tracks:
                track.stop()
            publication.recorder_tracks.clear()
            if file is not None:
                file.close()

    async def _close_peer(self, peer: Peer) -> None:
        peer.closing = True
        if peer.timer is not None:
            peer.timer.cancel()
            peer.timer = None
        for track in peer.tracks:
            track.stop()
        await peer.pc.close()

    async def _notify(self, reason: StateReason, *, viewer: str | None = None) -> None:
        if self._on_state is None:
            return
        event: MediaStateEvent = {**self.state(), "reason": reason}
        if viewer is not None:
            event["viewer"] = viewer
        try:
            await self._on_state(self.room_id, event)
        except Exception:
            logger.exception("room %s: the rtc state callback failed", self.room_id)

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("room %s: media task failed", self.room_id, exc_info=task.exception())


class MediaHub:
    """Every :class:`MediaRoom` of this process, with the process-wide viewer limit."""

    def __init__(
        self, config: RtcConfig | None = None, *, on_state: StateCallback | None = None
    ) -> None:
        self.config = config or RtcConfig()
        self._on_state = on_state
        self._rooms: dict[str, MediaRoom] = {}
        self._closed = False

    def room(self, room_id: str) -> MediaRoom:
        """The room's media, created on first use."""
        if self._closed:
            raise RtcError("closed", "the media hub is shut down")
        room = self._rooms.get(room_id)
        if room is None or room.closed:
            room = MediaRoom(
                room_id,
                config=self.config,
                on_state=self._on_state,
                viewers_in_process=self.viewer_count,
            )
            self._rooms[room_id] = room
        return room

    def find(self, room_id: str) -> MediaRoom | None:
        """The room's media if it exists (for leaving or unpublishing without creating it)."""
        return self._rooms.get(room_id)

    async def close_room(self, room_id: str) -> None:
        """Close the room's media (when the lesson ends); nothing happens for an unknown room."""
        room = self._rooms.pop(room_id, None)
        if room is not None:
            await room.close()

    async def close(self) -> None:
        """Close every room (on shutdown); the hub refuses new rooms afterwards."""
        self._closed = True
        rooms = list(self._rooms.values())
        self._rooms.clear()
        await asyncio.gather(*(room.close() for room in rooms))

    def peer_count(self) -> int:
        """How many peer connections the process holds in all its rooms."""
        return sum(room.peer_count() for room in self._rooms.values())

    def viewer_count(self) -> int:
        """How many viewers' peer connections the process holds, the figure ``max_viewers`` caps."""
        return sum(room.viewer_count() for room in self._rooms.values())
