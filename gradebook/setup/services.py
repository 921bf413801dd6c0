"""Writes of the set-up pages beyond `gradebook.services`: renaming and deleting subjects,
guarded course changes, validated holidays and removing work types.

Errors about one field carry `details: [{"loc": [field], "message"}]`, so that a page
shows them next to that field, like a request body's validation errors.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from eschool.access import require_role
from eschool.errors import Conflict, Invalid, NotFound
from eschool.i18n import gettext as _
from eschool.models import AcademicYear, Role, User
from eschool.timeutil import iso
from gradebook import structure_services
from gradebook.models import (
    Course,
    Holiday,
    HolidayCreate,
    Mark,
    Slot,
    Subject,
    TermMark,
    WorkType,
)
from gradebook.scales import SCALES, get_scale

HOLIDAY_MAX_DAYS = 366


def field_invalid(field: str, message: str, code: str = "invalid") -> Invalid:
    """A 422 about one field of the request, with `details` naming it."""
    return Invalid(message, code=code, details=[{"loc": [field], "message": message}])


def field_conflict(field: str, message: str, code: str = "conflict") -> Conflict:
    """A 409 about one field of the request, with `details` naming it."""
    return Conflict(message, code=code, details=[{"loc": [field], "message": message}])


def _clean_name(value: str, field: str = "name") -> str:
    value = " ".join(value.split())
    if not value:
        raise field_invalid(field, _("A name is needed."))
    return value


# --- subjects ------------------------------------------------------------------------------


async def _subject_of_school(session: AsyncSession, *, actor: User, subject_id: int) -> Subject:
    subject = await session.get(Subject, subject_id)
    if subject is None or subject.school_id != actor.school_id:
        raise NotFound(_("No such subject."))
    return subject


async def subject_courses(session: AsyncSession, *, subject_id: int) -> int:
    """How many courses teach the subject."""
    rows = await session.exec(
        select(func.count()).select_from(Course).where(Course.subject_id == subject_id)
    )
    return int(rows.one())


async def subject_add(
    session: AsyncSession, *, actor: User, name: str, short_name: str | None = None
) -> Subject:
    """A new subject (admin); a taken name is a 409 about the `name` field."""
    require_role(actor, Role.admin)
    name = _clean_name(name)
    taken = await session.exec(
        select(Subject.id).where(Subject.school_id == actor.school_id, Subject.name == name)
    )
    if taken.first() is not None:
        raise field_conflict("name", _("There is already a subject with this name."))
    return await structure_services.subject_create(
        session, actor=actor, name=name, short_name=short_name
    )


async def subject_rename(
    session: AsyncSession,
    *,
    actor: User,
    subject_id: int,
    name: str | None = None,
    short_name: str | None = None,
) -> Subject:
    """Change a subject's name and/or short name (admin); 409 when the name is taken."""
    require_role(actor, Role.admin)
    subject = await _subject_of_school(session, actor=actor, subject_id=subject_id)
    if name is not None:
        name = _clean_name(name)
        taken = await session.exec(
            select(Subject.id).where(
                Subject.school_id == actor.school_id,
                Subject.name == name,
                Subject.id != subject_id,
            )
        )
        if taken.first() is not None:
            raise field_conflict("name", _("There is already a subject with this name."))
        subject.name = name
    if short_name is not None:
        subject.short_name = " ".join(short_name.split()) or subject.name[:8]
    session.add(subject)
    await session.commit()
    return subject


async def subject_delete(session: AsyncSession, *, actor: User, subject_id: int) -> None:
    """Delete a subject no course teaches (admin); 409 `subject_in_use` otherwise."""
    require_role(actor, Role.admin)
    subject = await _subject_of_school(session, actor=actor, subject_id=subject_id)
    used = await subject_courses(session, subject_id=subject_id)
    if used:
        raise Conflict(
            _("{count} course(s) teach this subject: it cannot be deleted.", count=used),
            code="subject_in_use",
        )
    await session.delete(subject)
    await session.commit()


# --- courses -------------------------------------------------------------------------------


async def course_has_marks(session: AsyncSession, *, course_id: int) -> bool:
    """Whether any mark (not deleted) or term mark was given in the course."""
    mark = await session.exec(
        select(Mark.id)
        .join(Slot, col(Slot.id) == Mark.slot_id)
        .where(Slot.course_id == course_id, col(Mark.deleted_at).is_(None))
        .limit(1)
    )
    if mark.first() is not None:
        return True
    term_mark = await session.exec(
        select(TermMark.id)
        .where(TermMark.course_id == course_id, col(TermMark.value).is_not(None))
        .limit(1)
    )
    return term_mark.first() is not None


async def course_change(
    session: AsyncSession,
    *,
    actor: User,
    course_id: int,
    teacher_ids: Sequence[int] | None = None,
    scale: str | None = None,
) -> Course:
    """Change a course's teachers and/or grade scale (admin).

    The scale changes only while the course has no marks: marks given on one scale would
    mean something else on another (409 `scale_in_use`)."""
    require_role(actor, Role.admin)
    course = await session.get(Course, course_id)
    if course is None or course.school_id != actor.school_id:
        raise NotFound(_("No such course."))
    if scale is not None and scale not in SCALES:
        raise field_invalid("scale", _("Unknown grade scale {code}.", code=scale), "unknown_scale")
    changing = scale is not None and scale != course.scale
    if changing and await course_has_marks(session, course_id=course_id):
        raise field_conflict(
            "scale",
            _(
                "The course already has marks on the {scale} scale: its scale can no "
                "longer change.",
                scale=_(get_scale(course.scale).label),
            ),
            code="scale_in_use",
        )
    return await structure_services.course_update(
        session, actor=actor, course_id=course_id, teacher_ids=teacher_ids, scale=scale
    )


# --- holidays ------------------------------------------------------------------------------


async def holiday_create(session: AsyncSession, *, actor: User, data: HolidayCreate) -> Holiday:
    """A holiday whose dates are checked (admin): it ends on or after its start, lasts at
    most a year, lies inside one of the school's academic years and overlaps no other
    holiday. Regenerate the slots of the terms it falls in afterwards."""
    require_role(actor, Role.admin)
    name = _clean_name(data.name)
    if data.ends < data.starts:
        raise field_invalid("ends", _("A holiday must not end before it starts."))
    if (data.ends - data.starts).days + 1 > HOLIDAY_MAX_DAYS:
        raise field_invalid(
            "ends", _("A holiday lasts at most {days} days.", days=HOLIDAY_MAX_DAYS)
        )
    years = (
        await session.exec(select(AcademicYear).where(AcademicYear.school_id == actor.school_id))
    ).all()
    if not years:
        raise field_invalid("starts", _("Create an academic year first."), "no_year")
    if not any(y.starts <= data.starts and data.ends <= y.ends for y in years):
        ordered = sorted(years, key=lambda y: y.starts)
        spans = ", ".join(f"{iso(y.starts)}…{iso(y.ends)}" for y in ordered)
        raise field_invalid(
            "starts", _("A holiday lies inside an academic year: {spans}.", spans=spans)
        )
    overlapping = await session.exec(
        select(Holiday).where(
            Holiday.school_id == actor.school_id,
            Holiday.starts <= data.ends,
            Holiday.ends >= data.starts,
        )
    )
    other = overlapping.first()
    if other is not None:
        raise field_invalid(
            "starts", _("The dates overlap the holiday {name}.", name=other.name), "overlap"
        )
    return await structure_services.holiday_add(
        session, actor=actor, name=name, starts=data.starts, ends=data.ends
    )


# --- work types ----------------------------------------------------------------------------


async def work_type_remove(session: AsyncSession, *, actor: User, code: str) -> None:
    """Remove a work type no mark uses (admin); 409 `work_type_in_use` otherwise."""
    require_role(actor, Role.admin)
    existing = await structure_services.work_types_ensure(session, school_id=actor.school_id)
    work_type: WorkType | None = next((w for w in existing if w.code == code), None)
    if work_type is None:
        raise NotFound(_("No such work type."))
    used = await session.exec(
        select(Mark.id).where(Mark.school_id == actor.school_id, Mark.work_type == code).limit(1)
    )
    if used.first() is not None:
        raise Conflict(
            _("Marks were given as this work type: it cannot be removed."),
            code="work_type_in_use",
        )
    if len(existing) == 1:
        raise Conflict(_("A school keeps at least one work type."), code="last_work_type")
    await session.delete(work_type)
    await session.commit()
