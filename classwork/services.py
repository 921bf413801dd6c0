"""Writes of classwork: setting a library lesson as an assignment, a pupil's answers and
submissions, regrading, and marks into the journal.

Every function checks the actor's rights, validates before writing (a refused request changes
nothing) and commits. Marks reach the journal only through :mod:`classwork.marking`, the one
path live lessons use too.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from classwork import marking, notices
from classwork.models import (
    Assignment,
    AssignmentAttempt,
    AssignmentCreate,
    AssignmentUpdate,
    AssignmentWork,
    SubmitResult,
)
from classwork.queries import (
    AssignmentView,
    assignment_view,
    pinned_blocks,
    quiz_questions,
    require_pupil_in_view,
    share_of,
    work_of,
)
from classwork.slot_lessons import pinned_lesson
from eschool.access import require_role
from eschool.errors import Conflict, DomainError, Forbidden, Invalid
from eschool.i18n import gettext as _
from eschool.models import Role, User
from eschool.timeutil import utcnow
from gradebook.queries import WRITE, course_get, slot_get, work_types_of_school
from lessons.answers import answer_problem
from lessons.scoring import score_question

log = logging.getLogger(__name__)


def _require_write(view: AssignmentView) -> None:
    if view.access != WRITE:
        raise Forbidden(_("Only the course's teachers and the administrator manage its work."))


def _require_pupil(view: AssignmentView, actor: User) -> None:
    if view.access != "pupil":
        raise Forbidden(_("Only the pupils it is set to do an assignment."))


def due_moment(due: datetime | date, timezone: str) -> datetime:
    """An aware moment for a due date or time: a date means the end of that day at school,
    a time without a zone is the school's local time."""
    zone = ZoneInfo(timezone)
    if not isinstance(due, datetime):
        due = datetime.combine(due, time(23, 59), tzinfo=zone)
    elif due.tzinfo is None:
        due = due.replace(tzinfo=zone)
    return due


async def assignment_create(
    session: AsyncSession, *, actor: User, data: AssignmentCreate, timezone: str
) -> Assignment:
    """Set a published library lesson to a course's pupils (a teacher of the course or the
    admin); the lesson's current published version is pinned. With ``slot_id`` (a slot of
    that course) the slot's homework shows the assignment."""
    require_role(actor, Role.admin, Role.teacher)
    course = await course_get(session, actor=actor, course_id=data.course_id)
    if course.access != WRITE:
        raise Forbidden(_("Only the course's teachers and the administrator set its work."))
    if data.slot_id is not None:
        slot = await slot_get(session, actor=actor, slot_id=data.slot_id)
        if slot.slot.course_id != data.course_id:
            raise Invalid(_("The lesson slot is not one of this course."), code="wrong_slot")
    due = due_moment(data.due, timezone)
    if due <= utcnow():
        raise Invalid(_("The due time must be in the future."), code="due_in_past")
    kinds = {k.code for k in await work_types_of_school(session, school_id=actor.school_id)}
    if data.work_type not in kinds:
        raise Invalid(_("Unknown work type {code}.", code=data.work_type), code="unknown_work_type")
    lesson = await pinned_lesson(session, actor=actor, lesson_id=data.lesson_id)
    assignment = Assignment(
        school_id=actor.school_id,
        course_id=data.course_id,
        slot_id=data.slot_id,
        lesson_id=data.lesson_id,
        lesson_version=lesson["version"],
        lesson_title=str(lesson["title"])[:300],
        due=due,
        attempts=data.attempts,
        auto_mark=data.auto_mark,
        late=data.late,
        work_type=data.work_type,
        created_by=actor.id or 0,
    )
    session.add(assignment)
    await notices.assignment_set(session, course=course, assignment=assignment, timezone=timezone)
    await session.commit()
    return assignment


async def assignment_update(
    session: AsyncSession,
    *,
    actor: User,
    assignment_id: int,
    data: AssignmentUpdate,
    timezone: str,
) -> Assignment:
    """Change the due time, attempts, late work, auto-marking or close/reopen (teacher)."""
    view = await assignment_view(session, actor=actor, assignment_id=assignment_id)
    _require_write(view)
    assignment = view.assignment
    if data.due is not None:
        assignment.due = due_moment(data.due, timezone)
    for name in ("attempts", "auto_mark", "late", "closed"):
        value = getattr(data, name)
        if value is not None:
            setattr(assignment, name, value)
    session.add(assignment)
    await session.commit()
    return assignment


def _require_open(assignment: Assignment, work: AssignmentWork | None) -> None:
    if assignment.closed:
        raise Conflict(_("The teacher has closed this assignment."), code="closed")
    if utcnow() > assignment.due and not assignment.late:
        raise Conflict(_("The assignment was due before now."), code="past_due")
    if work is not None and work.attempts_used >= assignment.attempts:
        raise Conflict(_("No attempts are left."), code="no_attempts_left")


def _checked_answers(blocks: list[dict[str, Any]], block_id: str, answers: list[Any]) -> list[Any]:
    """The answers to one quiz block, one per question (missing → skipped), each of the
    shape its question takes; 422 naming the question otherwise."""
    block = next((b for b in blocks if str(b.get("id")) == block_id), None)
    if block is None or block.get("kind") != "quiz":
        raise Invalid(_("The lesson has no quiz block {block}.", block=block_id), code="no_block")
    questions = [q for q in block.get("questions") or [] if isinstance(q, dict)]
    if len(answers) > len(questions):
        raise Invalid(
            _("The quiz has {count} questions.", count=len(questions)), code="too_many_answers"
        )
    padded = list(answers) + [None] * (len(questions) - len(answers))
    for index, (question, answer) in enumerate(zip(questions, padded, strict=True)):
        problem = answer_problem(question, answer)
        if problem is not None:
            raise Invalid(
                _("Question {number}: {problem}.", number=index + 1, problem=_(problem)),
                code="wrong_answer_shape",
                details={"block_id": block_id, "question": index},
            )
    return padded


async def answers_save(
    session: AsyncSession, *, actor: User, assignment_id: int, block_id: str, answers: list[Any]
) -> AssignmentWork:
    """Keep a pupil's answers to one quiz block (idempotent: the same answers twice change
    nothing but the time); they survive a reload or another device until submitted."""
    view = await assignment_view(session, actor=actor, assignment_id=assignment_id)
    _require_pupil(view, actor)
    assignment = view.assignment
    work = await work_of(session, assignment_id=assignment_id, pupil_id=actor.id or 0)
    _require_open(assignment, work)
    checked = _checked_answers(await pinned_blocks(session, assignment), block_id, answers)
    if work is None:
        work = AssignmentWork(
            school_id=actor.school_id, assignment_id=assignment_id, pupil_id=actor.id or 0
        )
    work.answers = {**(work.answers or {}), block_id: checked}
    work.saved_at = utcnow()
    async with _saving(session):
        session.add(work)
    return work


@asynccontextmanager
async def _saving(session: AsyncSession) -> AsyncIterator[None]:
    """Write what the block adds, then commit. Two writes of one pupil's work at the same
    moment (two devices, a double tap) meet a unique key: the loser is rolled back and told
    to try again (its answers are still on its screen)."""
    try:
        yield
        await session.commit()
    except IntegrityError as error:
        await session.rollback()
        raise Conflict(
            _("Saved from another device at the same moment: try again."), code="retry"
        ) from error


def score_work(
    blocks: list[dict[str, Any]], answers: dict[str, list[Any]]
) -> tuple[dict[str, list[float]], float, float]:
    """Points per question by block, the total and the most possible."""
    scores: dict[str, list[float]] = {}
    total = most = 0.0
    for ref in quiz_questions(blocks):
        given = (answers or {}).get(ref.block_id) or []
        answer = given[ref.index] if ref.index < len(given) else None
        points = score_question(ref.question, answer)
        scores.setdefault(ref.block_id, []).append(points)
        total += points
        most += ref.max_points
    return scores, round(total, 6), round(most, 6)


async def assignment_submit(
    session: AsyncSession, *, actor: User, assignment_id: int, timezone: str
) -> SubmitResult:
    """Hand the saved answers in (pupil): scored at once, kept as an attempt. 409
    ``past_due`` after the due time unless late work is allowed, ``no_attempts_left`` past
    the attempts. With ``auto_mark`` the proposed mark is written into the journal."""
    view = await assignment_view(session, actor=actor, assignment_id=assignment_id)
    _require_pupil(view, actor)
    assignment = view.assignment
    work = await work_of(session, assignment_id=assignment_id, pupil_id=actor.id or 0)
    _require_open(assignment, work)
    if work is None:
        work = AssignmentWork(
            school_id=actor.school_id, assignment_id=assignment_id, pupil_id=actor.id or 0
        )
    blocks = await pinned_blocks(session, assignment)
    scores, total, most = score_work(blocks, work.answers)
    now = utcnow()
    work.attempts_used += 1
    work.question_scores, work.score, work.max_score = scores, total, most
    work.submitted_at = now
    work.regraded_by = None
    async with _saving(session):
        session.add(work)
        await session.flush()
        session.add(
            AssignmentAttempt(
                work_id=work.id or 0,
                number=work.attempts_used,
                answers=dict(work.answers or {}),
                question_scores=scores,
                score=total,
                max_score=most,
                submitted_at=now,
                late=now > assignment.due,
            )
        )
    if assignment.auto_mark:
        await _auto_mark(session, view=view, work=work, timezone=timezone)
    return SubmitResult(
        attempt=work.attempts_used,
        attempts_left=max(assignment.attempts - work.attempts_used, 0),
        score=total,
        max=most,
        share=share_of(work),
        mark=work.mark_value,
    )


async def _auto_mark(
    session: AsyncSession, *, view: AssignmentView, work: AssignmentWork, timezone: str
) -> None:
    """Write the proposed mark as the teacher who set the assignment. The submission is
    already stored: a mark that cannot be written now is left for the teacher."""
    teacher = await session.get(User, view.assignment.created_by)
    share = share_of(work)
    if teacher is None or share is None:
        return
    try:
        proposed = await marking.marks_proposed(
            session, course=view.course.course, shares={work.pupil_id: share}
        )
        await marks_write(
            session,
            actor=teacher,
            assignment_id=view.assignment.id or 0,
            marks=[(work.pupil_id, proposed[work.pupil_id])],
            timezone=timezone,
        )
    except DomainError as error:
        await session.rollback()
        log.warning("assignment %s: auto-mark not written (%s)", view.assignment.id, error.code)


async def result_regrade(
    session: AsyncSession,
    *,
    actor: User,
    assignment_id: int,
    pupil_id: int,
    question_scores: list[float | None],
) -> AssignmentWork:
    """Set the points of a pupil's questions by hand (a teacher of the course): one entry
    per question of the lesson in order, ``None`` leaving one as scored. Text answers
    above all. The pupil's score follows; a mark already written is left to the teacher."""
    view = await assignment_view(session, actor=actor, assignment_id=assignment_id)
    _require_write(view)
    require_pupil_in_view(view, pupil_id)
    work = await work_of(session, assignment_id=assignment_id, pupil_id=pupil_id)
    if work is None or work.attempts_used == 0 or work.question_scores is None:
        raise Conflict(_("There is nothing handed in to regrade."), code="not_submitted")
    refs = quiz_questions(await pinned_blocks(session, view.assignment))
    if len(question_scores) != len(refs):
        raise Invalid(
            _("Give one entry per question: {count}.", count=len(refs)), code="wrong_count"
        )
    scores = {block: list(points) for block, points in work.question_scores.items()}
    for number, (ref, points) in enumerate(zip(refs, question_scores, strict=True), start=1):
        if points is None:
            continue
        if points > ref.max_points:
            raise Invalid(
                _("Question {number} is worth at most {most}.", number=number, most=ref.max_points),
                code="too_many_points",
            )
        block_scores = scores.setdefault(ref.block_id, [])
        block_scores.extend([0.0] * (ref.index + 1 - len(block_scores)))
        block_scores[ref.index] = float(points)
    work.question_scores = scores
    work.score = round(sum(sum(points) for points in scores.values()), 6)
    work.regraded_by = actor.id
    session.add(work)
    await session.commit()
    return work


async def marks_write(
    session: AsyncSession,
    *,
    actor: User,
    assignment_id: int,
    marks: list[tuple[int, Any]],
    timezone: str,
    comment: str | None = None,
    reason: str | None = None,
) -> dict[int, str]:
    """Write marks for the assignment into the journal (a teacher of the course): on its slot,
    or the course's slot on the due date; the assignment's work type; with history; a mark
    already written for a pupil is changed, not doubled. All or nothing: a value outside the
    course's scale → 422 and nothing is written."""
    view = await assignment_view(session, actor=actor, assignment_id=assignment_id)
    _require_write(view)
    assignment = view.assignment
    if len({pupil for pupil, _value in marks}) != len(marks):
        raise Invalid(_("Give each pupil one mark."), code="duplicate_pupil")
    works: dict[int, AssignmentWork] = {}
    for pupil_id, _value in marks:
        require_pupil_in_view(view, pupil_id)
        work = await work_of(session, assignment_id=assignment_id, pupil_id=pupil_id)
        works[pupil_id] = work or AssignmentWork(
            school_id=actor.school_id, assignment_id=assignment_id, pupil_id=pupil_id
        )
    slot_id = await marking.slot_for_assignment(session, assignment=assignment, timezone=timezone)
    comment = comment or _("Assignment: {title}", title=assignment.lesson_title)[:500]
    try:
        async with _saving(session):
            written = await marking.journal_marks_write(
                session,
                actor=actor,
                slot_id=slot_id,
                marks=marks,
                work_type=assignment.work_type,
                comment=comment,
                reason=reason,
                existing={p: w.mark_id for p, w in works.items() if w.mark_id is not None},
            )
            for pupil_id, mark in written.items():
                work = works[pupil_id]
                work.mark_id, work.mark_value = mark.id, mark.value
                session.add(work)
    except DomainError:
        await session.rollback()
        raise
    return {pupil: works[pupil].mark_value or "" for pupil in written}
