"""What each viewer sees of a live room, and the room's summary.

``view_for`` projects the whole state for one viewer (the ``state`` of ``welcome``),
``event_for`` projects one logged event, ``projection_key`` groups viewers who see an event
alike, and ``report`` sums a room up for the teacher and the journal. All pure: the state comes
from :mod:`live.room`, nothing here changes it.

The rules: the teacher sees everything; a pupil sees the slides without answer keys (until a
quiz is revealed), their own answers and score and the class histogram once a quiz is closed;
an observer sees counts of pupils but no pupil's name, id or answer.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from live.room import (
    Actor,
    ActorId,
    ChatMessage,
    PollRun,
    QuizRun,
    RoomState,
    Stroke,
    questions_of,
)

# Question keys that give the answer away; stripped for pupils and observers until reveal.
ANSWER_KEYS = frozenset({"answer", "answers", "solution", "explanation"})


def max_points(questions: list[dict[str, Any]]) -> tuple[float, ...]:
    """The most points each question can give, by ``lessons.scoring``."""
    from lessons.scoring import question_max_points

    result: list[float] = []
    for question in questions:
        try:
            most = float(question_max_points(question))
        except Exception:  # a malformed question is worth nothing, not a crash
            most = 0.0
        result.append(most if math.isfinite(most) else 0.0)
    return tuple(result)


def person_for(state: RoomState, actor_id: ActorId | None, viewer: Actor) -> dict[str, Any] | None:
    """How one participant appears to ``viewer``: observers see a pupil only as a role."""
    if actor_id is None:
        return None
    person = state.people.get(actor_id)
    if person is None:
        return {"id": actor_id, "role": None, "name": None} if viewer.role != "observer" else None
    if viewer.role == "observer" and person.role == "pupil":
        return {"role": "pupil"}
    return person.as_dict()


def _strip_answer_keys(block: Mapping[str, Any]) -> dict[str, Any]:
    stripped = dict(block)
    questions = block.get("questions")
    if isinstance(questions, list):
        stripped["questions"] = [
            {key: value for key, value in question.items() if key not in ANSWER_KEYS}
            if isinstance(question, dict)
            else question
            for question in questions
        ]
    return stripped


def _slides_for(state: RoomState, viewer: Actor) -> list[dict[str, Any]]:
    slides = []
    for block in state.blocks:
        run = state.quizzes.get(str(block.get("id")))
        shows_keys = viewer.role == "teacher" or (run is not None and run.revealed)
        slides.append(copy.deepcopy(block) if shows_keys else _strip_answer_keys(block))
    return slides


def _histogram(state: RoomState, run: QuizRun, *, with_correct: bool) -> list[dict[str, Any]]:
    questions = questions_of(state.block(run.block_id))
    most = max_points(questions)
    histogram = []
    for index, question in enumerate(questions):
        given = [answers[index] for answers in run.answers.values() if index < len(answers)]
        bar: dict[str, Any] = {"answered": sum(1 for answer in given if answer is not None)}
        options = question.get("options")
        if question.get("kind") in ("single", "multiple") and isinstance(options, list):
            counts = [0] * len(options)
            for answer in given:
                chosen = answer if isinstance(answer, list) else [answer]
                for option in {o for o in chosen if type(o) is int and 0 <= o < len(options)}:
                    counts[option] += 1
            bar["options"] = counts
        if with_correct:
            bar["correct"] = sum(
                1
                for points in run.points.values()
                if index < len(points) and most[index] > 0 and points[index] >= most[index]
            )
        histogram.append(bar)
    return histogram


def _score_entry(state: RoomState, run: QuizRun, pupil: ActorId) -> dict[str, Any]:
    points = run.points.get(pupil, ())
    return {
        "answers": list(run.answers.get(pupil, ())),
        "points": list(points),
        "score": sum(points),
        "max": sum(max_points(questions_of(state.block(run.block_id)))),
    }


def _quiz_view(state: RoomState, run: QuizRun, viewer: Actor) -> dict[str, Any]:
    teacher = viewer.role == "teacher"
    view: dict[str, Any] = {
        "block_id": run.block_id,
        "closed": run.closed,
        "revealed": run.revealed,
        "timer": (
            {"seconds": run.timer_seconds, "started_at": run.timer_started_at}
            if run.timer_seconds
            else None
        ),
        "answered": len(run.answers),
        "pupils": state.present_count("pupil"),
        "max": sum(max_points(questions_of(state.block(run.block_id)))),
        # Pupils see the class's answers only once nobody can change theirs any more.
        "histogram": (
            _histogram(state, run, with_correct=teacher or run.revealed)
            if teacher or run.closed
            else None
        ),
    }
    if teacher:
        view["answers"] = [
            {"person": person_for(state, pupil, viewer), **_score_entry(state, run, pupil)}
            for pupil in run.answers
        ]
    elif viewer.role == "pupil":
        mine = _score_entry(state, run, viewer.id) if viewer.id in run.answers else None
        if mine is not None and not run.revealed:
            mine = {"answers": mine["answers"]}
        view["mine"] = mine
    return view


def _poll_counts(run: PollRun) -> list[int]:
    counts = [0] * run.options
    for option in run.votes.values():
        if 0 <= option < run.options:
            counts[option] += 1
    return counts


def _poll_view(state: RoomState, run: PollRun, viewer: Actor) -> dict[str, Any]:
    view: dict[str, Any] = {
        "block_id": run.block_id,
        "closed": run.closed,
        "counts": _poll_counts(run),
        "total": len(run.votes),
    }
    if viewer.role == "teacher":
        view["votes"] = [
            {"person": person_for(state, voter, viewer), "option": option}
            for voter, option in run.votes.items()
        ]
    elif viewer.role == "pupil":
        view["mine"] = run.votes.get(viewer.id)
    return view


def _stroke_view(state: RoomState, stroke: Stroke, viewer: Actor) -> dict[str, Any]:
    return {
        "seq": stroke.seq,
        "slide": stroke.slide,
        "by": person_for(state, stroke.by, viewer),
        "points": [list(point) for point in stroke.points],
        "color": stroke.color,
        "width": stroke.width,
    }


def _chat_view(state: RoomState, message: ChatMessage, viewer: Actor) -> dict[str, Any]:
    return {
        "seq": message.seq,
        "by": person_for(state, message.by, viewer),
        "text": message.text,
        "at": message.at,
    }


def _people_view(state: RoomState, viewer: Actor) -> dict[str, Any]:
    view: dict[str, Any] = {
        "present": [
            person
            for actor_id in state.present
            if (person := person_for(state, actor_id, viewer)) is not None and "id" in person
        ],
        "teacher": state.present_count("teacher") > 0,
        "pupils": state.present_count("pupil"),
        "observers": state.present_count("observer"),
    }
    if viewer.role == "teacher":
        # Who dropped out, and which pupils of the class have not come at all.
        view["left"] = [
            state.people[actor_id].as_dict()
            for actor_id in state.attended
            if actor_id not in state.present and actor_id in state.people
        ]
        view["missing"] = [
            pupil.as_dict() for pupil in state.roster if pupil.id not in state.attended
        ]
    return view


def _media_view(state: RoomState, viewer: Actor) -> dict[str, Any]:
    media = state.media
    return {
        "live": media.live,
        "kind": media.kind,
        "publisher": person_for(state, media.publisher, viewer),
        "publication": media.publication,
        "grant": person_for(state, state.screen_grant, viewer),
        "recording": state.recording,
    }


def _hands_view(state: RoomState, viewer: Actor) -> list[dict[str, Any] | None]:
    return [person_for(state, hand, viewer) for hand in state.hands]


def view_for(state: RoomState, viewer: Actor) -> dict[str, Any]:
    """The JSON snapshot of the room that ``viewer`` may see (the ``state`` of ``welcome``).

    The teacher sees everything; a pupil sees the slides without answer keys (until a quiz is
    revealed), their own answers and score and the class histogram once a quiz is closed;
    an observer sees counts of pupils but no pupil's name, id or answer.
    """
    quiz = state.quizzes.get(state.active_quiz) if state.active_quiz else None
    poll = state.polls.get(state.active_poll) if state.active_poll else None
    return {
        "title": state.title,
        "seq": state.seq,
        "slides": _slides_for(state, viewer),
        "slide": state.slide,
        "nav_free": state.nav_free,
        "locked": state.locked,
        "ended": state.ended,
        "quiz": _quiz_view(state, quiz, viewer) if quiz else None,
        "quizzes": [
            {"block_id": run.block_id, "closed": run.closed, "revealed": run.revealed}
            for run in state.quizzes.values()
        ],
        "poll": _poll_view(state, poll, viewer) if poll else None,
        "board": {
            "pen": person_for(state, state.pen, viewer),
            "strokes": [_stroke_view(state, stroke, viewer) for stroke in state.strokes],
        },
        "hands": _hands_view(state, viewer),
        "chat": {
            "on": state.chat_on,
            "messages": [_chat_view(state, message, viewer) for message in state.chat],
        },
        "people": _people_view(state, viewer),
        "media": _media_view(state, viewer),
    }


# Events whose projection differs for every pupil (each sees their own score).
_PER_PUPIL_EVENTS = frozenset({"quiz.reveal"})


def projection_key(event: Mapping[str, Any], viewer: Actor) -> str:
    """Viewers with the same key get the same :func:`event_for` projection of ``event``,
    so a fan-out can encode each projection once."""
    if viewer.role != "pupil":
        return viewer.role
    event_type = event.get("type")
    if isinstance(event_type, str) and event_type in _PER_PUPIL_EVENTS:
        return f"pupil:{viewer.id}"
    actor, data = event.get("actor"), event.get("data")
    if isinstance(actor, Mapping) and actor.get("id") == viewer.id:
        return "pupil:self"
    if isinstance(data, Mapping) and data.get("user_id") == viewer.id:
        return "pupil:self"
    return "pupil"


@dataclass(frozen=True, slots=True)
class _Projection:
    """One event seen by one viewer, with the room state to take aggregates from."""

    type: str
    data: Mapping[str, Any]
    actor: Actor | None
    at: object
    viewer: Actor
    state: RoomState

    @property
    def is_own(self) -> bool:
        """Whether a pupil is looking at their own action (only pupils have own answers)."""
        return (
            self.viewer.role == "pupil"
            and self.actor is not None
            and self.actor.id == self.viewer.id
        )

    def person(self, actor_id: ActorId | None) -> dict[str, Any] | None:
        return person_for(self.state, actor_id, self.viewer)

    def counts(self) -> dict[str, int]:
        return {
            "pupils": self.state.present_count("pupil"),
            "observers": self.state.present_count("observer"),
        }


Projected = tuple[str, dict[str, Any]] | None


def _as_is(p: _Projection) -> Projected:
    return p.type, copy.deepcopy(dict(p.data))


def _quiz_progress(p: _Projection) -> tuple[QuizRun, dict[str, Any]] | None:
    run = p.state.quizzes.get(str(p.data.get("block_id")))
    if run is None:
        return None
    progress = {
        "block_id": run.block_id,
        "answered": len(run.answers),
        "pupils": p.state.present_count("pupil"),
    }
    return run, progress


def _project_quiz_answer(p: _Projection) -> Projected:
    found = _quiz_progress(p)
    if found is None or p.actor is None:
        return None
    run, progress = found
    entry = _score_entry(p.state, run, p.actor.id)
    if p.viewer.role == "teacher":
        return p.type, {**progress, "person": p.person(p.actor.id), **entry}
    if p.is_own:
        return p.type, {**progress, "answers": entry["answers"]}
    return "quiz.progress", progress


def _project_quiz_result(p: _Projection) -> Projected:
    found = _quiz_progress(p)
    if found is None:
        return None
    run, progress = found
    payload = {**progress, "histogram": _histogram(p.state, run, with_correct=run.revealed)}
    if p.type == "quiz.reveal":
        questions = questions_of(p.state.block(run.block_id))
        payload["keys"] = [copy.deepcopy(question.get("answer")) for question in questions]
        if p.viewer.role == "pupil" and p.viewer.id in run.answers:
            payload["mine"] = _score_entry(p.state, run, p.viewer.id)
    return p.type, payload


def _project_poll(p: _Projection) -> Projected:
    poll = p.state.polls.get(str(p.data.get("block_id")))
    if poll is None:
        return None
    tally = {"block_id": poll.block_id, "counts": _poll_counts(poll), "total": len(poll.votes)}
    if p.type == "poll.close":
        return p.type, tally
    if p.viewer.role == "teacher" and p.actor is not None:
        return p.type, {**tally, "person": p.person(p.actor.id), "option": p.data.get("option")}
    if p.is_own:
        return p.type, {**tally, "option": p.data.get("option")}
    return "poll.progress", tally


def _project_stroke(p: _Projection) -> Projected:
    if p.actor is None:
        return None
    payload = {key: copy.deepcopy(p.data.get(key)) for key in ("slide", "points", "color", "width")}
    return p.type, {**payload, "by": p.person(p.actor.id)}


def _project_grant(p: _Projection) -> Projected:
    return p.type, {"person": p.person(p.data.get("user_id"))}


def _project_hand(p: _Projection) -> Projected:
    # A pupil raises or lowers their own hand; the teacher names one (or None: every hand).
    target = p.actor.id if p.actor is not None and p.actor.role == "pupil" else None
    if target is None:
        target = p.data.get("user_id")
    return p.type, {"person": p.person(target), "queue": _hands_view(p.state, p.viewer)}


def _project_chat(p: _Projection) -> Projected:
    if p.actor is None:
        return None
    return p.type, {"by": p.person(p.actor.id), "text": p.data.get("text"), "at": p.at}


def _project_presence(p: _Projection) -> Projected:
    if p.actor is None:
        return None
    # ``here``: whether the person still has a connection (a second tab may stay open).
    here = p.actor.id in p.state.present
    return p.type, {"person": p.person(p.actor.id), "here": here, **p.counts()}


def _project_timer(p: _Projection) -> Projected:
    return p.type, {**copy.deepcopy(dict(p.data)), "started_at": p.at}


def _project_media(p: _Projection) -> Projected:
    live = p.data.get("live") is True
    return p.type, {
        "live": live,
        "kind": p.data.get("kind") if live else None,
        "publisher": p.person(p.data.get("publisher")) if live else None,
        "publication": p.data.get("publication") if live else None,
        "reason": p.data.get("reason"),
    }


def _project_kick(p: _Projection) -> Projected:
    return p.type, {"person": p.person(p.data.get("user_id")), **p.counts()}


_PROJECTIONS: dict[str, Callable[[_Projection], Projected]] = {
    "slide.goto": _as_is,
    "nav.free": _as_is,
    "chat.mode": _as_is,
    "room.lock": _as_is,
    "board.clear": _as_is,
    "quiz.open": _as_is,
    "quiz.timer": _project_timer,
    "poll.open": _as_is,
    "lesson.end": _as_is,
    "quiz.answer": _project_quiz_answer,
    "quiz.close": _project_quiz_result,
    "quiz.reveal": _project_quiz_result,
    "poll.vote": _project_poll,
    "poll.close": _project_poll,
    "board.stroke": _project_stroke,
    "board.grant": _project_grant,
    "rtc.grant": _project_grant,
    "rtc.record": _as_is,
    "rtc.state": _project_media,
    "hand.raise": _project_hand,
    "hand.lower": _project_hand,
    "chat.post": _project_chat,
    "presence.join": _project_presence,
    "presence.leave": _project_presence,
    "room.kick": _project_kick,
}


def event_for(
    event: Mapping[str, Any], viewer: Actor, *, state: RoomState
) -> dict[str, Any] | None:
    """How one logged event reaches ``viewer``: ``{"type", "seq", "data"}``, or ``None`` when
    the viewer must not see it.

    ``state`` is the room after the event (or later); counts, queues and histograms are taken
    from it. Another pupil's ``quiz.answer`` reaches pupils and observers as an anonymous
    ``quiz.progress``, another's ``poll.vote`` as ``poll.progress``; observers see pupils only
    as ``{"role": "pupil"}``.
    """
    event_type, data = event.get("type"), event.get("data")
    project = _PROJECTIONS.get(event_type) if isinstance(event_type, str) else None
    if project is None:
        return None
    projected = project(
        _Projection(
            type=cast(str, event_type),
            data=data if isinstance(data, Mapping) else {},
            actor=Actor.from_dict(event.get("actor")),
            at=event.get("at"),
            viewer=viewer,
            state=state,
        )
    )
    if projected is None:
        return None
    kind, payload = projected
    return {"type": kind, "seq": event.get("seq"), "data": payload}
