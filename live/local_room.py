"""A live room as one process holds it (:mod:`live.hub`): its replica of the state, the events
it applied lately, its local connections, and what is in flight — counted presence not yet sent,
commands decided on and being appended, appends waiting for the follower."""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field

from eschool.broker.base import Event
from live.applied_waits import AppliedWaits
from live.outbox import Connection
from live.presence import PresenceBatch
from live.room import ActorId, Decision, RoomState


@dataclass
class LocalRoom:
    """One room of the hub (see the module)."""

    room_id: str
    state: RoomState
    recent: deque[tuple[Event, bool]]
    connections: set[Connection] = field(default_factory=set)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    follower: asyncio.Task[None] | None = None
    users: int = 0
    # Observers' presence events applied and not yet sent on (see live.presence).
    presence: PresenceBatch = field(default_factory=PresenceBatch)
    presence_sent_at: float = float("-inf")
    presence_timer: asyncio.TimerHandle | None = None
    # Commands decided on and being appended: applying their events takes the state worked
    # out (live.room.step_decided).
    decided: dict[tuple[ActorId, str], Decision] = field(default_factory=dict)
    # What this process appended and waits for the follower to apply (live.applied_waits).
    applied: AppliedWaits = field(default_factory=AppliedWaits)

    def stop(self) -> None:
        """The replica is let go or closed: no more counted presence, and nobody waits for
        it to apply anything."""
        if self.presence_timer is not None:
            self.presence_timer.cancel()
            self.presence_timer = None
        self.applied.let_go()
