"""Properties of the room reducer over random event logs and random commands."""

import copy
import json
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from live.protocol import ProtocolError, parse_client_message
from live.room import (
    COMMAND_ROLES,
    Actor,
    RoomError,
    RoomState,
    apply,
    decide,
    new_room,
    replay,
    step,
)
from live.views import (
    event_for,
    projection_key,
    view_for,
)

BLOCKS: list[dict[str, Any]] = [
    {"id": "intro", "kind": "text", "text": "Intro"},
    {
        "id": "q1",
        "kind": "quiz",
        "questions": [
            {"kind": "single", "prompt": "?", "options": ["a", "b", "c"], "answer": 1},
            {"kind": "multiple", "prompt": "?", "options": ["a", "b"], "answer": [0, 1]},
            {"kind": "text", "prompt": "?", "answer": ["key-word"], "points": 2},
        ],
    },
    {
        "id": "q2",
        "kind": "quiz",
        "questions": [{"kind": "number", "prompt": "?", "answer": {"value": 1, "tolerance": 0}}],
    },
    {"id": "poll", "kind": "poll", "prompt": "?", "options": ["x", "y"]},
    {"id": "board", "kind": "whiteboard"},
]
TEACHER = Actor(1, "teacher", "Teacher Tatiana")
ANNA = Actor(101, "pupil", "Pupilname Anna")
BORIS = Actor(102, "pupil", "Pupilname Boris")
CLARA = Actor(103, "pupil", "Pupilname Clara")
VISITOR = Actor("obs-1", "observer", "Observer One")
GUEST = Actor("obs-2", "observer", "Observer Two")
ACTORS = [TEACHER, ANNA, BORIS, CLARA, VISITOR, GUEST]
PUPILS = [ANNA, BORIS, CLARA]
INITIAL = new_room(BLOCKS, title="Properties", roster=PUPILS)
PROPERTY_SETTINGS = settings(max_examples=100, deadline=None, database=None)

people_ids = st.sampled_from([None, 1, 101, 102, 103, 999, "obs-1", "obs-2", "", True])
pupil_ids = st.sampled_from([101, 102, 103])
block_ids = st.sampled_from(["intro", "q1", "q2", "poll", "board", "nope", None])
quiz_ids = st.sampled_from(["q1", "q1", "q1", "q2", "intro", None])
poll_ids = st.sampled_from(["poll", "poll", "poll", "q1", None])


def secret(actor: Actor | None) -> str:
    """A text answer that names whose it is, to catch it reaching someone else."""
    return f"secret-of-{actor.id if actor else 'nobody'}"


def answers_of(actor: Actor | None) -> st.SearchStrategy[Any]:
    single = st.one_of(
        st.none(),
        st.integers(-1, 3),
        st.lists(st.integers(0, 2), max_size=3),
        st.just(secret(actor)),
        st.just("key-word"),
        st.floats(allow_nan=False, allow_infinity=False),
    )
    # Mostly as many answers as q1 (3) or q2 (1) has questions.
    return st.sampled_from([3, 3, 1, 1, 0, 4]).flatmap(
        lambda size: st.lists(single, min_size=size, max_size=size)
    )


point = st.tuples(st.floats(-0.5, 1.5), st.floats(-0.5, 1.5)).map(list)


def data_for(kind: str, actor: Actor | None) -> st.SearchStrategy[dict[str, Any]]:
    switch = st.fixed_dictionaries({"on": st.booleans()})
    someone = st.one_of(pupil_ids, people_ids)
    strategies: dict[str, st.SearchStrategy[dict[str, Any]]] = {
        "slide.goto": st.fixed_dictionaries({"index": st.integers(-1, 6)}),
        "pace.set": st.fixed_dictionaries(
            {
                "mode": st.sampled_from(["pupil", "pupil", "teacher", "both"]),
                "slide": st.integers(-1, 6),
            }
        ),
        "pupil.goto": st.fixed_dictionaries({"index": st.integers(-1, 6)}),
        "nav.free": switch,
        "chat.mode": switch,
        "room.lock": switch,
        "quiz.open": st.fixed_dictionaries({"block_id": st.one_of(quiz_ids, block_ids)}),
        "quiz.answer": st.fixed_dictionaries({"block_id": quiz_ids, "answers": answers_of(actor)}),
        "quiz.close": st.fixed_dictionaries({"block_id": quiz_ids}),
        "quiz.reveal": st.fixed_dictionaries({"block_id": quiz_ids}),
        "quiz.timer": st.fixed_dictionaries(
            {"block_id": quiz_ids, "seconds": st.one_of(st.none(), st.integers(-5, 100))}
        ),
        "poll.open": st.fixed_dictionaries({"block_id": st.one_of(poll_ids, block_ids)}),
        "poll.vote": st.fixed_dictionaries({"block_id": poll_ids, "option": st.integers(-1, 3)}),
        "poll.close": st.fixed_dictionaries({"block_id": poll_ids}),
        "board.stroke": st.fixed_dictionaries(
            {
                "slide": st.integers(-1, 5),
                "points": st.lists(point, max_size=3),
                "color": st.sampled_from(["#000000", "#ff00ff"]),
                "width": st.floats(-1, 60, allow_nan=False),
            }
        ),
        "board.clear": st.fixed_dictionaries({"slide": st.integers(-1, 5)}),
        "board.grant": st.fixed_dictionaries({"user_id": someone}),
        "hand.raise": st.just({}),
        "hand.lower": st.fixed_dictionaries({"user_id": someone}),
        "chat.post": st.fixed_dictionaries(
            {"text": st.sampled_from(["hello", "  ", "", "x" * 600, "вопрос"])}
        ),
        "room.kick": st.fixed_dictionaries({"user_id": someone}),
        "presence.join": st.just({}),
        "presence.leave": st.just({}),
        "lesson.end": st.just({}),
    }
    return strategies[kind]


ORDINARY_KINDS = [
    "slide.goto",
    "pace.set",
    "pupil.goto",
    "pupil.goto",
    "nav.free",
    "chat.mode",
    "room.lock",
    "quiz.open",
    "quiz.open",
    "quiz.answer",
    "quiz.answer",
    "quiz.answer",
    "quiz.close",
    "quiz.reveal",
    "quiz.timer",
    "poll.open",
    "poll.vote",
    "poll.vote",
    "poll.close",
    "board.stroke",
    "board.clear",
    "board.grant",
    "hand.raise",
    "hand.lower",
    "chat.post",
    "room.kick",
    "presence.join",
    "presence.join",
    "presence.leave",
]
garbage_values = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=4))


def actor_for(draw: st.DrawFn, kind: str) -> Actor | None:
    """Mostly someone allowed to cause ``kind``, sometimes anyone (or no one)."""
    allowed = [actor for actor in ACTORS if actor.role in COMMAND_ROLES.get(kind, ())]
    if allowed and draw(st.integers(0, 3)) > 0:
        return draw(st.sampled_from(allowed))
    return draw(st.sampled_from([*ACTORS, None]))


@st.composite
def room_events(draw: st.DrawFn) -> dict[str, Any]:
    """One event as it could sit in a log: mostly plausible, sometimes garbage."""
    shape = draw(st.integers(0, 40))
    if shape == 0:
        kind = "lesson.end"
    elif shape == 1:
        return draw(
            st.dictionaries(
                st.sampled_from(["type", "data", "actor", "mid", "at"]),
                st.one_of(garbage_values, st.dictionaries(st.text(max_size=3), garbage_values)),
            )
        )
    else:
        kind = draw(st.sampled_from(ORDINARY_KINDS))
    actor = actor_for(draw, kind)
    event: dict[str, Any] = {
        "type": kind,
        "data": draw(data_for(kind, actor)),
        "actor": actor.as_dict() if actor else None,
    }
    if draw(st.booleans()):
        # Few enough ids that some repeat.
        event["mid"] = f"m{draw(st.integers(0, 15))}"
    if draw(st.booleans()):
        event["at"] = draw(st.floats(0, 2e9))
    return event


@st.composite
def logs(draw: st.DrawFn, *, max_size: int = 60) -> list[dict[str, Any]]:
    """A log with increasing seqs, as the broker hands it out; it often starts the way lessons
    do (people join, the teacher opens a quiz or a poll, or lets pupils work at their own pace)
    so later events have something to hit."""
    joins = [
        {"type": "presence.join", "data": {}, "actor": actor.as_dict()}
        for actor in draw(st.lists(st.sampled_from(ACTORS), max_size=6))
    ]
    if draw(st.booleans()):
        joins += [
            {"type": "presence.join", "data": {}, "actor": actor.as_dict()} for actor in ACTORS
        ]
    opening = draw(
        st.sampled_from([[], ["q1"], ["poll"], ["q1", "poll"], ["pace"], ["pace", "poll"]])
    )
    for block_id in opening:
        if block_id == "pace":  # the lesson goes pupil-paced
            pace = {"mode": "pupil", "slide": 0}
            joins.append({"type": "pace.set", "data": pace, "actor": TEACHER.as_dict()})
            continue
        kind = "quiz.open" if block_id == "q1" else "poll.open"
        joins.append({"type": kind, "data": {"block_id": block_id}, "actor": TEACHER.as_dict()})
    events = joins + draw(st.lists(room_events(), max_size=max_size))
    return [{**event, "seq": number} for number, event in enumerate(events, start=1)]


def fold(log: list[dict[str, Any]]) -> list[RoomState]:
    states = [INITIAL]
    for event in log:
        states.append(apply(states[-1], event))
    return states


odd_seqs = st.sampled_from([None, 0, -1, 3, 10**9, "7", 2.5, True])


@PROPERTY_SETTINGS
@given(
    log=logs(),
    stray=st.lists(st.tuples(st.integers(0, 70), room_events(), odd_seqs), max_size=5),
)
def test_apply_is_total_pure_and_seq_never_goes_back(
    log: list[dict[str, Any]], stray: list[tuple[int, dict[str, Any], Any]]
) -> None:
    # Some events arrive with stale, repeated, missing or odd seqs.
    for position, event, seq in stray:
        log.insert(min(position, len(log)), {**event, "seq": seq})
    state = INITIAL
    for event in log:
        frozen_state, frozen_event = copy.deepcopy(state), copy.deepcopy(event)
        after = apply(state, event)
        assert state == frozen_state
        assert event == frozen_event
        assert after.seq >= state.seq
        seq = event.get("seq")
        if type(seq) is int and seq > state.seq:
            assert after.seq == seq
        state = after


@PROPERTY_SETTINGS
@given(log=logs(), cut=st.integers(0, 70))
def test_replaying_a_log_gives_one_state(log: list[dict[str, Any]], cut: int) -> None:
    whole = replay(INITIAL, log)
    assert replay(INITIAL, log) == whole
    # A snapshot taken part-way plus the rest of the log gives the same state.
    snapshot = replay(INITIAL, log[:cut])
    assert replay(snapshot, log[cut:]) == whole
    # Replaying events already folded in changes nothing.
    assert replay(whole, log) == whole


@PROPERTY_SETTINGS
@given(log=logs(), picks=st.lists(st.tuples(st.integers(0, 200), st.integers(0, 200)), max_size=4))
def test_a_repeated_message_id_is_applied_once(
    log: list[dict[str, Any]], picks: list[tuple[int, int]]
) -> None:
    # Seqs spaced out by ten leave room to slot a repeat in anywhere after its original.
    spaced = [{**event, "seq": event["seq"] * 10} for event in log]
    originals = [
        event
        for event in spaced
        if isinstance(event.get("mid"), str) and Actor.from_dict(event.get("actor"))
    ]
    assume(originals)
    with_repeats = list(spaced)
    for which, where in picks:
        original = originals[which % len(originals)]
        after = spaced.index(original) + 1
        at = after + where % (len(spaced) - after + 1)
        repeat = {**original, "seq": spaced[at - 1]["seq"] + 5}
        with_repeats.insert(with_repeats.index(spaced[at - 1]) + 1, repeat)
    expected = replay(INITIAL, spaced)
    result = replay(INITIAL, with_repeats)
    assert replace(result, seq=expected.seq) == expected


def as_text(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


@PROPERTY_SETTINGS
@given(log=logs())
def test_observers_never_see_a_pupils_name_or_answer(log: list[dict[str, Any]]) -> None:
    states = fold(log)
    for event, state in zip(log, states[1:], strict=True):
        for observer in (VISITOR, GUEST):
            seen = as_text(view_for(state, observer)) + as_text(
                event_for(event, observer, state=state)
            )
            for pupil in PUPILS:
                assert pupil.name not in seen
                assert secret(pupil) not in seen


@PROPERTY_SETTINGS
@given(log=logs())
def test_pupils_never_see_another_pupils_answer(log: list[dict[str, Any]]) -> None:
    states = fold(log)
    for event, state in zip(log, states[1:], strict=True):
        for pupil in PUPILS:
            seen = as_text(view_for(state, pupil)) + as_text(event_for(event, pupil, state=state))
            for other in PUPILS:
                if other != pupil:
                    assert secret(other) not in seen


@PROPERTY_SETTINGS
@given(log=logs())
def test_viewers_with_one_projection_key_get_one_projection(log: list[dict[str, Any]]) -> None:
    states = fold(log)
    for event, state in zip(log, states[1:], strict=True):
        by_key: dict[str, Any] = {}
        for viewer in ACTORS:
            projected = event_for(event, viewer, state=state)
            key = projection_key(event, viewer)
            assert by_key.setdefault(key, projected) == projected


@st.composite
def commands(draw: st.DrawFn) -> tuple[Actor, Any]:
    kind = draw(st.sampled_from([k for k in ORDINARY_KINDS if not k.startswith("presence")]))
    actor = actor_for(draw, kind) or TEACHER
    data = dict(draw(data_for(kind, actor)))
    # The client does not name "the current" quiz, poll or slide: decide adds it.
    for implied in ("block_id", "slide"):
        if kind not in {"quiz.open", "quiz.answer", "poll.open"}:
            data.pop(implied, None)
    number = draw(st.integers(0, 10**6))
    try:
        message = parse_client_message(json.dumps({"type": kind, "id": f"c{number}", "data": data}))
    except ProtocolError:
        message = None
    return actor, message


@PROPERTY_SETTINGS
@given(log=logs(max_size=10), script=st.lists(commands(), max_size=50))
def test_decide_and_apply_agree(log: list[dict[str, Any]], script: list[tuple[Actor, Any]]) -> None:
    """Whatever decide lets through changes the room; whatever it refuses has a known code."""
    state = replay(INITIAL, log)
    for actor, message in script:
        if message is None:
            continue
        try:
            produced = decide(state, actor, message)
        except RoomError as refusal:
            assert refusal.code in {"forbidden", "conflict", "invalid", "ended"}
            if actor.role == "observer":
                assert refusal.code == "forbidden"
            continue
        assert actor.role != "observer" or produced == []
        for event in produced:
            state, changed = step(state, {**event, "seq": state.seq + 1})
            assert changed, event


@pytest.mark.parametrize("viewer", ACTORS, ids=lambda actor: actor.name)
def test_a_fresh_room_is_visible_to_everyone(viewer: Actor) -> None:
    view = view_for(INITIAL, viewer)
    assert view["seq"] == 0
    assert [slide["id"] for slide in view["slides"]] == ["intro", "q1", "q2", "poll", "board"]
