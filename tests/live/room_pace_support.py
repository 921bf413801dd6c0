"""The room reducer driven the way the hub drives it, for the pupil-paced tests
(test_room_pace*): the lesson's blocks, its people and the board, commands, the events they
record, the frames each watcher is sent, and the states a case starts from."""

import itertools
import json
from collections.abc import Callable
from typing import Any, cast

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
            {"kind": "text", "prompt": "Capital?", "answer": ["Moscow"], "points": 2},
        ],
    },
    {
        "id": "q2",
        "kind": "quiz",
        "questions": [{"kind": "number", "prompt": "0.5 + 0.25", "answer": {"value": 0.75}}],
    },
    {"id": "poll", "kind": "poll", "prompt": "Clear?", "options": ["yes", "no"]},
    {"id": "board", "kind": "whiteboard"},
]
LAST = len(BLOCKS) - 1
TEACHER = Actor(1, "teacher", "Irina Petrovna")
ANNA = Actor(101, "pupil", "Anna Kuznetsova")
BORIS = Actor(102, "pupil", "Boris Smirnov")
CLARA = Actor(103, "pupil", "Clara Orlova")
VISITOR = Actor("obs-1", "observer", "Visiting Inspector")
# The projector's pass has no role of the room's own yet; whatever it is, it is no teacher.
BOARD = Actor("board-1", cast(Any, "board"), "Board")
_ids = itertools.count()


def command(type_: str, data: dict[str, Any] | None = None, id_: str | None = None) -> Any:
    envelope: dict[str, Any] = {"type": type_, "id": id_ or f"m{next(_ids)}"}
    if data is not None:
        envelope["data"] = data
    return parse_client_message(json.dumps(envelope))


def event(type_: str, actor: Actor | None, **data: Any) -> dict[str, Any]:
    return {"type": type_, "data": data, "actor": actor.as_dict() if actor else None}


class Room:
    """A room driven the way the hub drives it; ``frames`` keeps what each watcher was sent."""

    def __init__(self, watchers: tuple[Actor, ...] = ()) -> None:
        self.initial = new_room(BLOCKS, title="Fractions", roster=(ANNA, BORIS, CLARA))
        self.state = self.initial
        self.log: list[dict[str, Any]] = []
        self.watchers = watchers
        self.frames: dict[Any, list[dict[str, Any]]] = {w.id: [] for w in watchers}

    def append(self, payload: dict[str, Any]) -> dict[str, Any]:
        stored = {**payload, "seq": self.state.seq + 1}
        self.log.append(stored)
        self.state, changed = step(self.state, stored)
        if changed:
            for watcher in self.watchers:
                frame = event_for(stored, watcher, state=self.state)
                if frame is not None:
                    self.frames[watcher.id].append(frame)
        return stored

    def join(self, *actors: Actor) -> None:
        for actor in actors:
            self.append(event("presence.join", actor))

    def send(
        self, actor: Actor, type_: str, data: dict[str, Any] | None = None, id_: str | None = None
    ) -> list[dict[str, Any]]:
        return [self.append(e) for e in decide(self.state, actor, command(type_, data, id_))]

    def refused(self, actor: Actor, type_: str, data: dict[str, Any] | None = None) -> str:
        with pytest.raises(RoomError) as caught:
            decide(self.state, actor, command(type_, data))
        return caught.value.code


def joined_room() -> Room:
    """A room the teacher, Anna, Boris and the visitor have joined, on the teacher's slide 1."""
    room = Room()
    room.join(TEACHER, ANNA, BORIS, VISITOR)
    room.send(TEACHER, "slide.goto", {"index": 1})
    return room


Setup = Callable[[Room], object]


def nothing(room: Room) -> None:
    return None


def pupil_paced(room: Room) -> None:
    room.send(TEACHER, "pace.set", {"mode": "pupil"})


def anna_moved(room: Room) -> None:
    pupil_paced(room)
    room.send(ANNA, "pupil.goto", {"index": 3})


def quiz_open(room: Room) -> None:
    room.send(TEACHER, "quiz.open", {"block_id": "q1"})


def q1_run_by_the_teacher(room: Room) -> None:
    quiz_open(room)
    room.send(TEACHER, "quiz.close")
    pupil_paced(room)


def anna_answered_q2(room: Room) -> None:
    pupil_paced(room)
    room.send(ANNA, "quiz.answer", {"block_id": "q2", "answers": [0.5]})
