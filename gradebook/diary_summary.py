"""A pupil's term per subject (the diary page's side panel and ``GET /diary/{id}/summary``),
read as plain rows: the courses with their first teacher and term mark in one statement, the
term's marks in one, the attendance counted by the database in one.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import BindParameter, and_, bindparam, func
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import Select

from eschool.models import Enrolment, User
from eschool.queries import term_public
from gradebook.averages import attendance_summary, weighted_average
from gradebook.diary import MARK_COLUMNS, diary_pupil, work_type_name, work_type_of_mark
from gradebook.models import (
    Attendance,
    Course,
    CourseTeacher,
    Mark,
    Slot,
    Subject,
    TermMark,
    WorkType,
)
from gradebook.queries import term_for
from gradebook.scales import get_scale

_PUPIL: BindParameter[int] = bindparam("pupil_id")
_TERM: BindParameter[int] = bindparam("term_id")
_TODAY: BindParameter[date] = bindparam("today")

_teacher = aliased(User)
_first_teacher = (
    select(func.min(CourseTeacher.id))
    .where(CourseTeacher.course_id == Course.id)
    .correlate(Course)
    .scalar_subquery()
)
# The pupil's courses (of every class they are enrolled in) by subject name, each with its
# first teacher and the pupil's term mark. Built as ``select()`` builds it: its typing stops
# at four columns.
_COURSES: Select[*tuple[Any, ...]] = (
    Select(
        col(Course.id),
        col(Course.scale),
        col(Subject.id),
        col(Subject.name),
        col(Subject.short_name),
        col(_teacher.id),
        col(_teacher.name),
        col(TermMark.value),
    )
    .select_from(Course)
    .join(Subject, col(Subject.id) == Course.subject_id)
    .join(Enrolment, col(Enrolment.class_id) == Course.class_id)
    .outerjoin(CourseTeacher, col(CourseTeacher.id) == _first_teacher)
    .outerjoin(_teacher, col(_teacher.id) == CourseTeacher.teacher_id)
    .outerjoin(
        TermMark,
        and_(
            col(TermMark.course_id) == Course.id,
            col(TermMark.term_id) == _TERM,
            col(TermMark.pupil_id) == _PUPIL,
        ),
    )
    .where(Enrolment.pupil_id == _PUPIL)
    .order_by(col(Subject.name), col(Course.id))
)


def _term_slots() -> Any:
    """The term's lessons of the pupil's courses (the caller chooses the columns)."""
    return (
        Select()
        .select_from(Slot)
        .join(Course, col(Course.id) == Slot.course_id)
        .join(Enrolment, col(Enrolment.class_id) == Course.class_id)
        .where(Enrolment.pupil_id == _PUPIL, Slot.term_id == _TERM)
    )


# The pupil's marks of the term, in date order (then the order they were given).
_MARKS = (
    _term_slots()
    .add_columns(
        Slot.course_id,
        Slot.date,
        *MARK_COLUMNS,
    )
    .join(Mark, col(Mark.slot_id) == Slot.id)
    .outerjoin(WorkType, work_type_of_mark())
    .where(Mark.pupil_id == _PUPIL, col(Mark.deleted_at).is_(None))
    .order_by(col(Slot.date), col(Mark.id))
)

# How many of each course's lessons up to today the pupil had per status (None: no record,
# which counts as present).
_ATTENDANCE = (
    _term_slots()
    .add_columns(Slot.course_id, Attendance.status, func.count())
    .outerjoin(
        Attendance,
        and_(col(Attendance.slot_id) == Slot.id, col(Attendance.pupil_id) == _PUPIL),
    )
    .where(Slot.date <= _TODAY)
    .group_by(col(Slot.course_id), col(Attendance.status))
)


async def diary_summary(
    session: AsyncSession, *, actor: User, pupil_id: int, term_id: int | None, today: date
) -> dict[str, Any]:
    """A pupil's term per subject: marks, weighted average, term mark, attendance.

    Returns `{"pupil","term","subjects":[{"course_id","subject","teacher","marks",
    "average","term_mark","attendance"}]}`; `marks` are in date order, each with
    its `date`.
    """
    pupil = await diary_pupil(session, actor=actor, pupil_id=pupil_id)
    term = await term_for(session, school_id=actor.school_id, term_id=term_id, today=today)
    params = {"pupil_id": pupil_id, "term_id": term.id, "school_id": actor.school_id}
    courses = (await session.exec(_COURSES, params=params)).all()
    marks_of: dict[int, list[dict[str, Any]]] = {}
    weights_of: dict[int, list[tuple[str, float]]] = {}
    for course_id, day, mark_id, value, work_type, weight, comment, stored, has_types in (
        await session.exec(_MARKS, params=params)
    ).all():
        marks_of.setdefault(course_id, []).append(
            {
                "id": mark_id,
                "value": value,
                "work_type": work_type,
                "work_type_name": work_type_name(work_type, stored, has_types),
                "weight": weight,
                "comment": comment,
                "date": day.isoformat(),
            }
        )
        weights_of.setdefault(course_id, []).append((value, weight))
    statuses_of: dict[int, list[str]] = {}
    for course_id, status, count in (
        await session.exec(_ATTENDANCE, params={**params, "today": today})
    ).all():
        statuses_of.setdefault(course_id, []).extend([status or "present"] * count)
    subjects = []
    for course_id, scale, subject_id, name, short_name, teacher_id, teacher, term_mark in courses:
        subjects.append(
            {
                "course_id": course_id,
                "subject": {"id": subject_id, "name": name, "short_name": short_name},
                "teacher": None if teacher_id is None else {"id": teacher_id, "name": teacher},
                "marks": marks_of.get(course_id, []),
                "average": weighted_average(weights_of.get(course_id, []), get_scale(scale)),
                "term_mark": term_mark,
                "attendance": attendance_summary(statuses_of.get(course_id, [])),
            }
        )
    term_data = term_public(term).model_dump(mode="json")  # plain data, as the rest
    return {"pupil": pupil.public(), "term": term_data, "subjects": subjects}
