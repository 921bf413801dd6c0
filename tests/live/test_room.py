"""The room reducer (``step``/``apply``), case by case: what each event changes in the state,
and that a command's events applied to the old state give the expected new state."""

import copy
from dataclasses import fields
from typing import Any

import pytest

from live.room import Actor, RoomState, apply, decide, replay, step
from live.views import view_for
from tests.live.room_support import (
    ANNA,
    BORIS,
    CLARA,
    TEACHER,
    VISITOR,
    Room,
    Setup,
    anna_has_hand_up,
    anna_has_pen_and_hand,
    anna_kicked,
    chat_off,
    command,
    event,
    joined_room,
    lesson_over,
    nothing,
    quiz_closed,
    quiz_open,
)


@pytest.fixture
def room() -> Room:
    return joined_room()


# --- the reducer, case by case -----------------------------------------------------------------

DOMAIN_FIELDS = [f.name for f in fields(RoomState) if f.name not in {"seq", "people", "applied"}]


Check = object  # an expected value, or a predicate over the new value
REDUCER_CASES: list[tuple[str, Setup, dict[str, Any], dict[str, Check]]] = [
    ("teacher moves the slide", nothing, event("slide.goto", TEACHER, index=2), {"slide": 2}),
    ("slide past the end", nothing, event("slide.goto", TEACHER, index=99), {}),
    ("pupil cannot move the slide", nothing, event("slide.goto", ANNA, index=1), {}),
    ("observer cannot move the slide", nothing, event("slide.goto", VISITOR, index=1), {}),
    ("no actor at all", nothing, event("slide.goto", None, index=1), {}),
    (
        "quiz opens",
        nothing,
        event("quiz.open", TEACHER, block_id="q1"),
        {"active_quiz": "q1", "quizzes": lambda q: set(q) == {"q1"} and not q["q1"].closed},
    ),
    ("a text block is no quiz", nothing, event("quiz.open", TEACHER, block_id="intro"), {}),
    ("an unknown block is no quiz", nothing, event("quiz.open", TEACHER, block_id="zz"), {}),
    (
        "answer to the open quiz",
        quiz_open,
        event("quiz.answer", ANNA, block_id="q1", answers=[0, "москва"]),
        {"quizzes": lambda q: q["q1"].points == {ANNA.id: (2.0, 1.0)}},
    ),
    (
        "answer to a closed quiz",
        quiz_closed,
        event("quiz.answer", ANNA, block_id="q1", answers=[0, "москва"]),
        {},
    ),
    (
        "answer to another quiz",
        quiz_open,
        event("quiz.answer", ANNA, block_id="q2", answers=[0.75]),
        {},
    ),
    (
        "wrong number of answers",
        quiz_open,
        event("quiz.answer", ANNA, block_id="q1", answers=[0]),
        {},
    ),
    (
        "teacher cannot answer",
        quiz_open,
        event("quiz.answer", TEACHER, block_id="q1", answers=[0, "x"]),
        {},
    ),
    ("reveal before close", quiz_open, event("quiz.reveal", TEACHER, block_id="q1"), {}),
    (
        "reveal after close",
        quiz_closed,
        event("quiz.reveal", TEACHER, block_id="q1"),
        {"quizzes": lambda q: q["q1"].revealed},
    ),
    ("vote with no poll", nothing, event("poll.vote", ANNA, block_id="poll", option=0), {}),
    ("poll on a quiz block", nothing, event("poll.open", TEACHER, block_id="q1"), {}),
    (
        "stroke without the pen",
        nothing,
        event("board.stroke", ANNA, slide=0, points=[[0, 0]], color="#000000", width=1),
        {},
    ),
    (
        "teacher draws",
        nothing,
        event("board.stroke", TEACHER, slide=0, points=[[0, 0], [1, 1]], color="#ff0000", width=3),
        {
            "strokes": lambda s: [x.points for x in s] == [((0.0, 0.0), (1.0, 1.0))],
            "board_points": 2,
        },
    ),
    (
        "stroke off the board",
        nothing,
        event("board.stroke", TEACHER, slide=0, points=[[2, 0]], color="#000000", width=1),
        {},
    ),
    ("pen to an absent pupil", nothing, event("board.grant", TEACHER, user_id=CLARA.id), {}),
    ("pen to an observer", nothing, event("board.grant", TEACHER, user_id="obs-1"), {}),
    ("hand goes up", nothing, event("hand.raise", ANNA), {"hands": (ANNA.id,)}),
    ("hand already up", anna_has_hand_up, event("hand.raise", ANNA), {}),
    ("teacher lowers every hand", anna_has_hand_up, event("hand.lower", TEACHER), {"hands": ()}),
    (
        "pupil cannot lower another's hand",
        anna_has_hand_up,
        event("hand.lower", BORIS, user_id=ANNA.id),
        {},
    ),
    ("pupil posts while chat is off", chat_off, event("chat.post", ANNA, text="hi"), {}),
    (
        "teacher posts while chat is off",
        chat_off,
        event("chat.post", TEACHER, text="quiet please"),
        {"chat": lambda c: [m.text for m in c] == ["quiet please"]},
    ),
    ("observer cannot post", nothing, event("chat.post", VISITOR, text="hello"), {}),
    (
        "kick takes presence, hand and pen",
        anna_has_pen_and_hand,
        event("room.kick", TEACHER, user_id=ANNA.id),
        {
            "kicked": frozenset({ANNA.id}),
            "present": lambda p: ANNA.id not in p,
            "hands": (),
            "pen": None,
        },
    ),
    ("the teacher cannot be kicked", nothing, event("room.kick", TEACHER, user_id=TEACHER.id), {}),
    ("a kicked pupil cannot come back", anna_kicked, event("presence.join", ANNA), {}),
    ("a kicked pupil cannot act", anna_kicked, event("hand.raise", ANNA), {}),
    (
        "lesson end closes the quiz",
        quiz_open,
        event("lesson.end", None),
        {"ended": True, "quizzes": lambda q: q["q1"].closed},
    ),
    ("nothing after the end", lesson_over, event("slide.goto", TEACHER, index=1), {}),
    ("unknown event type", nothing, event("quiz.cheat", TEACHER), {}),
    (
        "data is not an object",
        nothing,
        {"type": "slide.goto", "data": "x", "actor": TEACHER.as_dict()},
        {},
    ),
    ("type is not text", nothing, {"type": 5, "data": {}}, {}),
    (
        "second connection of the same pupil",
        nothing,
        event("presence.join", ANNA),
        {"present": lambda p: p[ANNA.id] == 2},
    ),
    (
        "leaving keeps the attendance",
        nothing,
        event("presence.leave", ANNA),
        {"present": lambda p: ANNA.id not in p, "attended": lambda a: ANNA.id in a},
    ),
    ("leaving twice", nothing, event("presence.leave", CLARA), {}),
]


@pytest.mark.parametrize(
    ("setup", "incoming", "changes"),
    [pytest.param(setup, e, changes, id=name) for name, setup, e, changes in REDUCER_CASES],
)
def test_reducer(
    room: Room, setup: Setup, incoming: dict[str, Any], changes: dict[str, Check]
) -> None:
    setup(room)
    before = room.state
    after, changed = step(before, {**incoming, "seq": before.seq + 1})
    assert after.seq == before.seq + 1
    assert changed == bool(changes)
    for name in DOMAIN_FIELDS:
        value = getattr(after, name)
        expected = changes.get(name, getattr(before, name))
        if callable(expected):
            assert expected(value), name
        else:
            assert value == expected, name


def test_an_old_seq_changes_nothing_at_all(room: Room) -> None:
    before = room.state
    assert step(before, {**event("slide.goto", TEACHER, index=1), "seq": before.seq}) == (
        before,
        False,
    )


def test_apply_never_mutates_its_input(room: Room) -> None:
    script: list[tuple[Actor, str, dict[str, Any] | None]] = [
        (TEACHER, "quiz.open", {"block_id": "q1"}),
        (ANNA, "quiz.answer", {"block_id": "q1", "answers": [0, "Moscow"]}),
        (TEACHER, "quiz.close", None),
        (TEACHER, "board.grant", {"user_id": BORIS.id}),
        (BORIS, "board.stroke", {"points": [[0.1, 0.1]], "color": "#000000", "width": 1}),
        (BORIS, "hand.raise", None),
        (ANNA, "chat.post", {"text": "hi"}),
        (TEACHER, "poll.open", {"block_id": "poll"}),
        (BORIS, "poll.vote", {"option": 1}),
        (TEACHER, "room.kick", {"user_id": BORIS.id}),
    ]
    for actor, type_, data in script:
        for produced in decide(room.state, actor, command(type_, data)):
            before = room.state
            frozen = copy.deepcopy(before)
            stored = {**produced, "seq": before.seq + 1}
            frozen_event = copy.deepcopy(stored)
            after = apply(before, stored)
            assert after != before
            assert before == frozen
            assert stored == frozen_event
            room.append(produced)


# --- zulip style: a command's events applied to the old state give the expected new state ------


def patched(view: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    result = copy.deepcopy(view)
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = patched(result[key], value)
        else:
            result[key] = value
    return result


def anna(**extra: Any) -> dict[str, Any]:
    return {**ANNA.as_dict(), **extra}


SCRIPT: list[tuple[Actor, str, dict[str, Any] | None, dict[str, Any]]] = [
    (TEACHER, "slide.goto", {"index": 1}, {"slide": 1}),
    (TEACHER, "nav.free", {"on": True}, {"nav_free": True}),
    (
        TEACHER,
        "quiz.open",
        {"block_id": "q1"},
        {
            "quiz": {
                "block_id": "q1",
                "closed": False,
                "revealed": False,
                "timer": None,
                "answered": 0,
                "pupils": 2,
                "max": 3.0,
                "histogram": [
                    {"answered": 0, "options": [0, 0], "correct": 0},
                    {"answered": 0, "correct": 0},
                ],
                "answers": [],
            },
            "quizzes": [{"block_id": "q1", "closed": False, "revealed": False}],
        },
    ),
    (
        ANNA,
        "quiz.answer",
        {"block_id": "q1", "answers": [0, "москва"]},
        {
            "quiz": {
                "answered": 1,
                "histogram": [
                    {"answered": 1, "options": [1, 0], "correct": 1},
                    {"answered": 1, "correct": 1},
                ],
                "answers": [
                    {
                        "person": anna(),
                        "answers": [0, "москва"],
                        "points": [2.0, 1.0],
                        "score": 3.0,
                        "max": 3.0,
                    }
                ],
            }
        },
    ),
    (
        TEACHER,
        "quiz.close",
        None,
        {
            "quiz": {"closed": True},
            "quizzes": [{"block_id": "q1", "closed": True, "revealed": False}],
        },
    ),
    (ANNA, "hand.raise", None, {"hands": [anna()]}),
    (TEACHER, "board.grant", {"user_id": ANNA.id}, {"board": {"pen": anna()}}),
    (TEACHER, "hand.lower", {"user_id": ANNA.id}, {"hands": []}),
    (TEACHER, "chat.mode", {"on": False}, {"chat": {"on": False}}),
    (TEACHER, "room.lock", {"on": True}, {"locked": True}),
    (
        TEACHER,
        "poll.open",
        {"block_id": "poll"},
        {
            "poll": {
                "block_id": "poll",
                "closed": False,
                "counts": [0, 0, 0],
                "total": 0,
                "votes": [],
            }
        },
    ),
    (
        BORIS,
        "poll.vote",
        {"option": 2},
        {
            "poll": {
                "counts": [0, 0, 1],
                "total": 1,
                "votes": [{"person": BORIS.as_dict(), "option": 2}],
            }
        },
    ),
    (TEACHER, "poll.close", None, {"poll": {"closed": True}}),
]


def test_each_command_moves_the_room_to_the_expected_state(room: Room) -> None:
    for actor, type_, data, patch in SCRIPT:
        before = room.state
        expected = patched(view_for(before, TEACHER), patch)
        produced = decide(before, actor, command(type_, data))
        after = before
        for number, payload in enumerate(produced, start=before.seq + 1):
            after = apply(after, {**payload, "seq": number})
        expected["seq"] = after.seq
        assert view_for(after, TEACHER) == expected, type_
        for payload in produced:
            room.append(payload)
        # Folding the whole log from a fresh room gives the same state as step by step.
        assert replay(room.initial, room.log) == room.state == after
