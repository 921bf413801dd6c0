"""What the hub (:mod:`live.hub`) makes of a room's state and events, kept apart from its
bookkeeping: the durable log it is given (:class:`RoomLog`), the welcome, an event's frames
for a fan-out (:class:`EventFrames`), the frames a reconnecting client missed, whose command
an event is (the key under which it keeps a command's :class:`~live.room.Decision` until the
event is applied) and whether a replica has applied an event already.
"""

from __future__ import annotations

from collections.abc import Mapping, Reversible, Sequence
from typing import Any, Protocol

from eschool.broker.base import Event
from live.presence import counted_change, counted_frames
from live.projections import ProjectionKeys
from live.protocol import encode, encoded_server_frame, server_frame
from live.room import Actor, ActorId, RoomState
from live.views import event_for, people_json, slides_json, view_for


def welcome_frame(state: RoomState, actor: Actor, now: float) -> str:
    """The first frame of a connection: who they are, the room as they see it, its seq and
    the server's clock (``now``: a client runs a quiz's countdown in step with it). The
    slides, most of it, come encoded already (:func:`~live.views.slides_json`), and so does
    each person present (:func:`~live.views.people_json`)."""
    rest = encode(view_for(state, actor, slides=False, people=False))  # (never empty: "{...}")
    slides, people = slides_json(state, actor, encode), people_json(state, actor, encode)
    view = '{"slides":' + slides + ',"people":' + people + "," + rest[1:]
    you = encode(actor.as_dict())
    data = f'{{"you":{you},"state":{view},"seq":{state.seq},"now":{encode(now)}}}'
    return encoded_server_frame("welcome", state.seq, data)


def event_frame(event: Mapping[str, Any], viewer: Actor, state: RoomState) -> str | None:
    """``event`` as ``viewer`` sees it (:func:`~live.views.event_for`), encoded; ``None`` when
    they must not see it."""
    projected = event_for(event, viewer, state=state, shared=True)  # encoded at once
    if projected is None:
        return None
    return server_frame(projected["type"], projected["seq"], projected["data"])


class EventFrames:
    """One event's frames for a fan-out: ``by_key[projection key]``, filled in by
    :meth:`frame_for` the first time a key is met. A projection equal to one already encoded
    (a slide change, or the teacher's stroke, looks the same to the teacher and the pupils)
    shares its frame: a frame is encoded once per event and what it says. (Not so for an
    event every pupil sees in their own way: its thousand projections are not compared.)

    ``plain``: when true, a viewer whose id is not in ``own`` has their role as the key, with
    no need to ask (the fan-out's loop over a thousand connections does that itself)."""

    __slots__ = ("_encoded", "_event", "_state", "by_key", "key_of", "own", "plain")

    def __init__(self, event: Mapping[str, Any], state: RoomState) -> None:
        self._event = event
        self._state = state
        self.key_of = ProjectionKeys(event)
        self.plain = not self.key_of.per_pupil
        self.own = self.key_of.own
        self.by_key: dict[str, str | None] = {}
        self._encoded: list[tuple[dict[str, Any], str]] = []

    def frame_for(self, key: str, viewer: Actor) -> str | None:
        """The frame for the viewers with projection key ``key``, of whom ``viewer`` is one."""
        projected = event_for(self._event, viewer, state=self._state, shared=True)
        frame = None
        if projected is not None:
            for other, encoded in self._encoded:
                if other == projected:
                    frame = encoded
                    break
            else:
                frame = server_frame(projected["type"], projected["seq"], projected["data"])
                if self.plain:  # (a handful of keys; a pupil's own is compared with none)
                    self._encoded.append((projected, frame))
        self.by_key[key] = frame
        return frame


def command_key(event: Mapping[str, Any]) -> tuple[ActorId, str] | None:
    """Whose command, by which message id, ``event`` is; ``None`` when it names no
    participant's message (a server event)."""
    actor, message_id = event.get("actor"), event.get("mid")
    if not isinstance(actor, Mapping) or not isinstance(message_id, str):
        return None
    actor_id = actor.get("id")
    return (actor_id, message_id) if isinstance(actor_id, int | str) else None


def applied_already(recent: Reversible[tuple[Event, bool]], state: RoomState, event: Event) -> bool:
    """Whether a replica at ``state`` (with its ``recent`` events) has applied this very
    event: its follower was quicker than the append's answer, or the broker deduplicated a
    retry."""
    for seen, _changed in reversed(recent):
        if seen["seq"] <= event["seq"]:
            if seen["seq"] == event["seq"]:
                return seen == event
            break
    key = command_key(event)
    return key is not None and state.applied_seq(*key) == event["seq"]


class RoomLog(Protocol):
    """The durable copy of the rooms' logs, as the hub uses it (``live.event_log.EventLog``)."""

    def record(self, room_id: str, event: Event) -> None:
        """Take an event this process appended (or found applied, for a retried command) to
        store it; never waits."""

    def lasting_recorded(self, room_id: str) -> int:
        """How many events this process has recorded in the room up to the newest that is not
        a coming or going: what a welcome made now waits for."""

    async def restore(
        self, *, room_id: str, session_id: int | None = None, allow_ended: bool = False
    ) -> None:
        """Put the stored log back into the broker when the broker has lost it (raises
        :class:`~eschool.broker.base.LogClosed` for a lesson that has ended)."""


def missed_frames(
    recent: Sequence[tuple[Event, bool]], state: RoomState, viewer: Actor, since: int | None
) -> list[str] | None:
    """The frames after ``since`` for ``viewer`` from a replica's ``recent`` events (each with
    whether it changed the room), or ``None`` when a fresh welcome is needed."""
    if since is None or not 0 <= since <= state.seq:
        return None
    oldest = recent[0][0]["seq"] if recent else state.seq + 1
    if since < oldest - 1:
        return None
    missed = [event for event, changed in recent if changed and event["seq"] > since]
    # Observers' presence is counted: one frame for all of it, where the newest one was.
    counted = counted_frames(missed, state, viewer)
    frames = []
    for event in missed:
        if counted is not None and event["seq"] == counted[0]:
            frames.append(counted[1])
        elif counted_change(event) is None and (frame := event_frame(event, viewer, state)):
            frames.append(frame)
    return frames
