"""Observers' comings and goings, counted rather than announced one by one.

An open lesson may have a thousand observers: fanning each one's ``presence.join`` out to
everyone in the room makes their arrival O(n²). The log still holds one ``presence.join`` /
``presence.leave`` event per observer's connection (attendance and the timeline read it), but
the hub sends those events on as one ``presence.counts`` frame per kind of viewer and per
tick (:class:`PresenceBatch`): everyone gets how many pupils and observers are here, and only
the teacher gets the observers who came or went, by name (to see them and to remove one).
Pupils, the teacher and the board still arrive and leave with a ``presence.join`` /
``presence.leave`` frame of their own (a class is small). See docs/live-protocol.md.

Pure apart from the encoding: the state comes from :mod:`live.room`, nothing here changes it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from live.pace_views import slide_counts
from live.protocol import server_frame
from live.room import Actor, ActorId, RoomState

COUNTED_TYPE = "presence.counts"
_PRESENCE_TYPES = {"presence.join": 1, "presence.leave": -1}
# Comings and goings: nobody waits for them (a fan-out's frames may wait for company), and a
# welcome showing them does not wait for them to be stored (a room rebuilt from the stored log
# closes the presence it shows: see live.event_log).
COMINGS_AND_GOINGS = frozenset(_PRESENCE_TYPES)
# The viewer kinds a ``presence.counts`` frame is built for (one encoding each).
VIEWER_ROLES = ("teacher", "pupil", "observer", "board")


def counted_change(event: Mapping[str, Any]) -> tuple[Actor, int] | None:
    """``(observer, +1 | -1)`` when ``event`` is an observer's ``presence.join`` or
    ``presence.leave`` (sent on counted), else ``None`` (sent on as itself)."""
    change = _PRESENCE_TYPES.get(event.get("type"))  # type: ignore[arg-type]
    if change is None:
        return None
    actor = Actor.from_dict(event.get("actor"))
    if actor is None or actor.role != "observer":
        return None
    return actor, change


@dataclass(slots=True)
class PresenceBatch:
    """The counted presence events not yet sent: per observer, the net change of their
    connections, and the seq of the newest event."""

    seq: int = 0
    changes: dict[ActorId, int] = field(default_factory=dict)

    def add(self, actor: Actor, change: int, seq: int) -> None:
        """Take one counted event (see :func:`counted_change`)."""
        self.changes[actor.id] = self.changes.get(actor.id, 0) + change
        self.seq = max(self.seq, seq)

    def __bool__(self) -> bool:
        return self.seq > 0

    def frames(self, state: RoomState, roles: Iterable[str] = VIEWER_ROLES) -> dict[str, str]:
        """The ``presence.counts`` frame for each viewer role, encoded once each; ``state`` is
        the room after every event of the batch."""
        counts: dict[str, Any] = {
            "pupils": state.present_count("pupil"),
            "observers": state.present_count("observer"),
        }
        wanted = set(roles)
        frames: dict[str, str] = {}
        for role in VIEWER_ROLES:
            if role not in wanted:
                continue
            data = dict(counts)
            if role == "teacher":
                data.update(self._arrivals(state))
            elif role in ("observer", "board") and state.pace == "pupil":
                data["pace_counts"] = slide_counts(state)
            frames[role] = server_frame(COUNTED_TYPE, self.seq, data)
        return frames

    def _arrivals(self, state: RoomState) -> dict[str, list[dict[str, Any]]]:
        """The observers who came (had no connection before the batch and have one now) and
        who went (the other way round), for the teacher."""
        joined: list[dict[str, Any]] = []
        left: list[dict[str, Any]] = []
        for actor_id, change in self.changes.items():
            person = state.people.get(actor_id)
            if person is None or change == 0:
                continue
            now = state.present.get(actor_id, 0)
            before = now - change
            if before <= 0 < now:
                joined.append(person.as_dict())
            elif now == 0 < before:
                left.append(person.as_dict())
        return {"joined": joined, "left": left}


def counted_frames(
    events: Iterable[Mapping[str, Any]], state: RoomState, viewer: Actor
) -> tuple[int, str] | None:
    """The one ``presence.counts`` frame standing for the counted events among ``events`` (a
    reconnecting client's missed events), as ``(seq of the newest, frame)``, or ``None``."""
    batch = PresenceBatch()
    for event in events:
        found = counted_change(event)
        if found is not None:
            batch.add(*found, event["seq"])
    if not batch:
        return None
    return batch.seq, batch.frames(state, roles=(viewer.role,))[viewer.role]
