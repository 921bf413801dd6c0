"""What the hub (:mod:`live.hub`) makes of a room's state and events, kept apart from its
bookkeeping: the durable log it is given (:class:`RoomLog`), the welcome, whose command
an event is (the key under which it keeps a command's :class:`~live.room.Decision` until the
event is applied) and whether a replica has applied an event already.
"""

from __future__ import annotations

from collections.abc import Mapping, Reversible
from typing import Any, Protocol

from eschool.broker.base import Event
from live.protocol import server_frame
from live.room import Actor, ActorId, RoomState
from live.views import view_for


def welcome_frame(state: RoomState, actor: Actor, now: float) -> str:
    """The first frame of a connection: who they are, the room as they see it, its seq and
    the server's clock (``now``: a client runs a quiz's countdown in step with it)."""
    data = {"you": actor.as_dict(), "state": view_for(state, actor), "seq": state.seq, "now": now}
    return server_frame("welcome", state.seq, data)


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

    async def restore(
        self, *, room_id: str, session_id: int | None = None, allow_ended: bool = False
    ) -> None:
        """Put the stored log back into the broker when the broker has lost it (raises
        :class:`~eschool.broker.base.LogClosed` for a lesson that has ended)."""
