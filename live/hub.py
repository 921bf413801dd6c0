"""The in-process fan-out of live rooms: local replicas, connections and their outboxes.

For every room with connections in this process the hub keeps a replica of the room state, fed
by one task that follows the room's log in the broker, so every process converges on the same
state. An event this process appends is applied at once when it is the replica's next; one
that follows events other processes appended meanwhile waits for the follower to bring them
(:mod:`live.applied_waits`) rather than read them a second time. Each event is projected
for each viewer (``event_for``), encoded once per kind of viewer (once for all the kinds that
see it alike: :class:`~live.hub_support.EventFrames`) and handed to each connection without
waiting (written straight to its socket while it keeps up, else put in its bounded outbox): a
connection whose outbox is full is cut off (``overflowed``) and resyncs by reconnecting with
``since``. Observers' comings and goings are not fanned out one by one: they are counted, one
``presence.counts`` frame per kind of viewer and per tick (:mod:`live.presence`), so a
thousand arrivals are not a million frames.

With a durable log (:class:`RoomLog`, the database's copy), the hub hands it every event it
appends, and appends only to a log the broker still holds: when the broker has lost a room's log
the room is restored from the durable copy first, and a replica that may have seen events the
restored log lacks is let go, its connections resync.

This module knows neither Starlette nor Redis: the web layer reads frames from
:class:`Connection` and writes them to its socket; the broker is given.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from eschool.broker.base import Broker, BrokerError, Event, LogClosed, LogMissing
from live.applied_waits import FOLLOWER_WAIT_SECONDS
from live.hub_support import (
    EventFrames,
    RoomLog,
    applied_already,
    command_key,
    missed_frames,
    welcome_frame,
)
from live.local_room import LocalRoom
from live.outbox import DEFAULT_OUTBOX_SIZE, Connection
from live.presence import COMINGS_AND_GOINGS, PresenceBatch, counted_change
from live.protocol import ClientMessage
from live.room import (
    Actor,
    RoomError,
    RoomState,
    check_join,
    decide_at,
    step_decided,
)

logger = logging.getLogger(__name__)

RoomLoader = Callable[[str], Awaitable[RoomState]]
DEFAULT_REPLAY_LIMIT = 1_000
# Observers' comings and goings are sent on at most once per tick (live.presence); a room
# of more than ``_PRESENCE_ROOM`` connections has longer ticks, up to ``_PRESENCE_MAX_TICK``
# (a storm is then O(n) frames a tick to everyone, and counts need not move faster).
DEFAULT_PRESENCE_TICK = 0.15
# Events whose frames may wait a little for others on their way to a socket (live.ws_server).
_UNHURRIED_TYPES = COMINGS_AND_GOINGS
_PRESENCE_ROOM = 100
_PRESENCE_MAX_TICK = 1.5
_READ_BATCH = 500


class _LogReplaced(BrokerError):
    """The broker had lost the room's log: it is restored, nothing was appended."""


class Hub:
    """The rooms of this process. ``load_room(room_id)`` gives a room's initial state (the
    lesson's blocks and roster, seq 0, or a snapshot); the broker's log is replayed on top."""

    def __init__(
        self,
        broker: Broker,
        *,
        load_room: RoomLoader,
        outbox_size: int = DEFAULT_OUTBOX_SIZE,
        replay_limit: int = DEFAULT_REPLAY_LIMIT,
        clock: Callable[[], float] = time.time,
        log: RoomLog | None = None,
        presence_tick: float = DEFAULT_PRESENCE_TICK,
        follower_wait: float = FOLLOWER_WAIT_SECONDS,
    ) -> None:
        self.broker = broker
        self._load_room = load_room
        self._log = log
        self._outbox_size = outbox_size
        self._replay_limit = replay_limit
        self._clock = clock
        self._presence_tick = presence_tick
        self._follower_wait = follower_wait
        self._rooms: dict[str, LocalRoom] = {}
        self._opening: dict[str, asyncio.Lock] = {}

    # --- public API --------------------------------------------------------------------------

    async def join(
        self, room_id: str, actor: Actor, *, since: int | None = None
    ) -> tuple[Connection, list[str]]:
        """Connect ``actor`` to a room: the new connection and the frames to send first.

        The first frames are a ``welcome`` (``{"you", "state", "seq", "now"}``), or, when
        ``since`` is given and this process still holds every event after it, exactly the events
        the client missed. Raises :class:`~live.room.RoomError` when the actor may not join
        (see :func:`~live.room.check_join`). Emits ``presence.join``.
        """
        # (Caught up and joined under one hold of the room's lock.)
        room = await self._hold(room_id)
        try:
            upto = (await self.broker.bounds(room_id)).last
            async with room.lock:
                await self._read_up_to(room, upto)
                check_join(room.state, actor)
                connection = Connection(room_id, actor, max_pending=self._outbox_size)
                frames = missed_frames(room.recent, room.state, actor, since)
                if frames is None:
                    frames = [welcome_frame(room.state, actor, self._clock())]
                connection.after = room.state.seq
                if self._log is not None:
                    connection.shown_recorded = self._log.lasting_recorded(room_id)
                room.connections.add(connection)
        finally:
            self._release(room)
        try:
            await self.emit(room_id, "presence.join", actor=actor)
        except BaseException:
            await self._forget(connection)
            raise
        return connection, frames

    async def leave(self, connection: Connection) -> None:
        """Disconnect: close the connection and emit ``presence.leave`` (unless the lesson's
        log is closed: it has ended and been stored)."""
        connection.close()
        await self._forget(connection)
        with contextlib.suppress(LogClosed):
            await self.emit(connection.room_id, "presence.leave", actor=connection.actor)

    async def submit(self, room_id: str, actor: Actor, message: ClientMessage) -> int:
        """Apply a client command: decide on it against the local replica, append its events
        (deduplicated by ``"{actor.id}:{message.id}"``) and return the seq for the ``ack``.

        A message id already applied returns its original seq; a command that changes nothing
        returns the current seq. Raises :class:`~live.room.RoomError` when refused.
        """
        try:
            return await self._submit(room_id, actor, message)
        except _LogReplaced:
            # The room was restored from the durable log: decide again against it.
            return await self._submit(room_id, actor, message)

    async def _submit(self, room_id: str, actor: Actor, message: ClientMessage) -> int:
        room = await self._hold(room_id)  # (while the command is decided and appended)
        try:
            # A refusal, or a command that changes nothing, is decided again once the replica
            # has what the broker holds beyond it (a quiz opened and acked by another process,
            # answered here before this replica has the opening).
            at = self._clock()
            try:
                decision = decide_at(room.state, actor, message, at)
            except RoomError:
                if not await self._caught_up(room):
                    raise
                decision = decide_at(room.state, actor, message, at)
            else:
                if decision is None and await self._caught_up(room):
                    decision = decide_at(room.state, actor, message, at)
            seen = room.state.applied_seq(actor.id, message.id)
            if seen is not None:
                self._record_applied(room, seen)
                return seen
            if decision is None:
                return room.state.seq
            key = (actor.id, message.id)
            room.decided[key] = decision
            try:
                stored = await self._append(
                    room_id, decision.event, dedupe_key=f"{actor.id}:{message.id}"
                )
                await self._take(room, stored)
            finally:
                if room.decided.get(key) is decision:
                    del room.decided[key]
            return stored["seq"]
        finally:
            self._release(room)

    async def _caught_up(self, room: LocalRoom) -> bool:
        """Apply what the broker holds beyond the replica; whether there was anything."""
        before = room.state.seq
        await self._catch_up(room)
        return room.state.seq > before

    async def emit(
        self,
        room_id: str,
        event_type: str,
        data: dict[str, Any] | None = None,
        *,
        actor: Actor | None = None,
    ) -> Event:
        """Append a server event (``presence.*``, ``lesson.end``) and return it with its seq.

        Works whether or not this process has the room; only event types the room reducer knows
        reach clients.
        """
        by = actor.as_dict() if actor else None
        event = {"type": event_type, "data": data or {}, "actor": by, "at": self._clock()}
        try:
            stored = await self._append(room_id, event)
        except _LogReplaced:
            stored = await self._append(room_id, event)
        if (room := self._rooms.get(room_id)) is not None:
            await self._take(room, stored)
        return stored

    def replica(self, room_id: str) -> RoomState | None:
        """This process's current state of a room, if it holds one."""
        return room.state if (room := self._rooms.get(room_id)) else None

    def connections(self, room_id: str) -> list[Connection]:
        """The open local connections of a room."""
        room = self._rooms.get(room_id)
        return [c for c in room.connections if not c.closed] if room else []

    async def close(self) -> None:
        """Stop following every room and close every connection (``shutdown``)."""
        rooms, self._rooms = list(self._rooms.values()), {}
        for room in rooms:
            room.stop()
            for connection in room.connections:
                connection.close("shutdown")
            if room.follower is not None:
                room.follower.cancel()
        for room in rooms:
            if room.follower is not None:
                with contextlib.suppress(asyncio.CancelledError):
                    await room.follower

    # --- the log -----------------------------------------------------------------------------

    async def _append(self, room_id: str, event: Event, *, dedupe_key: str | None = None) -> Event:
        """Append to the broker and hand the event to the durable log (see the module)."""
        if self._log is None:
            return await self.broker.append(room_id, event, dedupe_key=dedupe_key)
        try:
            stored = await self.broker.append(
                room_id, event, dedupe_key=dedupe_key, existing_only=True
            )
        except LogMissing:
            if (room := self._rooms.get(room_id)) is not None:
                self._let_go(room, "the broker lost its log")
            await self._log.restore(room_id=room_id)
            raise _LogReplaced(f"the log of {room_id!r} was restored") from None
        if "type" in stored:  # not a retry whose original the broker no longer holds
            self._log.record(room_id, stored)
        room = self._rooms.get(room_id)
        if (
            room is not None
            and stored["seq"] <= room.state.seq
            and not applied_already(room.recent, room.state, stored)
        ):
            # A new event with a seq the replica has seen: the log was restored under it.
            self._let_go(room, "its log was restored by another process")
        return stored

    def _record_applied(self, room: LocalRoom, seq: int) -> None:
        """A retried command: its event goes to the durable log again (stored once), so the
        ack waits until it is stored whoever appended it."""
        if self._log is None:
            return
        for event, _changed in reversed(room.recent):
            if event["seq"] <= seq:
                if event["seq"] == seq:
                    self._log.record(room.room_id, event)
                return

    # --- rooms -------------------------------------------------------------------------------

    async def _hold(self, room_id: str) -> LocalRoom:
        """The room, opened if need be and held in use (not closed while idle) until
        :meth:`_release`; no context manager: this is every command's path."""
        room = self._rooms.get(room_id) or await self._open(room_id)
        room.users += 1
        return room

    def _release(self, room: LocalRoom) -> None:
        room.users -= 1
        self._close_if_idle(room)

    async def _open(self, room_id: str) -> LocalRoom:
        if (room := self._rooms.get(room_id)) is not None:
            return room
        async with self._opening.setdefault(room_id, asyncio.Lock()):
            if (room := self._rooms.get(room_id)) is not None:
                return room
            if self._log is not None:
                await self._log.restore(room_id=room_id)
            state = await self._load_room(room_id)
            bounds = await self.broker.bounds(room_id)
            if not bounds.can_resume_after(state.seq):
                raise BrokerError(f"the log of {room_id!r} no longer reaches back to the snapshot")
            room = LocalRoom(room_id, state, deque(maxlen=self._replay_limit))
            await self._catch_up(room, upto=bounds.last)
            room.follower = asyncio.create_task(self._follow(room), name=f"live-room-{room_id}")
            self._rooms[room_id] = room
            self._opening.pop(room_id, None)
            return room

    def _close_if_idle(self, room: LocalRoom) -> None:
        if room.users or room.connections or self._rooms.get(room.room_id) is not room:
            return
        del self._rooms[room.room_id]
        room.stop()
        if room.follower is not None:
            room.follower.cancel()

    async def _forget(self, connection: Connection) -> None:
        if (room := self._rooms.get(connection.room_id)) is not None:
            room.connections.discard(connection)
            self._close_if_idle(room)

    async def _follow(self, room: LocalRoom) -> None:
        subscription = self.broker.subscribe_batches(room.room_id, after_seq=room.state.seq)
        try:
            async with subscription as batches:
                async for batch in batches:
                    await self._absorb(room, *batch)
        except asyncio.CancelledError:
            raise
        except Exception:
            # The replica can no longer be trusted: cut everyone off so they reconnect to a
            # freshly loaded room.
            logger.exception("live room %s lost its event stream", room.room_id)
            self._let_go(room, "")

    def _let_go(self, room: LocalRoom, why: str) -> None:
        """Forget a replica that can no longer be trusted; its connections resync."""
        if why:
            logger.warning("live room %s: %s; its clients resync", room.room_id, why)
        if self._rooms.get(room.room_id) is room:
            del self._rooms[room.room_id]
        room.stop()
        if room.follower is not None and room.follower is not asyncio.current_task():
            room.follower.cancel()
        for connection in room.connections:
            connection.close("resync")

    # --- events ------------------------------------------------------------------------------

    async def _catch_up(self, room: LocalRoom, *, upto: int | None = None) -> None:
        """Apply what the broker holds beyond the replica (up to ``upto``, default: all)."""
        if upto is None:
            upto = (await self.broker.bounds(room.room_id)).last
        async with room.lock:
            await self._read_up_to(room, upto)

    async def _read_up_to(self, room: LocalRoom, upto: int) -> None:
        while room.state.seq < upto:
            batch = await self.broker.read(room.room_id, room.state.seq, _READ_BATCH)
            if not batch or batch[0]["seq"] != room.state.seq + 1:
                raise BrokerError(f"events after {room.state.seq} of {room.room_id!r} are lost")
            for event in batch:
                self._apply(room, event, soon=len(batch) > 1)
            room.applied.release(room.state.seq)

    async def _take(self, room: LocalRoom, stored: Event) -> None:
        """Return once the replica has applied an event this process appended: the next one
        in place; one past events other processes appended meanwhile when the follower brings
        them (:mod:`live.applied_waits`), so nothing is read twice; only if it has not in time
        is what is missing read here."""
        if stored["seq"] <= room.state.seq:
            return
        if stored["seq"] == room.state.seq + 1:
            # Nothing to wait for: applied in place, the socket's next command at once.
            await self._absorb(room, stored, soon=len(room.decided) > 1)
            return
        following = room.follower is not None and not room.follower.done()
        if following and await room.applied.wait(stored["seq"], self._follower_wait):
            return
        await self._absorb(room, stored)

    async def _absorb(self, room: LocalRoom, *events: Event, soon: bool = False) -> None:
        """Apply events from the broker in seq order, filling gaps; several (read together, or
        ``soon``: others being appended come next) reach a socket in one write."""
        if events[-1]["seq"] <= room.state.seq:  # (applied already: appended here, or read)
            return
        async with room.lock:
            if not (fresh := [event for event in events if event["seq"] > room.state.seq]):
                return
            for event in fresh:
                if event["seq"] > room.state.seq + 1:
                    await self._read_up_to(room, event["seq"] - 1)
                if event["seq"] == room.state.seq + 1:
                    self._apply(room, event, soon=soon or len(fresh) > 1)
            room.applied.release(room.state.seq)

    def _apply(self, room: LocalRoom, event: Event, *, soon: bool = False) -> None:
        key = command_key(event) if room.decided else None
        decision = room.decided.get(key) if key is not None else None
        room.state, changed = step_decided(room.state, event, decision)
        room.recent.append((event, changed))
        if not changed:
            return
        counted = counted_change(event)
        if counted is not None:
            room.presence.add(*counted, event["seq"])
            self._schedule_presence(room)
            return
        # Counted presence first, so every connection gets its frames in seq order.
        self._send_presence(room, soon=soon)
        self._fan_out(room, event, soon=soon)
        if event.get("type") == "room.kick":
            data = event.get("data")
            removed = data.get("user_id") if isinstance(data, dict) else None
            for connection in room.connections:
                if connection.actor.id == removed:
                    connection.close("kicked")
        elif event.get("type") == "lesson.end":
            for connection in room.connections:
                connection.close("ended")

    def _fan_out(self, room: LocalRoom, event: Event, *, soon: bool = False) -> None:
        frames = EventFrames(event, room.state)
        by_key, key_of, plain, own = frames.by_key, frames.key_of, frames.plain, frames.own
        # Nobody waits for a classmate's arrival: those frames may wait a little for others.
        later = event.get("type") in _UNHURRIED_TYPES
        for connection in room.connections:
            if connection.close_reason is not None:
                continue
            viewer = connection.actor
            key = viewer.role if plain and viewer.id not in own else key_of(viewer)
            frame = by_key[key] if key in by_key else frames.frame_for(key, viewer)
            if frame is not None:
                connection.deliver(frame, later=later, soon=soon)

    def _schedule_presence(self, room: LocalRoom) -> None:
        """Send the counted presence now if none was sent within a tick, else at the tick's
        end: a storm of arrivals is one frame per tick for each kind of viewer."""
        if room.presence_timer is not None:
            return
        tick = self._presence_tick * max(1.0, len(room.connections) / _PRESENCE_ROOM)
        wait = room.presence_sent_at + min(tick, max(_PRESENCE_MAX_TICK, self._presence_tick))
        wait -= time.monotonic()
        if wait <= 0:
            self._send_presence(room)
            return
        loop = asyncio.get_running_loop()
        room.presence_timer = loop.call_later(wait, self._send_presence, room)

    def _send_presence(self, room: LocalRoom, *, soon: bool = False) -> None:
        """Fan the counted presence out: one ``presence.counts`` per viewer role, encoded once."""
        if room.presence_timer is not None:
            room.presence_timer.cancel()
            room.presence_timer = None
        batch = room.presence
        if not batch:
            return
        room.presence = PresenceBatch()
        room.presence_sent_at = time.monotonic()
        live = [c for c in room.connections if not c.closed and c.after < batch.seq]
        frames = batch.frames(room.state, roles={c.actor.role for c in live})
        for connection in live:
            connection.deliver(frames[connection.actor.role], soon=soon)
