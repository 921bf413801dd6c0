"""The state of one live room and the pure functions around it.

``decide`` turns a client command into events (or refuses it) and ``step``/``apply`` fold one
event into the state; what each viewer sees of it lives in :mod:`live.views`. Nothing here does
I/O; the state is immutable and every function returns a new value, so the room state is always
``reduce(apply, log, initial)``. The state's types live in :mod:`live.room_state` and the
handler of each event type in :mod:`live.handlers`; every public name is importable from here.

Events are plain dicts, as stored in the broker's log::

    {"type": "quiz.answer", "data": {...}, "actor": {"id", "role", "name"} | None,
     "mid": "<client message id>" | None, "at": <unix time> | None, "seq": N}
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import islice
from typing import Any

from live.handlers import HANDLERS, Event, Reject
from live.handlers.base import is_number, with_
from live.handlers.widgets import pick_candidates
from live.protocol import SIGNALLING_TYPES, ClientMessage
from live.room_state import (
    MAX_APPLIED_IDS_PER_ACTOR,
    MAX_BOARD_POINTS,
    MAX_CHAT_MESSAGES,
    MAX_STROKES,
    MEDIA_KINDS,
    NO_PICK,
    NOT_LIVE,
    PACES,
    ROLES,
    WATCHING_ROLES,
    Actor,
    ActorId,
    BoardShow,
    ChatMessage,
    Countdown,
    MediaInfo,
    Pace,
    Picker,
    PollRun,
    QuizRun,
    Role,
    RoomError,
    RoomState,
    Stroke,
    new_room,
    questions_of,
    replace,
    score_answers,
)

__all__ = [
    "COMMAND_ROLES",
    "MAX_APPLIED_IDS_PER_ACTOR",
    "MAX_BOARD_POINTS",
    "MAX_CHAT_MESSAGES",
    "MAX_STROKES",
    "MEDIA_KINDS",
    "NOT_LIVE",
    "NO_PICK",
    "PACES",
    "ROLES",
    "SERVER_EVENT_TYPES",
    "WATCHING_ROLES",
    "Actor",
    "ActorId",
    "BoardShow",
    "ChatMessage",
    "Countdown",
    "Decision",
    "MediaInfo",
    "Pace",
    "Picker",
    "PollRun",
    "QuizRun",
    "Role",
    "RoomError",
    "RoomState",
    "Stroke",
    "apply",
    "check_join",
    "decide",
    "decide_at",
    "new_room",
    "questions_of",
    "replay",
    "score_answers",
    "step",
    "step_decided",
]

# --- the reducer ----------------------------------------------------------------------------

_TEACHER: frozenset[str] = frozenset({"teacher"})
_PUPIL: frozenset[str] = frozenset({"pupil"})
_TEACHER_OR_PUPIL: frozenset[str] = frozenset({"teacher", "pupil"})
# Who may cause each client event; server events (presence, lesson.end) are not listed.
COMMAND_ROLES: dict[str, frozenset[str]] = {
    "slide.goto": _TEACHER,
    "pace.set": _TEACHER,
    "nav.free": _TEACHER,
    "quiz.open": _TEACHER,
    "quiz.close": _TEACHER,
    "quiz.reveal": _TEACHER,
    "quiz.timer": _TEACHER,
    "poll.open": _TEACHER,
    "poll.close": _TEACHER,
    "board.clear": _TEACHER,
    "board.grant": _TEACHER,
    "rtc.grant": _TEACHER,
    "rtc.record": _TEACHER,
    "chat.mode": _TEACHER,
    "room.lock": _TEACHER,
    "room.kick": _TEACHER,
    "board.show": _TEACHER,
    "chat.remove": _TEACHER,
    "timer.start": _TEACHER,
    "timer.pause": _TEACHER,
    "timer.reset": _TEACHER,
    "timer.clear": _TEACHER,
    "picker.pick": _TEACHER,
    "picker.show": _TEACHER,
    "picker.clear": _TEACHER,
    "pupil.goto": _PUPIL,
    "quiz.answer": _PUPIL,
    "poll.vote": _PUPIL,
    "hand.raise": _PUPIL,
    "board.stroke": _TEACHER_OR_PUPIL,
    "hand.lower": _TEACHER_OR_PUPIL,
    "chat.post": _TEACHER_OR_PUPIL,
}
SERVER_EVENT_TYPES = frozenset({"presence.join", "presence.leave", "lesson.end", "rtc.state"})


def _evaluate(state: RoomState, event: Event) -> RoomState | None:
    """The state after ``event``, ``None`` when it changes nothing; raises ``Reject``."""
    handler = HANDLERS.get(event.type)
    if handler is None:
        raise Reject("invalid", "unknown event type")
    if event.type in COMMAND_ROLES:
        who = event.who
        if who.role == "observer":
            raise Reject("forbidden", "observers can watch but not change the lesson")
        if who.role == "board":
            raise Reject("forbidden", "the board shows the lesson and changes nothing")
        if who.role not in COMMAND_ROLES[event.type]:
            raise Reject("forbidden", f"{who.role}s may not send {event.type}")
        if who.id in state.kicked:
            raise Reject("forbidden", "removed from this lesson")
        if state.ended:
            raise Reject("ended", "the lesson has ended")
    elif event.type == "lesson.end" and state.ended:
        return None
    return handler(state, event)


def _parse(event: Mapping[str, Any], seq: int) -> Event | None:
    event_type, data = event.get("type"), event.get("data")
    if not isinstance(event_type, str):
        return None
    return Event(
        type=event_type,
        data=data if isinstance(data, Mapping) else {},
        actor=Actor.from_dict(event.get("actor")),
        seq=seq,
        at=_time(event.get("at")),
    )


def _time(at: object) -> float | None:
    """An event's ``at`` as the handlers see it."""
    return float(at) if is_number(at) and math.isfinite(at) else None


def _seen_with(seen: dict[str, int] | None, message_id: str, seq: int) -> dict[str, int]:
    """An actor's applied message ids with one more: at least the newest
    ``MAX_APPLIED_IDS_PER_ACTOR``, the oldest dropped a quarter of that at a time. A dict no
    key was ever deleted from is copied as one block (one that had keys deleted, key by key:
    ten times slower), and every command copies its actor's."""
    seen = dict(seen) if seen else {}
    seen[message_id] = seq
    if len(seen) > MAX_APPLIED_IDS_PER_ACTOR + MAX_APPLIED_IDS_PER_ACTOR // 4:
        seen = dict(islice(seen.items(), len(seen) - MAX_APPLIED_IDS_PER_ACTOR, None))
    return seen


def _remember(state: RoomState, actor: Actor | None, message_id: object, seq: int) -> RoomState:
    """``state`` at ``seq``, knowing ``actor`` and their ``message_id`` (one copy of it)."""
    people, applied = state.people, state.applied
    if actor is not None:
        if people.get(actor.id) != actor:
            people = with_(people, actor.id, actor)
        if isinstance(message_id, str) and message_id:
            applied = with_(applied, actor.id, _seen_with(applied.get(actor.id), message_id, seq))
    if people is state.people and applied is state.applied:
        return replace(state, seq=seq)
    return replace(state, seq=seq, people=people, applied=applied)


def step(state: RoomState, event: Mapping[str, Any]) -> tuple[RoomState, bool]:
    """Fold one event into the state: ``(new state, whether the room changed)``.

    Pure and total: an event that does not fit (an old seq, a repeated client message id, an
    answer to a closed quiz, garbage) changes nothing but the seq and never raises.
    """
    if not isinstance(event, Mapping):
        return state, False
    raw_seq = event.get("seq")
    seq = state.seq + 1 if raw_seq is None else raw_seq
    if type(seq) is not int or seq <= state.seq:
        return state, False
    parsed = _parse(event, seq)
    if parsed is None:
        return replace(state, seq=seq), False
    message_id = event.get("mid")
    if (
        parsed.actor is not None
        and isinstance(message_id, str)
        and state.applied_seq(parsed.actor.id, message_id) is not None
    ):
        return replace(state, seq=seq), False
    try:
        changed = _evaluate(state, parsed)
    except Reject:
        changed = None
    after = changed if changed is not None else state
    return _remember(after, parsed.actor, message_id, seq), changed is not None


def apply(state: RoomState, event: Mapping[str, Any]) -> RoomState:
    """The state after one event (see :func:`step`); never mutates ``state``."""
    return step(state, event)[0]


def replay(state: RoomState, events: Iterable[Mapping[str, Any]]) -> RoomState:
    """Fold a whole log into ``state``."""
    for event in events:
        state = apply(state, event)
    return state


# --- deciding on commands and joins ---------------------------------------------------------


def check_join(state: RoomState, actor: Actor) -> None:
    """Raise :class:`RoomError` when ``actor`` may not connect to the room now: removed
    (``forbidden``), the lesson over (``ended``), or the room locked to newcomers (``locked``;
    the teacher and anyone who has already joined may still come back)."""
    if actor.id in state.kicked:
        raise RoomError("forbidden", "you were removed from this lesson")
    if state.ended:
        raise RoomError("ended", "the lesson has ended")
    # The board is the teacher's screen: a locked room still lets it in.
    if state.locked and actor.role not in ("teacher", "board") and actor.id not in state.attended:
        raise RoomError("locked", "the teacher has locked the room")


def _event_data(state: RoomState, actor: Actor, message: ClientMessage) -> dict[str, Any]:
    # Signalling (free-form data) never gets here: ``decide`` routes it elsewhere first.
    assert not isinstance(message.data, dict), message.type
    # ``board.show`` names only what changes.
    data: dict[str, Any] = message.data.model_dump(
        mode="json", exclude_none=message.type == "board.show"
    )
    # Commands that act on "the current thing" name it in the event, so the log says exactly
    # what happened even when replayed against a different moment.
    if message.type in {"quiz.close", "quiz.reveal", "quiz.timer"}:
        data["block_id"] = state.active_quiz
    elif message.type in {"poll.vote", "poll.close"}:
        data["block_id"] = state.active_poll
    elif message.type == "board.stroke" and actor.role == "pupil":
        data["slide"] = state.position_of(actor.id)  # in pupil-paced mode, the pupil's own
    elif message.type in {"board.stroke", "board.clear", "pace.set"}:
        data["slide"] = state.slide
    elif message.type == "picker.pick":
        # The server picks (replaying the log picks the same pupil again).
        candidates = pick_candidates(state)
        data["pupil"] = secrets.choice(candidates) if candidates else None
    return data


def decide(state: RoomState, actor: Actor, message: ClientMessage) -> list[dict[str, Any]]:
    """The events a command from ``actor`` produces, or :class:`RoomError`.

    Returns zero or one event payload ``{"type", "data", "actor", "mid"}`` (no seq: the broker
    assigns it). Empty when there is nothing to record: ``ping``, WebRTC signalling (routed
    elsewhere, allowed to everyone), a message id already applied, or a command that would not
    change the room (raising a hand already raised).
    """
    decision = decide_at(state, actor, message, None)
    if decision is None:
        return []
    return [{key: value for key, value in decision.event.items() if key != "at"}]


@dataclass(frozen=True, slots=True)
class Decision:
    """A command's event decided on against ``base``, with the state it leads to, so that
    applying that very event to that very state (:func:`step_decided`) need not run its
    handler again."""

    base: RoomState
    event: dict[str, Any]  # {"type", "data", "actor", "mid", "at"}: what to append
    actor: Actor
    after: RoomState


def decide_at(
    state: RoomState, actor: Actor, message: ClientMessage, at: float | None
) -> Decision | None:
    """:func:`decide`, with the event's time ``at`` (kept in the event): its decision, or
    ``None`` when there is nothing to record; raises :class:`RoomError`."""
    if message.type == "ping" or message.type in SIGNALLING_TYPES:
        return None
    if state.applied_seq(actor.id, message.id) is not None:
        return None
    data = _event_data(state, actor, message)
    event: dict[str, Any] = {
        "type": message.type,
        "data": data,
        "actor": actor.as_dict(),
        "mid": message.id,
        "at": at,
    }
    try:
        changed = _evaluate(state, Event(message.type, data, actor, state.seq + 1, _time(at)))
    except Reject as refusal:
        raise RoomError(refusal.code, refusal.message) from None
    return None if changed is None else Decision(state, event, actor, changed)


_DECIDED_KEYS = ("type", "data", "actor", "mid", "at")


def step_decided(
    state: RoomState, event: Mapping[str, Any], decision: Decision | None
) -> tuple[RoomState, bool]:
    """:func:`step`; when ``event`` is the very event ``decision`` was made on, next after the
    very state it was made against, the state it worked out is taken as it is (the reducer
    is pure: running the handler again would give the same)."""
    seq = event.get("seq")
    if (
        decision is None
        or decision.base is not state
        or type(seq) is not int
        or seq != state.seq + 1
        or any(event.get(key) != decision.event[key] for key in _DECIDED_KEYS)
    ):
        return step(state, event)
    actor = Actor.from_dict(event.get("actor"))
    if actor != decision.actor:  # (an actor the log does not keep as it is)
        return step(state, event)
    return _remember(decision.after, actor, event.get("mid"), seq), True
