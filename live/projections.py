"""How one logged event reaches each viewer of a live room.

``event_for`` projects an event for one viewer (or hides it), ``projection_key`` groups viewers
who see an event alike so a fan-out encodes each projection once. Pure, like :mod:`live.views`
(which re-exports both): the state comes from :mod:`live.room`, nothing here changes it.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from live.board_views import (
    BOARD_EVENT_TYPES,
    PICKER_EVENTS,
    TIMER_EVENTS,
    picker_view,
    show_view,
    shows_chat,
    shows_results,
    shows_stroke,
    timer_view,
)
from live.pace_views import pace_row, paced_pupils, slide_counts
from live.room import Actor, ActorId, QuizRun, RoomState, questions_of
from live.visibility import hands_view, histogram, person_for, poll_counts, score_entry

# Events whose projection differs for every pupil (each sees their own score, or whether the
# picker picked them).
_PER_PUPIL_EVENTS = frozenset({"quiz.reveal"}) | PICKER_EVENTS


def projection_key(event: Mapping[str, Any], viewer: Actor) -> str:
    """Viewers with the same key get the same :func:`event_for` projection of ``event``,
    so a fan-out can encode each projection once."""
    return ProjectionKeys(event)(viewer)


class ProjectionKeys:
    """:func:`projection_key` of one event for any viewer, with what it takes from the event
    worked out once (a fan-out asks for it for a thousand viewers)."""

    __slots__ = ("own", "per_pupil")

    def __init__(self, event: Mapping[str, Any]) -> None:
        event_type = event.get("type")
        # Whether every pupil sees the event in a way of their own.
        self.per_pupil = isinstance(event_type, str) and event_type in _PER_PUPIL_EVENTS
        # Pupils and observers see their own name where the others see a role: the ids the
        # event names. (Unless ``per_pupil``, anyone else's key is their role.)
        actor, data = event.get("actor"), event.get("data")
        self.own = (
            actor.get("id") if isinstance(actor, Mapping) else None,
            data.get("user_id") if isinstance(data, Mapping) else None,
        )

    def __call__(self, viewer: Actor) -> str:
        role = viewer.role
        if role != "pupil" and role != "observer":
            return role
        if self.per_pupil and role == "pupil":
            return f"pupil:{viewer.id}"
        if viewer.id in self.own:
            return f"{role}:self"
        return role


@dataclass(frozen=True, slots=True)
class _Projection:
    """One event seen by one viewer, with the room state to take aggregates from."""

    type: str
    data: Mapping[str, Any]
    actor: Actor | None
    at: object
    viewer: Actor
    state: RoomState
    # Whether the projection may share the event's data (its caller encodes it at once and
    # changes nothing: the hub's fan-out) instead of holding a copy of its own.
    shared: bool = False

    def copy(self, value: Any) -> Any:
        """``value`` from the event's data, as the projection may hold it."""
        return value if self.shared else copy.deepcopy(value)

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

    def counts(self) -> dict[str, Any]:
        counts: dict[str, Any] = {
            "pupils": self.state.present_count("pupil"),
            "observers": self.state.present_count("observer"),
        }
        if self.state.pace == "pupil" and self.viewer.role not in ("teacher", "pupil"):
            # Observers (and the board) keep their pupils-per-slide counts as people come and go.
            counts["pace_counts"] = slide_counts(self.state)
        return counts


Projected = tuple[str, dict[str, Any]] | None


def _as_is(p: _Projection) -> Projected:
    return p.type, p.copy(dict(p.data))


def _known(*keys: str) -> Callable[[_Projection], Projected]:
    """Pass the event on as it is, with only the fields its command has."""

    def project(p: _Projection) -> Projected:
        return p.type, {key: p.copy(p.data.get(key)) for key in keys}

    return project


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
    entry = score_entry(p.state, run, p.actor.id)
    if run.paced:
        # Pupil-paced: the teacher gets the pupil's whole line of the table, the pupil their
        # answers; nobody else hears of it (no fan-out to the class for every answer).
        if p.viewer.role == "teacher":
            row = pace_row(p.state, p.actor.id, p.viewer)
            person = p.person(p.actor.id)
            return p.type, {**progress, "person": person, **entry, "paced": True, "row": row}
        if p.is_own:
            return p.type, {**progress, "answers": entry["answers"], "paced": True}
        return None
    if p.viewer.role == "teacher":
        return p.type, {**progress, "person": p.person(p.actor.id), **entry}
    if p.is_own:
        return p.type, {**progress, "answers": entry["answers"]}
    return "quiz.progress", progress


def _project_pace_set(p: _Projection) -> Projected:
    mode, slide = p.data.get("mode"), p.data.get("slide")
    if mode not in ("teacher", "pupil") or type(slide) is not int:
        return None
    pupil_paced = mode == "pupil"
    if p.viewer.role == "teacher":
        # Every pupil starts on ``slide``: the table as it stands when the mode begins.
        rows = [pace_row(p.state, pupil, p.viewer, slide=slide) for pupil in paced_pupils(p.state)]
        return p.type, {
            "mode": mode,
            "slide": slide,
            "start": slide if pupil_paced else None,
            "pupils": rows if pupil_paced else [],
        }
    if p.viewer.role == "pupil":
        return p.type, {"mode": mode, "slide": slide}
    counts = slide_counts(p.state, start=slide) if pupil_paced else None
    return p.type, {"mode": mode, "slide": slide, "counts": counts}


def _project_pupil_goto(p: _Projection) -> Projected:
    index = p.data.get("index")
    if p.actor is None or type(index) is not int:
        return None
    if p.viewer.role == "teacher":
        return p.type, {"person": p.person(p.actor.id), "index": index}
    if p.is_own:
        return p.type, {"index": index}
    if p.viewer.role == "pupil":
        return None  # pupils never learn where another pupil is
    return "pace.counts", {"counts": slide_counts(p.state)}


def _project_quiz_result(p: _Projection) -> Projected:
    found = _quiz_progress(p)
    if found is None:
        return None
    run, progress = found
    bars = histogram(p.state, run, with_correct=run.revealed)
    payload = {**progress, "histogram": bars if shows_results(p.state, p.viewer) else None}
    if p.type == "quiz.reveal" and run.revealed:
        questions = questions_of(p.state.block(run.block_id))
        payload["keys"] = [p.copy(question.get("answer")) for question in questions]
        if p.viewer.role == "pupil" and p.viewer.id in run.answers:
            payload["mine"] = score_entry(p.state, run, p.viewer.id)
    return p.type, payload


def _project_poll(p: _Projection) -> Projected:
    poll = p.state.polls.get(str(p.data.get("block_id")))
    if poll is None:
        return None
    counts = poll_counts(poll) if shows_results(p.state, p.viewer) else None
    tally = {"block_id": poll.block_id, "counts": counts, "total": len(poll.votes)}
    if p.type == "poll.close":
        return p.type, tally
    if p.viewer.role == "teacher" and p.actor is not None:
        return p.type, {**tally, "person": p.person(p.actor.id), "option": p.data.get("option")}
    if p.is_own:
        return p.type, {**tally, "option": p.data.get("option")}
    return "poll.progress", tally


def _project_stroke(p: _Projection) -> Projected:
    if p.actor is None or not shows_stroke(p.state, p.actor.id, p.viewer):
        return None
    payload = {key: p.copy(p.data.get(key)) for key in ("slide", "points", "color", "width")}
    return p.type, {**payload, "by": p.person(p.actor.id)}


def _project_grant(p: _Projection) -> Projected:
    return p.type, {"person": p.person(p.data.get("user_id"))}


def _project_hand(p: _Projection) -> Projected:
    # A pupil raises or lowers their own hand; the teacher names one (or None: every hand).
    target = p.actor.id if p.actor is not None and p.actor.role == "pupil" else None
    if target is None:
        target = p.data.get("user_id")
    return p.type, {"person": p.person(target), "queue": hands_view(p.state, p.viewer)}


def _project_chat(p: _Projection) -> Projected:
    if p.actor is None or not shows_chat(p.state, p.viewer):
        return None
    return p.type, {"by": p.person(p.actor.id), "text": p.data.get("text"), "at": p.at}


def _project_presence(p: _Projection) -> Projected:
    if p.actor is None:
        return None
    # ``here``: whether the person still has a connection (a second tab may stay open).
    here = p.actor.id in p.state.present
    return p.type, {"person": p.person(p.actor.id), "here": here, **p.counts()}


def _project_quiz_timer(p: _Projection) -> Projected:
    return p.type, {**p.copy(dict(p.data)), "started_at": p.at}


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


def _project_board_show(p: _Projection) -> Projected:
    # The board gets its whole view again: what it may show has just changed (the chat, the
    # histogram or the pupils' drawing appear or go); ``view.seq`` tells which frames it holds.
    payload: dict[str, Any] = {"show": show_view(p.state)}
    if p.viewer.role == "board":
        from live.views import view_for

        payload["view"] = view_for(p.state, p.viewer)
    return p.type, payload


def _project_chat_remove(p: _Projection) -> Projected:
    return p.type, {"seq": p.data.get("seq")}


def _project_timer(p: _Projection) -> Projected:
    return p.type, {"timer": timer_view(p.state)}


def _project_picker(p: _Projection) -> Projected:
    return p.type, {"picker": picker_view(p.state, p.viewer)}


_PROJECTIONS: dict[str, Callable[[_Projection], Projected]] = {
    "slide.goto": _known("index"),
    "pace.set": _project_pace_set,
    "pupil.goto": _project_pupil_goto,
    "nav.free": _known("on"),
    "chat.mode": _known("on"),
    "room.lock": _known("on"),
    "board.clear": _known("slide"),
    "quiz.open": _known("block_id"),
    "quiz.timer": _project_quiz_timer,
    "poll.open": _known("block_id"),
    "lesson.end": _as_is,  # a server event: its data is the server's own
    "quiz.answer": _project_quiz_answer,
    "quiz.close": _project_quiz_result,
    "quiz.reveal": _project_quiz_result,
    "poll.vote": _project_poll,
    "poll.close": _project_poll,
    "board.stroke": _project_stroke,
    "board.grant": _project_grant,
    "rtc.grant": _project_grant,
    "rtc.record": _known("on"),
    "rtc.state": _project_media,
    "hand.raise": _project_hand,
    "hand.lower": _project_hand,
    "chat.post": _project_chat,
    "presence.join": _project_presence,
    "presence.leave": _project_presence,
    "room.kick": _project_kick,
    "board.show": _project_board_show,
    "chat.remove": _project_chat_remove,
    **dict.fromkeys(TIMER_EVENTS, _project_timer),
    **dict.fromkeys(PICKER_EVENTS, _project_picker),
}


def event_for(
    event: Mapping[str, Any], viewer: Actor, *, state: RoomState, shared: bool = False
) -> dict[str, Any] | None:
    """How one logged event reaches ``viewer``: ``{"type", "seq", "data"}``, or ``None`` when
    the viewer must not see it.

    ``state`` is the room after the event (or later); counts, queues and histograms are taken
    from it. Another pupil's ``quiz.answer`` reaches pupils and observers as an anonymous
    ``quiz.progress``, another's ``poll.vote`` as ``poll.progress``; observers see pupils only
    as ``{"role": "pupil"}``. Pupil-paced mode: a pupil's ``pupil.goto`` and pupil-paced
    ``quiz.answer`` reach only the teacher (with the pupil's line of the table) and that pupil;
    observers get a ``pupil.goto`` as ``pace.counts`` (pupils per slide) and no answer; see
    docs/live-protocol.md. The board sees less than observers (:mod:`live.board_views`).

    The projection holds copies of what it takes from the event, unless ``shared``: then it
    may share the event's data, for a caller that encodes it at once and changes nothing.
    """
    event_type, data = event.get("type"), event.get("data")
    project = _PROJECTIONS.get(event_type) if isinstance(event_type, str) else None
    if project is None or (viewer.role == "board" and event_type not in BOARD_EVENT_TYPES):
        return None
    projected = project(
        _Projection(
            type=cast(str, event_type),
            data=data if isinstance(data, Mapping) else {},
            actor=Actor.from_dict(event.get("actor")),
            at=event.get("at"),
            viewer=viewer,
            state=state,
            shared=shared,
        )
    )
    if projected is None:
        return None
    kind, payload = projected
    return {"type": kind, "seq": event.get("seq"), "data": payload}
