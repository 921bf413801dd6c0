"""Reads of the gradebook: courses, the journal, history, the diary and its feeds.

Every read is scoped to the actor's school and to what the actor may see:
- admin: every course and pupil of the school;
- teacher: writes the courses they teach, reads every course of the class they are
  form tutor of, sees the diary of the pupils of that class;
- pupil: only their own diary; parent: only their children's diaries.
Anything else is answered as if it did not exist (404), never with data.
Nothing here commits.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import BindParameter, String, bindparam, cast, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from eschool.access import children_ids, pupil_class_ids
from eschool.errors import NotFound
from eschool.i18n import gettext as _
from eschool.models import Enrolment, Role, SchoolClass, Term, User, id_from_text
from eschool.queries import term_current
from gradebook.marking import Bands, bands_for, mark_for_share
from gradebook.models import (
    DEFAULT_ROUNDING_THRESHOLD,
    DEFAULT_WORK_TYPES,
    Course,
    CourseTeacher,
    GradebookSettings,
    Holiday,
    Slot,
    Subject,
    TimetableEntryRow,
    WorkType,
)
from gradebook.scales import SCALES, Scale, get_scale

WRITE = "write"
READ = "read"


@dataclass
class CourseView:
    """A course with its class, subject and teachers, and what the actor may do with it.

    `access` is "write" (teacher of the course, admin), "read" (form tutor of the class)
    or None (pupils and parents, who see a course only through the diary).
    """

    course: Course
    school_class: SchoolClass
    subject: Subject
    teachers: list[User]
    access: str | None

    @property
    def scale(self) -> Scale:
        """The course's grade scale."""
        return get_scale(self.course.scale)


@dataclass
class SlotView:
    """A lesson slot with its course (class, subject, teachers, access) and term."""

    slot: Slot
    course: CourseView
    term: Term

    @property
    def school_class(self) -> SchoolClass:
        """The class whose pupils take this lesson."""
        return self.course.school_class


# --- school settings ----------------------------------------------------------------------


async def work_types_of_school(session: AsyncSession, *, school_id: int) -> list[WorkType]:
    """The school's work types in picker order; the defaults (unsaved) when it has none."""
    rows = await session.exec(
        select(WorkType)
        .where(WorkType.school_id == school_id)
        .order_by(col(WorkType.position), col(WorkType.id))
    )
    found = list(rows.all())
    if found:
        return found
    return [
        WorkType(school_id=school_id, code=code, name=name, weight=weight, position=index)
        for index, (code, name, weight) in enumerate(DEFAULT_WORK_TYPES)
    ]


async def rounding_threshold(session: AsyncSession, *, school_id: int) -> float:
    """The school's threshold for suggesting a term mark (default 0.5)."""
    row = await session.get(GradebookSettings, school_id)
    return row.rounding_threshold if row is not None else DEFAULT_ROUNDING_THRESHOLD


async def mark_bands_of_school(session: AsyncSession, *, school_id: int) -> dict[str, Bands]:
    """The bands in force for every scale: the school's own, else the defaults."""
    row = await session.get(GradebookSettings, school_id)
    own = row.mark_bands if row is not None else None
    return {code: bands_for(code, own) for code in SCALES}


async def course_marks_for_shares(
    session: AsyncSession, *, course: Course, shares: dict[int, float]
) -> dict[int, str]:
    """The mark each pupil's share of the points earns on the course's own scale."""
    scale = get_scale(course.scale)
    bands = (await mark_bands_of_school(session, school_id=course.school_id)).get(scale.code)
    return {pupil: mark_for_share(scale, share, bands or None) for pupil, share in shares.items()}


async def subjects_of_school(session: AsyncSession, *, school_id: int) -> list[Subject]:
    """The school's subjects by name."""
    rows = await session.exec(
        select(Subject).where(Subject.school_id == school_id).order_by(Subject.name)
    )
    return list(rows.all())


async def holidays_of_school(session: AsyncSession, *, school_id: int) -> list[Holiday]:
    """The school's holidays, earliest first."""
    rows = await session.exec(
        select(Holiday).where(col(Holiday.school_id) == school_id).order_by(col(Holiday.starts))
    )
    return list(rows.all())


# --- courses ------------------------------------------------------------------------------


def access_of(
    actor: User, form_tutor_id: int | None, teacher_ids: Iterable[int | None]
) -> str | None:
    """What the actor may do with a course (see :class:`CourseView`): the admin and the
    course's teachers write, the class's form tutor reads, nobody else."""
    if actor.role == Role.admin:
        return WRITE
    if actor.role != Role.teacher:
        return None
    if actor.id in set(teacher_ids):
        return WRITE
    if form_tutor_id == actor.id:
        return READ
    return None


async def _teachers_of(session: AsyncSession, course_ids: Sequence[int]) -> dict[int, list[User]]:
    if not course_ids:
        return {}
    rows = await session.exec(
        select(CourseTeacher.course_id, User)
        .join(User, col(User.id) == CourseTeacher.teacher_id)
        .where(col(CourseTeacher.course_id).in_(course_ids))
        .order_by(col(CourseTeacher.id))
    )
    teachers: dict[int, list[User]] = defaultdict(list)
    for course_id, teacher in rows.all():
        teachers[course_id].append(teacher)
    return teachers


async def course_get(session: AsyncSession, *, actor: User, course_id: int) -> CourseView:
    """A course the actor may open in the journal (write or read); 404 otherwise."""
    row = (
        await session.exec(
            select(Course, SchoolClass, Subject)
            .join(SchoolClass, col(SchoolClass.id) == Course.class_id)
            .join(Subject, col(Subject.id) == Course.subject_id)
            .where(Course.id == course_id, Course.school_id == actor.school_id)
        )
    ).first()
    if row is None:
        raise NotFound(_("No such course."))
    course, school_class, subject = row
    teachers = (await _teachers_of(session, [course_id])).get(course_id, [])
    access = access_of(actor, school_class.form_tutor_id, (t.id for t in teachers))
    if access is None:
        raise NotFound(_("No such course."))
    return CourseView(course, school_class, subject, teachers, access)


async def courses_list(
    session: AsyncSession, *, actor: User, class_ref: str | None = None, mine: bool = False
) -> list[CourseView]:
    """The courses the actor may see, by class then subject.

    `class_ref` filters by class id or name ("7A"); `mine` keeps only the courses the
    actor teaches. Teachers see the courses they teach and every course of the class
    they are form tutor of; pupils and parents the courses of their own classes.
    """
    query = (
        select(Course, SchoolClass, Subject)
        .join(SchoolClass, col(SchoolClass.id) == Course.class_id)
        .join(Subject, col(Subject.id) == Course.subject_id)
        .where(Course.school_id == actor.school_id)
    )
    if class_ref:
        ref = class_ref.strip()
        if ref.isdigit():  # an id; one beyond what the database holds names no class
            query = query.where(SchoolClass.id == (id_from_text(ref) or 0))
        else:
            query = query.where(func.upper(SchoolClass.name) == ref.upper())
    if actor.role == Role.pupil:
        query = query.where(col(SchoolClass.id).in_(await pupil_class_ids(session, actor.id or 0)))
    elif actor.role == Role.parent:
        class_ids: set[int] = set()
        for child in await children_ids(session, actor.id or 0):
            class_ids |= await pupil_class_ids(session, child)
        query = query.where(col(SchoolClass.id).in_(class_ids))
    rows = (
        await session.exec(query.order_by(col(SchoolClass.name), col(Subject.name), col(Course.id)))
    ).all()
    teachers = await _teachers_of(session, [course.id for course, _c, _s in rows if course.id])
    views = []
    for course, school_class, subject in rows:
        course_teachers = teachers.get(course.id or 0, [])
        access = access_of(actor, school_class.form_tutor_id, (t.id for t in course_teachers))
        if actor.role == Role.teacher and access is None:
            continue
        if mine and actor.id not in {t.id for t in course_teachers}:
            continue
        views.append(CourseView(course, school_class, subject, course_teachers, access))
    return views


async def term_for(
    session: AsyncSession, *, school_id: int, term_id: int | None, today: date
) -> Term:
    """The term asked for (of this school), or the one containing `today`."""
    if term_id is not None:
        term = await session.get(Term, term_id)
        if term is None or term.school_id != school_id:
            raise NotFound(_("No such term."))
        return term
    term = await term_current(session, school_id=school_id, today=today)
    if term is None:
        raise NotFound(_("The school has no terms yet."))
    return term


async def class_pupils_of(session: AsyncSession, class_id: int) -> list[User]:
    """The pupils enrolled in a class, by name (no permission check: callers do it)."""
    rows = await session.exec(
        select(User)
        .join(Enrolment, col(Enrolment.pupil_id) == User.id)
        .where(Enrolment.class_id == class_id)
        .order_by(col(User.name), col(User.id))
    )
    return list(rows.all())


def past_statuses(slots: Iterable[Slot], records: dict[int, str], today: date) -> list[str]:
    """Statuses of the lessons that have happened; a lesson without a record counts present."""
    return [records.get(slot.id or 0, "present") for slot in slots if slot.date <= today]


# --- slots --------------------------------------------------------------------------------


# Statements are built once with parameters (building one costs more than running it).
_SLOT: BindParameter[int] = bindparam("slot_id")
_SCHOOL: BindParameter[int] = bindparam("school_id")


def slot_joins(query: Any) -> Any:
    """``query`` from a slot of the school (``slot_id``, ``school_id``) with its course, class,
    subject and term."""
    return (
        query.select_from(Slot)
        .join(Course, col(Course.id) == Slot.course_id)
        .join(SchoolClass, col(SchoolClass.id) == Course.class_id)
        .join(Subject, col(Subject.id) == Course.subject_id)
        .join(Term, col(Term.id) == Slot.term_id)
        .where(col(Slot.id) == _SLOT, col(Slot.school_id) == _SCHOOL)
        .where(col(Course.school_id) == _SCHOOL)
    )


# The slot, course, class, subject, term and teachers: a row per teacher.
_SLOT_VIEW = (
    # sqlmodel types select() up to four entities; six run alike.
    slot_joins(select(Slot, Course, SchoolClass, Subject, Term, User))  # type: ignore[call-overload]
    .outerjoin(CourseTeacher, col(CourseTeacher.course_id) == Course.id)
    .outerjoin(User, col(User.id) == CourseTeacher.teacher_id)
    .order_by(col(CourseTeacher.id))
)


async def slot_get(session: AsyncSession, *, actor: User, slot_id: int) -> SlotView:
    """A lesson slot with its course (class, subject, teachers) and term, in one statement.

    For the journal and for live lessons: the slot's pupils are the course's class
    (`class_pupils_of(session, view.school_class.id)`). `view.course.access` says
    whether the actor may write ("write") or only read ("read"); a slot the actor may
    not see at all is a 404.
    """
    params = {"slot_id": slot_id, "school_id": actor.school_id}
    rows = (await session.exec(_SLOT_VIEW, params=params)).all()
    if not rows:
        raise NotFound(_("No such lesson slot."))
    slot, course, school_class, subject, term, _teacher = rows[0]
    teachers = [row[5] for row in rows if row[5] is not None]
    access = access_of(actor, school_class.form_tutor_id, (t.id for t in teachers))
    if access is None:
        raise NotFound(_("No such course."))
    view = CourseView(course, school_class, subject, teachers, access)
    return SlotView(slot=slot, course=view, term=term)


async def course_of_slot(session: AsyncSession, *, slot_id: int) -> Course | None:
    """The course a slot belongs to (no permission check: callers have made theirs)."""
    slot = await session.get(Slot, slot_id)
    return await session.get(Course, slot.course_id) if slot is not None else None


async def course_slot_for(session: AsyncSession, *, course_id: int, day: date) -> Slot | None:
    """The course's first slot on ``day``, else its last slot before it (None: no slot yet)."""
    on_day = (
        await session.exec(
            select(Slot)
            .where(Slot.course_id == course_id, Slot.date == day)
            .order_by(col(Slot.period), col(Slot.id))
        )
    ).first()
    if on_day is not None:
        return on_day
    return (
        await session.exec(
            select(Slot)
            .where(Slot.course_id == course_id, col(Slot.date) < day)
            .order_by(col(Slot.date).desc(), col(Slot.period).desc())
        )
    ).first()


async def timetable_of_class(
    session: AsyncSession, *, school_id: int, class_id: int
) -> list[TimetableEntryRow]:
    """The weekly timetable of a class, by weekday and period."""
    rows = await session.exec(
        select(TimetableEntryRow)
        .where(TimetableEntryRow.school_id == school_id, TimetableEntryRow.class_id == class_id)
        .order_by(
            col(TimetableEntryRow.weekday), col(TimetableEntryRow.period), col(TimetableEntryRow.id)
        )
    )
    return list(rows.all())


async def attachment_visible(session: AsyncSession, actor: User, sha256: str) -> bool:
    """The gradebook's file audience: whether the uploaded file ``sha256`` is attached to
    homework of a slot the actor may see, in their own school.

    Appended to ``app.state.file_audiences`` (the routes' lifespan), so that the shell's
    file route serves homework attachments to the class's pupils and parents and its
    teachers.
    """
    if len(sha256) != 64 or not all(ch in "0123456789abcdef" for ch in sha256):
        return False
    candidates = await session.exec(
        select(Slot.course_id)
        .where(
            Slot.school_id == actor.school_id,
            cast(Slot.attachments, String).like(f"%{sha256}%"),
        )
        .distinct()
    )
    course_ids = set(candidates.all())
    if not course_ids:
        return False
    visible = await courses_list(session, actor=actor)
    return any(view.course.id in course_ids for view in visible)


def teacher_slots_select(actor: User) -> Any:
    """``select(Slot, SchoolClass, Subject)`` of the slots of the courses the actor teaches;
    callers add the dates (and any other filter) and the order."""
    return (
        select(Slot, SchoolClass, Subject)
        .join(Course, col(Course.id) == Slot.course_id)
        .join(CourseTeacher, col(CourseTeacher.course_id) == Course.id)
        .join(SchoolClass, col(SchoolClass.id) == Course.class_id)
        .join(Subject, col(Subject.id) == Course.subject_id)
        .where(Slot.school_id == actor.school_id, CourseTeacher.teacher_id == actor.id)
    )


async def teacher_slots_on(
    session: AsyncSession, *, actor: User, day: date
) -> list[tuple[Slot, SchoolClass, Subject]]:
    """The teacher's lesson slots on ``day`` (their courses only), by period then class."""
    rows = await session.exec(
        teacher_slots_select(actor)
        .where(Slot.date == day)
        .order_by(col(Slot.period), col(SchoolClass.name))
    )
    return [(slot, school_class, subject) for slot, school_class, subject in rows.all()]
