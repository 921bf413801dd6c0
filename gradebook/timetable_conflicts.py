"""A teacher cannot be in two places at once: clashes of a class's new weekly timetable
with the timetables of the school's other classes (of the same academic year)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from eschool.errors import Conflict
from eschool.i18n import gettext as _
from eschool.models import SchoolClass, User
from gradebook.models import CourseTeacher, TimetableEntryIn, TimetableEntryRow

__all__ = ["WEEKDAY_NAMES", "teacher_clashes", "teacher_clashes_check"]

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


async def _teachers_of(session: AsyncSession, course_ids: set[int]) -> dict[int, set[int]]:
    rows = await session.exec(
        select(CourseTeacher.course_id, CourseTeacher.teacher_id).where(
            col(CourseTeacher.course_id).in_(course_ids)
        )
    )
    teachers: dict[int, set[int]] = {}
    for course_id, teacher_id in rows.all():
        teachers.setdefault(course_id, set()).add(teacher_id)
    return teachers


async def teacher_clashes(
    session: AsyncSession,
    *,
    school_class: SchoolClass,
    entries: Sequence[TimetableEntryIn],
) -> list[dict[str, Any]]:
    """Each place where a teacher of one of `entries` also teaches another course at the
    same weekday and period — in another class of the year, or in this class's new
    timetable itself: `{"weekday","period","course_id","teacher":{"id","name"},
    "class":{"id","name"}}`, in the order of `entries`."""
    if not entries:
        return []
    places = {(e.weekday, e.period) for e in entries}
    others = list(
        (
            await session.exec(
                select(TimetableEntryRow, SchoolClass)
                .join(SchoolClass, col(SchoolClass.id) == TimetableEntryRow.class_id)
                .where(
                    TimetableEntryRow.school_id == school_class.school_id,
                    TimetableEntryRow.class_id != school_class.id,
                    SchoolClass.year_id == school_class.year_id,
                    col(TimetableEntryRow.period).in_({period for _day, period in places}),
                )
            )
        ).all()
    )
    busy: dict[tuple[int, int], list[tuple[int, SchoolClass]]] = {}
    for row, other_class in others:
        if (row.weekday, row.period) in places:
            busy.setdefault((row.weekday, row.period), []).append((row.course_id, other_class))
    for entry in entries:
        busy.setdefault((entry.weekday, entry.period), []).append((entry.course_id, school_class))
    course_ids = {course_id for placed in busy.values() for course_id, _class in placed}
    teachers = await _teachers_of(session, course_ids)
    found: list[tuple[TimetableEntryIn, int, SchoolClass]] = []
    for entry in entries:
        mine = teachers.get(entry.course_id, set())
        for course_id, other_class in busy[(entry.weekday, entry.period)]:
            if course_id == entry.course_id:
                continue
            for teacher_id in sorted(mine & teachers.get(course_id, set())):
                found.append((entry, teacher_id, other_class))
    if not found:
        return []
    names = {
        user.id: user.name
        for user in (
            await session.exec(select(User).where(col(User.id).in_({t for _e, t, _c in found})))
        ).all()
    }
    return [
        {
            "weekday": entry.weekday,
            "period": entry.period,
            "course_id": entry.course_id,
            "teacher": {"id": teacher_id, "name": names.get(teacher_id, "")},
            "class": {"id": other_class.id, "name": other_class.name},
        }
        for entry, teacher_id, other_class in found
    ]


async def teacher_clashes_check(
    session: AsyncSession, *, school_class: SchoolClass, entries: Sequence[TimetableEntryIn]
) -> None:
    """Refuse (409 `teacher_busy`, every clash in `details.clashes`) a timetable that puts
    a teacher in two places at the same weekday and period."""
    clashes = await teacher_clashes(session, school_class=school_class, entries=entries)
    if not clashes:
        return
    first = clashes[0]
    raise Conflict(
        _(
            "{teacher} already teaches {class_name} on {weekday}, period {n}.",
            teacher=first["teacher"]["name"],
            class_name=first["class"]["name"],
            weekday=_(WEEKDAY_NAMES[first["weekday"]]),
            n=first["period"],
        ),
        code="teacher_busy",
        details={"clashes": clashes},
    )
