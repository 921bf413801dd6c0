"""Writes of the lesson slots: the term's slots generated from the timetable (keeping those that
already hold marks, attendance or a topic), and one slot's topic, homework and library lesson."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from eschool.access import require_role
from eschool.errors import Invalid, NotFound
from eschool.i18n import gettext as _
from eschool.models import Role, SchoolClass, Term, User
from eschool.timeutil import utcnow
from gradebook import notices, queries
from gradebook.models import (
    Attendance,
    Course,
    Mark,
    Slot,
    TimetableEntryRow,
)
from gradebook.services import require_write
from gradebook.timetable import TimetableEntry, generate_slots


@dataclass
class GenerationResult:
    """What a (re)generation of slots did."""

    created: int = 0
    updated: int = 0
    removed: int = 0
    kept: int = 0

    def as_dict(self) -> dict[str, int]:
        """JSON-ready counts."""
        return {
            "created": self.created,
            "updated": self.updated,
            "removed": self.removed,
            "kept": self.kept,
        }


def _slot_has_content(slot: Slot) -> bool:
    return bool(slot.topic or slot.homework or slot.attachments or slot.lesson_id)


async def slots_generate(
    session: AsyncSession, *, actor: User | None, term_id: int, class_id: int | None = None
) -> GenerationResult:
    """(Re)generate a term's lesson slots from the timetables, skipping holidays (admin).

    Slots that the timetable still has are kept (their room and times updated); new
    ones are created; a slot the timetable no longer has is removed only when it holds
    nothing — a slot with marks (even deleted ones), attendance, a topic, homework,
    attachments or a lesson link is kept. `actor=None` is for the demo seed.
    """
    if actor is not None:
        require_role(actor, Role.admin)
    term = await session.get(Term, term_id)
    if term is None or (actor is not None and term.school_id != actor.school_id):
        raise NotFound(_("No such term."))
    query = (
        select(TimetableEntryRow)
        .join(SchoolClass, col(SchoolClass.id) == TimetableEntryRow.class_id)
        .where(SchoolClass.year_id == term.year_id, TimetableEntryRow.school_id == term.school_id)
    )
    course_query = (
        select(Course.id)
        .join(SchoolClass, col(SchoolClass.id) == Course.class_id)
        .where(SchoolClass.year_id == term.year_id, Course.school_id == term.school_id)
    )
    if class_id is not None:
        query = query.where(TimetableEntryRow.class_id == class_id)
        course_query = course_query.where(Course.class_id == class_id)
    entries = [
        TimetableEntry(row.weekday, row.period, row.course_id, row.room, row.starts, row.ends)
        for row in (await session.exec(query)).all()
    ]
    course_ids = list((await session.exec(course_query)).all())
    holidays = [
        (h.starts, h.ends)
        for h in await queries.holidays_of_school(session, school_id=term.school_id)
    ]
    plans = {
        (plan.course_id, plan.date, plan.period): plan
        for plan in generate_slots(entries, start=term.starts, end=term.ends, holidays=holidays)
    }
    existing = list(
        (
            await session.exec(
                select(Slot).where(
                    col(Slot.course_id).in_(course_ids),
                    Slot.date >= term.starts,
                    Slot.date <= term.ends,
                )
            )
        ).all()
    )
    result = GenerationResult()
    orphans = []
    for slot in existing:
        plan = plans.pop((slot.course_id, slot.date, slot.period), None)
        if plan is None:
            orphans.append(slot)
            continue
        if (slot.room, slot.starts, slot.ends, slot.term_id) != (
            plan.room,
            plan.starts,
            plan.ends,
            term.id,
        ):
            slot.room, slot.starts, slot.ends, slot.term_id = (
                plan.room,
                plan.starts,
                plan.ends,
                term.id or 0,
            )
            session.add(slot)
            result.updated += 1
    if orphans:
        orphan_ids = [slot.id for slot in orphans]
        used = set(
            (
                await session.exec(select(Mark.slot_id).where(col(Mark.slot_id).in_(orphan_ids)))
            ).all()
        ) | set(
            (
                await session.exec(
                    select(Attendance.slot_id).where(col(Attendance.slot_id).in_(orphan_ids))
                )
            ).all()
        )
        for slot in orphans:
            if slot.id in used or _slot_has_content(slot):
                result.kept += 1
            else:
                await session.delete(slot)
                result.removed += 1
    session.add_all(
        [
            Slot(
                school_id=term.school_id,
                course_id=plan.course_id,
                term_id=term.id or 0,
                date=plan.date,
                period=plan.period,
                starts=plan.starts,
                ends=plan.ends,
                room=plan.room,
            )
            for plan in plans.values()
        ]
    )
    result.created = len(plans)
    await session.commit()
    return result


async def slot_update(
    session: AsyncSession,
    *,
    actor: User,
    slot_id: int,
    changes: dict[str, Any],
    lesson: dict[str, Any] | None = None,
) -> Slot:
    """Set a slot's topic, homework, attachments and/or library lesson link.

    `changes` holds only the fields to change (`topic`, `homework`, `attachments` — a
    list of upload ids —, `lesson_id`; `lesson_id: None` unlinks). The gradebook does not
    know the library: a caller that links a lesson (classwork) resolves it first and passes
    `lesson` as `{"lesson_id", "version", "title"}`, stored as the slot's pinned link.
    """
    view = await queries.slot_get(session, actor=actor, slot_id=slot_id)
    require_write(view.course)
    slot = view.slot
    if changes.get("lesson_id") is not None and (
        lesson is None or lesson.get("lesson_id") != changes["lesson_id"]
    ):
        raise Invalid(_("The library lesson could not be linked."), code="unresolved_lesson")
    if "topic" in changes and changes["topic"] is not None:
        slot.topic = changes["topic"].strip()
    if "homework" in changes and changes["homework"] is not None:
        homework = changes["homework"].strip()
        if homework != slot.homework:
            slot.homework = homework
            slot.homework_at = utcnow() if homework else None
            await notices.homework_noticed(session, view=view, homework=homework)
    if "attachments" in changes and changes["attachments"] is not None:
        slot.attachments = list(dict.fromkeys(str(a) for a in changes["attachments"]))
        if slot.attachments:
            slot.homework_at = utcnow()
    if "lesson_id" in changes:
        if changes["lesson_id"] is None or lesson is None:
            slot.lesson_id = slot.lesson_version = slot.lesson_title = None
        else:
            slot.lesson_id = int(lesson["lesson_id"])
            slot.lesson_version = lesson.get("version")
            slot.lesson_title = str(lesson.get("title") or "")[:300] or None
    slot.updated_at = utcnow()
    session.add(slot)
    await session.commit()
    return slot
