"""The room reducer driven the way the hub drives it, for the board's tests (test_board_room.py,
test_board_widgets.py): the lesson's blocks, its people and the board, commands, the events
they record (each with a time), and the frames each viewer is sent."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest

from live.protocol import parse_client_message
from live.room import Actor, RoomError, decide, new_room, step
from live.views import event_for

BLOCKS: list[dict[str, Any]] = [
    {"id": "intro", "kind": "text", "text": "# Fractions"},
    {
        "id": "q1",
        "kind": "quiz",
        "questions": [
            {"kind": "single", "prompt": "1/2 + 1/4", "options": ["3/4", "2/6"], "answer": 0},
            {"kind": "text", "prompt": "Capital?", "answer": ["Moscow-key"], "points": 2},
        ],
    },
    {"id": "q2", "kind": "quiz", "questions": [{"kind": "number", "prompt": "0.5+0.25"}]},
    {"id": "poll", "kind": "poll", "prompt": "Clear?", "options": ["yes", "no"]},
    {"id": "board", "kind": "whiteboard"},
]
TEACHER = Actor(1, "teacher", "Irina Petrovna")
ANNA = Actor(101, "pupil", "Anna Kuznetsova")
BORIS = Actor(102, "pupil", "Boris Smirnov")
CLARA = Actor(103, "pupil", "Clara Orlova")
VISITOR = Actor("obs-1", "observer", "Visiting Inspector")
BOARD = Actor("b-1", "board", "Board")
PUPILS = (ANNA, BORIS, CLARA)
VIEWERS = (TEACHER, ANNA, BORIS, VISITOR, BOARD)
_ids = itertools.count()
_clock = itertools.count(1_700_000_000)


def command(type_: str, data: dict[str, Any] | None = None) -> Any:
    envelope: dict[str, Any] = {"type": type_, "id": f"m{next(_ids)}"}
    if data is not None:
        envelope["data"] = data
    return parse_client_message(json.dumps(envelope))


def event(type_: str, actor: Actor | None, **data: Any) -> dict[str, Any]:
    return {"type": type_, "data": data, "actor": actor.as_dict() if actor else None}


class Room:
    """A room driven the way the hub drives it (a seq and a time on every event); ``frames``
    keeps what each viewer was sent."""

    def __init__(self) -> None:
        self.state = new_room(BLOCKS, title="Fractions", roster=PUPILS)
        self.frames: dict[Any, list[dict[str, Any]]] = {v.id: [] for v in VIEWERS}
        self.log: list[dict[str, Any]] = []

    def append(self, payload: dict[str, Any], at: float | None = None) -> dict[str, Any]:
        stored = {**payload, "seq": self.state.seq + 1, "at": next(_clock) if at is None else at}
        self.log.append(stored)
        self.state, changed = step(self.state, stored)
        if changed:
            for viewer in VIEWERS:
                frame = event_for(stored, viewer, state=self.state)
                if frame is not None:
                    self.frames[viewer.id].append(frame)
        return stored

    def join(self, *actors: Actor) -> None:
        for actor in actors:
            self.append(event("presence.join", actor))

    def send(
        self, actor: Actor, type_: str, data: dict[str, Any] | None = None, at: float | None = None
    ) -> list[dict[str, Any]]:
        return [self.append(e, at) for e in decide(self.state, actor, command(type_, data))]

    def refused(self, actor: Actor, type_: str, data: dict[str, Any] | None = None) -> str:
        with pytest.raises(RoomError) as caught:
            decide(self.state, actor, command(type_, data))
        return caught.value.code

    def seen(self, viewer: Actor, stored: dict[str, Any]) -> dict[str, Any] | None:
        return event_for(stored, viewer, state=self.state)


def joined_room() -> Room:
    """A room the teacher, Anna, Boris, the visitor and the board have joined (Clara has not)."""
    room = Room()
    room.join(TEACHER, ANNA, BORIS, VISITOR, BOARD)
    return room
