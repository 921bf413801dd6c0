"""The state of one live room and the pure functions around it.

``decide`` turns a client command into events (or refuses it) and ``step``/``apply`` fold one
event into the state; what each viewer sees of it lives in :mod:`live.views`. Nothing here does
I/O; the state is immutable and every function returns a new value, so the room state is always
``reduce(apply, log, initial)``.

Events are plain dicts, as stored in the broker's log::

    {"type": "quiz.answer", "data": {...}, "actor": {"id", "role", "name"} | None,
     "mid": "<client message id>" | None, "at": <unix time> | None, "seq": N}
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal, cast, get_args

from live.protocol import (
    MAX_CHAT_TEXT,
    MAX_STROKE_POINTS,
    MAX_STROKE_WIDTH,
    SIGNALLING_TYPES,
    ClientMessage,
)

Role = Literal["teacher", "pupil", "observer"]
ActorId = int | str

ROLES: frozenset[str] = frozenset(get_args(Role))
MAX_STROKES = 2_000
MAX_BOARD_POINTS = 50_000
MAX_CHAT_MESSAGES = 200
MAX_APPLIED_IDS_PER_ACTOR = 256


class RoomError(Exception):
    """A command refused by the room: ``code`` is ``forbidden``, ``conflict``, ``invalid``,
    ``locked`` or ``ended``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class Actor:
    """Someone in the room: a user (integer id) or a visiting observer (string id)."""

    id: ActorId
    role: Role
    name: str

    def as_dict(self) -> dict[str, Any]:
        """The actor as stored in events: ``{"id", "role", "name"}``."""
        return {"id": self.id, "role": self.role, "name": self.name}

    @classmethod
    def from_dict(cls, value: object) -> Actor | None:
        """Read an actor from an event, or ``None`` when the value is not a well-formed actor."""
        if not isinstance(value, Mapping):
            return None
        actor_id, role, name = value.get("id"), value.get("role"), value.get("name")
        id_ok = (type(actor_id) is int) or (isinstance(actor_id, str) and actor_id != "")
        if not id_ok or role not in ROLES or not isinstance(name, str):
            return None
        return cls(id=cast(ActorId, actor_id), role=cast(Role, role), name=name)


@dataclass(frozen=True, slots=True)
class QuizRun:
    """One run of a quiz block: the answers so far and the points each answer scored."""

    block_id: str
    opened_seq: int
    answers: dict[ActorId, tuple[Any, ...]] = field(default_factory=dict)
    points: dict[ActorId, tuple[float, ...]] = field(default_factory=dict)
    closed: bool = False
    revealed: bool = False
    timer_seconds: int | None = None
    timer_started_at: float | None = None


@dataclass(frozen=True, slots=True)
class PollRun:
    """One run of a poll block: each voter's chosen option."""

    block_id: str
    opened_seq: int
    options: int
    votes: dict[ActorId, int] = field(default_factory=dict)
    closed: bool = False


@dataclass(frozen=True, slots=True)
class Stroke:
    """A batch of whiteboard points drawn on one slide."""

    seq: int
    slide: int
    by: ActorId
    points: tuple[tuple[float, float], ...]
    color: str
    width: float


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One chat line."""

    seq: int
    by: ActorId
    text: str
    at: float | None


MEDIA_KINDS = frozenset({"camera", "screen"})


@dataclass(frozen=True, slots=True)
class MediaInfo:
    """What the room's WebRTC media shows, as the media home last told (``rtc.state``)."""

    live: bool = False
    kind: str | None = None  # "camera" | "screen" while live
    publisher: ActorId | None = None  # who is shown while live
    publication: int | None = None  # changes with every new publication


NOT_LIVE = MediaInfo()


@dataclass(frozen=True, slots=True)
class RoomState:
    """Everything a room knows; built only by :func:`new_room` and :func:`apply`.

    The containers are plain dicts and tuples for speed, but are never changed in place:
    every update builds new ones.
    """

    blocks: tuple[dict[str, Any], ...] = ()
    title: str = ""
    roster: tuple[Actor, ...] = ()
    seq: int = 0
    slide: int = 0
    nav_free: bool = False
    quizzes: dict[str, QuizRun] = field(default_factory=dict)
    active_quiz: str | None = None
    polls: dict[str, PollRun] = field(default_factory=dict)
    active_poll: str | None = None
    strokes: tuple[Stroke, ...] = ()
    board_points: int = 0
    pen: ActorId | None = None
    hands: tuple[ActorId, ...] = ()
    chat: tuple[ChatMessage, ...] = ()
    chat_on: bool = True
    people: dict[ActorId, Actor] = field(default_factory=dict)
    present: dict[ActorId, int] = field(default_factory=dict)
    attended: dict[ActorId, int] = field(default_factory=dict)
    kicked: frozenset[ActorId] = frozenset()
    locked: bool = False
    ended: bool = False
    media: MediaInfo = NOT_LIVE
    screen_grant: ActorId | None = None
    recording: bool = False
    applied: dict[ActorId, dict[str, int]] = field(default_factory=dict)

    def applied_seq(self, actor_id: ActorId, message_id: str) -> int | None:
        """The seq at which ``actor_id``'s message ``message_id`` was applied, if it was."""
        return self.applied.get(actor_id, {}).get(message_id)

    def block(self, block_id: str) -> dict[str, Any] | None:
        """The lesson block with this id (compared as text), if any."""
        for block in self.blocks:
            if str(block.get("id")) == block_id:
                return block
        return None

    def present_count(self, role: Role) -> int:
        """How many people of ``role`` are connected now."""
        return sum(1 for actor_id in self.present if self.role_of(actor_id) == role)

    def role_of(self, actor_id: ActorId) -> str | None:
        """The role of a participant who has been in the room, if any."""
        person = self.people.get(actor_id)
        return person.role if person else None


def new_room(
    blocks: Iterable[Mapping[str, Any]], *, title: str = "", roster: Iterable[Actor] = ()
) -> RoomState:
    """A fresh room for a lesson version's blocks (each a dict with ``id`` and ``kind``);
    ``roster`` lists the pupils expected, so the report can name the absent."""
    return RoomState(
        blocks=tuple(copy.deepcopy(dict(block)) for block in blocks),
        title=title,
        roster=tuple(roster),
    )


def questions_of(block: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """The questions of a quiz block (an empty list for anything else)."""
    if block is None or block.get("kind") != "quiz":
        return []
    questions = block.get("questions")
    if not isinstance(questions, list):
        return []
    return [question for question in questions if isinstance(question, dict)]


def score_answers(questions: list[dict[str, Any]], answers: Iterable[Any]) -> tuple[float, ...]:
    """Points scored by each answer, by ``lessons.scoring``; a question the scorer cannot
    handle scores 0 rather than breaking the room."""
    from lessons.scoring import score_question

    points: list[float] = []
    for question, answer in zip(questions, answers, strict=False):
        try:
            scored = float(score_question(question, answer))
        except Exception:  # the scorer sees pupils' raw input; a room must outlive its bugs
            scored = 0.0
        points.append(scored if math.isfinite(scored) else 0.0)
    return tuple(points)


# --- the reducer ----------------------------------------------------------------------------


class _Reject(Exception):
    """An event that does not fit the state; ``decide`` reports it, ``apply`` ignores it."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class _Event:
    type: str
    data: Mapping[str, Any]
    actor: Actor | None
    seq: int
    at: float | None

    def integer(self, key: str) -> int:
        value = self.data.get(key)
        if type(value) is not int:
            raise _Reject("invalid", f"{key} must be an integer")
        return value

    def optional_integer(self, key: str) -> int | None:
        return None if self.data.get(key) is None else self.integer(key)

    def text(self, key: str) -> str:
        value = self.data.get(key)
        if not isinstance(value, str) or value == "":
            raise _Reject("invalid", f"{key} must be a non-empty string")
        return value

    def flag(self, key: str) -> bool:
        value = self.data.get(key)
        if not isinstance(value, bool):
            raise _Reject("invalid", f"{key} must be true or false")
        return value

    def person_id(self, key: str) -> ActorId | None:
        value = self.data.get(key)
        if value is None or type(value) is int or (isinstance(value, str) and value):
            return value
        raise _Reject("invalid", f"{key} must name a participant")

    @property
    def who(self) -> Actor:
        if self.actor is None:
            raise _Reject("invalid", "this event needs an actor")
        return self.actor


Handler = Callable[[RoomState, _Event], RoomState | None]
_TEACHER: frozenset[str] = frozenset({"teacher"})
_PUPIL: frozenset[str] = frozenset({"pupil"})
_TEACHER_OR_PUPIL: frozenset[str] = frozenset({"teacher", "pupil"})
# Who may cause each client event; server events (presence, lesson.end) are not listed.
COMMAND_ROLES: dict[str, frozenset[str]] = {
    "slide.goto": _TEACHER,
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
    "quiz.answer": _PUPIL,
    "poll.vote": _PUPIL,
    "hand.raise": _PUPIL,
    "board.stroke": _TEACHER_OR_PUPIL,
    "hand.lower": _TEACHER_OR_PUPIL,
    "chat.post": _TEACHER_OR_PUPIL,
}
SERVER_EVENT_TYPES = frozenset({"presence.join", "presence.leave", "lesson.end", "rtc.state"})


def _with(mapping: Mapping[Any, Any], key: Any, value: Any) -> dict[Any, Any]:
    updated = dict(mapping)
    updated[key] = value
    return updated


def _without(mapping: Mapping[Any, Any], key: Any) -> dict[Any, Any]:
    return {k: v for k, v in mapping.items() if k != key}


def _slide_goto(state: RoomState, event: _Event) -> RoomState | None:
    index = event.integer("index")
    if not 0 <= index < len(state.blocks):
        raise _Reject("invalid", "there is no slide with this index")
    return None if index == state.slide else replace(state, slide=index)


def _switch(attribute: str) -> Handler:
    def handle(state: RoomState, event: _Event) -> RoomState | None:
        on = event.flag("on")
        return None if getattr(state, attribute) == on else replace(state, **{attribute: on})

    return handle


def _open_quiz(state: RoomState) -> QuizRun | None:
    run = state.quizzes.get(state.active_quiz) if state.active_quiz else None
    return run if run is not None and not run.closed else None


def _quiz_open(state: RoomState, event: _Event) -> RoomState | None:
    block_id = event.text("block_id")
    block = state.block(block_id)
    if block is None or block.get("kind") != "quiz":
        raise _Reject("invalid", "this block is not a quiz")
    if _open_quiz(state) is not None:
        raise _Reject("conflict", "close the open quiz first")
    if block_id in state.quizzes:
        raise _Reject("conflict", "this quiz has already been run")
    run = QuizRun(block_id=block_id, opened_seq=event.seq)
    return replace(state, quizzes=_with(state.quizzes, block_id, run), active_quiz=block_id)


def _running_quiz(state: RoomState, event: _Event) -> QuizRun:
    run = _open_quiz(state)
    if run is None:
        raise _Reject("conflict", "no quiz is open")
    if run.block_id != event.data.get("block_id"):
        raise _Reject("conflict", "this quiz is not open")
    return run


def _quiz_answer(state: RoomState, event: _Event) -> RoomState | None:
    run = _running_quiz(state, event)
    answers = event.data.get("answers")
    questions = questions_of(state.block(run.block_id))
    if not isinstance(answers, list) or len(answers) != len(questions):
        raise _Reject("invalid", f"give one answer per question ({len(questions)})")
    pupil = event.who.id
    run = replace(
        run,
        answers=_with(run.answers, pupil, tuple(copy.deepcopy(answers))),
        points=_with(run.points, pupil, score_answers(questions, answers)),
    )
    return replace(state, quizzes=_with(state.quizzes, run.block_id, run))


def _quiz_close(state: RoomState, event: _Event) -> RoomState | None:
    run = replace(_running_quiz(state, event), closed=True)
    return replace(state, quizzes=_with(state.quizzes, run.block_id, run))


def _quiz_reveal(state: RoomState, event: _Event) -> RoomState | None:
    block_id = state.active_quiz
    run = state.quizzes.get(block_id) if block_id else None
    if run is None or event.data.get("block_id") != block_id:
        raise _Reject("conflict", "no quiz is on the board")
    if not run.closed:
        raise _Reject("conflict", "close the quiz before revealing the answers")
    if run.revealed:
        return None
    run = replace(run, revealed=True)
    return replace(state, quizzes=_with(state.quizzes, run.block_id, run))


def _quiz_timer(state: RoomState, event: _Event) -> RoomState | None:
    run = _running_quiz(state, event)
    seconds = event.optional_integer("seconds")
    if seconds is not None and seconds <= 0:
        raise _Reject("invalid", "seconds must be positive")
    run = replace(run, timer_seconds=seconds, timer_started_at=event.at if seconds else None)
    return replace(state, quizzes=_with(state.quizzes, run.block_id, run))


def _open_poll(state: RoomState) -> PollRun | None:
    run = state.polls.get(state.active_poll) if state.active_poll else None
    return run if run is not None and not run.closed else None


def _poll_open(state: RoomState, event: _Event) -> RoomState | None:
    block_id = event.text("block_id")
    block = state.block(block_id)
    if block is None or block.get("kind") != "poll":
        raise _Reject("invalid", "this block is not a poll")
    if _open_poll(state) is not None:
        raise _Reject("conflict", "close the open poll first")
    if block_id in state.polls:
        raise _Reject("conflict", "this poll has already been run")
    options = block.get("options")
    run = PollRun(
        block_id=block_id,
        opened_seq=event.seq,
        options=len(options) if isinstance(options, list) else 0,
    )
    return replace(state, polls=_with(state.polls, block_id, run), active_poll=block_id)


def _running_poll(state: RoomState, event: _Event) -> PollRun:
    run = _open_poll(state)
    if run is None:
        raise _Reject("conflict", "no poll is open")
    if run.block_id != event.data.get("block_id"):
        raise _Reject("conflict", "this poll is not open")
    return run


def _poll_vote(state: RoomState, event: _Event) -> RoomState | None:
    run = _running_poll(state, event)
    option = event.integer("option")
    if not 0 <= option < run.options:
        raise _Reject("invalid", "there is no such option")
    if run.votes.get(event.who.id) == option:
        return None
    run = replace(run, votes=_with(run.votes, event.who.id, option))
    return replace(state, polls=_with(state.polls, run.block_id, run))


def _poll_close(state: RoomState, event: _Event) -> RoomState | None:
    run = replace(_running_poll(state, event), closed=True)
    return replace(state, polls=_with(state.polls, run.block_id, run))


def _stroke_points(value: object) -> tuple[tuple[float, float], ...]:
    if not isinstance(value, list) or not 0 < len(value) <= MAX_STROKE_POINTS:
        raise _Reject("invalid", "points must be a non-empty list of [x, y]")
    points: list[tuple[float, float]] = []
    for point in value:
        if not isinstance(point, list | tuple) or len(point) != 2:
            raise _Reject("invalid", "each point is [x, y]")
        x, y = point
        for coordinate in (x, y):
            if type(coordinate) not in (int, float) or not 0.0 <= coordinate <= 1.0:
                raise _Reject("invalid", "coordinates are between 0 and 1")
        points.append((float(x), float(y)))
    return tuple(points)


def _board_stroke(state: RoomState, event: _Event) -> RoomState | None:
    if event.who.role == "pupil" and state.pen != event.who.id:
        raise _Reject("forbidden", "the teacher has not given you the pen")
    points = _stroke_points(event.data.get("points"))
    color, width = event.text("color"), event.data.get("width")
    if type(width) not in (int, float) or not 0 < width <= MAX_STROKE_WIDTH:
        raise _Reject("invalid", "width is out of range")
    slide = event.integer("slide")
    stroke = Stroke(event.seq, slide, event.who.id, points, color, float(width))
    strokes, total = (*state.strokes, stroke), state.board_points + len(points)
    # Oldest strokes go first when the board is full, so a snapshot stays small.
    while len(strokes) > MAX_STROKES or total > MAX_BOARD_POINTS:
        total -= len(strokes[0].points)
        strokes = strokes[1:]
    return replace(state, strokes=strokes, board_points=total)


def _board_clear(state: RoomState, event: _Event) -> RoomState | None:
    slide = event.integer("slide")
    kept = tuple(stroke for stroke in state.strokes if stroke.slide != slide)
    if len(kept) == len(state.strokes):
        return None
    return replace(state, strokes=kept, board_points=sum(len(s.points) for s in kept))


def _board_grant(state: RoomState, event: _Event) -> RoomState | None:
    target = event.person_id("user_id")
    if target is not None:
        person = state.people.get(target)
        if person is None or person.role != "pupil" or target not in state.present:
            raise _Reject("invalid", "the pen can go only to a pupil who is here")
    return None if state.pen == target else replace(state, pen=target)


def _rtc_grant(state: RoomState, event: _Event) -> RoomState | None:
    target = event.person_id("user_id")
    if target is not None:
        person = state.people.get(target)
        if person is None or person.role != "pupil" or target not in state.present:
            raise _Reject("invalid", "only a pupil who is here can share their screen")
    return None if state.screen_grant == target else replace(state, screen_grant=target)


def _rtc_state(state: RoomState, event: _Event) -> RoomState | None:
    """The media home's word on what is shown (a server event: clients cannot send it)."""
    if event.actor is not None:
        raise _Reject("forbidden", "only the server tells the media state")
    if state.ended:
        raise _Reject("ended", "the lesson has ended")
    if not event.flag("live"):
        media = NOT_LIVE
    else:
        kind = event.text("kind")
        publisher = event.person_id("publisher")
        if kind not in MEDIA_KINDS or publisher is None:
            raise _Reject("invalid", "a live publication has a kind and a publisher")
        media = MediaInfo(True, kind, publisher, event.optional_integer("publication"))
    return None if media == state.media else replace(state, media=media)


def _hand_raise(state: RoomState, event: _Event) -> RoomState | None:
    if event.who.id in state.hands:
        return None
    return replace(state, hands=(*state.hands, event.who.id))


def _hand_lower(state: RoomState, event: _Event) -> RoomState | None:
    target = event.person_id("user_id")
    if event.who.role == "pupil":
        if target not in (None, event.who.id):
            raise _Reject("forbidden", "a pupil can lower only their own hand")
        target = event.who.id
    if target is None:
        return replace(state, hands=()) if state.hands else None
    if target not in state.hands:
        return None
    return replace(state, hands=tuple(hand for hand in state.hands if hand != target))


def _chat_post(state: RoomState, event: _Event) -> RoomState | None:
    if event.who.role == "pupil" and not state.chat_on:
        raise _Reject("forbidden", "the teacher has turned the chat off")
    text = event.text("text").strip()
    if not text or len(text) > MAX_CHAT_TEXT:
        raise _Reject("invalid", f"a chat message holds 1 to {MAX_CHAT_TEXT} characters")
    message = ChatMessage(event.seq, event.who.id, text, event.at)
    return replace(state, chat=(*state.chat, message)[-MAX_CHAT_MESSAGES:])


def _room_kick(state: RoomState, event: _Event) -> RoomState | None:
    target = event.person_id("user_id")
    person = state.people.get(target) if target is not None else None
    if person is None or person.role == "teacher":
        raise _Reject("invalid", "only a pupil or an observer who has joined can be removed")
    if person.id in state.kicked:
        return None
    return replace(
        state,
        kicked=state.kicked | {person.id},
        present=_without(state.present, person.id),
        hands=tuple(hand for hand in state.hands if hand != person.id),
        pen=None if state.pen == person.id else state.pen,
        screen_grant=None if state.screen_grant == person.id else state.screen_grant,
    )


def _presence_join(state: RoomState, event: _Event) -> RoomState | None:
    who = event.who
    if who.id in state.kicked:
        raise _Reject("forbidden", "removed from this lesson")
    attended = (
        state.attended if who.id in state.attended else _with(state.attended, who.id, event.seq)
    )
    present = _with(state.present, who.id, state.present.get(who.id, 0) + 1)
    return replace(state, present=present, attended=attended)


def _presence_leave(state: RoomState, event: _Event) -> RoomState | None:
    who = event.who
    connections = state.present.get(who.id, 0)
    if connections == 0:
        return None
    if connections == 1:
        return replace(state, present=_without(state.present, who.id))
    return replace(state, present=_with(state.present, who.id, connections - 1))


def _lesson_end(state: RoomState, event: _Event) -> RoomState | None:
    quizzes, polls = state.quizzes, state.polls
    if (run := _open_quiz(state)) is not None:
        quizzes = _with(quizzes, run.block_id, replace(run, closed=True))
    if (poll := _open_poll(state)) is not None:
        polls = _with(polls, poll.block_id, replace(poll, closed=True))
    return replace(
        state,
        ended=True,
        quizzes=quizzes,
        polls=polls,
        pen=None,
        hands=(),
        media=NOT_LIVE,
        screen_grant=None,
    )


_HANDLERS: dict[str, Handler] = {
    "slide.goto": _slide_goto,
    "nav.free": _switch("nav_free"),
    "chat.mode": _switch("chat_on"),
    "room.lock": _switch("locked"),
    "quiz.open": _quiz_open,
    "quiz.answer": _quiz_answer,
    "quiz.close": _quiz_close,
    "quiz.reveal": _quiz_reveal,
    "quiz.timer": _quiz_timer,
    "poll.open": _poll_open,
    "poll.vote": _poll_vote,
    "poll.close": _poll_close,
    "board.stroke": _board_stroke,
    "board.clear": _board_clear,
    "board.grant": _board_grant,
    "rtc.grant": _rtc_grant,
    "rtc.record": _switch("recording"),
    "rtc.state": _rtc_state,
    "hand.raise": _hand_raise,
    "hand.lower": _hand_lower,
    "chat.post": _chat_post,
    "room.kick": _room_kick,
    "presence.join": _presence_join,
    "presence.leave": _presence_leave,
    "lesson.end": _lesson_end,
}


def _evaluate(state: RoomState, event: _Event) -> RoomState | None:
    """The state after ``event``, ``None`` when it changes nothing; raises ``_Reject``."""
    handler = _HANDLERS.get(event.type)
    if handler is None:
        raise _Reject("invalid", "unknown event type")
    if event.type in COMMAND_ROLES:
        who = event.who
        if who.role == "observer":
            raise _Reject("forbidden", "observers can watch but not change the lesson")
        if who.role not in COMMAND_ROLES[event.type]:
            raise _Reject("forbidden", f"{who.role}s may not send {event.type}")
        if who.id in state.kicked:
            raise _Reject("forbidden", "removed from this lesson")
        if state.ended:
            raise _Reject("ended", "the lesson has ended")
    elif event.type == "lesson.end" and state.ended:
        return None
    return handler(state, event)


def _parse(event: Mapping[str, Any], seq: int) -> _Event | None:
    event_type, data = event.get("type"), event.get("data")
    if not isinstance(event_type, str):
        return None
    at = event.get("at")
    return _Event(
        type=event_type,
        data=data if isinstance(data, Mapping) else {},
        actor=Actor.from_dict(event.get("actor")),
        seq=seq,
        at=float(at) if type(at) in (int, float) and math.isfinite(at) else None,
    )


def _remember(state: RoomState, actor: Actor | None, message_id: object, seq: int) -> RoomState:
    if actor is None:
        return state
    people = state.people
    if people.get(actor.id) != actor:
        people = _with(people, actor.id, actor)
    applied = state.applied
    if isinstance(message_id, str) and message_id:
        seen = list(applied.get(actor.id, {}).items())[-(MAX_APPLIED_IDS_PER_ACTOR - 1) :]
        applied = _with(applied, actor.id, {**dict(seen), message_id: seq})
    if people is state.people and applied is state.applied:
        return state
    return replace(state, people=people, applied=applied)


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
    except _Reject:
        changed = None
    after = changed if changed is not None else state
    return _remember(replace(after, seq=seq), parsed.actor, message_id, seq), changed is not None


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
    if state.locked and actor.role != "teacher" and actor.id not in state.attended:
        raise RoomError("locked", "the teacher has locked the room")


def _event_data(state: RoomState, message: ClientMessage) -> dict[str, Any]:
    data: dict[str, Any] = message.data.model_dump(mode="json")
    # Commands that act on "the current thing" name it in the event, so the log says exactly
    # what happened even when replayed against a different moment.
    if message.type in {"quiz.close", "quiz.reveal", "quiz.timer"}:
        data["block_id"] = state.active_quiz
    elif message.type in {"poll.vote", "poll.close"}:
        data["block_id"] = state.active_poll
    elif message.type in {"board.stroke", "board.clear"}:
        data["slide"] = state.slide
    return data


def decide(state: RoomState, actor: Actor, message: ClientMessage) -> list[dict[str, Any]]:
    """The events a command from ``actor`` produces, or :class:`RoomError`.

    Returns zero or one event payload ``{"type", "data", "actor", "mid"}`` (no seq: the broker
    assigns it). Empty when there is nothing to record: ``ping``, WebRTC signalling (routed
    elsewhere, allowed to everyone), a message id already applied, or a command that would not
    change the room (raising a hand already raised).
    """
    if message.type == "ping" or message.type in SIGNALLING_TYPES:
        return []
    if state.applied_seq(actor.id, message.id) is not None:
        return []
    event = {
        "type": message.type,
        "data": _event_data(state, message),
        "actor": actor.as_dict(),
        "mid": message.id,
    }
    try:
        changed = _evaluate(state, _Event(message.type, event["data"], actor, state.seq + 1, None))
    except _Reject as refusal:
        raise RoomError(refusal.code, refusal.message) from None
    return [] if changed is None else [event]
