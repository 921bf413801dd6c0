"""Pupil-paced mode in the room reducer: ``pace.set``, ``pupil.goto`` and quiz answers without
the teacher opening the quiz; what each changes, what is refused, replay and the report (what
each viewer sees of it: test_room_pace_views.py)."""

from dataclasses import fields
from typing import Any

import pytest

from live.report import report
from live.room import Actor, RoomState, replay, step
from live.views import view_for
from tests.live.room_pace_support import (
    ANNA,
    BOARD,
    BORIS,
    CLARA,
    LAST,
    TEACHER,
    VISITOR,
    Room,
    Setup,
    anna_answered_q2,
    anna_moved,
    event,
    joined_room,
    nothing,
    pupil_paced,
    q1_run_by_the_teacher,
    quiz_open,
)


@pytest.fixture
def room() -> Room:
    return joined_room()


# --- the reducer, case by case -----------------------------------------------------------------

DOMAIN_FIELDS = [f.name for f in fields(RoomState) if f.name not in {"seq", "people", "applied"}]
REDUCER_CASES: list[tuple[str, Setup, dict[str, Any], dict[str, object]]] = [
    (
        "the teacher lets pupils work at their own pace",
        nothing,
        event("pace.set", TEACHER, mode="pupil", slide=1),
        {"pace": "pupil", "pace_start": 1},
    ),
    ("the same mode again", pupil_paced, event("pace.set", TEACHER, mode="pupil", slide=1), {}),
    ("an unknown mode", nothing, event("pace.set", TEACHER, mode="both", slide=1), {}),
    (
        "a start beyond the last slide",
        nothing,
        event("pace.set", TEACHER, mode="pupil", slide=9),
        {},
    ),
    ("a pupil cannot set the pace", nothing, event("pace.set", ANNA, mode="pupil", slide=1), {}),
    ("nor an observer", nothing, event("pace.set", VISITOR, mode="pupil", slide=1), {}),
    ("not while a quiz is open", quiz_open, event("pace.set", TEACHER, mode="pupil", slide=1), {}),
    (
        "back to teacher-paced forgets every position",
        anna_moved,
        event("pace.set", TEACHER, mode="teacher", slide=1),
        {"pace": "teacher", "positions": {}},
    ),
    (
        "a pupil moves on her own",
        pupil_paced,
        event("pupil.goto", ANNA, index=3),
        {"positions": {ANNA.id: 3}},
    ),
    ("to where she already is", pupil_paced, event("pupil.goto", ANNA, index=1), {}),
    ("beyond the last slide", pupil_paced, event("pupil.goto", ANNA, index=LAST + 1), {}),
    ("while the teacher leads", nothing, event("pupil.goto", ANNA, index=2), {}),
    ("the teacher does not pupil.goto", pupil_paced, event("pupil.goto", TEACHER, index=2), {}),
    ("an observer does not move", pupil_paced, event("pupil.goto", VISITOR, index=2), {}),
    (
        "the teacher still moves the board's slide",
        anna_moved,
        event("slide.goto", TEACHER, index=4),
        {"slide": 4},
    ),
    (
        "an answer without the quiz being opened",
        pupil_paced,
        event("quiz.answer", ANNA, block_id="q2", answers=[0.75]),
        {"quizzes": lambda q: q["q2"].paced and q["q2"].points == {ANNA.id: (1.0,)}},
    ),
    (
        "a second answer replaces the first",
        anna_answered_q2,
        event("quiz.answer", ANNA, block_id="q2", answers=[0.75]),
        {"quizzes": lambda q: q["q2"].answers == {ANNA.id: (0.75,)}},
    ),
    (
        "an answer to a text block",
        pupil_paced,
        event("quiz.answer", ANNA, block_id="intro", answers=[]),
        {},
    ),
    (
        "an answer to a quiz the teacher ran",
        q1_run_by_the_teacher,
        event("quiz.answer", ANNA, block_id="q1", answers=[0, "Moscow"]),
        {},
    ),
    (
        "one answer per question",
        pupil_paced,
        event("quiz.answer", ANNA, block_id="q1", answers=[0]),
        {},
    ),
    ("no quiz.open while pupils pace", pupil_paced, event("quiz.open", TEACHER, block_id="q1"), {}),
    (
        "the end closes the pupil-paced runs",
        anna_answered_q2,
        event("lesson.end", None),
        {"ended": True, "quizzes": lambda q: q["q2"].closed},
    ),
]


@pytest.mark.parametrize(
    ("setup", "incoming", "changes"),
    [pytest.param(setup, e, changes, id=name) for name, setup, e, changes in REDUCER_CASES],
)
def test_reducer(
    room: Room, setup: Setup, incoming: dict[str, Any], changes: dict[str, object]
) -> None:
    setup(room)
    before = room.state
    after, changed = step(before, {**incoming, "seq": before.seq + 1})
    assert changed == bool(changes)
    for name in DOMAIN_FIELDS:
        expected = changes.get(name, getattr(before, name))
        value = getattr(after, name)
        assert expected(value) if callable(expected) else value == expected, name


REFUSALS: list[tuple[str, Setup, Actor, str, dict[str, Any] | None, str]] = [
    ("a pupil sets the pace", nothing, ANNA, "pace.set", {"mode": "pupil"}, "forbidden"),
    ("an observer sets the pace", nothing, VISITOR, "pace.set", {"mode": "pupil"}, "forbidden"),
    ("the board sets the pace", nothing, BOARD, "pace.set", {"mode": "pupil"}, "forbidden"),
    ("an observer moves", pupil_paced, VISITOR, "pupil.goto", {"index": 2}, "forbidden"),
    ("the board moves", pupil_paced, BOARD, "pupil.goto", {"index": 2}, "forbidden"),
    ("the teacher uses pupil.goto", pupil_paced, TEACHER, "pupil.goto", {"index": 2}, "forbidden"),
    (
        "an observer answers",
        pupil_paced,
        VISITOR,
        "quiz.answer",
        {"block_id": "q2", "answers": [1]},
        "forbidden",
    ),
    (
        "the board answers",
        pupil_paced,
        BOARD,
        "quiz.answer",
        {"block_id": "q2", "answers": [1]},
        "forbidden",
    ),
    ("a move while the teacher leads", nothing, ANNA, "pupil.goto", {"index": 2}, "conflict"),
    (
        "a move beyond the last slide",
        pupil_paced,
        ANNA,
        "pupil.goto",
        {"index": LAST + 1},
        "invalid",
    ),
    (
        "pupil-paced while a quiz is open",
        quiz_open,
        TEACHER,
        "pace.set",
        {"mode": "pupil"},
        "conflict",
    ),
    (
        "opening a quiz while pupils pace",
        pupil_paced,
        TEACHER,
        "quiz.open",
        {"block_id": "q1"},
        "conflict",
    ),
    (
        "answering a quiz the teacher ran",
        q1_run_by_the_teacher,
        ANNA,
        "quiz.answer",
        {"block_id": "q1", "answers": [0, "Moscow"]},
        "conflict",
    ),
    (
        "answering a poll",
        pupil_paced,
        ANNA,
        "quiz.answer",
        {"block_id": "poll", "answers": []},
        "invalid",
    ),
    (
        "too few answers",
        pupil_paced,
        ANNA,
        "quiz.answer",
        {"block_id": "q1", "answers": [0]},
        "invalid",
    ),
    (
        "answering while the teacher leads",
        nothing,
        ANNA,
        "quiz.answer",
        {"block_id": "q2", "answers": [1]},
        "conflict",
    ),
]


@pytest.mark.parametrize(
    ("setup", "actor", "type_", "data", "code"),
    [pytest.param(*case[1:], id=case[0]) for case in REFUSALS],
)
def test_commands_that_do_not_fit_are_refused(
    room: Room, setup: Setup, actor: Actor, type_: str, data: dict[str, Any] | None, code: str
) -> None:
    setup(room)
    before = room.state
    assert room.refused(actor, type_, data) == code
    assert room.state is before


def test_pace_set_names_the_teachers_slide_and_a_repeat_records_nothing(room: Room) -> None:
    (switched,) = room.send(TEACHER, "pace.set", {"mode": "pupil"})
    assert switched["data"] == {"mode": "pupil", "slide": 1}
    assert room.send(TEACHER, "pace.set", {"mode": "pupil"}) == []
    assert room.send(ANNA, "pupil.goto", {"index": 1}) == []  # already there


def test_pupils_move_independently_and_come_back_to_the_teacher(room: Room) -> None:
    pupil_paced(room)
    room.send(ANNA, "pupil.goto", {"index": 2})
    room.send(BORIS, "pupil.goto", {"index": 4})
    room.send(TEACHER, "slide.goto", {"index": 3})
    assert view_for(room.state, ANNA)["pace"]["slide"] == 2
    assert view_for(room.state, BORIS)["pace"]["slide"] == 4
    assert view_for(room.state, ANNA)["slide"] == 3  # the teacher's, for when the mode ends
    room.send(TEACHER, "pace.set", {"mode": "teacher"})
    for pupil in (ANNA, BORIS):
        assert room.state.position_of(pupil.id) == 3
        view = view_for(room.state, pupil)
        assert (view["slide"], view["pace"]["mode"], view["pace"]["slide"]) == (3, "teacher", None)
    # A new pupil-paced stretch starts everyone on the teacher's slide again.
    pupil_paced(room)
    assert [room.state.position_of(p.id) for p in (ANNA, BORIS)] == [3, 3]


def test_a_reconnecting_pupil_lands_where_she_was(room: Room) -> None:
    anna_moved(room)
    room.send(ANNA, "quiz.answer", {"block_id": "q2", "answers": [0.5]})
    room.append(event("presence.leave", ANNA))
    room.join(ANNA)
    pace = view_for(room.state, ANNA)["pace"]
    assert pace == {"mode": "pupil", "slide": 3, "mine": {"q2": [0.5]}}


def test_a_pupil_with_the_pen_draws_on_her_own_slide(room: Room) -> None:
    anna_moved(room)
    room.send(TEACHER, "board.grant", {"user_id": ANNA.id})
    stroke = {"points": [[0.5, 0.5]], "color": "#000000", "width": 1}
    (drawn,) = room.send(ANNA, "board.stroke", stroke)
    assert drawn["data"]["slide"] == 3
    (teachers,) = room.send(TEACHER, "board.stroke", stroke)
    assert teachers["data"]["slide"] == 1


def test_pupil_paced_answers_reach_the_report(room: Room) -> None:
    pupil_paced(room)
    room.send(ANNA, "quiz.answer", {"block_id": "q2", "answers": [0.1]})
    room.send(ANNA, "quiz.answer", {"block_id": "q2", "answers": [0.75]})  # replaces the first
    room.send(ANNA, "quiz.answer", {"block_id": "q1", "answers": [0, "Moscow"]})
    room.send(BORIS, "quiz.answer", {"block_id": "q1", "answers": [1, "Paris"]})
    room.send(TEACHER, "pace.set", {"mode": "teacher"})
    room.append(event("lesson.end", TEACHER))
    summary = report(room.state)
    by_block = {quiz["block_id"]: quiz for quiz in summary["quiz"]}
    assert list(by_block) == ["q2", "q1"]
    q2 = {r["pupil_id"]: r for r in by_block["q2"]["results"]}
    assert (q2[ANNA.id]["answered"], q2[ANNA.id]["score"], q2[ANNA.id]["max"]) == (True, 1.0, 1.0)
    assert q2[BORIS.id]["answered"] is False
    q1 = {r["pupil_id"]: r for r in by_block["q1"]["results"]}
    assert (q1[ANNA.id]["score"], q1[BORIS.id]["score"], q1[BORIS.id]["max"]) == (3.0, 0.0, 3.0)
    proposed = {entry["pupil_id"]: entry for entry in summary["proposed"]}
    assert (proposed[ANNA.id]["score"], proposed[ANNA.id]["max"]) == (4.0, 4.0)
    assert (proposed[BORIS.id]["score"], proposed[BORIS.id]["max"]) == (0.0, 3.0)


def test_replay_gives_the_same_pupil_paced_room(room: Room) -> None:
    anna_moved(room)
    room.send(ANNA, "quiz.answer", {"block_id": "q1", "answers": [0, "Moscow"]})
    room.send(BORIS, "pupil.goto", {"index": 2})
    room.join(CLARA)
    room.send(TEACHER, "pace.set", {"mode": "teacher"})
    pupil_paced(room)
    room.send(CLARA, "pupil.goto", {"index": 4})
    assert replay(room.initial, room.log) == room.state
    assert replay(replay(room.initial, room.log[:9]), room.log[9:]) == room.state
