"""The room reducer driven the way the hub drives it, for the test_room* modules: the lesson's
blocks, its people, commands as a client sends them, the events they record, an example of
each command and the states a case starts from."""

import itertools
import json
from collections.abc import Callable
from typing import Any

import pytest

from live.protocol import parse_client_message
from live.room import Actor, RoomError, apply, decide, new_room

BLOCKS: list[dict[str, Any]] = [
    {"id": "intro", "kind": "text", "text": "# Fractions"},
    {
        "id": "q1",
        "kind": "quiz",
        "questions": [
            {
                "kind": "single",
                "prompt": "1/2 + 1/4 = ?",
                "options": ["3/4", "2/6"],
                "answer": 0,
                "points": 2,
            },
            {"kind": "text", "prompt": "Capital?", "answer": ["Moscow", "Москва"], "points": 1},
        ],
    },
    {
        "id": "q2",
        "kind": "quiz",
        "questions": [
            {
                "kind": "number",
                "prompt": "0.5 + 0.25",
                "answer": {"value": 0.75, "tolerance": 0.01},
                "points": 1,
            }
        ],
    },
    {"id": "poll", "kind": "poll", "prompt": "Clear?", "options": ["yes", "no", "so-so"]},
    {"id": "board", "kind": "whiteboard"},
]
TEACHER = Actor(1, "teacher", "Irina Petrovna")
ANNA = Actor(101, "pupil", "Anna Kuznetsova")
BORIS = Actor(102, "pupil", "Boris Smirnov")
CLARA = Actor(103, "pupil", "Clara Orlova")
VISITOR = Actor("obs-1", "observer", "Visiting Inspector")
PUPIL_NAMES = (ANNA.name, BORIS.name, CLARA.name)
_ids = itertools.count()


def command(type_: str, data: dict[str, Any] | None = None, id_: str | None = None) -> Any:
    envelope: dict[str, Any] = {"type": type_, "id": id_ or f"m{next(_ids)}"}
    if data is not None:
        envelope["data"] = data
    return parse_client_message(json.dumps(envelope))


class Room:
    """A room driven the way the hub drives it, with the broker's seq numbering."""

    def __init__(self) -> None:
        self.initial = new_room(BLOCKS, title="Fractions", roster=(ANNA, BORIS, CLARA))
        self.state = self.initial
        self.log: list[dict[str, Any]] = []

    def append(self, event: dict[str, Any]) -> dict[str, Any]:
        stored = {**event, "seq": self.state.seq + 1}
        self.log.append(stored)
        self.state = apply(self.state, stored)
        return stored

    def join(self, *actors: Actor) -> None:
        for actor in actors:
            self.append({"type": "presence.join", "data": {}, "actor": actor.as_dict()})

    def send(
        self, actor: Actor, type_: str, data: dict[str, Any] | None = None, id_: str | None = None
    ) -> list[dict[str, Any]]:
        events = decide(self.state, actor, command(type_, data, id_))
        return [self.append(event) for event in events]

    def refused(self, actor: Actor, type_: str, data: dict[str, Any] | None = None) -> str:
        with pytest.raises(RoomError) as caught:
            decide(self.state, actor, command(type_, data))
        return caught.value.code


def joined_room() -> Room:
    """A room the teacher, Anna, Boris and the visitor have joined (Clara has not)."""
    room = Room()
    room.join(TEACHER, ANNA, BORIS, VISITOR)
    return room


def event(type_: str, actor: Actor | None, **data: Any) -> dict[str, Any]:
    return {"type": type_, "data": data, "actor": actor.as_dict() if actor else None}


Setup = Callable[[Room], object]


def nothing(room: Room) -> None:
    return None


def quiz_open(room: Room) -> None:
    room.send(TEACHER, "quiz.open", {"block_id": "q1"})


def quiz_closed(room: Room) -> None:
    quiz_open(room)
    room.send(TEACHER, "quiz.close")


def anna_has_hand_up(room: Room) -> None:
    room.send(ANNA, "hand.raise")


def anna_has_pen_and_hand(room: Room) -> None:
    room.send(TEACHER, "board.grant", {"user_id": ANNA.id})
    room.send(ANNA, "hand.raise")


def chat_off(room: Room) -> None:
    room.send(TEACHER, "chat.mode", {"on": False})


def lesson_over(room: Room) -> None:
    quiz_open(room)
    room.append(event("lesson.end", None))


def anna_kicked(room: Room) -> None:
    room.send(TEACHER, "room.kick", {"user_id": ANNA.id})


EXAMPLES: dict[str, dict[str, Any] | None] = {
    "slide.goto": {"index": 1},
    "nav.free": {"on": True},
    "quiz.open": {"block_id": "q1"},
    "quiz.answer": {"block_id": "q1", "answers": [0, "Moscow"]},
    "quiz.close": None,
    "quiz.reveal": None,
    "quiz.timer": {"seconds": 30},
    "poll.open": {"block_id": "poll"},
    "poll.vote": {"option": 0},
    "poll.close": None,
    "board.stroke": {"points": [[0.5, 0.5]], "color": "#000000", "width": 1},
    "board.clear": None,
    "board.grant": {"user_id": ANNA.id},
    "hand.raise": None,
    "hand.lower": None,
    "chat.post": {"text": "hello"},
    "chat.mode": {"on": False},
    "room.lock": {"on": True},
    "room.kick": {"user_id": BORIS.id},
}
