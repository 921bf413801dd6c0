"""What each viewer sees of pupil-paced mode: the ``pace`` part of a snapshot and its pieces.

- the teacher: ``{"mode", "start", "pupils": [row, ...]}``, one row per pupil who has joined
  (and was not removed), in joining order: ``{"person", "slide", "answered_blocks", "score",
  "max"}`` (see :func:`pace_row`); ``start`` is where a newcomer lands. In teacher-paced mode
  ``start`` is ``None`` and ``pupils`` empty.
- a pupil: ``{"mode", "slide", "mine"}``: their own slide (``None`` when teacher-paced: then it
  is the room's ``slide``) and their own pupil-paced answers by block id, so a tablet that
  reconnects lands where it was with its answers filled in. Never another pupil's.
- an observer (or the board): ``{"mode", "counts"}``: how many pupils who are here are on each
  slide (``None`` when teacher-paced). No names, no answers.
"""

from __future__ import annotations

from typing import Any

from live.room import Actor, ActorId, RoomState, questions_of
from live.visibility import max_points, person_for


def paced_pupils(state: RoomState) -> list[ActorId]:
    """The pupils the teacher's table lists: every pupil who joined and was not removed."""
    return [
        pupil
        for pupil in state.attended
        if state.role_of(pupil) == "pupil" and pupil not in state.kicked
    ]


def pace_row(
    state: RoomState, pupil: ActorId, viewer: Actor, *, slide: int | None = None
) -> dict[str, Any]:
    """One pupil's line in the teacher's table: their slide (``slide`` overrides it), the
    quiz blocks they have answered at their own pace (in the order the blocks were first
    answered by anyone), their points there and the most those blocks give."""
    answered, score, most = [], 0.0, 0.0
    for run in state.quizzes.values():
        if run.paced and pupil in run.answers:
            answered.append(run.block_id)
            score += sum(run.points.get(pupil, ()))
            most += sum(max_points(questions_of(state.block(run.block_id))))
    return {
        "person": person_for(state, pupil, viewer),
        "slide": state.position_of(pupil) if slide is None else slide,
        "answered_blocks": answered,
        "score": score,
        "max": most,
    }


def slide_counts(state: RoomState, *, start: int | None = None) -> list[int]:
    """How many pupils who are here are on each slide (all on ``start`` when given)."""
    counts = [0] * len(state.blocks)
    for actor_id in state.present:
        if state.role_of(actor_id) == "pupil":
            index = state.position_of(actor_id) if start is None else start
            if 0 <= index < len(counts):
                counts[index] += 1
    return counts


def paced_answers(state: RoomState, pupil: ActorId) -> dict[str, list[Any]]:
    """A pupil's own answers to the quiz blocks answered at their own pace, by block id."""
    return {
        run.block_id: list(run.answers[pupil])
        for run in state.quizzes.values()
        if run.paced and pupil in run.answers
    }


def pace_view(state: RoomState, viewer: Actor) -> dict[str, Any]:
    """The ``pace`` part of ``viewer``'s snapshot (see the module's docstring)."""
    pupil_paced = state.pace == "pupil"
    if viewer.role == "teacher":
        return {
            "mode": state.pace,
            "start": state.pace_start if pupil_paced else None,
            "pupils": (
                [pace_row(state, pupil, viewer) for pupil in paced_pupils(state)]
                if pupil_paced
                else []
            ),
        }
    if viewer.role == "pupil":
        return {
            "mode": state.pace,
            "slide": state.position_of(viewer.id) if pupil_paced else None,
            "mine": paced_answers(state, viewer.id),
        }
    return {"mode": state.pace, "counts": slide_counts(state) if pupil_paced else None}
