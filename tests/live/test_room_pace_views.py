"""What each viewer sees of pupil-paced mode, in its view and event by event, and that the
frames a viewer is sent keep its view as fresh as a new one."""

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from live.room import Actor
from live.views import event_for, projection_key, view_for
from tests.live.room_pace_support import (
    ANNA,
    BOARD,
    BORIS,
    CLARA,
    TEACHER,
    VISITOR,
    Room,
    anna_moved,
    event,
    joined_room,
    pupil_paced,
)


@pytest.fixture
def room() -> Room:
    return joined_room()


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
