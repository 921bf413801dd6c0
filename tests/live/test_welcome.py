"""The welcome frame (live.hub_support.welcome_frame): the room as each viewer sees it, with
the slides encoded once per kind of viewer and kept — so what is kept must follow the room."""

from __future__ import annotations

import json

import pytest

from live.hub_support import welcome_frame
from live.room import Actor, QuizRun, RoomState, step
from live.room_state import new_room, replace
from live.views import view_for

BLOCKS = [
    {"id": "intro", "kind": "text", "text": "Дроби"},
    {
        "id": "quiz",
        "kind": "quiz",
        "questions": [
            {"kind": "single", "prompt": "1/2 + 1/2", "options": ["1", "2"], "answer": [0]},
        ],
    },
]


def _welcome(state: object, actor: Actor) -> dict:
    return json.loads(welcome_frame(state, actor, 12.5))  # type: ignore[arg-type]


@pytest.mark.parametrize("role", ["teacher", "pupil", "observer", "board"])
def test_the_welcome_is_the_room_as_the_viewer_sees_it(role: str) -> None:
    state = new_room(BLOCKS, title='Fractions "1"')
    actor = Actor(id=7, role=role, name="Ann")
    frame = _welcome(state, actor)
    assert frame["type"] == "welcome" and frame["seq"] == state.seq
    assert frame["data"] == {
        "you": actor.as_dict(),
        "state": view_for(state, actor),
        "seq": state.seq,
        "now": 12.5,
    }


def test_kept_slides_follow_a_revealed_quiz_and_new_blocks() -> None:
    pupil, teacher = Actor(id=8, role="pupil", name="Bob"), Actor(id=1, role="teacher", name="T")
    state = new_room(BLOCKS)
    question = _welcome(state, pupil)["data"]["state"]["slides"][1]["questions"][0]
    assert "answer" not in question
    assert "answer" in _welcome(state, teacher)["data"]["state"]["slides"][1]["questions"][0]
    revealed = replace(state, quizzes={"quiz": QuizRun("quiz", 1, revealed=True)})
    assert _welcome(revealed, pupil)["data"]["state"]["slides"][1]["questions"][0]["answer"] == [0]
    assert "answer" not in _welcome(state, pupil)["data"]["state"]["slides"][1]["questions"][0]
    other = new_room([{"id": "intro", "kind": "text", "text": "Проценты"}])
    assert _welcome(other, pupil)["data"]["state"]["slides"] == [
        {"id": "intro", "kind": "text", "text": "Проценты"}
    ]


def _joined(state: RoomState, *actors: Actor) -> RoomState:
    for actor in actors:
        event = {"type": "presence.join", "data": {}, "actor": actor.as_dict(), "at": 1.0}
        state, _changed = step(state, {**event, "seq": state.seq + 1})
    return state


TEACHER = Actor(id=1, role="teacher", name="T")
PUPILS = [Actor(id=10 + n, role="pupil", name=f"Pupil {n}") for n in range(3)]
GUEST = Actor(id="o-guest", role="observer", name="Guest")
BOARD = Actor(id="b-t1", role="board", name="Board")


@pytest.mark.parametrize("viewer", [TEACHER, PUPILS[0], GUEST, BOARD])
def test_the_people_present_are_shown_to_each_viewer_as_the_rules_say(viewer: Actor) -> None:
    # (The welcome encodes each person once and keeps it: it must say what view_for says.)
    state = _joined(new_room(BLOCKS, roster=PUPILS), TEACHER, *PUPILS, GUEST, BOARD)
    for _twice in range(2):
        people = _welcome(state, viewer)["data"]["state"]["people"]
        assert people == view_for(state, viewer)["people"]
    named = {person.get("name") for person in people["present"]}
    if viewer.role in ("observer", "board"):
        assert not named & {pupil.name for pupil in PUPILS}
    if viewer.role != "teacher":
        assert ("Guest" in named) is (viewer is GUEST)


def test_a_kept_person_follows_a_new_record_of_the_same_id() -> None:
    pupil = PUPILS[0]
    state = _joined(new_room(BLOCKS, roster=PUPILS), TEACHER, pupil)
    assert {"id": pupil.id, "role": "pupil", "name": pupil.name} in _welcome(state, TEACHER)[
        "data"
    ]["state"]["people"]["present"]
    renamed = replace(state, people={**state.people, pupil.id: replace(pupil, name="New name")})
    present = _welcome(renamed, TEACHER)["data"]["state"]["people"]["present"]
    assert {"id": pupil.id, "role": "pupil", "name": "New name"} in present
