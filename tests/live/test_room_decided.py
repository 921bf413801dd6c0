"""A command decided on once: applying its very event to the very state it was decided
against takes the worked-out state, and gives what folding the event again gives."""

from __future__ import annotations

import json
from typing import Any

from live.protocol import ClientMessage, parse_client_message
from live.room import Actor, decide_at, new_room, step, step_decided

TEACHER = Actor(1, "teacher", "Teacher Tamara")
ANNA = Actor(101, "pupil", "Pupilname Anna")
BLOCKS: list[dict[str, Any]] = [
    {"id": "intro", "kind": "text", "text": "Hello"},
    {"id": "notes", "kind": "text", "text": "Notes"},
]


def _command(type_: str, data: dict[str, Any], id_: str) -> ClientMessage:
    return parse_client_message(json.dumps({"type": type_, "id": id_, "data": data}))


def _room() -> Any:
    state = new_room(BLOCKS, title="Lesson", roster=(ANNA,))
    for seq, actor in enumerate((TEACHER, ANNA), start=1):
        join = {"type": "presence.join", "data": {}, "actor": actor.as_dict(), "seq": seq}
        state, _changed = step(state, join)
    return state


def test_the_decided_event_gives_what_folding_it_gives() -> None:
    state = _room()
    commands = [
        (TEACHER, _command("slide.goto", {"index": 1}, "t1")),
        (
            TEACHER,
            _command(
                "board.stroke",
                {"points": [[0.1, 0.2], [0.3, 0.4]], "color": "#ff0000", "width": 2},
                "t2",
            ),
        ),
        (ANNA, _command("chat.post", {"text": "Hello"}, "a1")),
        (ANNA, _command("hand.raise", {}, "a2")),
        (TEACHER, _command("chat.mode", {"on": False}, "t3")),
    ]
    for at, (actor, message) in enumerate(commands, start=100):
        decision = decide_at(state, actor, message, float(at))
        assert decision is not None
        # As the broker gives it back: a copy, with its seq.
        stored = {**json.loads(json.dumps(decision.event)), "seq": state.seq + 1}
        shared = step_decided(state, stored, decision)
        assert shared == step(state, stored)
        assert shared[1] and shared[0].applied_seq(actor.id, message.id) == stored["seq"]
        state = shared[0]


def test_another_event_or_state_is_folded_as_usual() -> None:
    state = _room()
    decision = decide_at(state, TEACHER, _command("slide.goto", {"index": 1}, "t1"), 5.0)
    assert decision is not None
    stored = {**decision.event, "seq": state.seq + 1}
    other_data = {**stored, "data": {"index": 0}}  # a retry's original, say
    assert step_decided(state, other_data, decision) == step(state, other_data)
    assert step_decided(state, other_data, decision)[0].slide == 0
    later = {**stored, "seq": state.seq + 2}
    assert step_decided(state, later, decision) == step(state, later)
    moved, _changed = step(state, stored)
    assert step_decided(moved, {**stored, "seq": moved.seq + 1}, decision)[1] is False
