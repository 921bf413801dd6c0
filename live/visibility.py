"""Who may see what of a live room: the pieces every projection shares.

The teacher sees everything; a pupil sees their own answers and, once a quiz is closed, the
class's histogram; an observer sees pupils only as ``{"role": "pupil"}`` and counts, the board
(:mod:`live.board_views`) everyone but the teacher only as a role. :mod:`live.views`
(snapshots), :mod:`live.projections` (events) and :mod:`live.pace_views` (pupil-paced mode) are
built from these. All pure.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from lessons.scoring import question_max_points
from live.room import WATCHING_ROLES, Actor, ActorId, PollRun, QuizRun, RoomState, questions_of

# Question keys that give the answer away; stripped for pupils and observers until reveal.
ANSWER_KEYS = frozenset({"answer", "answers", "solution", "explanation"})


def max_points(questions: list[dict[str, Any]]) -> tuple[float, ...]:
    """The most points each question can give, by ``lessons.scoring``."""
    result: list[float] = []
    for question in questions:
        try:
            most = float(question_max_points(question))
        except Exception:  # a malformed question is worth nothing, not a crash
            most = 0.0
        result.append(most if math.isfinite(most) else 0.0)
    return tuple(result)


def person_for(state: RoomState, actor_id: ActorId | None, viewer: Actor) -> dict[str, Any] | None:
    """How one participant appears to ``viewer``: observers see a pupil only as a role, and
    only the teacher sees an observer by name; the board (shown to the class) sees everyone
    but the teacher and the boards only as a role."""
    shown = person_shown(state, actor_id, viewer)
    return shown.as_dict() if isinstance(shown, Actor) else shown


def person_shown(
    state: RoomState, actor_id: ActorId | None, viewer: Actor
) -> Actor | dict[str, Any] | None:
    """:func:`person_for`, with the participant themselves (their :class:`Actor`) where
    ``viewer`` sees them in full: what a caller encoding many people may encode once."""
    if actor_id is None:
        return None
    person = state.people.get(actor_id)
    if person is None:
        watching = viewer.role in WATCHING_ROLES
        return None if watching else {"id": actor_id, "role": None, "name": None}
    if viewer.role == "observer" and person.role == "pupil":
        return {"role": "pupil"}
    if person.role == "observer" and viewer.role != "teacher" and viewer.id != person.id:
        # Observers are counted, not named, to all but the teacher (an open lesson has many).
        return {"role": "observer"}
    if viewer.role == "board" and person.role not in ("teacher", "board"):
        return {"role": person.role}
    return person


def strip_answer_keys(block: Mapping[str, Any]) -> dict[str, Any]:
    """A block without its questions' answer keys (for pupils and observers until reveal)."""
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


def histogram(state: RoomState, run: QuizRun, *, with_correct: bool) -> list[dict[str, Any]]:
    """The class's answers to a quiz run, per question: how many answered, per option of a
    choice question, and (``with_correct``) how many got full points. Names no one."""
    questions = questions_of(state.block(run.block_id))
    most = max_points(questions)
    bars = []
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
        bars.append(bar)
    return bars


def score_entry(state: RoomState, run: QuizRun, pupil: ActorId) -> dict[str, Any]:
    """One pupil's answers to a run with the points, score and most points possible."""
    points = run.points.get(pupil, ())
    return {
        "answers": list(run.answers.get(pupil, ())),
        "points": list(points),
        "score": sum(points),
        "max": sum(max_points(questions_of(state.block(run.block_id)))),
    }


def poll_counts(run: PollRun) -> list[int]:
    """The votes for each option of a poll run."""
    counts = [0] * run.options
    for option in run.votes.values():
        if 0 <= option < run.options:
            counts[option] += 1
    return counts


def hands_view(state: RoomState, viewer: Actor) -> list[dict[str, Any] | None]:
    """The queue of raised hands as ``viewer`` may see it."""
    return [person_for(state, hand, viewer) for hand in state.hands]
