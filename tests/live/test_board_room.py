"""The board (the projector's view) in the room reducer and its projections: what the board is
sent for every event kind, what the teacher lets it show, chat moderation, and that the board
can change nothing."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest

from live.board_views import BOARD_EVENT_TYPES
from live.handlers import HANDLERS
from live.report import report
from live.room import COMMAND_ROLES, Actor, RoomError, check_join
from live.views import projection_key, view_for
from tests.live.board_room_support import (
    ANNA,
    BOARD,
    BORIS,
    CLARA,
    PUPILS,
    TEACHER,
    VIEWERS,
    VISITOR,
    Room,
    event,
    joined_room,
)


@pytest.fixture
def room() -> Room:
    return joined_room()


def values(value: Any) -> Iterator[Any]:
    """Every key and leaf value of a frame, for looking for ids."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from values(item)
    elif isinstance(value, list):
        for item in value:
            yield from values(item)
    else:
        yield value


def assert_anonymous(frame: Any) -> None:
    """No pupil's name, id or answer in what the board is sent."""
    text = json.dumps(frame, ensure_ascii=False)
    for pupil in PUPILS:
        assert pupil.name not in text, text
        assert not any(type(v) is int and v == pupil.id for v in values(frame)), text
    for answer in ("anna-secret", "boris-secret", "31.4159"):
        assert answer not in text, text


# --- every event kind, as the board sees it ---------------------------------------------------

# A lesson that causes every kind of event the room knows, in order.
LESSON: list[tuple[Actor | None, str, dict[str, Any] | None]] = [
    (TEACHER, "slide.goto", {"index": 1}),
    (TEACHER, "nav.free", {"on": True}),
    (TEACHER, "room.lock", {"on": True}),
    (TEACHER, "quiz.open", {"block_id": "q1"}),
    (TEACHER, "quiz.timer", {"seconds": 60}),
    (ANNA, "quiz.answer", {"block_id": "q1", "answers": [0, "anna-secret"]}),
    (BORIS, "quiz.answer", {"block_id": "q1", "answers": [1, "boris-secret"]}),
    (TEACHER, "quiz.close", None),
    (TEACHER, "quiz.reveal", None),
    (TEACHER, "poll.open", {"block_id": "poll"}),
    (ANNA, "poll.vote", {"option": 1}),
    (TEACHER, "poll.close", None),
    (TEACHER, "board.grant", {"user_id": ANNA.id}),
    (ANNA, "board.stroke", {"points": [[0.1, 0.1]], "color": "#000000", "width": 2}),
    (TEACHER, "board.stroke", {"points": [[0.2, 0.2]], "color": "#c62828", "width": 2}),
    (TEACHER, "board.clear", None),
    (TEACHER, "rtc.grant", {"user_id": BORIS.id}),
    (None, "rtc.state", {"live": True, "kind": "screen", "publisher": BORIS.id}),
    (TEACHER, "rtc.record", {"on": True}),
    (ANNA, "hand.raise", None),
    (BORIS, "hand.raise", None),
    (TEACHER, "hand.lower", {"user_id": ANNA.id}),
    (ANNA, "chat.post", {"text": "hello from a pupil"}),
    (TEACHER, "chat.mode", {"on": False}),
    (TEACHER, "board.show", {"chat": True}),
    (TEACHER, "chat.post", {"text": "quiet please"}),
    (TEACHER, "chat.remove", {"seq": 0}),  # the seq is filled in below
    (TEACHER, "timer.start", {"seconds": 300}),
    (TEACHER, "timer.pause", None),
    (TEACHER, "timer.reset", None),
    (TEACHER, "timer.clear", None),
    (TEACHER, "picker.pick", None),
    (TEACHER, "picker.show", {"on": True}),
    (TEACHER, "picker.clear", None),
    (TEACHER, "pace.set", {"mode": "pupil"}),
    (ANNA, "pupil.goto", {"index": 3}),
    (ANNA, "quiz.answer", {"block_id": "q2", "answers": [31.4159]}),
    (TEACHER, "room.kick", {"user_id": BORIS.id}),
    (CLARA, "presence.join", None),
    (CLARA, "presence.leave", None),
    (None, "lesson.end", None),
]


def run_lesson(room: Room) -> list[dict[str, Any]]:
    """Play :data:`LESSON`; returns the logged events."""
    logged = []
    for actor, type_, data in LESSON:
        if type_ in ("presence.join", "presence.leave", "rtc.state", "lesson.end"):
            logged.append(room.append(event(type_, actor, **(data or {}))))
            continue
        if type_ == "chat.remove":
            data = {"seq": room.state.chat[0].seq}
        assert actor is not None
        produced = room.send(actor, type_, data)
        assert produced, type_
        logged.extend(produced)
    return logged


def test_the_lesson_covers_every_event_kind() -> None:
    assert {type_ for _actor, type_, _data in LESSON} == set(HANDLERS)
    assert set(HANDLERS) <= BOARD_EVENT_TYPES


def test_no_frame_to_the_board_names_a_pupil_or_gives_an_answer(room: Room) -> None:
    run_lesson(room)
    frames = room.frames[BOARD.id]
    # The picked pupil's name, shown on purpose, is the one name the board may get.
    for frame in frames:
        if frame["type"] == "picker.show":
            assert frame["data"]["picker"]["name"] in {p.name for p in PUPILS}
            frame = copy.deepcopy(frame)
            frame["data"]["picker"]["name"] = None
        assert_anonymous(frame)
    assert_anonymous(view_for(room.state, BOARD))


def test_what_the_board_is_sent_event_by_event(room: Room) -> None:
    logged = {e["type"]: e for e in run_lesson(room)}
    sent = {f["type"]: f["data"] for f in room.frames[BOARD.id]}
    # Answers reach it as counts; a pupil-paced answer not at all.
    assert "quiz.answer" not in sent
    assert sent["quiz.progress"] == {"block_id": "q1", "answered": 2, "pupils": 2}
    # The class's results once the quiz is closed, the keys once revealed.
    assert sent["quiz.close"]["histogram"] == [{"answered": 2, "options": [1, 1]}, {"answered": 2}]
    assert sent["quiz.reveal"]["keys"] == [0, ["Moscow-key"]]
    assert sent["poll.progress"] == {"block_id": "poll", "counts": [0, 1], "total": 1}
    # People as roles: the pen, a shared screen, the hands (a count), presence.
    assert sent["board.grant"] == {"person": {"role": "pupil"}}
    assert sent["rtc.grant"] == {"person": {"role": "pupil"}}
    assert sent["rtc.state"]["publisher"] == {"role": "pupil"}
    assert sent["hand.lower"]["queue"] == [{"role": "pupil"}]
    assert sent["board.stroke"]["by"] == TEACHER.as_dict()  # the last one
    # Chat only once the teacher puts it on the board, the pupils without names.
    assert [f["data"]["text"] for f in room.frames[BOARD.id] if f["type"] == "chat.post"] == [
        "quiet please"
    ]
    assert sent["board.show"]["view"]["chat"]["messages"][0]["by"] == {"role": "pupil"}
    # The widgets; the picked name only after "show on the board".
    assert sent["timer.start"]["timer"]["running"] is True
    assert sent["picker.pick"] == {"picker": {"shown": False, "name": None}}
    assert sent["picker.show"]["picker"]["shown"] is True
    assert sent["picker.clear"] == {"picker": None}
    # Pupil-paced mode: pupils per slide, never who.
    assert sent["pace.counts"] == {"counts": [0, 1, 0, 1, 0]}
    assert sent["room.kick"]["person"] == {"role": "pupil"}
    assert sent["presence.join"]["person"] == {"role": "pupil"}
    assert sent["lesson.end"] == {}
    # The board is one kind of viewer: one projection for every board.
    assert projection_key(logged["quiz.reveal"], BOARD) == "board"


def test_keys_reach_the_board_only_at_reveal(room: Room) -> None:
    def keys() -> list[Any]:
        quiz = view_for(room.state, BOARD)["slides"][1]
        return [question.get("answer") for question in quiz["questions"]]

    room.send(TEACHER, "quiz.open", {"block_id": "q1"})
    room.send(ANNA, "quiz.answer", {"block_id": "q1", "answers": [0, "anna-secret"]})
    assert keys() == [None, None]
    assert view_for(room.state, BOARD)["quiz"]["histogram"] is None
    (closed,) = room.send(TEACHER, "quiz.close")
    assert keys() == [None, None]
    assert "keys" not in (room.seen(BOARD, closed) or {})["data"]
    assert view_for(room.state, BOARD)["quiz"]["histogram"] is not None
    room.send(TEACHER, "quiz.reveal")
    assert keys() == [0, ["Moscow-key"]]


def test_the_teacher_decides_what_the_board_shows(room: Room) -> None:
    room.send(TEACHER, "board.grant", {"user_id": ANNA.id})
    (drawn,) = room.send(
        ANNA, "board.stroke", {"points": [[0.5, 0.5]], "color": "#000000", "width": 3}
    )
    (chat,) = room.send(ANNA, "chat.post", {"text": "a question"})
    assert room.seen(BOARD, chat) is None
    assert view_for(room.state, BOARD)["chat"]["messages"] == []
    assert room.seen(BOARD, drawn) is not None
    room.send(TEACHER, "board.show", {"work": False, "histogram": False})
    assert view_for(room.state, BOARD)["board"]["strokes"] == []
    assert room.seen(BOARD, drawn) is None
    assert view_for(room.state, TEACHER)["board"]["strokes"] != []  # only the board is spared
    room.send(TEACHER, "quiz.open", {"block_id": "q1"})
    room.send(ANNA, "quiz.answer", {"block_id": "q1", "answers": [0, "x"]})
    (closed,) = room.send(TEACHER, "quiz.close")
    assert (room.seen(BOARD, closed) or {})["data"]["histogram"] is None
    assert (room.seen(VISITOR, closed) or {})["data"]["histogram"] is not None
    (shown,) = room.send(TEACHER, "board.show", {"chat": True, "histogram": True})
    assert shown["data"] == {"chat": True, "histogram": True}
    to_board = room.seen(BOARD, shown)
    assert to_board is not None and to_board["data"]["show"] == {
        "histogram": True,
        "chat": True,
        "work": False,
    }
    # The board gets its view again: the chat and the histogram appear at once.
    fresh = to_board["data"]["view"]
    assert fresh == view_for(room.state, BOARD)
    assert fresh["chat"]["messages"][0] == {
        "seq": chat["seq"],
        "by": {"role": "pupil"},
        "text": "a question",
        "at": chat["at"],
    }
    assert fresh["quiz"]["histogram"] is not None
    assert "view" not in (room.seen(TEACHER, shown) or {})["data"]
    assert room.send(TEACHER, "board.show", {"chat": True}) == []  # nothing changes


def test_the_teacher_takes_a_chat_message_away(room: Room) -> None:
    (posted,) = room.send(ANNA, "chat.post", {"text": "something rude"})
    room.send(BORIS, "chat.post", {"text": "fine"})
    (removed,) = room.send(TEACHER, "chat.remove", {"seq": posted["seq"]})
    assert [m.text for m in room.state.chat] == ["fine"]
    for viewer in VIEWERS:
        assert room.seen(viewer, removed) == {
            "type": "chat.remove",
            "seq": removed["seq"],
            "data": {"seq": posted["seq"]},
        }
    assert room.refused(TEACHER, "chat.remove", {"seq": posted["seq"]}) == "invalid"
    assert room.refused(ANNA, "chat.remove", {"seq": room.state.chat[0].seq}) == "forbidden"


# --- the board changes nothing ------------------------------------------------------------------

EXAMPLES: dict[str, dict[str, Any] | None] = {
    "slide.goto": {"index": 1},
    "pace.set": {"mode": "pupil"},
    "pupil.goto": {"index": 1},
    "nav.free": {"on": True},
    "quiz.open": {"block_id": "q1"},
    "quiz.answer": {"block_id": "q1", "answers": [0, "x"]},
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
    "rtc.grant": {"user_id": ANNA.id},
    "rtc.record": {"on": True},
    "board.show": {"chat": True},
    "chat.remove": {"seq": 1},
    "timer.start": {"seconds": 60},
    "timer.pause": None,
    "timer.reset": None,
    "timer.clear": None,
    "picker.pick": None,
    "picker.show": {"on": True},
    "picker.clear": None,
}


def test_the_examples_cover_every_command() -> None:
    assert set(EXAMPLES) == set(COMMAND_ROLES)


@pytest.mark.parametrize("type_", sorted(EXAMPLES))
def test_the_board_changes_nothing(room: Room, type_: str) -> None:
    before = room.state
    assert room.refused(BOARD, type_, EXAMPLES[type_]) == "forbidden"
    assert room.state is before


@pytest.mark.parametrize("type_", ["board.show", "chat.remove", "timer.start", "picker.pick"])
def test_pupils_and_observers_do_not_run_the_widgets(room: Room, type_: str) -> None:
    for actor in (ANNA, VISITOR):
        assert room.refused(actor, type_, EXAMPLES[type_]) == "forbidden"


def test_a_locked_room_lets_the_board_in_and_the_report_leaves_it_out(room: Room) -> None:
    room.send(TEACHER, "room.lock", {"on": True})
    check_join(room.state, Actor("b-2", "board", "Board"))
    with pytest.raises(RoomError):
        check_join(room.state, CLARA)
    people = view_for(room.state, TEACHER)["people"]
    assert people["observers"] == 1
    assert [p["role"] for p in people["present"]].count("board") == 1  # the console sees it
    assert BOARD.id not in {person["id"] for person in report(room.state)["participants"]}
