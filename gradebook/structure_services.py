"""Writes of the gradebook's structure: subjects, courses and their teachers, the timetable,
holidays, the lesson slots (generated from the timetable, or one edited), work types and the
school's gradebook settings. Each checks permissions, validates before touching anything and
commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from eschool.access import class_teaching_set, require_role
from eschool.errors import Conflict, Invalid, NotFound
from eschool.i18n import gettext as _
from eschool.models import Role, SchoolClass, User
from gradebook.bell_times import bells_effective
from gradebook.marking import Bands, BandsError, check_bands
from gradebook.models import (
    DEFAULT_WORK_TYPES,
    Course,
    CourseTeacher,
    GradebookSettings,
    Holiday,
    Subject,
    TimetableEntryIn,
    TimetableEntryRow,
    WorkType,
)
from gradebook.scales import DEFAULT_SCALE, SCALES, ScaleError
from gradebook.timetable_conflicts import teacher_clashes_check

SHORT_NAME_LENGTH = 8


async def subject_create(
    session: AsyncSession, *, actor: User, name: str, short_name: str | None = None
) -> Subject:
    """A new subject of the actor's school (admin); 409 when the name is taken."""
    require_role(actor, Role.admin)
    name = " ".join(name.split())
    if not name:
        raise Invalid(_("A subject needs a name."))
    taken = await session.exec(
        select(Subject.id).where(Subject.school_id == actor.school_id, Subject.name == name)
    )
    if taken.first() is not None:
        raise Conflict(_("There is already a subject with this name."))
    subject = Subject(
        school_id=actor.school_id,
        name=name,
        short_name=(short_name or "").strip() or name[:SHORT_NAME_LENGTH],
    )
    session.add(subject)
    await session.commit()
    return subject


async def _teachers_of_school(
    session: AsyncSession, *, school_id: int, teacher_ids: Sequence[int]
) -> list[int]:
    unique = list(dict.fromkeys(teacher_ids))
    if not unique:
        return []
    rows = await session.exec(
        select(User.id).where(
            col(User.id).in_(unique),
            User.school_id == school_id,
            col(User.role).in_([Role.teacher, Role.admin]),
        )
    )
    found = set(rows.all())
    missing = [t for t in unique if t not in found]
    if missing:
        raise Invalid(_("Not teachers of this school: {ids}.", ids=missing), code="not_a_teacher")
    return unique


async def class_teaching_refresh(session: AsyncSession, *, class_id: int) -> None:
    """Tell the shell who teaches in a class: a teacher teaches a class when they teach one
    of its courses. Call it after changing course teachers, before the commit."""
    # Lock the class row so that two changes to its courses' teachers recompute in turn
    # (PostgreSQL; SQLite writers are serialized anyway and ignore FOR UPDATE).
    school_id = (
        await session.exec(
            select(SchoolClass.school_id).where(SchoolClass.id == class_id).with_for_update()
        )
    ).one()
    rows = await session.exec(
        select(CourseTeacher.teacher_id)
        .join(Course, col(Course.id) == CourseTeacher.course_id)
        .where(Course.class_id == class_id)
        .distinct()
    )
    await class_teaching_set(
        session, school_id=school_id, class_id=class_id, teacher_ids=rows.all()
    )


async def course_create(
    session: AsyncSession,
    *,
    actor: User,
    class_id: int,
    subject_id: int,
    teacher_ids: Sequence[int] = (),
    scale: str = DEFAULT_SCALE,
) -> Course:
    """A new course: a class taking a subject with its teachers, on a grade scale (admin)."""
    require_role(actor, Role.admin)
    school_class = await session.get(SchoolClass, class_id)
    if school_class is None or school_class.school_id != actor.school_id:
        raise NotFound(_("No such class."))
    subject = await session.get(Subject, subject_id)
    if subject is None or subject.school_id != actor.school_id:
        raise NotFound(_("No such subject."))
    if scale not in SCALES:
        raise Invalid(_("Unknown grade scale {code}.", code=scale), code="unknown_scale")
    teachers = await _teachers_of_school(
        session, school_id=actor.school_id, teacher_ids=teacher_ids
    )
    course = Course(
        school_id=actor.school_id, class_id=class_id, subject_id=subject_id, scale=scale
    )
    session.add(course)
    await session.flush()
    session.add_all([CourseTeacher(course_id=course.id or 0, teacher_id=t) for t in teachers])
    await session.flush()
    await class_teaching_refresh(session, class_id=class_id)
    await session.commit()
    return course


async def course_update(
    session: AsyncSession,
    *,
    actor: User,
    course_id: int,
    teacher_ids: Sequence[int] | None = None,
    scale: str | None = None,
) -> Course:
    """Change a course's teachers and/or grade scale (admin).

    Marks already given keep their stored value; values not on a new scale are left
    out of averages.
    """
    require_role(actor, Role.admin)
    course = await session.get(Course, course_id)
    if course is None or course.school_id != actor.school_id:
        raise NotFound(_("No such course."))
    if scale is not None:
        if scale not in SCALES:
            raise Invalid(_("Unknown grade scale {code}.", code=scale), code="unknown_scale")
        course.scale = scale
        session.add(course)
    if teacher_ids is not None:
        teachers = await _teachers_of_school(
            session, school_id=actor.school_id, teacher_ids=teacher_ids
        )
        await session.exec(delete(CourseTeacher).where(col(CourseTeacher.course_id) == course_id))
        session.add_all([CourseTeacher(course_id=course_id, teacher_id=t) for t in teachers])
        await session.flush()
        await class_teaching_refresh(session, class_id=course.class_id)
    await session.commit()
    return course


async def timetable_set(
    session: AsyncSession, *, actor: User, class_id: int, entries: Sequence[TimetableEntryIn]
) -> list[TimetableEntryRow]:
    """Replace a class's weekly timetable (admin). Slots change only when regenerated.

    An entry without times takes them from the school's bell times of its period (the
    default bells when the school has set none); a teacher in two places → 409.
    """
    require_role(actor, Role.admin)
    school_class = await session.get(SchoolClass, class_id)
    if school_class is None or school_class.school_id != actor.school_id:
        raise NotFound(_("No such class."))
    course_ids = set(
        (await session.exec(select(Course.id).where(Course.class_id == class_id))).all()
    )
    rows: list[TimetableEntryRow] = []
    seen: set[tuple[int, int, int]] = set()
    school_bells = await bells_effective(session, school_id=actor.school_id)
    for entry in entries:
        if entry.course_id not in course_ids:
            raise Invalid(_("Course {id} is not a course of this class.", id=entry.course_id))
        key = (entry.course_id, entry.weekday, entry.period)
        if key in seen:
            raise Invalid(_("A course is timetabled twice in the same weekday and period."))
        seen.add(key)
        bells = school_bells.get(entry.period)
        starts = entry.starts or (bells[0] if bells else None)
        ends = entry.ends or (bells[1] if bells else None)
        if starts is None or ends is None:
            raise Invalid(
                _("Period {n} has no default times: give starts and ends.", n=entry.period)
            )
        if starts >= ends:
            raise Invalid(_("A lesson must end after it starts."))
        rows.append(
            TimetableEntryRow(
                school_id=actor.school_id,
                class_id=class_id,
                course_id=entry.course_id,
                weekday=entry.weekday,
                period=entry.period,
                room=entry.room,
                starts=starts,
                ends=ends,
            )
        )
    await teacher_clashes_check(session, school_class=school_class, entries=entries)
    await session.exec(delete(TimetableEntryRow).where(col(TimetableEntryRow.class_id) == class_id))
    session.add_all(rows)
    await session.commit()
    return rows


async def holiday_add(
    session: AsyncSession, *, actor: User, name: str, starts: date, ends: date
) -> Holiday:
    """A school holiday, first and last day inclusive (admin); regenerate slots after it."""
    require_role(actor, Role.admin)
    if ends < starts:
        raise Invalid(_("A holiday must not end before it starts."))
    holiday = Holiday(school_id=actor.school_id, name=name.strip(), starts=starts, ends=ends)
    session.add(holiday)
    await session.commit()
    return holiday


async def holiday_remove(session: AsyncSession, *, actor: User, holiday_id: int) -> None:
    """Remove a holiday (admin)."""
    require_role(actor, Role.admin)
    holiday = await session.get(Holiday, holiday_id)
    if holiday is None or holiday.school_id != actor.school_id:
        raise NotFound(_("No such holiday."))
    await session.delete(holiday)
    await session.commit()


# --- school settings ---------------------------------------------------------------------------


async def work_types_ensure(session: AsyncSession, *, school_id: int) -> list[WorkType]:
    """Store the default work types for a school that has none yet (flushes, no commit)."""
    rows = await session.exec(select(WorkType).where(WorkType.school_id == school_id))
    found = list(rows.all())
    if found:
        return found
    created = [
        WorkType(school_id=school_id, code=code, name=name, weight=weight, position=index)
        for index, (code, name, weight) in enumerate(DEFAULT_WORK_TYPES)
    ]
    session.add_all(created)
    await session.flush()
    return created


async def work_type_save(
    session: AsyncSession,
    *,
    actor: User,
    code: str,
    name: str,
    weight: float,
    position: int | None = None,
) -> WorkType:
    """Add a work type or change one's name, weight or position (admin).

    Marks already given keep the weight they were given with.
    """
    require_role(actor, Role.admin)
    existing = await work_types_ensure(session, school_id=actor.school_id)
    work_type = next((w for w in existing if w.code == code), None)
    if work_type is None:
        work_type = WorkType(
            school_id=actor.school_id,
            code=code,
            name=name,
            weight=weight,
            position=len(existing) if position is None else position,
        )
    else:
        work_type.name, work_type.weight = name, weight
        if position is not None:
            work_type.position = position
    session.add(work_type)
    await session.commit()
    return work_type


async def settings_update(
    session: AsyncSession,
    *,
    actor: User,
    rounding_threshold: float | None = None,
    mark_bands: dict[str, dict[str, float] | None] | None = None,
) -> GradebookSettings:
    """Change the school's gradebook settings (admin): the threshold for suggested term
    marks, in (0, 1], and/or the bands that turn scores into marks per scale
    (``gradebook.marking``; a scale given as None returns to the default bands)."""
    require_role(actor, Role.admin)
    if rounding_threshold is not None and not 0 < rounding_threshold <= 1:
        raise Invalid(_("The rounding threshold must be above 0 and at most 1."))
    checked: dict[str, Bands | None] = {}
    for code, bands in (mark_bands or {}).items():
        try:
            checked[code] = None if bands is None else check_bands(code, bands)
        except (BandsError, ScaleError) as exc:
            raise Invalid(
                _("Marks from scores on the {scale} scale: {problem}", scale=code, problem=exc),
                code="invalid_bands",
            ) from exc
    row = await session.get(GradebookSettings, actor.school_id)
    if row is None:
        row = GradebookSettings(school_id=actor.school_id)
    if rounding_threshold is not None:
        row.rounding_threshold = rounding_threshold
    if checked:
        merged = dict(row.mark_bands or {})
        for code, bands in checked.items():
            if bands:
                merged[code] = bands
            else:
                merged.pop(code, None)
        row.mark_bands = merged or None
    session.add(row)
    await session.commit()
    return row
