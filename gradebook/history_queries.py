"""Reads of the journal's history (every change of a mark, an attendance record or a term mark,
with who made it) and of a class's attendance summaries."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from eschool.access import classes_taught
from eschool.errors import Forbidden, NotFound
from eschool.i18n import gettext as _
from eschool.models import Role, SchoolClass, User
from eschool.queries import term_public
from gradebook.averages import attendance_summary
from gradebook.journal_models import (
    ClassAttendancePublic,
    HistoryEntryPublic,
    PupilAttendance,
)
from gradebook.models import (
    Attendance,
    Course,
    HistoryEntry,
    Mark,
    Slot,
    TermMark,
)
from gradebook.public import history_public, person_public
from gradebook.queries import class_pupils_of, course_get, past_statuses, slot_get, term_for
from gradebook.ref_models import ClassRef


async def history_of(
    session: AsyncSession, *, school_id: int, entity: str, entity_id: int
) -> list[HistoryEntryPublic]:
    """Every recorded create, change and delete of one record, oldest first."""
    rows = await session.exec(
        select(HistoryEntry, User)
        .join(User, col(User.id) == HistoryEntry.by_id, isouter=True)
        .where(
            HistoryEntry.school_id == school_id,
            HistoryEntry.entity == entity,
            HistoryEntry.entity_id == entity_id,
        )
        .order_by(col(HistoryEntry.at), col(HistoryEntry.id))
    )
    return [history_public(entry, by) for entry, by in rows.all()]


async def mark_history(
    session: AsyncSession, *, actor: User, mark_id: int
) -> list[HistoryEntryPublic]:
    """The history of a mark (deleted ones too) for a teacher of its course or the admin."""
    if actor.role not in (Role.admin, Role.teacher):
        raise Forbidden(_("Only teachers and the administrator read a mark's history."))
    mark = await session.get(Mark, mark_id)
    if mark is None or mark.school_id != actor.school_id:
        raise NotFound(_("No such mark."))
    await slot_get(session, actor=actor, slot_id=mark.slot_id)
    return await history_of(session, school_id=actor.school_id, entity="mark", entity_id=mark_id)


async def attendance_history(
    session: AsyncSession, *, actor: User, pupil_id: int, slot_id: int
) -> list[HistoryEntryPublic]:
    """The history of a pupil's attendance at a slot (teachers of the course, admin)."""
    if actor.role not in (Role.admin, Role.teacher):
        raise Forbidden(_("Only teachers and the administrator read attendance history."))
    await slot_get(session, actor=actor, slot_id=slot_id)
    record = (
        await session.exec(
            select(Attendance).where(Attendance.slot_id == slot_id, Attendance.pupil_id == pupil_id)
        )
    ).first()
    if record is None:
        return []
    return await history_of(
        session, school_id=actor.school_id, entity="attendance", entity_id=record.id or 0
    )


async def term_mark_history(
    session: AsyncSession, *, actor: User, pupil_id: int, course_id: int, term_id: int
) -> list[HistoryEntryPublic]:
    """The history of a pupil's term mark in a course (teachers of the course, admin)."""
    if actor.role not in (Role.admin, Role.teacher):
        raise Forbidden(_("Only teachers and the administrator read term mark history."))
    await course_get(session, actor=actor, course_id=course_id)
    record = (
        await session.exec(
            select(TermMark).where(
                TermMark.course_id == course_id,
                TermMark.term_id == term_id,
                TermMark.pupil_id == pupil_id,
            )
        )
    ).first()
    if record is None:
        return []
    return await history_of(
        session, school_id=actor.school_id, entity="term_mark", entity_id=record.id or 0
    )


# --- attendance summaries -------------------------------------------------------------------


async def class_attendance(
    session: AsyncSession, *, actor: User, class_id: int, term_id: int | None, today: date
) -> ClassAttendancePublic:
    """Attendance over every course of a class in a term: per pupil and for the class.

    For the admin, the form tutor and the teachers of the class's courses.
    Returns `{"class","term","pupils":[{"pupil","summary"}],"total"}`.
    """
    school_class = await session.get(SchoolClass, class_id)
    if school_class is None or school_class.school_id != actor.school_id:
        raise NotFound(_("No such class."))
    if actor.role not in (Role.admin, Role.teacher):
        raise NotFound(_("No such class."))
    if actor.role == Role.teacher and class_id not in await classes_taught(session, actor):
        raise NotFound(_("No such class."))
    term = await term_for(session, school_id=actor.school_id, term_id=term_id, today=today)
    pupils = await class_pupils_of(session, class_id)
    slots = list(
        (
            await session.exec(
                select(Slot)
                .join(Course, col(Course.id) == Slot.course_id)
                .where(Course.class_id == class_id, Slot.term_id == term.id, Slot.date <= today)
            )
        ).all()
    )
    slot_ids = [slot.id for slot in slots]
    status_of: dict[int, dict[int, str]] = defaultdict(dict)
    if slot_ids:
        for record in (
            await session.exec(select(Attendance).where(col(Attendance.slot_id).in_(slot_ids)))
        ).all():
            status_of[record.pupil_id][record.slot_id] = record.status
    rows: list[PupilAttendance] = []
    every: list[str] = []
    for pupil in pupils:
        statuses = past_statuses(slots, status_of.get(pupil.id or 0, {}), today)
        every.extend(statuses)
        rows.append(
            PupilAttendance.model_validate(
                {"pupil": person_public(pupil), "summary": attendance_summary(statuses)}
            )
        )
    return ClassAttendancePublic.model_validate(
        {
            "class": ClassRef(id=school_class.id or 0, name=school_class.name),
            "term": term_public(term),
            "pupils": rows,
            "total": attendance_summary(every),
        }
    )
