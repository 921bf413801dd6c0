"""The summary of a live room for the teacher and the journal: who came, how each pupil did.

Pure, like :mod:`live.views`: the state comes from :mod:`live.room`. Scores are given as a
``share`` of the points (0–1); turning a share into a mark needs the course's scale, which
the services add through :mod:`classwork.marking` (one path for live quizzes and homework).
The per-question breakdown and the polls are in :mod:`live.report_breakdown`, the timed parts
(slides, who was here when) in :mod:`live.report_times`.
"""

from __future__ import annotations

from typing import Any

from live.report_breakdown import poll_results, question_breakdown
from live.report_times import LessonTimes, slide_timeline, stay_of
from live.room import ActorId, QuizRun, RoomState, questions_of
from live.views import max_points


def _share(score: float, most: float) -> float | None:
    return min(max(score / most, 0.0), 1.0) if most > 0 else None


def _quiz_report(state: RoomState, run: QuizRun) -> dict[str, Any]:
    block = state.block(run.block_id)
    most = sum(max_points(questions_of(block)))
    pupils = [pupil for pupil in state.attended if state.role_of(pupil) == "pupil"]
    pupils += [pupil for pupil in run.answers if pupil not in state.attended]
    results = []
    for pupil in pupils:
        answered = pupil in run.answers
        score = sum(run.points.get(pupil, ()))
        share = _share(score, most) if answered else None
        person = state.people.get(pupil)
        results.append(
            {
                "pupil_id": pupil,
                "name": person.name if person else "",
                "answered": answered,
                "score": score,
                "max": most,
                "share": share,
                "percent": round(share * 100, 1) if share is not None else None,
            }
        )
    return {
        "block_id": run.block_id,
        "title": (block or {}).get("title") or "",
        "max": most,
        "results": results,
        "questions": question_breakdown(state, run),
    }


def report(state: RoomState, *, times: LessonTimes | None = None) -> dict[str, Any]:
    """The summary of a room for the teacher and the journal.

    ``participants``: everyone who joined (boards aside), in joining order; ``attendance``:
    every pupil of the roster and every pupil who joined, with ``joined``; ``quiz``: per quiz
    run, each pupil's score, max, share and percent (``None`` for a pupil who did not answer);
    ``proposed``: per pupil who answered, the share of all quizzes' points together (the mark
    on the course's scale is added by the services); ``quiz[].questions``: per question the
    share right and the commonest wrong answers; ``polls``: per poll the votes per option.

    With ``times`` (:func:`live.report_times.lesson_times` of the same log) the report also
    has ``started``, ``duration``, ``slides`` and ``slide_visits`` (seconds on each slide), and
    each participant and attendance entry ``joined_at``, ``left_at`` and ``seconds`` (seconds
    after the start; ``left_at`` ``None`` when still here at the end).
    """
    participants = [
        {
            **state.people[actor_id].as_dict(),
            "joined_seq": seq,
            "present": actor_id in state.present,
        }
        for actor_id, seq in state.attended.items()
        if actor_id in state.people and state.people[actor_id].role != "board"
    ]
    attendance: dict[ActorId, dict[str, Any]] = {
        pupil.id: {"id": pupil.id, "name": pupil.name, "joined": pupil.id in state.attended}
        for pupil in state.roster
    }
    for actor_id in state.attended:
        person = state.people.get(actor_id)
        if person is not None and person.role == "pupil" and actor_id not in attendance:
            attendance[actor_id] = {"id": actor_id, "name": person.name, "joined": True}
    quizzes = [_quiz_report(state, run) for run in state.quizzes.values()]
    body: dict[str, Any] = {
        "title": state.title,
        "participants": participants,
        "attendance": list(attendance.values()),
        "quiz": quizzes,
        "proposed": _proposed(quizzes),
        "polls": poll_results(state),
    }
    if times is not None:
        for entry in (*participants, *body["attendance"]):
            entry.update(stay_of(times, entry["id"]))
        body.update(slide_timeline(times, state))
        body["started"] = times.start
        body["duration"] = round(times.duration, 1) if times.duration is not None else None
    return body


def _proposed(quizzes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per pupil who answered any quiz, from the points of every quiz run."""
    totals: dict[ActorId, dict[str, Any]] = {}
    for quiz in quizzes:
        for result in quiz["results"]:
            entry = totals.setdefault(
                result["pupil_id"],
                {"pupil_id": result["pupil_id"], "name": result["name"], "score": 0.0, "max": 0.0},
            )
            if result["answered"]:
                entry["score"] += result["score"]
                entry["max"] += result["max"]
                entry["answered"] = True
    proposed = []
    for entry in totals.values():
        if not entry.pop("answered", False) or entry["max"] <= 0:
            continue
        share = _share(entry["score"], entry["max"]) or 0.0
        proposed.append({**entry, "share": share, "percent": round(share * 100, 1)})
    return proposed
