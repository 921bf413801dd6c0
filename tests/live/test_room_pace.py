"""Pupil-paced mode in the room reducer and its projections: ``pace.set``, ``pupil.goto`` and
quiz answers without the teacher opening the quiz."""

import copy
import itertools
import json
from collections.abc import Callable
from dataclasses import fields
from typing import Any, cast

import pytest

from live.protocol import parse_client_message
from live.report import report
from live.room import Actor, RoomError, RoomState, decide, new_room, replay, step
from live.views import event_for, projection_key, view_for

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


@pytest.fixture
def room() -> Room:
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


# --- what each viewer sees -----------------------------------------------------------------------


def test_the_teacher_sees_each_pupil_and_others_only_counts(room: Room) -> None:
    anna_moved(room)
    room.send(ANNA, "quiz.answer", {"block_id": "q1", "answers": [0, "anna-secret"]})
    teacher = view_for(room.state, TEACHER)["pace"]
    assert teacher == {
        "mode": "pupil",
        "start": 1,
        "pupils": [
            {
                "person": ANNA.as_dict(),
                "slide": 3,
                "answered_blocks": ["q1"],
                "score": 1.0,
                "max": 3.0,
            },
            {
                "person": BORIS.as_dict(),
                "slide": 1,
                "answered_blocks": [],
                "score": 0.0,
                "max": 0.0,
            },
        ],
    }
    assert view_for(room.state, TEACHER)["quizzes"] == [
        {"block_id": "q1", "closed": False, "revealed": False, "paced": True}
    ]
    boris = view_for(room.state, BORIS)
    assert boris["pace"] == {"mode": "pupil", "slide": 1, "mine": {}}
    assert boris["quizzes"] == []
    for watcher in (VISITOR, BOARD):
        assert view_for(room.state, watcher)["pace"] == {"mode": "pupil", "counts": [0, 1, 0, 1, 0]}
    text = json.dumps(view_for(room.state, VISITOR), ensure_ascii=False)
    assert ANNA.name not in text and BORIS.name not in text and "anna-secret" not in text
    assert "anna-secret" not in json.dumps(boris, ensure_ascii=False)


def test_a_move_is_one_small_event_for_each_kind_of_viewer(room: Room) -> None:
    pupil_paced(room)
    (moved,) = room.send(ANNA, "pupil.goto", {"index": 2})
    seen = {
        viewer.name: event_for(moved, viewer, state=room.state)
        for viewer in (TEACHER, ANNA, BORIS, VISITOR)
    }
    seq = moved["seq"]
    assert seen == {
        TEACHER.name: {
            "type": "pupil.goto",
            "seq": seq,
            "data": {"person": ANNA.as_dict(), "index": 2},
        },
        ANNA.name: {"type": "pupil.goto", "seq": seq, "data": {"index": 2}},
        BORIS.name: None,
        VISITOR.name: {"type": "pace.counts", "seq": seq, "data": {"counts": [0, 1, 1, 0, 0]}},
    }
    assert projection_key(moved, BORIS) == projection_key(moved, CLARA) == "pupil"


def test_a_pupil_paced_answer_reaches_the_teacher_and_the_pupil_only(room: Room) -> None:
    pupil_paced(room)
    (answered,) = room.send(ANNA, "quiz.answer", {"block_id": "q2", "answers": [0.75]})
    to_teacher = event_for(answered, TEACHER, state=room.state)
    assert to_teacher is not None and to_teacher["data"]["paced"] is True
    assert to_teacher["data"]["row"] == {
        "person": ANNA.as_dict(),
        "slide": 1,
        "answered_blocks": ["q2"],
        "score": 1.0,
        "max": 1.0,
    }
    to_anna = event_for(answered, ANNA, state=room.state)
    assert to_anna is not None
    assert to_anna["data"] == {
        "block_id": "q2",
        "answered": 1,
        "pupils": 2,
        "answers": [0.75],
        "paced": True,
    }
    assert event_for(answered, BORIS, state=room.state) is None
    assert event_for(answered, VISITOR, state=room.state) is None


# --- zulip style: the events a viewer is sent, applied to its old view, give its fresh view ------


def follow(view: dict[str, Any], frame: dict[str, Any], viewer: Actor) -> None:
    """What static/js/live/model.js does with a frame, for the parts pupil-paced mode touches."""
    kind, data, pace = frame["type"], frame["data"], view["pace"]
    teacher = viewer.role == "teacher"
    rows = pace.get("pupils", [])
    if kind == "slide.goto":
        view["slide"] = data["index"]
    elif kind == "pace.set":
        if teacher:
            pace.update(mode=data["mode"], start=data["start"], pupils=data["pupils"])
        elif viewer.role == "pupil":
            pace.update(mode=data["mode"], slide=data["slide"] if data["mode"] == "pupil" else None)
        else:
            pace.update(mode=data["mode"], counts=data["counts"])
    elif kind == "pupil.goto" and teacher:
        next(r for r in rows if r["person"]["id"] == data["person"]["id"])["slide"] = data["index"]
    elif kind == "pupil.goto":
        pace["slide"] = data["index"]
    elif kind == "pace.counts":
        pace["counts"] = data["counts"]
    elif kind == "quiz.answer" and data.get("paced") and teacher:
        index = next(i for i, r in enumerate(rows) if r["person"]["id"] == data["person"]["id"])
        rows[index] = data["row"]
        if not any(q["block_id"] == data["block_id"] for q in view["quizzes"]):
            view["quizzes"].append(
                {"block_id": data["block_id"], "closed": False, "revealed": False, "paced": True}
            )
    elif kind == "quiz.answer" and data.get("paced"):
        pace["mine"][data["block_id"]] = data["answers"]
    elif kind in ("presence.join", "presence.leave", "room.kick"):
        if "pace_counts" in data:
            pace["counts"] = data["pace_counts"]
        person = data["person"]
        if teacher and pace["mode"] == "pupil" and person["role"] == "pupil":
            known = any(r["person"]["id"] == person["id"] for r in rows)
            if kind == "presence.join" and not known:
                row = {"person": person, "slide": pace["start"], "answered_blocks": []}
                rows.append({**row, "score": 0.0, "max": 0.0})
            elif kind == "room.kick":
                pace["pupils"] = [r for r in rows if r["person"]["id"] != person["id"]]
    elif kind == "lesson.end" and teacher:
        for run in view["quizzes"]:
            if run.get("paced"):
                run["closed"] = True


def watched(view: dict[str, Any]) -> dict[str, Any]:
    return {key: view[key] for key in ("slide", "pace", "quizzes")}


def test_the_frames_each_viewer_gets_keep_its_view_fresh() -> None:
    viewers = (TEACHER, ANNA, BORIS, CLARA, VISITOR, BOARD)
    room = Room(watchers=viewers)
    room.join(TEACHER, ANNA, BORIS, VISITOR)
    views = {viewer.id: copy.deepcopy(view_for(room.state, viewer)) for viewer in viewers}
    script: list[Callable[[], object]] = [
        lambda: room.send(TEACHER, "slide.goto", {"index": 1}),
        lambda: room.send(TEACHER, "pace.set", {"mode": "pupil"}),
        lambda: room.send(ANNA, "pupil.goto", {"index": 2}),
        lambda: room.send(BORIS, "pupil.goto", {"index": 3}),
        lambda: room.send(ANNA, "quiz.answer", {"block_id": "q2", "answers": [0.75]}),
        lambda: room.send(BORIS, "quiz.answer", {"block_id": "q2", "answers": [1]}),
        lambda: room.send(ANNA, "quiz.answer", {"block_id": "q1", "answers": [0, "Moscow"]}),
        lambda: room.join(CLARA),
        lambda: room.send(CLARA, "pupil.goto", {"index": 4}),
        lambda: room.send(TEACHER, "slide.goto", {"index": 0}),
        lambda: room.append(event("presence.leave", BORIS)),
        lambda: room.send(TEACHER, "room.kick", {"user_id": CLARA.id}),
        lambda: room.send(TEACHER, "pace.set", {"mode": "teacher"}),
        lambda: room.send(TEACHER, "pace.set", {"mode": "pupil"}),
        lambda: room.join(BORIS),
        lambda: room.send(ANNA, "pupil.goto", {"index": 4}),
        lambda: room.append(event("lesson.end", None)),
    ]
    for number, action in enumerate(script):
        for viewer in viewers:
            room.frames[viewer.id].clear()
        action()
        for viewer in viewers:
            if viewer == CLARA and CLARA.id in room.state.kicked:
                continue  # her socket is closed
            view = views[viewer.id]
            for frame in room.frames[viewer.id]:
                follow(view, frame, viewer)
            fresh = view_for(room.state, viewer)
            assert watched(view) == watched(fresh), (number, viewer.name)
