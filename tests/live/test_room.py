import copy
import dataclasses
import itertools
import json
from collections.abc import Callable
from dataclasses import fields
from typing import Any

import pytest

from live.protocol import parse_client_message
from live.report import report
from live.room import (
    MAX_APPLIED_IDS_PER_ACTOR,
    MAX_CHAT_MESSAGES,
    Actor,
    RoomError,
    RoomState,
    apply,
    check_join,
    decide,
    new_room,
    replay,
    step,
)
from live.room_state import replace
from live.views import (
    event_for,
    view_for,
)

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


@pytest.fixture
def room() -> Room:
    room = Room()
    room.join(TEACHER, ANNA, BORIS, VISITOR)
    return room


def event(type_: str, actor: Actor | None, **data: Any) -> dict[str, Any]:
    return {"type": type_, "data": data, "actor": actor.as_dict() if actor else None}


# --- the reducer, case by case -----------------------------------------------------------------

DOMAIN_FIELDS = [f.name for f in fields(RoomState) if f.name not in {"seq", "people", "applied"}]
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


# --- commands: what decide lets through --------------------------------------------------------

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
TEACHER_ONLY = [
    "slide.goto",
    "nav.free",
    "quiz.open",
    "quiz.close",
    "quiz.reveal",
    "quiz.timer",
    "poll.open",
    "poll.close",
    "board.clear",
    "board.grant",
    "chat.mode",
    "room.lock",
    "room.kick",
]


@pytest.mark.parametrize("type_", sorted(EXAMPLES))
def test_observers_change_nothing(room: Room, type_: str) -> None:
    assert room.refused(VISITOR, type_, EXAMPLES[type_]) == "forbidden"


@pytest.mark.parametrize("type_", TEACHER_ONLY)
def test_pupils_cannot_send_teacher_commands(room: Room, type_: str) -> None:
    assert room.refused(ANNA, type_, EXAMPLES[type_]) == "forbidden"


@pytest.mark.parametrize("type_", ["quiz.answer", "poll.vote", "hand.raise"])
def test_teachers_do_not_send_pupil_commands(room: Room, type_: str) -> None:
    assert room.refused(TEACHER, type_, EXAMPLES[type_]) == "forbidden"


@pytest.mark.parametrize("actor", [TEACHER, ANNA, VISITOR])
@pytest.mark.parametrize("type_", ["ping", "rtc.offer", "rtc.candidate"])
def test_ping_and_signalling_record_nothing(room: Room, actor: Actor, type_: str) -> None:
    data = {"sdp": "v=0"} if type_.startswith("rtc") else None
    assert decide(room.state, actor, command(type_, data)) == []


def test_decide_returns_the_event_to_append(room: Room) -> None:
    produced = decide(room.state, TEACHER, command("slide.goto", {"index": 2}, id_="go-2"))
    assert produced == [
        {"type": "slide.goto", "data": {"index": 2}, "actor": TEACHER.as_dict(), "mid": "go-2"}
    ]


def test_commands_on_the_current_thing_name_it(room: Room) -> None:
    quiz_open(room)
    (closed,) = room.send(TEACHER, "quiz.close")
    assert closed["data"] == {"block_id": "q1"}
    room.send(TEACHER, "slide.goto", {"index": 4})
    (stroke,) = room.send(TEACHER, "board.stroke", EXAMPLES["board.stroke"])
    assert stroke["data"]["slide"] == 4


CONFLICTS: list[tuple[str, Setup, Actor, str, dict[str, Any] | None, str]] = [
    ("quiz on a text block", nothing, TEACHER, "quiz.open", {"block_id": "intro"}, "invalid"),
    ("quiz on no block", nothing, TEACHER, "quiz.open", {"block_id": "nope"}, "invalid"),
    (
        "second quiz while one is open",
        quiz_open,
        TEACHER,
        "quiz.open",
        {"block_id": "q2"},
        "conflict",
    ),
    ("the same quiz twice", quiz_closed, TEACHER, "quiz.open", {"block_id": "q1"}, "conflict"),
    (
        "answer to a closed quiz",
        quiz_closed,
        ANNA,
        "quiz.answer",
        EXAMPLES["quiz.answer"],
        "conflict",
    ),
    ("answer with no quiz", nothing, ANNA, "quiz.answer", EXAMPLES["quiz.answer"], "conflict"),
    (
        "wrong number of answers",
        quiz_open,
        ANNA,
        "quiz.answer",
        {"block_id": "q1", "answers": [0]},
        "invalid",
    ),
    ("close with no quiz", nothing, TEACHER, "quiz.close", None, "conflict"),
    ("reveal before close", quiz_open, TEACHER, "quiz.reveal", None, "conflict"),
    ("timer with no quiz", nothing, TEACHER, "quiz.timer", {"seconds": 10}, "conflict"),
    ("vote with no poll", nothing, ANNA, "poll.vote", {"option": 0}, "conflict"),
    ("poll on a quiz block", nothing, TEACHER, "poll.open", {"block_id": "q1"}, "invalid"),
    ("slide out of range", nothing, TEACHER, "slide.goto", {"index": 5}, "invalid"),
    ("pen to an absent pupil", nothing, TEACHER, "board.grant", {"user_id": CLARA.id}, "invalid"),
    ("kick the teacher", nothing, TEACHER, "room.kick", {"user_id": TEACHER.id}, "invalid"),
    ("kick a stranger", nothing, TEACHER, "room.kick", {"user_id": 999}, "invalid"),
    ("draw without the pen", nothing, ANNA, "board.stroke", EXAMPLES["board.stroke"], "forbidden"),
    ("chat while it is off", chat_off, ANNA, "chat.post", {"text": "hi"}, "forbidden"),
    (
        "lower another's hand",
        anna_has_hand_up,
        BORIS,
        "hand.lower",
        {"user_id": ANNA.id},
        "forbidden",
    ),
    ("act after being removed", anna_kicked, ANNA, "hand.raise", None, "forbidden"),
    ("act after the end", lesson_over, TEACHER, "slide.goto", {"index": 1}, "ended"),
]


@pytest.mark.parametrize(
    ("setup", "actor", "type_", "data", "code"),
    [pytest.param(*case[1:], id=case[0]) for case in CONFLICTS],
)
def test_commands_that_do_not_fit_are_refused(
    room: Room, setup: Setup, actor: Actor, type_: str, data: dict[str, Any] | None, code: str
) -> None:
    setup(room)
    before = room.state
    assert room.refused(actor, type_, data) == code
    assert room.state is before


def test_a_pupil_with_the_pen_draws(room: Room) -> None:
    room.send(TEACHER, "board.grant", {"user_id": ANNA.id})
    assert room.send(ANNA, "board.stroke", EXAMPLES["board.stroke"])
    room.send(TEACHER, "board.grant", {"user_id": None})
    assert room.refused(ANNA, "board.stroke", EXAMPLES["board.stroke"]) == "forbidden"


def test_a_repeated_message_id_is_applied_once(room: Room) -> None:
    room.send(ANNA, "hand.raise", id_="same")
    room.send(TEACHER, "hand.lower")
    assert room.send(ANNA, "hand.raise", id_="same") == []
    assert room.state.hands == ()
    assert room.state.applied_seq(ANNA.id, "same") == room.log[-2]["seq"]


def test_the_newest_message_ids_of_each_actor_are_remembered() -> None:
    state = new_room(BLOCKS)
    for index in range(3 * MAX_APPLIED_IDS_PER_ACTOR):
        event = {"type": "chat.post", "data": {"text": "x"}, "actor": ANNA.as_dict()}
        state = apply(state, {**event, "mid": f"m{index}"})
        newest = range(max(0, index + 1 - MAX_APPLIED_IDS_PER_ACTOR), index + 1)
        assert all(state.applied_seq(ANNA.id, f"m{i}") == i + 1 for i in newest)
    # A retry of an id long forgotten would be applied again: only so many are kept.
    assert state.applied_seq(ANNA.id, "m0") is None


def test_a_copy_of_the_state_changes_only_what_it_names() -> None:
    state = new_room(BLOCKS, title="Fractions")
    changed = replace(state, slide=2, hands=(ANNA.id,))
    assert (changed.slide, changed.hands, changed.title) == (2, (ANNA.id,), "Fractions")
    assert (state.slide, state.hands) == (0, ())
    assert changed == dataclasses.replace(state, slide=2, hands=(ANNA.id,))
    with pytest.raises(TypeError):
        replace(state, no_such_field=1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        changed.slide = 3  # type: ignore[misc]


def test_a_command_that_changes_nothing_produces_no_event(room: Room) -> None:
    room.send(ANNA, "hand.raise")
    assert room.send(ANNA, "hand.raise") == []


def test_the_same_event_twice_in_the_log_counts_once(room: Room) -> None:
    (raised,) = room.send(ANNA, "hand.raise", id_="h1")
    room.send(TEACHER, "hand.lower")
    duplicate = {key: value for key, value in raised.items() if key != "seq"}
    room.append(duplicate)
    assert room.state.hands == ()


def test_chat_keeps_only_the_latest_messages(room: Room) -> None:
    for number in range(MAX_CHAT_MESSAGES + 5):
        room.send(TEACHER, "chat.post", {"text": f"line {number}"})
    assert len(room.state.chat) == MAX_CHAT_MESSAGES
    assert room.state.chat[-1].text == f"line {MAX_CHAT_MESSAGES + 4}"


def test_clearing_the_board_clears_the_current_slide_only(room: Room) -> None:
    room.send(TEACHER, "board.stroke", EXAMPLES["board.stroke"])
    room.send(TEACHER, "slide.goto", {"index": 4})
    room.send(TEACHER, "board.stroke", EXAMPLES["board.stroke"])
    room.send(TEACHER, "board.clear")
    assert [stroke.slide for stroke in room.state.strokes] == [0]


def test_check_join() -> None:
    room = Room()
    room.join(TEACHER, ANNA, BORIS)
    room.send(TEACHER, "room.lock", {"on": True})
    check_join(room.state, ANNA)  # joined before: may come back
    check_join(room.state, TEACHER)
    with pytest.raises(RoomError) as locked:
        check_join(room.state, CLARA)
    assert locked.value.code == "locked"
    room.send(TEACHER, "room.kick", {"user_id": BORIS.id})
    with pytest.raises(RoomError) as kicked:
        check_join(room.state, BORIS)
    assert kicked.value.code == "forbidden"
    room.append(event("lesson.end", TEACHER))
    with pytest.raises(RoomError) as ended:
        check_join(room.state, ANNA)
    assert ended.value.code == "ended"


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


@pytest.mark.parametrize(
    ("answers", "question"),
    [
        pytest.param([[0], "Moscow"], 1, id="a list for a single choice"),
        pytest.param([5, "Moscow"], 1, id="an option out of range"),
        pytest.param([0, 42], 2, id="a number for a text answer"),
    ],
)
def test_an_answer_of_the_wrong_shape_is_refused_naming_the_question(
    room: Room, answers: list[Any], question: int
) -> None:
    quiz_open(room)
    with pytest.raises(RoomError) as caught:
        decide(room.state, ANNA, command("quiz.answer", {"block_id": "q1", "answers": answers}))
    assert caught.value.code == "invalid"
    assert caught.value.message.startswith(f"question {question}:")
    assert room.send(ANNA, "quiz.answer", {"block_id": "q1", "answers": [None, "Moscow"]})
