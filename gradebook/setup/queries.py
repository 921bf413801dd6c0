"""Reads of the set-up pages: how far a school's set-up has got, and what the forms list."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, func
from sqlalchemy.orm import Mapped
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from eschool.models import AcademicYear, Role, SchoolClass, Term, User
from gradebook.models import Course, Holiday, Subject, TimetableEntryRow, WorkType


async def _count(
    session: AsyncSession, model: type, *conditions: ColumnElement[bool] | Mapped[bool] | bool
) -> int:
    rows = await session.exec(select(func.count()).select_from(model).where(*conditions))
    return int(rows.one())


@dataclass
class SetupStep:
    """One step of the set-up: where it is done, whether it is, and a count to show."""

    key: str
    href: str
    done: bool
    count: int
    optional: bool = False


async def setup_steps(session: AsyncSession, *, school_id: int) -> list[SetupStep]:
    """The steps of setting up a school, in the order an administrator takes them."""
    years = await _count(session, AcademicYear, AcademicYear.school_id == school_id)
    terms = await _count(session, Term, Term.school_id == school_id)
    classes = await _count(
        session, SchoolClass, SchoolClass.school_id == school_id, col(SchoolClass.active)
    )
    subjects = await _count(session, Subject, Subject.school_id == school_id)
    courses = await _count(session, Course, Course.school_id == school_id)
    timetable = await _count(session, TimetableEntryRow, TimetableEntryRow.school_id == school_id)
    work_types = await _count(session, WorkType, WorkType.school_id == school_id)
    holidays = await _count(session, Holiday, Holiday.school_id == school_id)
    people = await _count(
        session,
        User,
        User.school_id == school_id,
        col(User.role).in_([Role.teacher, Role.pupil]),
        col(User.active),
    )
    return [
        SetupStep("terms", "/admin/terms", years > 0 and terms > 0, terms),
        SetupStep("classes", "/admin/classes", classes > 0, classes),
        SetupStep("subjects", "/admin/subjects", subjects > 0, subjects),
        SetupStep("courses", "/admin/courses", courses > 0, courses),
        SetupStep("timetable", "/admin/timetable", timetable > 0, timetable),
        # Every school starts with default work types: reviewing them is optional.
        SetupStep("work_types", "/admin/work-types", True, work_types, optional=True),
        SetupStep("holidays", "/admin/holidays", holidays > 0, holidays, optional=True),
        SetupStep("people", "/admin/rosters", people > 0, people),
    ]


async def subject_course_counts(session: AsyncSession, *, school_id: int) -> dict[int, int]:
    """Subject id → how many courses teach it."""
    rows = await session.exec(
        select(Course.subject_id, func.count())
        .where(Course.school_id == school_id)
        .group_by(col(Course.subject_id))
    )
    return {subject_id: int(count) for subject_id, count in rows.all()}


async def teachers_of_school(session: AsyncSession, *, school_id: int) -> list[User]:
    """The active teachers (and admins, who may teach) of the school, by name."""
    rows = await session.exec(
        select(User)
        .where(
            User.school_id == school_id,
            col(User.role).in_([Role.teacher, Role.admin]),
            col(User.active),
        )
        .order_by(col(User.role).desc(), User.name)
    )
    return list(rows.all())
