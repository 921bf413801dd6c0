"""A property of the board over random logs: no frame the board is sent, and no snapshot it
gets, carries a pupil's name, id or answer, or an answer key before the quiz is revealed.

The one name the board may get is the picked pupil's, while the teacher shows it on purpose.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from live.handlers.widgets import pick_candidates
from live.protocol import ProtocolError, parse_client_message
from live.room import Actor, RoomError, RoomState, apply, decide, new_room, step
from live.views import event_for, view_for

KEY = "key-word-zz"
BLOCKS: list[dict[str, Any]] = [
    {"id": "intro", "kind": "text", "text": "Intro"},
    {
        "id": "q1",
        "kind": "quiz",
        "questions": [
            {"kind": "single", "prompt": "?", "options": ["a", "b", "c"], "answer": 1},
            {"kind": "text", "prompt": "?", "answer": [KEY], "solution": KEY},
        ],
    },
    {"id": "q2", "kind": "quiz", "questions": [{"kind": "text", "prompt": "?", "answer": [KEY]}]},
    {"id": "poll", "kind": "poll", "prompt": "?", "options": ["x", "y"]},
    {"id": "board", "kind": "whiteboard"},
]
TEACHER = Actor(1, "teacher", "Teacher Tatiana")
PUPILS = [Actor(700_100 + n, "pupil", f"Pupilname {name}") for n, name in enumerate("ABC", 1)]
VISITOR = Actor("obs-1", "observer", "Observer Olga")
BOARD = Actor("b-1", "board", "Board")
ACTORS = [TEACHER, *PUPILS, VISITOR, BOARD]
INITIAL = new_room(BLOCKS, title="Properties", roster=PUPILS)
PUPIL_IDS = {pupil.id for pupil in PUPILS}

someone = st.sampled_from([None, 1, *PUPIL_IDS, 999, "obs-1", "b-1", ""])
blocks = st.sampled_from(["q1", "q1", "q2", "poll", "intro", None])
switch = st.fixed_dictionaries({"on": st.booleans()})


def secret(actor: Actor | None) -> str:
    return f"secret-of-{actor.id if actor else 'nobody'}"


def answers_of(actor: Actor | None) -> st.SearchStrategy[list[Any]]:
    one = st.sampled_from([None, 0, 1, 2, [0, 1], secret(actor), KEY])
    return st.sampled_from([2, 2, 1, 3]).flatmap(lambda n: st.lists(one, min_size=n, max_size=n))


def data_for(kind: str, actor: Actor | None) -> st.SearchStrategy[dict[str, Any]]:
    point = st.tuples(st.floats(0, 1), st.floats(0, 1)).map(list)
    table: dict[str, st.SearchStrategy[dict[str, Any]]] = {
        "slide.goto": st.fixed_dictionaries({"index": st.integers(-1, 5)}),
        "pace.set": st.fixed_dictionaries(
            {"mode": st.sampled_from(["pupil", "teacher"]), "slide": st.integers(0, 4)}
        ),
        "pupil.goto": st.fixed_dictionaries({"index": st.integers(0, 4)}),
        "quiz.open": st.fixed_dictionaries({"block_id": blocks}),
        "quiz.answer": st.fixed_dictionaries({"block_id": blocks, "answers": answers_of(actor)}),
        "quiz.close": st.fixed_dictionaries({"block_id": blocks}),
        "quiz.reveal": st.fixed_dictionaries({"block_id": blocks}),
        "quiz.timer": st.fixed_dictionaries({"block_id": blocks, "seconds": st.integers(1, 99)}),
        "poll.open": st.fixed_dictionaries({"block_id": blocks}),
        "poll.vote": st.fixed_dictionaries({"block_id": blocks, "option": st.integers(0, 2)}),
        "poll.close": st.fixed_dictionaries({"block_id": blocks}),
        "board.stroke": st.fixed_dictionaries(
            {
                "slide": st.integers(0, 4),
                "points": st.lists(point, min_size=1, max_size=2),
                "color": st.just("#000000"),
                "width": st.just(2),
            }
        ),
        "board.clear": st.fixed_dictionaries({"slide": st.integers(0, 4)}),
        "board.grant": st.fixed_dictionaries({"user_id": someone}),
        "rtc.grant": st.fixed_dictionaries({"user_id": someone}),
        "rtc.state": st.fixed_dictionaries(
            {"live": st.booleans(), "kind": st.just("screen"), "publisher": someone}
        ),
        "hand.lower": st.fixed_dictionaries({"user_id": someone}),
        "chat.post": st.fixed_dictionaries({"text": st.sampled_from(["hello", "вопрос"])}),
        "chat.remove": st.fixed_dictionaries({"seq": st.integers(1, 40)}),
        "room.kick": st.fixed_dictionaries({"user_id": someone}),
        "board.show": st.fixed_dictionaries(
            {},
            optional={"histogram": st.booleans(), "chat": st.booleans(), "work": st.booleans()},
        ),
        "timer.start": st.fixed_dictionaries({"seconds": st.one_of(st.none(), st.integers(1, 99))}),
        "picker.pick": st.fixed_dictionaries({"pupil": someone}),
        "picker.show": switch,
        "nav.free": switch,
        "chat.mode": switch,
        "room.lock": switch,
        "rtc.record": switch,
        # An observer's private note (no such command yet): it must never reach the board.
        "note.add": st.fixed_dictionaries({"text": st.just(secret(None)), "about": someone}),
    }
    return table.get(kind, st.just({}))


KINDS = [
    *("quiz.answer", "quiz.answer", "quiz.answer", "poll.vote", "presence.join", "quiz.open"),
    *("quiz.close", "quiz.close", "quiz.reveal", "quiz.reveal", "quiz.open", "chat.post"),
    *("picker.pick", "picker.pick", "picker.show", "picker.show", "board.show", "board.show"),
    *("slide.goto", "pace.set", "pupil.goto", "chat.post", "board.stroke", "hand.raise"),
    *("quiz.timer", "poll.open", "poll.close", "board.stroke", "board.clear", "board.grant"),
    *("rtc.grant", "rtc.state", "rtc.record", "hand.raise", "hand.lower", "chat.post"),
    *("chat.remove", "chat.mode", "room.lock", "nav.free", "room.kick", "presence.leave"),
    *("timer.start", "timer.pause", "timer.reset", "timer.clear", "picker.clear", "note.add"),
    *("board.grant", "lesson.end"),
]
PUPIL_KINDS = {"quiz.answer", "poll.vote", "hand.raise", "pupil.goto"}


@st.composite
def room_events(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(KINDS))
    if kind in PUPIL_KINDS or kind.startswith("presence"):
        actor = draw(st.sampled_from([*PUPILS, *PUPILS, VISITOR, BOARD]))
    elif kind in ("rtc.state", "lesson.end"):
        actor = None
    elif kind == "note.add":
        actor = VISITOR
    else:
        actor = draw(st.sampled_from([TEACHER] * 8 + [PUPILS[0], BOARD]))
    return {
        "type": kind,
        "data": draw(data_for(kind, actor)),
        "actor": actor.as_dict() if actor else None,
        "at": draw(st.floats(0, 2e9)),
    }


# What ``decide`` adds to a command itself (the client does not send it).
IMPLIED = {"block_id": {"quiz.close", "quiz.reveal", "quiz.timer", "poll.vote", "poll.close"}}
IMPLIED |= {"slide": {"board.stroke", "board.clear", "pace.set"}, "pupil": {"picker.pick"}}


@st.composite
def commands(draw: st.DrawFn) -> Any:
    """A client command from someone, as ``decide`` would get it (``None`` when it is not
    even a well-formed frame)."""
    event = draw(room_events())
    kind = event["type"]
    if kind.startswith("presence") or kind in ("rtc.state", "lesson.end", "note.add"):
        return None
    data = {
        key: value for key, value in event["data"].items() if kind not in IMPLIED.get(key, set())
    }
    try:
        message = parse_client_message(
            json.dumps({"type": kind, "id": f"c{draw(st.integers(0, 10**6))}", "data": data})
        )
    except ProtocolError:
        return None
    return Actor.from_dict(event["actor"]), message


@st.composite
def logs(draw: st.DrawFn) -> list[dict[str, Any]]:
    """A lesson's log: people come and a quiz opens, then commands decided on as the hub does
    (so most of them fit) mixed with raw events as they could sit in a log."""
    state = INITIAL
    log: list[dict[str, Any]] = []

    def append(payload: dict[str, Any]) -> None:
        nonlocal state
        event = {"at": draw(st.floats(0, 2e9)), **payload, "seq": state.seq + 1}
        log.append(event)
        state = apply(state, event)

    for actor in ACTORS:
        append({"type": "presence.join", "data": {}, "actor": actor.as_dict()})
    append({"type": "quiz.open", "data": {"block_id": "q1"}, "actor": TEACHER.as_dict()})
    for _step in range(draw(st.integers(0, 60))):
        if draw(st.integers(0, 3)) == 0:
            append(draw(room_events()))
            continue
        chosen = draw(commands())
        if chosen is None or chosen[0] is None:
            continue
        if chosen[1].type == "picker.pick" and chosen[0] == TEACHER:
            # ``decide`` picks at random; the strategy picks instead, so a run replays.
            if candidates := pick_candidates(state):
                pick = {"pupil": draw(st.sampled_from(candidates))}
                append({"type": "picker.pick", "data": pick, "actor": TEACHER.as_dict()})
            continue
        try:
            for payload in decide(state, *chosen):
                append(payload)
        except RoomError:
            continue
    return log


def ints(value: Any) -> list[int]:
    """Every integer anywhere in a frame (ids are integers)."""
    if isinstance(value, dict):
        return [n for item in value.values() for n in ints(item)]
    if isinstance(value, list):
        return [n for item in value for n in ints(item)]
    return [value] if type(value) is int else []


def without_shown_pick(value: Any, state: RoomState) -> Any:
    """The frame without the picked pupil's name where the teacher shows it."""
    if isinstance(value, dict):
        cleaned = {key: without_shown_pick(item, state) for key, item in value.items()}
        if "shown" in value and value.get("shown") is True and state.picker.shown:
            person = state.people.get(state.picker.pupil) if state.picker.pupil else None
            assert person is not None and value.get("name") == person.name
            cleaned["name"] = None
        return cleaned
    if isinstance(value, list):
        return [without_shown_pick(item, state) for item in value]
    return value


def revealed_keys_allowed(state: RoomState) -> bool:
    return any(run.revealed for run in state.quizzes.values())


@settings(max_examples=30, deadline=None, database=None)
@given(log=logs())
def test_the_board_never_gets_a_pupils_name_id_or_answer_nor_a_key_before_reveal(
    log: list[dict[str, Any]],
) -> None:
    state = INITIAL
    for event in log:
        state, changed = step(state, event)
        if event["type"] == "note.add":  # an observer's note never reaches the board
            assert event_for(event, BOARD, state=state) is None
        if not changed:
            continue  # nothing is sent, and the board's view is as it was
        frame = event_for(event, BOARD, state=state)
        view = view_for(state, BOARD)
        for seen in (frame, view):
            cleaned = without_shown_pick(seen, state)
            text = json.dumps(cleaned, ensure_ascii=False)
            for pupil in PUPILS:
                assert pupil.name not in text, text
                assert secret(pupil) not in text, text
                assert pupil.id not in ints(cleaned), text
            assert secret(None) not in text  # no observer's note
            if not revealed_keys_allowed(state):
                assert KEY not in text, text
        # Keys stay out of every quiz block not revealed.
        for slide in view["slides"]:
            run = state.quizzes.get(str(slide["id"]))
            if slide["kind"] == "quiz" and not (run and run.revealed):
                assert all("answer" not in q and "solution" not in q for q in slide["questions"])
