"""What a room's media *home* does (see :mod:`live.media`): the media requests run on this
process — publish, subscribe, leave, unpublish, record, enforce, close, status — whether they came
from a socket here or were forwarded by another process (:class:`~live.media_homes.MediaHomes`),
and the ``rtc.state`` events that tell the room what is shown.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from eschool.broker.base import Broker
from live.hub import Hub
from live.media_homes import FORWARD_TIMEOUT_SECONDS, HOME_TTL_SECONDS, MediaError, MediaHomes
from live.recordings import start_recording
from live.rtc import MediaHub
from live.rtc_types import MediaStateEvent, RtcConfig, RtcError

logger = logging.getLogger(__name__)

_PUBLICATION_REASONS = frozenset({"live", "stopped", "replaced", "publisher_lost"})


class MediaAtHome:
    """The media rooms homed on this process: :attr:`media` (the process's
    :class:`~live.rtc.MediaHub`) and :attr:`homes` (which rooms it homes, and the requests
    between processes), with the publishers and the recording switch of each room."""

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
            perform=self.perform,
            is_idle=self._is_idle,
            let_go=self.let_go,
            taken=self._taken,
            process_id=process_id,
            home_ttl=home_ttl,
            forward_timeout=forward_timeout,
        )
        self._hub = hub
        self._publishers: dict[str, dict[str, dict[str, Any]]] = {}  # room → media id → actor
        self._recording: dict[str, bool] = {}  # room → whether its lesson is being recorded
        self._emitting: dict[str, asyncio.Lock] = {}

    # --- the requests --------------------------------------------------------------------------

    async def perform(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """Run one request on this process (the room's home): ``{"ok": true, …}`` or
        ``{"ok": false, "error": {"code", "message"}}``; never raises."""
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
            await self.let_go(room_id)
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

    async def let_go(self, room_id: str) -> None:
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

    async def emit_stopped(self, room_id: str) -> None:
        data = {"live": False, "kind": None, "publisher": None, "publication": None}
        await self._hub.emit(room_id, "rtc.state", {**data, "reason": "stopped"})

    async def _correct_stale_live(self, room_id: str) -> None:
        """The log says live but nothing is published here (the home restarted): say so."""
        async with self._emit_lock(room_id):
            room = self.media.find(room_id)
            if room is None or room.peer_count() == 0:
                await self.emit_stopped(room_id)
