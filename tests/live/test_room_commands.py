"""Commands in the room: what ``decide`` lets through, who may send what, refusals of what does
not fit, repeated message ids, and who may join."""

import dataclasses
from typing import Any

import pytest

from live.room import (
    MAX_APPLIED_IDS_PER_ACTOR,
    MAX_CHAT_MESSAGES,
    Actor,
    RoomError,
    apply,
    check_join,
    decide,
    new_room,
)
from live.room_state import replace
from tests.live.room_support import (
    ANNA,
    BLOCKS,
    BORIS,
    CLARA,
    EXAMPLES,
    TEACHER,
    VISITOR,
    Room,
    Setup,
    anna_has_hand_up,
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


# --- commands: what decide lets through --------------------------------------------------------


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
