"""Media signalling of live rooms: the room's ``rtc.*`` messages wired to the media engine.

The WebRTC media of a room (a :class:`~live.rtc.MediaRoom`) lives on one process, its *home*
(claimed, kept and released by :class:`~live.media_homes.MediaHomes`). A participant's WebSocket
may be on any process; its offer is served where it arrives when that process is the home, and is
otherwise forwarded to the home and answered on the asker's channel. The media itself then flows
over UDP between the browser and the home.

What the home does with a request is :class:`~live.media_at_home.MediaAtHome`'s; it tells the
room what is shown by appending ``rtc.state`` events to the room's log
(``{"live","kind","publisher","publication","reason"}``, the publisher as a participant id),
so every process and every late joiner knows it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from pydantic import ValidationError

from eschool.broker.base import Broker
from live.hub import Hub
from live.media_at_home import MediaAtHome
from live.media_homes import (
    ATTEMPTS,
    FORWARD_TIMEOUT_SECONDS,
    HOME_TTL_SECONDS,
    MediaError,
)
from live.media_rules import check_may_publish, user_message
from live.protocol import (
    ClientMessage,
    RtcOfferData,
    RtcStopData,
    ack_frame,
    direct_frame,
    error_frame,
)
from live.room import Actor, RoomState
from live.rtc_types import RtcConfig

logger = logging.getLogger(__name__)

# Leaving and unpublishing are not waited on by anyone: a dead home must not hold them up long.
HOUSEKEEPING_TIMEOUT_SECONDS = 5.0


class SignalChannel(Protocol):
    """What the media layer needs of a participant's socket (``routes.LiveChannel``)."""

    room_id: str
    actor: Actor

    @property
    def media_id(self) -> str:
        """Names this socket's peer connections (one user may have two tabs)."""
        ...

    async def send(self, frame: str) -> None:
        """Send one text frame to this participant."""
        ...


@dataclass
class _Involvement:
    """What one participant's socket does with the room's media, to undo when it goes."""

    room_id: str
    publishing: bool = False
    viewing: bool = False


class MediaSignalling:
    """Serves the ``rtc.*`` messages of this process's sockets and the media rooms homed here.

    ``start()`` once the broker is connected, ``close()`` on shutdown. :attr:`media` is the
    process's :class:`~live.rtc.MediaHub`.
    """

    def __init__(
        self,
        *,
        config: RtcConfig,
        hub: Hub,
        broker: Broker,
        process_id: str | None = None,
        home_ttl: float = HOME_TTL_SECONDS,
        forward_timeout: float = FORWARD_TIMEOUT_SECONDS,
        recordings_dir: Path | None = None,
    ) -> None:
        self.home = MediaAtHome(
            config=config,
            hub=hub,
            broker=broker,
            process_id=process_id,
            home_ttl=home_ttl,
            forward_timeout=forward_timeout,
            recordings_dir=recordings_dir,
        )
        self.media, self.homes = self.home.media, self.home.homes
        self._hub = hub
        self._involved: dict[str, _Involvement] = {}  # socket's media id → what it does
        self._offers: dict[str, set[asyncio.Task[None]]] = {}  # socket's media id → offers

    # --- life ----------------------------------------------------------------------------------

    @property
    def process_id(self) -> str:
        """This process's name among the homes."""
        return self.homes.process_id

    async def start(self) -> None:
        """Listen on this process's channel and keep the homes it holds alive."""
        await self.homes.start()

    async def close(self) -> None:
        """Tell the rooms homed here that their media stops, close it, let go of the homes."""
        await self.homes.stop_listening()
        for room_id in self.homes.held():
            room = self.media.find(room_id)
            try:
                if room is not None and room.state()["live"]:
                    await asyncio.wait_for(self.home.emit_stopped(room_id), 2.0)
                await asyncio.wait_for(self.home.let_go(room_id), 2.0)
            except Exception:  # the broker may be gone already; the key expires by itself
                logger.warning("live room %s: media home not released", room_id, exc_info=True)
        await self.media.close()
        await self.homes.close()

    # --- the WebSocket side --------------------------------------------------------------------

    async def handle(self, channel: SignalChannel, message: ClientMessage) -> None:
        """Answer one ``rtc.*`` message: the direct reply (if any) and an ``ack``, or an
        ``error`` whose message the participant can read.

        An offer is answered in the background: the socket's other messages (a quiz answer,
        a ping) need not wait for a media home to gather its candidates.
        """
        if message.type != "rtc.offer":
            await self._reply(channel, message)
            return
        task = self.homes.spawn(self._reply_in_background(channel, message))
        running = self._offers.setdefault(channel.media_id, set())
        running.add(task)
        task.add_done_callback(running.discard)

    async def _reply_in_background(self, channel: SignalChannel, message: ClientMessage) -> None:
        try:
            await self._reply(channel, message)
        except Exception as exc:  # the socket has gone meanwhile
            logger.debug("live room %s: %s not answered: %r", channel.room_id, message.type, exc)

    async def _reply(self, channel: SignalChannel, message: ClientMessage) -> None:
        try:
            if message.type == "rtc.offer":
                answer = await self.offer(channel, message.data)
                await channel.send(direct_frame("rtc.answer", {"id": message.id, "sdp": answer}))
            elif message.type == "rtc.stop":
                await self.stop(channel, message.data)
            elif message.type == "rtc.config":
                servers = self.media.config.browser_ice_servers()
                await channel.send(
                    direct_frame("rtc.config", {"id": message.id, "ice_servers": servers})
                )
            else:
                raise MediaError("unsupported", "only rtc.offer, rtc.stop and rtc.config")
        except MediaError as exc:
            await channel.send(
                error_frame(message.id, exc.code, user_message(exc.code, exc.message))
            )
            return
        except Exception:  # the broker may be unreachable; the socket must live on
            logger.exception("live room %s: %s failed", channel.room_id, message.type)
            await channel.send(
                error_frame(message.id, "media_unavailable", user_message("media_unavailable", ""))
            )
            return
        replica = self._hub.replica(channel.room_id)
        await channel.send(ack_frame(message.id, replica.seq if replica else 0))

    async def offer(self, channel: SignalChannel, data: Mapping[str, Any]) -> str:
        """Publish or subscribe with the participant's offer; the answer SDP."""
        try:
            offer = RtcOfferData.model_validate(dict(data))
        except ValidationError as exc:
            raise MediaError("invalid", str(exc.errors(include_url=False)[0]["msg"])) from None
        room_id, actor = channel.room_id, channel.actor
        state = self._room_state(room_id)
        involvement = self._involved.setdefault(channel.media_id, _Involvement(room_id))
        if offer.role == "subscribe":
            involvement.viewing = True
            request = {
                "kind": "subscribe",
                "from": channel.media_id,
                "sdp": offer.sdp,
                "believed_live": state.media.live,
            }
            reply = await self._call(room_id, request, claim=False)
            if reply is None:
                if state.media.live:  # the log says live, but no process homes the media
                    await self.home.emit_stopped(room_id)
                raise MediaError("no_publisher", "nothing is being published")
            await self._check_still_wanted(channel, involvement, "subscribe")
            return str(reply["sdp"])
        check_may_publish(state, actor, offer.kind)
        involvement.publishing = True
        request = {
            "kind": "publish",
            "from": channel.media_id,
            "sdp": offer.sdp,
            "media": offer.kind,
            "actor": actor.as_dict(),
            "record": state.recording,
        }
        reply = await self._call(room_id, request, claim=True)
        assert reply is not None  # a claimed home always answers
        await self._check_still_wanted(channel, involvement, "publish")
        # The teacher may have taken the right back while the offer was being answered.
        if actor.role != "teacher" and self._room_state(room_id).screen_grant != actor.id:
            await self._call(room_id, {"kind": "unpublish", "from": channel.media_id}, claim=False)
            raise MediaError("forbidden", "the teacher took the right to share back")
        return str(reply["sdp"])

    async def _check_still_wanted(
        self, channel: SignalChannel, involvement: _Involvement, role: str
    ) -> None:
        """The socket closed, or sent ``rtc.stop``, while its offer was being answered: undo
        what the answer did."""
        here = self._involved.get(channel.media_id) is involvement
        if here and (involvement.publishing if role == "publish" else involvement.viewing):
            return
        undo = "unpublish" if role == "publish" else "leave"
        await self._call(channel.room_id, {"kind": undo, "from": channel.media_id})
        raise MediaError("closed", "the offer was withdrawn")

    async def stop(self, channel: SignalChannel, data: Mapping[str, Any]) -> None:
        """Stop publishing, or stop receiving (``{"role": "subscribe"}``)."""
        try:
            stop = RtcStopData.model_validate(dict(data))
        except ValidationError as exc:
            raise MediaError("invalid", str(exc.errors(include_url=False)[0]["msg"])) from None
        involvement = self._involved.get(channel.media_id)
        if involvement is None:
            return
        if stop.role == "publish" and involvement.publishing:
            involvement.publishing = False
            await self._call(channel.room_id, {"kind": "unpublish", "from": channel.media_id})
        elif stop.role == "subscribe" and involvement.viewing:
            involvement.viewing = False
            await self._call(channel.room_id, {"kind": "leave", "from": channel.media_id})

    def disconnected(self, channel: SignalChannel) -> None:
        """The participant's socket closed: close their peer connections, wherever homed
        (in the background: a slow or dead home must not hold up the socket's goodbye)."""
        for task in self._offers.pop(channel.media_id, set()):
            task.cancel()
        involvement = self._involved.pop(channel.media_id, None)
        if involvement is not None and (involvement.publishing or involvement.viewing):
            self.homes.spawn(self._undo(channel.media_id, involvement))

    async def _undo(self, media_id: str, involvement: _Involvement) -> None:
        for wanted, kind in ((involvement.publishing, "unpublish"), (involvement.viewing, "leave")):
            if not wanted:
                continue
            try:
                await self._call(
                    involvement.room_id,
                    {"kind": kind, "from": media_id},
                    patience=HOUSEKEEPING_TIMEOUT_SECONDS,
                )
            except Exception as exc:  # a dead home has dropped the connection anyway
                logger.info(
                    "live room %s: %s after leaving failed: %r", involvement.room_id, kind, exc
                )

    async def grant_changed(self, room_id: str) -> None:
        """``rtc.grant`` changed who may share a screen: stop a pupil who may no longer."""
        state = self._hub.replica(room_id)
        allowed = state.screen_grant if state is not None else None
        await self._call(room_id, {"kind": "enforce", "from": "", "allowed": allowed})

    async def recording_changed(self, room_id: str) -> None:
        """``rtc.record`` switched the lesson's recording: tell the home (which starts or stops
        recording what is live; later publications follow the switch)."""
        state = self._hub.replica(room_id)
        on = state is not None and state.recording
        await self._call(room_id, {"kind": "record", "from": "", "on": on})

    async def lesson_ended(self, room_id: str) -> None:
        """Close the room's media, wherever it is homed."""
        await self._call(room_id, {"kind": "close", "from": ""})

    async def status(self, room_id: str) -> dict[str, Any]:
        """The room's media as its home sees it: ``{"homed", "live", "kind", "viewers",
        "peers", "process_peers"}`` (peer connections of the room, and of the home process)."""
        reply = await self._call(room_id, {"kind": "status", "from": ""})
        if reply is None:
            return {
                "homed": False,
                "live": False,
                "kind": None,
                "viewers": 0,
                "peers": 0,
                "process_peers": None,
            }
        return dict(reply["status"])

    def _room_state(self, room_id: str) -> RoomState:
        state = self._hub.replica(room_id)
        if state is None or state.ended:
            raise MediaError("ended", "the lesson has ended")
        return state

    # --- finding the home ----------------------------------------------------------------------

    async def _call(
        self,
        room_id: str,
        request: dict[str, Any],
        *,
        claim: bool = False,
        patience: float | None = None,
    ) -> dict[str, Any] | None:
        """Run ``request`` on the room's home (claiming it here when ``claim`` and nobody has);
        the reply, or ``None`` when no process homes the room and ``claim`` is false."""
        request = {**request, "room": room_id}
        for _attempt in range(ATTEMPTS):
            home = await self.homes.home_of(room_id, claim=claim)
            if home is None:
                return None
            if home == self.process_id:
                reply = await self.home.perform(request)
            else:
                reply = await self.homes.forward(home, request, patience)
            if reply.get("ok"):
                return reply
            error = reply.get("error") or {}
            if error.get("code") == "moved":
                continue
            raise MediaError(str(error.get("code", "error")), str(error.get("message", "")))
        raise MediaError("media_unavailable", "the room's media home keeps moving")
