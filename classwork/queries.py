"""Reads of classwork: who may see an assignment, its lesson, each pupil's progress and the
results. Nothing here commits.

Who sees an assignment: the course's teachers and the admin (``write``), the form tutor of the
class (``read``), the pupils of the course's class (their own work) and their parents (their
children's work). Anyone else gets 404, as if it did not exist.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from classwork.models import (
    Assignment,
    AssignmentCourse,
    AssignmentInCourse,
    AssignmentItem,
    AssignmentLesson,
    AssignmentPublic,
    AssignmentWork,
    ClassCounts,
    ProgressPublic,
    ProgressState,
)
from eschool.access import children_ids, pupil_class_ids
from eschool.errors import NotFound
from eschool.i18n import gettext as _
from eschool.models import Role, User
from eschool.timeutil import utcnow
from gradebook.models import Slot
from gradebook.queries import WRITE, CourseView, class_pupils_of, course_get, courses_list
from lessons.blocks import blocks_for_display
from lessons.models import LessonAssetRef, LessonVersion
from lessons.scoring import question_max_points

STAFF_ACCESS = ("write", "read")


@dataclass
class AssignmentView:
    """An assignment as one actor may see it.

    ``access`` is ``write`` (teacher of the course, admin), ``read`` (form tutor), ``pupil``
    or ``parent``; ``pupils`` are the pupils whose work the actor may see.
    """

    assignment: Assignment
    course: CourseView
    access: str
    pupils: list[User] = field(default_factory=list)

    @property
    def is_staff(self) -> bool:
        """Teachers and the admin: they see keys and every pupil's work."""
        return self.access in STAFF_ACCESS


@dataclass(frozen=True)
class QuestionRef:
    """One question of the assignment's lesson, in lesson order."""

    block_id: str
    index: int
    question: dict[str, Any]

    @property
    def max_points(self) -> float:
        """What the question is worth."""
        return question_max_points(self.question)


def is_closed(assignment: Assignment) -> bool:
    """Closed by the teacher, or past due without late work allowed."""
    return assignment.closed or (utcnow() > assignment.due and not assignment.late)


def progress_state(work: AssignmentWork | None) -> ProgressState:
    """Where a pupil is with the assignment, from their work row."""
    if work is None:
        return ProgressState.not_started
    if work.mark_id is not None:
        return ProgressState.marked
    if work.attempts_used > 0:
        return ProgressState.submitted
    if work.answers:
        return ProgressState.in_progress
    return ProgressState.not_started


def share_of(work: AssignmentWork | None) -> float | None:
    """The share of the points the latest attempt scored (None before a submit)."""
    if work is None or work.score is None or not work.max_score:
        return None
    return min(max(work.score / work.max_score, 0.0), 1.0)


def progress_public(work: AssignmentWork | None) -> ProgressPublic:
    """``{"state","score","max","mark","attempts_used","saved_at","submitted_at"}``."""
    return ProgressPublic(
        state=progress_state(work),
        score=work.score if work else None,
        max=work.max_score if work else None,
        mark=work.mark_value if work else None,
        attempts_used=work.attempts_used if work else 0,
        saved_at=work.saved_at if work else None,
        submitted_at=work.submitted_at if work else None,
    )


def assignment_fields(assignment: Assignment) -> dict[str, Any]:
    """The fields of ``AssignmentPublic`` (without blocks or anyone's work)."""
    return {
        "id": assignment.id,
        "lesson": AssignmentLesson(
            id=assignment.lesson_id,
            version=assignment.lesson_version,
            title=assignment.lesson_title,
        ),
        "course_id": assignment.course_id,
        "slot_id": assignment.slot_id,
        "due": assignment.due,
        "attempts": assignment.attempts,
        "auto_mark": assignment.auto_mark,
        "late": assignment.late,
        "work_type": assignment.work_type,
        "status": "closed" if is_closed(assignment) else "open",
        "created_at": assignment.created_at,
    }


def course_public(course: CourseView) -> AssignmentCourse:
    """The course of an assignment, as lists and details show it."""
    return AssignmentCourse(
        id=course.course.id or 0,
        class_name=course.school_class.name,
        subject=course.subject.name,
        scale=course.course.scale,
    )


def assignment_public(assignment: Assignment) -> AssignmentPublic:
    """The assignment as the API gives it (without blocks or anyone's work)."""
    return AssignmentPublic.model_validate(assignment_fields(assignment))


def assignment_in_course(assignment: Assignment, course: CourseView) -> AssignmentInCourse:
    """The assignment with its course."""
    return AssignmentInCourse.model_validate(
        {**assignment_fields(assignment), "course": course_public(course)}
    )


# --- access ---------------------------------------------------------------------------------


async def _family_pupils(session: AsyncSession, actor: User, class_id: int) -> list[User]:
    """The pupils of the class whose work a pupil or parent may see: self, or children."""
    if actor.role == Role.pupil:
        wanted = {actor.id or 0}
    elif actor.role == Role.parent:
        wanted = await children_ids(session, actor.id or 0)
    else:
        return []
    return [p for p in await class_pupils_of(session, class_id) if p.id in wanted]


async def course_for(session: AsyncSession, *, actor: User, course_id: int) -> CourseView:
    """A course the actor may see, as a staff member or as a family: 404 otherwise."""
    if actor.role in (Role.admin, Role.teacher):
        return await course_get(session, actor=actor, course_id=course_id)
    for view in await courses_list(session, actor=actor):
        if view.course.id == course_id:
            return view
    raise NotFound(_("No such course."))


async def assignment_view(
    session: AsyncSession, *, actor: User, assignment_id: int
) -> AssignmentView:
    """The assignment if the actor may see it (see the module's rule); 404 otherwise."""
    assignment = await session.get(Assignment, assignment_id)
    if assignment is None or assignment.school_id != actor.school_id:
        raise NotFound(_("No such assignment."))
    course = await course_for(session, actor=actor, course_id=assignment.course_id)
    class_id = course.school_class.id or 0
    if course.access in STAFF_ACCESS:
        pupils = await class_pupils_of(session, class_id)
        return AssignmentView(assignment, course, course.access or "read", pupils)
    pupils = await _family_pupils(session, actor, class_id)
    if not pupils:
        raise NotFound(_("No such assignment."))
    access = "pupil" if actor.role == Role.pupil else "parent"
    return AssignmentView(assignment, course, access, pupils)


def require_pupil_in_view(view: AssignmentView, pupil_id: int) -> User:
    """The pupil, when their work is in the view; 404 otherwise."""
    for pupil in view.pupils:
        if pupil.id == pupil_id:
            return pupil
    raise NotFound(_("No such pupil."))


# --- the lesson -----------------------------------------------------------------------------


async def pinned_blocks(session: AsyncSession, assignment: Assignment) -> list[dict[str, Any]]:
    """The stored blocks of the lesson version the assignment pinned (with answer keys)."""
    row = (
        await session.exec(
            select(LessonVersion).where(
                LessonVersion.lesson_id == assignment.lesson_id,
                LessonVersion.number == assignment.lesson_version,
            )
        )
    ).first()
    if row is None:
        raise NotFound(_("The lesson of this assignment is gone."))
    return list(row.blocks)


def quiz_questions(blocks: Iterable[dict[str, Any]]) -> list[QuestionRef]:
    """Every question of every quiz block, in lesson order."""
    refs: list[QuestionRef] = []
    for block in blocks:
        if block.get("kind") != "quiz":
            continue
        for index, question in enumerate(block.get("questions") or []):
            if isinstance(question, dict):
                refs.append(QuestionRef(str(block.get("id")), index, question))
    return refs


def blocks_shown(blocks: list[dict[str, Any]], *, with_keys: bool) -> list[dict[str, Any]]:
    """The blocks as a viewer gets them: rendered text, keys only ``with_keys``."""
    return blocks_for_display(blocks, with_answers=with_keys)


# --- work -----------------------------------------------------------------------------------


async def work_of(
    session: AsyncSession, *, assignment_id: int, pupil_id: int
) -> AssignmentWork | None:
    """One pupil's work on one assignment, if they have started."""
    return (
        await session.exec(
            select(AssignmentWork).where(
                AssignmentWork.assignment_id == assignment_id,
                AssignmentWork.pupil_id == pupil_id,
            )
        )
    ).first()


async def works_by_pupil(
    session: AsyncSession, *, assignment_ids: Sequence[int], pupil_ids: Iterable[int] | None = None
) -> dict[tuple[int, int], AssignmentWork]:
    """Work rows by ``(assignment id, pupil id)``."""
    if not assignment_ids:
        return {}
    query = select(AssignmentWork).where(col(AssignmentWork.assignment_id).in_(assignment_ids))
    if pupil_ids is not None:
        query = query.where(col(AssignmentWork.pupil_id).in_(list(pupil_ids)))
    rows = await session.exec(query)
    return {(w.assignment_id, w.pupil_id): w for w in rows.all()}


# --- lists ----------------------------------------------------------------------------------


async def assignments_list(
    session: AsyncSession,
    *,
    actor: User,
    course_id: int | None = None,
    pupil_id: int | None = None,
    status: str | None = None,
) -> list[AssignmentItem]:
    """The assignments the actor may see, due soonest first, each with ``progress``.

    Teachers and the admin: the assignments of their courses (``progress`` of ``pupil_id``
    when given, else ``counts`` of the class's work). Pupils: their own; parents: one item
    per child and assignment (``pupil_id`` filters to one child).
    """
    courses = {view.course.id: view for view in await courses_list(session, actor=actor)}
    if course_id is not None:
        courses = {key: view for key, view in courses.items() if key == course_id}
    if not courses:
        return []
    rows = (
        await session.exec(
            select(Assignment)
            .where(
                Assignment.school_id == actor.school_id,
                col(Assignment.course_id).in_(list(courses)),
            )
            .order_by(col(Assignment.due), col(Assignment.id))
        )
    ).all()
    if status in ("open", "closed"):
        rows = [a for a in rows if (status == "closed") == is_closed(a)]
    if actor.role in (Role.admin, Role.teacher):
        return await _staff_items(session, rows, courses, pupil_id)
    return await _family_items(session, actor, rows, courses, pupil_id)


async def _staff_items(
    session: AsyncSession,
    rows: Sequence[Assignment],
    courses: dict[int | None, CourseView],
    pupil_id: int | None,
) -> list[AssignmentItem]:
    ids = [a.id or 0 for a in rows]
    works = await works_by_pupil(session, assignment_ids=ids)
    pupils_by_class: dict[int, set[int]] = {}
    items = []
    for assignment in rows:
        course = courses[assignment.course_id]
        class_id = course.school_class.id or 0
        if class_id not in pupils_by_class:
            pupils_by_class[class_id] = {
                p.id or 0 for p in await class_pupils_of(session, class_id)
            }
        pupils = pupils_by_class[class_id]
        if pupil_id is not None and pupil_id not in pupils:
            continue
        done = [works.get((assignment.id or 0, p)) for p in pupils]
        counts = ClassCounts(
            pupils=len(pupils),
            submitted=sum(1 for w in done if w is not None and w.attempts_used > 0),
            marked=sum(1 for w in done if w is not None and w.mark_id is not None),
        )
        progress = None
        if pupil_id is not None:
            progress = progress_public(works.get((assignment.id or 0, pupil_id)))
        item = _item(assignment, course, counts=counts, can_edit=course.access == WRITE)
        items.append(item.model_copy(update={"pupil_id": pupil_id, "progress": progress}))
    return items


async def _family_items(
    session: AsyncSession,
    actor: User,
    rows: Sequence[Assignment],
    courses: dict[int | None, CourseView],
    pupil_id: int | None,
) -> list[AssignmentItem]:
    if actor.role == Role.pupil:
        family = {actor.id or 0}
    else:
        family = await children_ids(session, actor.id or 0)
    if pupil_id is not None:
        family &= {pupil_id}
    classes_of = {child: await pupil_class_ids(session, child) for child in family}
    works = await works_by_pupil(
        session, assignment_ids=[a.id or 0 for a in rows], pupil_ids=family
    )
    items = []
    for assignment in rows:
        course = courses[assignment.course_id]
        for child in sorted(family):
            if course.school_class.id not in classes_of[child]:
                continue
            progress = progress_public(works.get((assignment.id or 0, child)))
            items.append(_item(assignment, course, pupil_id=child, progress=progress))
    return items


def _item(assignment: Assignment, course: CourseView, **extra: Any) -> AssignmentItem:
    fields = {**assignment_fields(assignment), "course": course_public(course)}
    return AssignmentItem.model_validate({**fields, **extra})


async def pinned_file_audience(session: AsyncSession, actor: User, sha256: str) -> bool:
    """Classwork's file audience (``app.state.file_audiences``): whether ``sha256`` is a file
    of a lesson version that a journal slot or an assignment of a course the actor may see
    pins — so that parents, who have no library, see the pictures of a slot's lesson and of
    their children's assignments."""
    refs = await session.exec(
        select(LessonAssetRef.lesson_id, LessonAssetRef.version).where(
            LessonAssetRef.sha256 == sha256,
            LessonAssetRef.school_id == actor.school_id,
            col(LessonAssetRef.version).is_not(None),
        )
    )
    versions = set(refs.all())
    if not versions:
        return False
    lesson_ids = list({lesson_id for lesson_id, _version in versions})
    pinned = set()
    for table in (Slot, Assignment):
        rows = await session.exec(
            select(table.course_id, table.lesson_id, table.lesson_version)
            .where(table.school_id == actor.school_id, col(table.lesson_id).in_(lesson_ids))
            .distinct()
        )
        pinned |= {
            course for course, lesson, version in rows.all() if (lesson, version) in versions
        }
    if not pinned:
        return False
    return any(view.course.id in pinned for view in await courses_list(session, actor=actor))
