"""The board (the projector's view) and the classroom widgets in the room reducer and its
projections: what the board is sent for every event kind, that it can change nothing, the
countdown, the random pupil picker, what the teacher lets the board show, chat moderation."""

from __future__ import annotations

import copy
import itertools
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from live.board_views import BOARD_EVENT_TYPES
from live.handlers import HANDLERS
from live.protocol import parse_client_message
from live.report import report
from live.room import COMMAND_ROLES, Actor, Countdown, RoomError, check_join, decide, new_room, step
from live.views import event_for, projection_key, view_for

BLOCKS: list[dict[str, Any]] = [
    {"id": "intro", "kind": "text", "text": "# Fractions"},
    {
        "id": "q1",
        "kind": "quiz",
        "questions": [
            {"kind": "single", "prompt": "1/2 + 1/4", "options": ["3/4", "2/6"], "answer": 0},
            {"kind": "text", "prompt": "Capital?", "answer": ["Moscow-key"], "points": 2},
        ],
    },
    {"id": "q2", "kind": "quiz", "questions": [{"kind": "number", "prompt": "0.5+0.25"}]},
    {"id": "poll", "kind": "poll", "prompt": "Clear?", "options": ["yes", "no"]},
    {"id": "board", "kind": "whiteboard"},
]
TEACHER = Actor(1, "teacher", "Irina Petrovna")
ANNA = Actor(101, "pupil", "Anna Kuznetsova")
BORIS = Actor(102, "pupil", "Boris Smirnov")
CLARA = Actor(103, "pupil", "Clara Orlova")
VISITOR = Actor("obs-1", "observer", "Visiting Inspector")
BOARD = Actor("b-1", "board", "Board")
PUPILS = (ANNA, BORIS, CLARA)
VIEWERS = (TEACHER, ANNA, BORIS, VISITOR, BOARD)
_ids = itertools.count()
_clock = itertools.count(1_700_000_000)


def command(type_: str, data: dict[str, Any] | None = None) -> Any:
    envelope: dict[str, Any] = {"type": type_, "id": f"m{next(_ids)}"}
    if data is not None:
        envelope["data"] = data
    return parse_client_message(json.dumps(envelope))


def event(type_: str, actor: Actor | None, **data: Any) -> dict[str, Any]:
    return {"type": type_, "data": data, "actor": actor.as_dict() if actor else None}


class Room:
    """A room driven the way the hub drives it (a seq and a time on every event); ``frames``
    keeps what each viewer was sent."""

    def __init__(self) -> None:
        self.state = new_room(BLOCKS, title="Fractions", roster=PUPILS)
        self.frames: dict[Any, list[dict[str, Any]]] = {v.id: [] for v in VIEWERS}
        self.log: list[dict[str, Any]] = []

    def append(self, payload: dict[str, Any], at: float | None = None) -> dict[str, Any]:
        stored = {**payload, "seq": self.state.seq + 1, "at": next(_clock) if at is None else at}
        self.log.append(stored)
        self.state, changed = step(self.state, stored)
        if changed:
            for viewer in VIEWERS:
                frame = event_for(stored, viewer, state=self.state)
                if frame is not None:
                    self.frames[viewer.id].append(frame)
        return stored

    def join(self, *actors: Actor) -> None:
        for actor in actors:
            self.append(event("presence.join", actor))

    def send(
        self, actor: Actor, type_: str, data: dict[str, Any] | None = None, at: float | None = None
    ) -> list[dict[str, Any]]:
        return [self.append(e, at) for e in decide(self.state, actor, command(type_, data))]

    def refused(self, actor: Actor, type_: str, data: dict[str, Any] | None = None) -> str:
        with pytest.raises(RoomError) as caught:
            decide(self.state, actor, command(type_, data))
        return caught.value.code

    def seen(self, viewer: Actor, stored: dict[str, Any]) -> dict[str, Any] | None:
        return event_for(stored, viewer, state=self.state)


@pytest.fixture
def room() -> Room:
    room = Room()
    room.join(TEACHER, ANNA, BORIS, VISITOR, BOARD)
    return room


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


# --- the countdown ------------------------------------------------------------------------------


def test_the_countdown_runs_on_the_servers_clock(room: Room) -> None:
    (started,) = room.send(TEACHER, "timer.start", {"seconds": 300}, at=1000.0)
    assert room.state.countdown == Countdown(300, True, 1300.0, 300.0)
    expected = {"seconds": 300, "running": True, "ends_at": 1300.0, "remaining": 300.0}
    for viewer in VIEWERS:  # every screen gets the same end time
        assert room.seen(viewer, started) == {
            "type": "timer.start",
            "seq": started["seq"],
            "data": {"timer": expected},
        }
    room.send(TEACHER, "timer.pause", at=1100.0)
    assert room.state.countdown == Countdown(300, False, None, 200.0)
    assert room.refused(TEACHER, "timer.pause") == "conflict"
    room.send(TEACHER, "timer.start", at=2000.0)  # resumes with what was left
    assert room.state.countdown == Countdown(300, True, 2200.0, 200.0)
    room.send(TEACHER, "timer.reset", at=2050.0)
    assert room.state.countdown == Countdown(300, False, None, 300.0)
    room.send(TEACHER, "timer.start", {"seconds": 60}, at=3000.0)  # a new one replaces it
    assert room.state.countdown == Countdown(60, True, 3060.0, 60.0)
    room.send(TEACHER, "timer.pause", at=4000.0)  # long over: nothing is left
    assert room.state.countdown == Countdown(60, False, None, 0.0)
    room.send(TEACHER, "timer.start", at=5000.0)  # starting an ended one starts it afresh
    assert room.state.countdown == Countdown(60, True, 5060.0, 60.0)
    room.send(TEACHER, "timer.start", at=5030.0)  # a running one starts again too
    assert room.state.countdown == Countdown(60, True, 5090.0, 60.0)
    room.send(TEACHER, "timer.clear")
    assert room.state.countdown is None
    assert view_for(room.state, BOARD)["timer"] is None
    for type_ in ("timer.pause", "timer.reset"):
        assert room.refused(TEACHER, type_) == "conflict"
    assert room.refused(TEACHER, "timer.start") == "conflict"


# --- the random pupil picker --------------------------------------------------------------------


def test_the_picker_picks_every_pupil_here_once_a_round(room: Room) -> None:
    room.join(CLARA)
    picks = []
    for _round in range(2):
        for _pupil in range(3):
            (picked,) = room.send(TEACHER, "picker.pick")
            picks.append(picked["data"]["pupil"])
    assert sorted(picks[:3]) == sorted(picks[3:]) == [ANNA.id, BORIS.id, CLARA.id]
    # The pick is in the log: replaying it picks the same pupils.
    assert room.state.picker.pupil == picks[-1]


def test_the_picked_name_reaches_the_board_only_when_shown(room: Room) -> None:
    room.append(event("presence.leave", BORIS))
    (picked,) = room.send(TEACHER, "picker.pick")
    assert picked["data"] == {"pupil": ANNA.id}  # the only pupil here
    assert room.seen(TEACHER, picked)["data"]["picker"] == {  # type: ignore[index]
        "shown": False,
        "name": ANNA.name,
        "person": ANNA.as_dict(),
        "left": 0,
    }
    assert room.seen(ANNA, picked)["data"]["picker"]["mine"] is True  # type: ignore[index]
    assert room.seen(BOARD, picked)["data"]["picker"] == {"shown": False, "name": None}  # type: ignore[index]
    assert projection_key(picked, ANNA) != projection_key(picked, BORIS)
    (shown,) = room.send(TEACHER, "picker.show", {"on": True})
    assert room.seen(BOARD, shown)["data"]["picker"] == {"shown": True, "name": ANNA.name}  # type: ignore[index]
    assert room.seen(VISITOR, shown)["data"]["picker"]["name"] is None  # type: ignore[index]
    assert view_for(room.state, BOARD)["picker"] == {"shown": True, "name": ANNA.name}
    room.send(TEACHER, "room.kick", {"user_id": ANNA.id})  # off the board with her
    assert view_for(room.state, BOARD)["picker"] is None
    assert room.refused(TEACHER, "picker.pick") == "conflict"  # nobody left to pick
    assert room.refused(TEACHER, "picker.show", {"on": True}) == "conflict"


def test_a_forged_pick_in_the_log_changes_nothing(room: Room) -> None:
    before = room.state
    for pupil in (CLARA.id, VISITOR.id, TEACHER.id, None):
        after, changed = step(
            before, {**event("picker.pick", TEACHER, pupil=pupil), "seq": before.seq + 1}
        )
        assert not changed and after.picker == before.picker


# --- zulip style: the frames a viewer gets keep its widgets as a fresh view has them -----------


def follow(view: dict[str, Any], frame: dict[str, Any]) -> None:
    """What static/js/live/model.js does with the widgets' frames."""
    kind, data = frame["type"], frame["data"]
    if kind.startswith("timer."):
        view["timer"] = data["timer"]
    elif kind.startswith("picker."):
        view["picker"] = data["picker"]
    elif kind == "board.show":
        view["show"] = data["show"]
    elif kind == "chat.remove":
        view["chat"]["messages"] = [m for m in view["chat"]["messages"] if m["seq"] != data["seq"]]
    elif kind == "chat.post":
        view["chat"]["messages"].append({"seq": frame["seq"], **data})


def watched(view: dict[str, Any]) -> dict[str, Any]:
    return {key: view[key] for key in ("timer", "picker", "show", "chat")}


SCRIPT: list[Callable[[Room], object]] = [
    lambda r: r.send(TEACHER, "timer.start", {"seconds": 120}),
    lambda r: r.send(ANNA, "chat.post", {"text": "hi"}),
    lambda r: r.send(TEACHER, "timer.pause"),
    lambda r: r.send(TEACHER, "picker.pick"),
    lambda r: r.send(TEACHER, "picker.show", {"on": True}),
    lambda r: r.send(TEACHER, "board.show", {"chat": True, "work": False}),
    lambda r: r.send(BORIS, "chat.post", {"text": "me too"}),
    lambda r: r.send(TEACHER, "chat.remove", {"seq": r.state.chat[0].seq}),
    lambda r: r.send(TEACHER, "picker.pick"),
    lambda r: r.send(TEACHER, "timer.reset"),
    lambda r: r.send(TEACHER, "picker.clear"),
    lambda r: r.send(TEACHER, "board.show", {"chat": False}),
    lambda r: r.send(TEACHER, "timer.clear"),
]


def test_the_frames_each_viewer_gets_keep_its_widgets_fresh(room: Room) -> None:
    views = {viewer.id: copy.deepcopy(view_for(room.state, viewer)) for viewer in VIEWERS}
    for number, action in enumerate(SCRIPT):
        for viewer in VIEWERS:
            room.frames[viewer.id].clear()
        action(room)
        for viewer in VIEWERS:
            view = views[viewer.id]
            for frame in room.frames[viewer.id]:
                if frame["type"] == "board.show" and "view" in frame["data"]:
                    view.update(copy.deepcopy(frame["data"]["view"]))
                follow(view, frame)
            fresh = view_for(room.state, viewer)
            assert watched(view) == watched(fresh), (number, viewer.name)
