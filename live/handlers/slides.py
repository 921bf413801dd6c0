"""Slides and who sets the pace: the teacher's slide, pupil-paced mode and each pupil's moves.

Teacher-paced (the default), everyone is on the teacher's slide (``slide.goto``). In pupil-paced
mode (``pace.set {"mode": "pupil"}``) each pupil moves on their own with ``pupil.goto``; a pupil
who has not moved yet is on ``pace_start``, the teacher's slide when the mode began. Going back
to teacher-paced forgets every pupil's position, so everyone is on the teacher's slide again.
"""

from __future__ import annotations

from live.handlers.base import Event, Reject, with_
from live.handlers.quiz import open_quiz
from live.room_state import PACES, RoomState, replace


def _slide_index(state: RoomState, index: int) -> int:
    if not 0 <= index < len(state.blocks):
        raise Reject("invalid", "there is no slide with this index")
    return index


def slide_goto(state: RoomState, event: Event) -> RoomState | None:
    """``slide.goto``: the teacher's slide (everyone's, unless the lesson is pupil-paced)."""
    index = _slide_index(state, event.integer("index"))
    return None if index == state.slide else replace(state, slide=index)


def pace_set(state: RoomState, event: Event) -> RoomState | None:
    """``pace.set``: switch between teacher-paced and pupil-paced. The event names the
    teacher's slide (``slide``): where pupils start when the mode begins. Refused while a
    teacher-paced quiz is open."""
    mode = event.text("mode")
    if mode not in PACES:
        raise Reject("invalid", "mode is teacher or pupil")
    if mode == state.pace:
        return None
    if mode == "teacher":
        return replace(state, pace="teacher", positions={})
    if open_quiz(state) is not None:
        raise Reject("conflict", "close the open quiz first")
    start = event.optional_integer("slide")
    start = state.slide if start is None else _slide_index(state, start)
    return replace(state, pace="pupil", pace_start=start, positions={})


def pupil_goto(state: RoomState, event: Event) -> RoomState | None:
    """``pupil.goto``: a pupil moves to a slide on their own (pupil-paced mode only)."""
    if state.pace != "pupil":
        raise Reject("conflict", "the teacher leads the slides now")
    index = _slide_index(state, event.integer("index"))
    pupil = event.who.id
    if state.position_of(pupil) == index:
        return None
    return replace(state, positions=with_(state.positions, pupil, index))
