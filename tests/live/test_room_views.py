"""What each viewer of a room sees (teacher, pupils, observers), event by event and in the
whole view, and the report at the end of the lesson."""

import copy
import json
from typing import Any

import pytest

from live.report import report
from live.views import event_for, view_for
from tests.live.room_support import (
    ANNA,
    BORIS,
    CLARA,
    EXAMPLES,
    PUPIL_NAMES,
    TEACHER,
    VISITOR,
    Room,
    event,
    joined_room,
    quiz_open,
)


@pytest.fixture
def room() -> Room:
    return joined_room()


# --- what each viewer sees -----------------------------------------------------------------------


def answer_keys(view: dict[str, Any]) -> list[Any]:
    quiz = next(slide for slide in view["slides"] if slide["id"] == "q1")
    return [question.get("answer") for question in quiz["questions"]]


def test_answer_keys_reach_pupils_only_at_reveal(room: Room) -> None:
    quiz_open(room)
    assert answer_keys(view_for(room.state, TEACHER)) == [0, ["Moscow", "Москва"]]
    assert answer_keys(view_for(room.state, ANNA)) == [None, None]
    assert answer_keys(view_for(room.state, VISITOR)) == [None, None]
    room.send(TEACHER, "quiz.close")
    assert answer_keys(view_for(room.state, ANNA)) == [None, None]
    room.send(TEACHER, "quiz.reveal")
    assert answer_keys(view_for(room.state, ANNA)) == [0, ["Moscow", "Москва"]]


def test_a_pupil_sees_their_own_answers_and_never_anothers(room: Room) -> None:
    quiz_open(room)
    room.send(ANNA, "quiz.answer", {"block_id": "q1", "answers": [0, "anna-secret"]})
    room.send(BORIS, "quiz.answer", {"block_id": "q1", "answers": [1, "boris-secret"]})
    open_view = view_for(room.state, ANNA)
    assert open_view["quiz"]["mine"] == {"answers": [0, "anna-secret"]}
    assert open_view["quiz"]["histogram"] is None  # no peeking while answers can change
    assert "boris-secret" not in json.dumps(open_view)
    room.send(TEACHER, "quiz.close")
    room.send(TEACHER, "quiz.reveal")
    revealed = view_for(room.state, ANNA)
    assert revealed["quiz"]["mine"]["score"] == 2.0  # right option, wrong capital
    assert revealed["quiz"]["histogram"][0] == {"answered": 2, "options": [1, 1], "correct": 1}
    assert "boris-secret" not in json.dumps(revealed)
    assert "answers" not in revealed["quiz"]


def test_observers_see_counts_but_no_pupil(room: Room) -> None:
    quiz_open(room)
    room.send(ANNA, "quiz.answer", {"block_id": "q1", "answers": [0, "anna-secret"]})
    room.send(ANNA, "hand.raise")
    room.send(ANNA, "chat.post", {"text": "hello"})
    room.send(TEACHER, "board.grant", {"user_id": BORIS.id})
    room.send(BORIS, "board.stroke", EXAMPLES["board.stroke"])
    view = view_for(room.state, VISITOR)
    text = json.dumps(view, ensure_ascii=False)
    for name in PUPIL_NAMES:
        assert name not in text
    assert "anna-secret" not in text
    assert str(ANNA.id) not in text and str(BORIS.id) not in text
    assert view["people"]["pupils"] == 2
    assert view["quiz"]["answered"] == 1
    assert view["hands"] == [{"role": "pupil"}]
    assert view["chat"]["messages"][0]["by"] == {"role": "pupil"}
    assert TEACHER.name in text


def test_a_view_does_not_share_structure_with_the_state(room: Room) -> None:
    frozen = copy.deepcopy(room.state)
    view = view_for(room.state, TEACHER)
    view["slides"][1]["questions"][0]["answer"] = 99
    view["slides"][0]["text"] = "changed"
    assert room.state == frozen


def test_another_pupils_answer_reaches_pupils_as_progress(room: Room) -> None:
    quiz_open(room)
    (answered,) = room.send(ANNA, "quiz.answer", {"block_id": "q1", "answers": [1, "anna-secret"]})
    to_teacher = event_for(answered, TEACHER, state=room.state)
    to_anna = event_for(answered, ANNA, state=room.state)
    to_boris = event_for(answered, BORIS, state=room.state)
    to_visitor = event_for(answered, VISITOR, state=room.state)
    assert to_teacher is not None and to_teacher["data"]["person"] == ANNA.as_dict()
    assert to_teacher["data"]["points"] == [0.0, 0.0]
    assert to_anna == {
        "type": "quiz.answer",
        "seq": answered["seq"],
        "data": {"block_id": "q1", "answered": 1, "pupils": 2, "answers": [1, "anna-secret"]},
    }
    progress = {"block_id": "q1", "answered": 1, "pupils": 2}
    assert to_boris == {"type": "quiz.progress", "seq": answered["seq"], "data": progress}
    assert to_visitor == to_boris


def test_votes_reach_others_as_a_tally(room: Room) -> None:
    room.send(TEACHER, "poll.open", {"block_id": "poll"})
    (voted,) = room.send(ANNA, "poll.vote", {"option": 1})
    tally = {"block_id": "poll", "counts": [0, 1, 0], "total": 1}
    assert event_for(voted, BORIS, state=room.state) == {
        "type": "poll.progress",
        "seq": voted["seq"],
        "data": tally,
    }
    to_anna = event_for(voted, ANNA, state=room.state)
    assert to_anna is not None and to_anna["data"] == {**tally, "option": 1}


def test_reveal_gives_each_pupil_their_own_score(room: Room) -> None:
    quiz_open(room)
    room.send(ANNA, "quiz.answer", {"block_id": "q1", "answers": [0, "Moscow"]})
    room.send(TEACHER, "quiz.close")
    (revealed,) = room.send(TEACHER, "quiz.reveal")
    to_anna = event_for(revealed, ANNA, state=room.state)
    to_boris = event_for(revealed, BORIS, state=room.state)
    assert to_anna is not None and to_anna["data"]["mine"]["score"] == 3.0
    assert to_anna["data"]["keys"] == [0, ["Moscow", "Москва"]]
    assert to_boris is not None and "mine" not in to_boris["data"]


def test_presence_reaches_observers_anonymised(room: Room) -> None:
    room.join(CLARA)
    joined = room.log[-1]
    to_visitor = event_for(joined, VISITOR, state=room.state)
    assert to_visitor == {
        "type": "presence.join",
        "seq": joined["seq"],
        "data": {"person": {"role": "pupil"}, "here": True, "pupils": 3, "observers": 1},
    }
    to_teacher = event_for(joined, TEACHER, state=room.state)
    assert to_teacher is not None and to_teacher["data"]["person"] == CLARA.as_dict()


# --- the report ----------------------------------------------------------------------------------


def test_report_gives_attendance_and_proposed_marks(room: Room) -> None:
    quiz_open(room)
    room.send(ANNA, "quiz.answer", {"block_id": "q1", "answers": [0, "Moscow"]})
    room.send(BORIS, "quiz.answer", {"block_id": "q1", "answers": [0, "Paris"]})
    room.send(TEACHER, "quiz.close")
    room.append(event("lesson.end", TEACHER))
    summary = report(room.state)
    assert [person["name"] for person in summary["participants"]] == [
        TEACHER.name,
        ANNA.name,
        BORIS.name,
        VISITOR.name,
    ]
    assert summary["attendance"] == [
        {"id": ANNA.id, "name": ANNA.name, "joined": True},
        {"id": BORIS.id, "name": BORIS.name, "joined": True},
        {"id": CLARA.id, "name": CLARA.name, "joined": False},
    ]
    (quiz,) = summary["quiz"]
    assert quiz["block_id"] == "q1" and quiz["max"] == 3.0
    results = {result["pupil_id"]: result for result in quiz["results"]}
    assert (results[ANNA.id]["score"], results[ANNA.id]["percent"], results[ANNA.id]["share"]) == (
        3.0,
        100.0,
        1.0,
    )
    assert (results[BORIS.id]["score"], results[BORIS.id]["share"]) == (2.0, 2 / 3)
    assert "mark" not in results[ANNA.id]  # marks need the course's scale: the services add them
    assert CLARA.id not in results


def test_a_pupil_who_did_not_answer_gets_no_share(room: Room) -> None:
    quiz_open(room)
    room.send(ANNA, "quiz.answer", {"block_id": "q1", "answers": [None, None]})
    room.send(TEACHER, "quiz.close")
    results = {r["pupil_id"]: r for r in report(room.state)["quiz"][0]["results"]}
    assert results[ANNA.id]["share"] == 0.0  # answered, all wrong
    assert results[BORIS.id]["answered"] is False
    assert results[BORIS.id]["share"] is None


def test_the_proposed_marks_sum_up_every_quiz(room: Room) -> None:
    quiz_open(room)
    room.send(ANNA, "quiz.answer", {"block_id": "q1", "answers": [0, "Moscow"]})
    room.send(BORIS, "quiz.answer", {"block_id": "q1", "answers": [1, "Paris"]})
    room.send(TEACHER, "quiz.close")
    room.send(TEACHER, "quiz.open", {"block_id": "q2"})
    room.send(ANNA, "quiz.answer", {"block_id": "q2", "answers": [0.1]})
    room.send(TEACHER, "quiz.close")
    proposed = {entry["pupil_id"]: entry for entry in report(room.state)["proposed"]}
    assert (proposed[ANNA.id]["score"], proposed[ANNA.id]["max"]) == (3.0, 4.0)
    assert (proposed[ANNA.id]["percent"], proposed[ANNA.id]["share"]) == (75.0, 0.75)
    assert (proposed[BORIS.id]["score"], proposed[BORIS.id]["share"]) == (0.0, 0.0)
    assert CLARA.id not in proposed


def test_the_teacher_sees_who_left_and_who_never_came(room: Room) -> None:
    room.append(event("presence.leave", BORIS))
    people = view_for(room.state, TEACHER)["people"]
    assert [p["id"] for p in people["present"]] == [TEACHER.id, ANNA.id, VISITOR.id]
    assert people["left"] == [BORIS.as_dict()]
    assert people["missing"] == [CLARA.as_dict()]
    for viewer in (ANNA, VISITOR):
        assert "left" not in view_for(room.state, viewer)["people"]


def test_presence_says_whether_a_second_tab_is_still_open(room: Room) -> None:
    room.join(ANNA)
    room.append(event("presence.leave", ANNA))
    first = event_for(room.log[-1], TEACHER, state=room.state)
    room.append(event("presence.leave", ANNA))
    second = event_for(room.log[-1], TEACHER, state=room.state)
    assert first is not None and first["data"]["here"] is True
    assert second is not None and second["data"]["here"] is False


def test_a_countdown_carries_its_start_for_every_viewer(room: Room) -> None:
    quiz_open(room)
    (timer,) = room.send(TEACHER, "quiz.timer", {"seconds": 60})
    timed = {**timer, "at": 1_700_000_000.5}
    for viewer in (TEACHER, ANNA, VISITOR):
        seen = event_for(timed, viewer, state=room.state)
        assert seen is not None
        assert seen["data"] == {"seconds": 60, "block_id": "q1", "started_at": 1_700_000_000.5}
