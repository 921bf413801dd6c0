"""Classwork's personal data: each pupil's work on an assignment and every attempt they
handed in (see :mod:`eschool.privacy.registry` for the contract)."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from classwork.models import Assignment, AssignmentAttempt, AssignmentWork
from eschool.models import User
from eschool.privacy.queries import people_by_id
from eschool.privacy.registry import Erasure, PackageExport, PersonalTable
from eschool.settings import Settings
from eschool.timeutil import iso

TABLES = (
    PersonalTable(
        "assignments",
        {"created_by": "the teacher who set the assignment"},
        purpose="Homework set from the library to a course's pupils.",
        erasure=Erasure.keep,
        erasure_note="Staff only: a pupil sets no assignments.",
    ),
    PersonalTable(
        "assignment_work",
        {
            "pupil_id": "whose work",
            "answers": "the pupil's answers (free text among them)",
            "score": "points earned",
            "regraded_by": "the teacher who regraded it",
        },
        purpose="A pupil's work on an assignment, its score and the mark it became.",
        erasure=Erasure.anonymise,
        erasure_note="Scores and marks stay for class statistics; free-text answers are cleared.",
    ),
    PersonalTable(
        "assignment_attempts",
        {"answers": "the answers handed in (the pupil is the work's pupil)"},
        purpose="What a pupil handed in, attempt by attempt.",
        erasure=Erasure.anonymise,
        erasure_note="Scores stay; free-text answers are cleared.",
    ),
)


def blank_free_text(answers: dict[str, list[Any]] | None) -> dict[str, list[Any]]:
    """Answers with every free-text answer (a string: a ``text`` question's) replaced by
    ``None``, as if skipped; choices, numbers and orders stay."""
    return {
        block: [None if isinstance(answer, str) else answer for answer in given]
        if isinstance(given, list)
        else given
        for block, given in (answers or {}).items()
    }


async def export_pupil(session: AsyncSession, *, pupil: User, settings: Settings) -> PackageExport:
    """Every assignment the pupil worked on: answers, scores, mark and each attempt."""
    rows = list(
        (
            await session.exec(
                select(AssignmentWork, Assignment)
                .join(Assignment, col(Assignment.id) == AssignmentWork.assignment_id)
                .where(AssignmentWork.pupil_id == pupil.id)
                .order_by(col(Assignment.due), col(AssignmentWork.id))
            )
        ).all()
    )
    work_ids = [work.id for work, _a in rows]
    attempts: dict[int, list[dict[str, Any]]] = {}
    if work_ids:
        found = await session.exec(
            select(AssignmentAttempt)
            .where(col(AssignmentAttempt.work_id).in_(work_ids))
            .order_by(col(AssignmentAttempt.work_id), col(AssignmentAttempt.number))
        )
        for attempt in found.all():
            attempts.setdefault(attempt.work_id, []).append(
                {
                    "number": attempt.number,
                    "answers": attempt.answers,
                    "question_scores": attempt.question_scores,
                    "score": attempt.score,
                    "max_score": attempt.max_score,
                    "submitted_at": iso(attempt.submitted_at),
                    "late": attempt.late,
                }
            )
    named: set[int | None] = {
        *(a.created_by for _w, a in rows),
        *(w.regraded_by for w, _a in rows),
    }
    people = await people_by_id(session, named)
    data = {
        "assignments": [
            {
                "assignment_id": assignment.id,
                "lesson": assignment.lesson_title,
                "course_id": assignment.course_id,
                "set_by": people.get(assignment.created_by),
                "due": iso(assignment.due),
                "answers": work.answers,
                "saved_at": iso(work.saved_at),
                "submitted_at": iso(work.submitted_at),
                "attempts_used": work.attempts_used,
                "question_scores": work.question_scores,
                "score": work.score,
                "max_score": work.max_score,
                "regraded_by": people.get(work.regraded_by) if work.regraded_by else None,
                "mark": work.mark_value,
                "attempts": attempts.get(work.id or 0, []),
            }
            for work, assignment in rows
        ]
    }
    return PackageExport(data=data)


async def erase_pupil(session: AsyncSession, *, pupil: User, label: str) -> dict[str, int]:
    """Clear the free-text answers of the pupil's work and attempts; scores and marks stay."""
    works = list(
        (
            await session.exec(select(AssignmentWork).where(AssignmentWork.pupil_id == pupil.id))
        ).all()
    )
    counts = {"assignment_work": 0, "assignment_attempts": 0}
    for work in works:
        cleared = blank_free_text(work.answers)
        if cleared != work.answers:
            work.answers = cleared
            session.add(work)
            counts["assignment_work"] += 1
    if works:
        found = await session.exec(
            select(AssignmentAttempt).where(
                col(AssignmentAttempt.work_id).in_([work.id for work in works])
            )
        )
        for attempt in found.all():
            cleared = blank_free_text(attempt.answers)
            if cleared != attempt.answers:
                attempt.answers = cleared
                session.add(attempt)
                counts["assignment_attempts"] += 1
    await session.flush()
    return counts
