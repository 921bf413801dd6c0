"""What the assignments API shows: an assignment with its lesson for each kind of viewer,
and the results table for its teachers. Reads only; access was decided by
:func:`classwork.queries.assignment_view`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from classwork.models import (
    AssignmentDetail,
    AssignmentResults,
    AssignmentWork,
    PupilAssignmentDetail,
    PupilProgress,
    PupilResult,
    QuestionPublic,
)
from classwork.queries import (
    AssignmentView,
    QuestionRef,
    assignment_fields,
    assignment_in_course,
    blocks_shown,
    course_public,
    is_closed,
    pinned_blocks,
    progress_public,
    progress_state,
    quiz_questions,
    share_of,
    works_by_pupil,
)


def _flat_scores(refs: Sequence[QuestionRef], work: AssignmentWork | None) -> list[float | None]:
    scores = (work.question_scores if work else None) or {}
    flat: list[float | None] = []
    for ref in refs:
        block = scores.get(ref.block_id) or []
        flat.append(block[ref.index] if ref.index < len(block) else None)
    return flat


def _flat_answers(refs: Sequence[QuestionRef], work: AssignmentWork | None) -> list[Any]:
    answers = (work.answers if work else None) or {}
    flat: list[Any] = []
    for ref in refs:
        block = answers.get(ref.block_id) or []
        flat.append(block[ref.index] if ref.index < len(block) else None)
    return flat


def questions_public(refs: Sequence[QuestionRef]) -> list[QuestionPublic]:
    """The lesson's questions in order: where each is and what it is worth."""
    return [
        QuestionPublic(
            block_id=ref.block_id,
            index=ref.index,
            kind=ref.question.get("kind"),
            prompt=ref.question.get("prompt"),
            max=ref.max_points,
        )
        for ref in refs
    ]


async def assignment_detail(
    session: AsyncSession, *, view: AssignmentView
) -> AssignmentDetail | PupilAssignmentDetail:
    """The assignment with its lesson: a pupil gets the blocks without keys (until no
    attempt is left) and their saved answers; a parent the blocks and each child's progress;
    staff the keys and every pupil's progress."""
    assignment = view.assignment
    blocks = await pinned_blocks(session, assignment)
    data: dict[str, Any] = {
        **assignment_fields(assignment),
        "course": course_public(view.course),
        "access": view.access,
        "questions": questions_public(quiz_questions(blocks)),
    }
    works = await works_by_pupil(
        session, assignment_ids=[assignment.id or 0], pupil_ids=[p.id or 0 for p in view.pupils]
    )
    if view.access == "pupil":
        pupil = view.pupils[0]
        work = works.get((assignment.id or 0, pupil.id or 0))
        finished = work is not None and work.attempts_used >= assignment.attempts
        data["blocks"] = blocks_shown(blocks, with_keys=finished or is_closed(assignment))
        data["answers"] = dict(work.answers) if work else {}
        data["progress"] = progress_public(work)
        data["question_scores"] = _flat_scores(quiz_questions(blocks), work) if work else []
        data["attempts_left"] = max(assignment.attempts - (work.attempts_used if work else 0), 0)
        return PupilAssignmentDetail.model_validate(data)
    data["blocks"] = blocks_shown(blocks, with_keys=view.is_staff)
    data["pupils"] = [
        PupilProgress(
            id=pupil.id or 0,
            name=pupil.name,
            progress=progress_public(works.get((assignment.id or 0, pupil.id or 0))),
        )
        for pupil in view.pupils
    ]
    return AssignmentDetail.model_validate(data)


async def assignment_results(
    session: AsyncSession, *, view: AssignmentView, proposed: dict[int, str]
) -> AssignmentResults:
    """Per pupil of the class: state, attempts, score, share, answers and points per
    question, the mark proposed on the course's scale and the mark written."""
    assignment = view.assignment
    refs = quiz_questions(await pinned_blocks(session, assignment))
    works = await works_by_pupil(session, assignment_ids=[assignment.id or 0])
    pupils = []
    for pupil in view.pupils:
        work = works.get((assignment.id or 0, pupil.id or 0))
        share = share_of(work)
        pupils.append(
            PupilResult(
                pupil_id=pupil.id or 0,
                name=pupil.name,
                state=progress_state(work),
                attempts=work.attempts_used if work else 0,
                score=work.score if work else None,
                max=work.max_score if work else None,
                share=share,
                answers=_flat_answers(refs, work) if work and work.attempts_used else [],
                question_scores=_flat_scores(refs, work),
                regraded=bool(work and work.regraded_by),
                proposed_mark=proposed.get(pupil.id or 0),
                mark=work.mark_value if work else None,
                mark_id=work.mark_id if work else None,
            )
        )
    return AssignmentResults.model_validate(
        {
            "assignment": assignment_in_course(assignment, view.course),
            "scale": view.course.scale.as_dict(),
            "questions": questions_public(refs),
            "pupils": pupils,
        }
    )


async def shares_of(session: AsyncSession, *, view: AssignmentView) -> dict[int, float]:
    """Each submitted pupil's share of the points, for proposing marks."""
    works = await works_by_pupil(session, assignment_ids=[view.assignment.id or 0])
    shares = {}
    for (_assignment, pupil), work in works.items():
        share = share_of(work)
        if share is not None:
            shares[pupil] = share
    return shares
