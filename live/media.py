"""Media signalling of live rooms: the room's ``rtc.*`` messages wired to the media engine.

The WebRTC media of a room (a :class:`~live.rtc.MediaRoom`) lives on one process, its *home*
(claimed, kept and released by :class:`~live.media_homes.MediaHomes`). A participant's WebSocket
may be on any process; its offer is served where it arrives when that process is the home, and is
otherwise forwarded to the home and answered on the asker's channel. The media itself then flows
over UDP between the browser and the home.

The home tells the room what is shown by appending ``rtc.state`` events to the room's log
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
from live.media_homes import (
    ATTEMPTS,
    FORWARD_TIMEOUT_SECONDS,
    HOME_TTL_SECONDS,
    MediaError,
    MediaHomes,
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
from live.recordings import start_recording
from live.room import Actor, RoomState
from live.rtc import MediaHub
from live.rtc_types import MediaStateEvent, RtcConfig, RtcError

logger = logging.getLogger(__name__)

# Leaving and unpublishing are not waited on by anyone: a dead home must not hold them up long.
HOUSEKEEPING_TIMEOUT_SECONDS = 5.0
_PUBLICATION_REASONS = frozenset({"live", "stopped", "replaced", "publisher_lost"})


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
        self.recordings_dir = recordings_dir
        self.media = MediaHub(config, on_state=self._state_changed)
        self.homes = MediaHomes(
            broker=broker,
            perform=self._perform,
            is_idle=self._is_idle,
            let_go=self._let_go,
            taken=self._taken,
            process_id=process_id,
            home_ttl=home_ttl,
            forward_timeout=forward_timeout,
        )
        self._hub = hub
        self._publishers: dict[str, dict[str, dict[str, Any]]] = {}  # room → media id → actor
        self._recording: dict[str, bool] = {}  # room → whether its lesson is being recorded
        self._emitting: dict[str, asyncio.Lock] = {}
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
                    await asyncio.wait_for(self._emit_stopped(room_id), 2.0)
                await asyncio.wait_for(self._let_go(room_id), 2.0)
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
                    await self._emit_stopped(room_id)
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
                reply = await self._perform(request)
            else:
                reply = await self.homes.forward(home, request, patience)
            if reply.get("ok"):
                return reply
            error = reply.get("error") or {}
            if error.get("code") == "moved":
                continue
            raise MediaError(str(error.get("code", "error")), str(error.get("message", "")))
        raise MediaError("media_unavailable", "the room's media home keeps moving")

    # --- the home ------------------------------------------------------------------------------

    async def _perform(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """Run one request on this process (the room's home); never raises."""
        try:
            return {"ok": True, **await self._serve(request)}
        except (MediaError, RtcError) as exc:
            return {"ok": False, "error": {"code": exc.code, "message": exc.message}}
        except Exception:
            logger.exception("live room %s: media request failed", request.get("room"))
            return {"ok": False, "error": {"code": "media_failed", "message": "media failed"}}

    async def _serve(self, request: Mapping[str, Any]) -> dict[str, Any]:
        kind, room_id, who = request.get("kind"), str(request.get("room")), str(request.get("from"))
        if kind in ("publish", "subscribe") and not await self.homes.hold(room_id):
            raise MediaError("moved", "another process homes this room's media")
        room = self.media.find(room_id)
        if kind == "publish":
            self._publishers.setdefault(room_id, {})[who] = dict(request.get("actor") or {})
            self._recording[room_id] = request.get("record") is True
            try:
                sdp = await self.media.room(room_id).publish(
                    who, str(request.get("sdp")), kind=str(request.get("media"))
                )
            except BaseException:
                self._publishers.get(room_id, {}).pop(who, None)
                raise
            return {"sdp": sdp}
        if kind == "subscribe":
            try:
                if room is None:
                    raise RtcError("no_publisher", "nothing is being published")
                return {"sdp": await room.subscribe(who, str(request.get("sdp")))}
            except RtcError as exc:
                if exc.code == "no_publisher" and request.get("believed_live"):
                    await self._correct_stale_live(room_id)
                raise
        if kind == "leave":
            return {"done": room is not None and await room.leave(who)}
        if kind == "unpublish":
            self._publishers.get(room_id, {}).pop(who, None)
            return {"done": room is not None and await room.unpublish(who)}
        if kind == "record":
            return {"done": await self._switch_recording(room_id, request.get("on") is True)}
        if kind == "enforce":
            return {"done": await self._enforce(room_id, request.get("allowed"))}
        if kind == "close":
            await self._let_go(room_id)
            return {"done": room is not None}
        if kind == "status":
            return {"status": self._status(room_id)}
        raise MediaError("invalid", f"unknown media request {kind!r}")

    def _status(self, room_id: str) -> dict[str, Any]:
        room = self.media.find(room_id)
        state = room.state() if room is not None else None
        return {
            "homed": True,
            "live": bool(state and state["live"]),
            "kind": state["kind"] if state else None,
            "viewers": room.viewer_count() if room is not None else 0,
            "peers": room.peer_count() if room is not None else 0,
            "process_peers": self.media.peer_count(),
        }

    async def _enforce(self, room_id: str, allowed: object) -> bool:
        room = self.media.find(room_id)
        if room is None:
            return False
        publisher = room.state()["publisher"]
        actor = self._publishers.get(room_id, {}).get(publisher or "")
        if publisher is None or actor is None or actor.get("role") == "teacher":
            return False
        if actor.get("id") == allowed:
            return False
        self._publishers[room_id].pop(publisher, None)
        return await room.unpublish(publisher)

    async def _switch_recording(self, room_id: str, on: bool) -> bool:
        self._recording[room_id] = on
        room = self.media.find(room_id)
        if room is None:
            return False
        if not on:
            return await room.stop_recording()
        return await self._record(room_id)

    async def _record(self, room_id: str) -> bool:
        """Start recording the live publication into the recordings dir; whether it started."""
        room = self.media.find(room_id)
        if room is None or self.recordings_dir is None or not room.state()["live"]:
            return False
        return await start_recording(room, self.recordings_dir / room_id, room_id)

    async def _let_go(self, room_id: str) -> None:
        """Close the room's media here and release its home."""
        self.homes.forget(room_id)
        self._publishers.pop(room_id, None)
        self._recording.pop(room_id, None)
        self._emitting.pop(room_id, None)
        await self.media.close_room(room_id)
        await self.homes.release(room_id)

    async def _taken(self, room_id: str) -> None:
        """Another process took the room's home: close what is left of it here."""
        self._publishers.pop(room_id, None)
        await self.media.close_room(room_id)

    def _is_idle(self, room_id: str) -> bool:
        room = self.media.find(room_id)
        return room is None or room.peer_count() == 0

    # --- telling the room ----------------------------------------------------------------------

    def _emit_lock(self, room_id: str) -> asyncio.Lock:
        return self._emitting.setdefault(room_id, asyncio.Lock())

    async def _state_changed(self, room_id: str, event: MediaStateEvent) -> None:
        """The media engine's callback: a publication began or ended → an ``rtc.state`` event."""
        if event["reason"] not in _PUBLICATION_REASONS:
            return
        publisher = None
        if event["live"]:
            actor = self._publishers.get(room_id, {}).get(event["publisher"] or "")
            publisher = actor.get("id") if actor else None
        data = {
            "live": event["live"] and publisher is not None,
            "kind": event["kind"],
            "publisher": publisher,
            "publication": event["publication"],
            "reason": event["reason"],
        }
        async with self._emit_lock(room_id):
            await self._hub.emit(room_id, "rtc.state", data)
        if event["reason"] == "live" and self._recording.get(room_id):
            self.homes.spawn(self._recorded(room_id))

    async def _recorded(self, room_id: str) -> None:
        await self._record(room_id)

    async def _emit_stopped(self, room_id: str) -> None:
        data = {"live": False, "kind": None, "publisher": None, "publication": None}
        await self._hub.emit(room_id, "rtc.state", {**data, "reason": "stopped"})

    async def _correct_stale_live(self, room_id: str) -> None:
        """The log says live but nothing is published here (the home restarted): say so."""
        async with self._emit_lock(room_id):
            room = self.media.find(room_id)
            if room is None or room.peer_count() == 0:
                await self._emit_stopped(room_id)
