"""The gradebook's rows as the JSON API and the pages carry them (one shape per thing)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import Row
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from eschool.i18n import gettext as _
from eschool.models import User
from eschool.timeutil import iso
from eschool.uploads.queries import uploads_info
from gradebook.journal_models import AttendanceRecord, HistoryEntryPublic
from gradebook.models import (
    Attendance,
    HistoryEntry,
    Holiday,
    Mark,
    Slot,
    Subject,
    TimetableEntryRow,
    WorkType,
)
from gradebook.ref_models import PersonRef
from gradebook.structure_models import HolidayPublic, TimetableEntryPublic

if TYPE_CHECKING:
    from gradebook.mark_direct import NewMark
    from gradebook.queries import CourseView


def person_ref(user: User | None) -> dict[str, Any] | None:
    """`{"id","name"}` of a person, or None (a plain dict: the journal's rendered JSON)."""
    return None if user is None else {"id": user.id, "name": user.name}


def person_public(user: User | None) -> PersonRef | None:
    """`{"id","name"}` of a person, or None."""
    return None if user is None else PersonRef(id=user.id or 0, name=user.name)


def subject_public(subject: Subject) -> dict[str, Any]:
    """The wire form of a subject."""
    return {"id": subject.id, "name": subject.name, "short_name": subject.short_name}


def course_public(view: CourseView) -> dict[str, Any]:
    """`{"id","class","subject","teacher","teachers","scale","access"}`."""
    return {
        "id": view.course.id,
        "class": {"id": view.school_class.id, "name": view.school_class.name},
        "subject": subject_public(view.subject),
        "teacher": person_ref(view.teachers[0]) if view.teachers else None,
        "teachers": [person_ref(t) for t in view.teachers],
        "scale": view.course.scale,
        "access": view.access,
    }


def lesson_link(slot: Slot) -> dict[str, Any] | None:
    """The library lesson a slot links to, or None."""
    if slot.lesson_id is None:
        return None
    return {"lesson_id": slot.lesson_id, "version": slot.lesson_version, "title": slot.lesson_title}


def slot_public(slot: Slot) -> dict[str, Any]:
    """The wire form of a lesson slot."""
    return {
        "id": slot.id,
        "course_id": slot.course_id,
        "term_id": slot.term_id,
        "date": iso(slot.date),
        "period": slot.period,
        "starts": slot.starts.strftime("%H:%M"),
        "ends": slot.ends.strftime("%H:%M"),
        "room": slot.room,
        "topic": slot.topic,
        "homework": slot.homework,
        "attachments": list(slot.attachments or []),
        "lesson": lesson_link(slot),
    }


async def attachment_names(
    session: AsyncSession, *, school_id: int, slots: Iterable[Slot]
) -> dict[str, str]:
    """The names the homework files of these slots were uploaded with, by file id ("" when
    a file has none)."""
    ids = {sha for slot in slots for sha in slot.attachments or []}
    info = await uploads_info(session, school_id=school_id, shas=ids)
    return {sha: str(info.get(sha, {}).get("filename") or "") for sha in ids}


def files_public(slot: Slot, names: dict[str, str]) -> list[dict[str, Any]]:
    """`[{"id","name"}]`: a slot's homework files, in order, with the names they had."""
    return [{"id": sha, "name": names.get(sha, "")} for sha in slot.attachments or []]


MARK_ROW_COLUMNS = (
    col(Mark.id),
    col(Mark.pupil_id),
    col(Mark.slot_id),
    col(Mark.value),
    col(Mark.work_type),
    col(Mark.weight),
    col(Mark.comment),
    col(Mark.created_at),
)
"""The columns `mark_public` reads: select these to get rows it takes in place of a Mark."""


def mark_public(mark: Mark | NewMark | Row[Any]) -> dict[str, Any]:
    """`{"id","pupil_id","slot_id","value","work_type","weight","comment","created_at"}`.

    Takes a Mark, a mark just written on the driver, or a row of `MARK_ROW_COLUMNS` (the
    journal reads marks as rows).
    """
    return {
        "id": mark.id,
        "pupil_id": mark.pupil_id,
        "slot_id": mark.slot_id,
        "value": mark.value,
        "work_type": mark.work_type,
        "weight": mark.weight,
        "comment": mark.comment,
        "created_at": iso(mark.created_at),
    }


def attendance_public(record: Attendance) -> AttendanceRecord:
    """`{"pupil_id","slot_id","status"}`."""
    return AttendanceRecord.model_validate(record)


def work_type_public(work_type: WorkType) -> dict[str, Any]:
    """`{"code","name","weight"}`."""
    return {"code": work_type.code, "name": _(work_type.name), "weight": work_type.weight}


def history_public(entry: HistoryEntry, by: User | None) -> HistoryEntryPublic:
    """`{"at","by","action","field","old","new","reason"}` of one history entry."""
    return HistoryEntryPublic(
        at=entry.at,
        by=person_public(by),
        action=entry.action,  # the services write only these (validated here)
        field=entry.field,
        old=entry.old,
        new=entry.new,
        reason=entry.reason,
    )


def holiday_public(holiday: Holiday) -> HolidayPublic:
    """`{"id","name","starts","ends"}`."""
    return HolidayPublic.model_validate(holiday)


def timetable_entry_public(entry: TimetableEntryRow) -> TimetableEntryPublic:
    """`{"id","weekday","period","course_id","room","starts","ends"}` ("HH:MM" times)."""
    return TimetableEntryPublic(
        id=entry.id or 0,
        weekday=entry.weekday,
        period=entry.period,
        course_id=entry.course_id,
        room=entry.room,
        starts=f"{entry.starts:%H:%M}",
        ends=f"{entry.ends:%H:%M}",
    )
