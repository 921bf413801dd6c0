"""A teacher's day, for their home page: the lessons of a day and what the journal still
waits for (the week's past lessons without a topic). Reads only, scoped to the teacher's own
courses in their school."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from eschool.models import SchoolClass, User
from gradebook.journal_models import MyDayPublic
from gradebook.models import Slot, Subject
from gradebook.public import attachment_names, files_public, slot_public, subject_public
from gradebook.queries import teacher_slots_on, teacher_slots_select
from gradebook.timetable import week_bounds

__all__ = ["teacher_day"]


def _lesson(slot: Slot, school_class: SchoolClass, subject: Subject) -> dict[str, Any]:
    return {
        **slot_public(slot),
        "class": {"id": school_class.id, "name": school_class.name},
        "subject": subject_public(subject),
        "journal_url": f"/journal/{slot.course_id}",
    }


async def _without_topic(
    session: AsyncSession, *, actor: User, start: date, before: date
) -> list[dict[str, Any]]:
    """The teacher's lessons from ``start`` up to (not including) ``before`` with no topic."""
    rows = await session.exec(
        teacher_slots_select(actor)
        .where(Slot.date >= start, Slot.date < before, Slot.topic == "")
        .order_by(col(Slot.date), col(Slot.period), col(SchoolClass.name))
    )
    return [_lesson(slot, school_class, subject) for slot, school_class, subject in rows.all()]


async def teacher_day(session: AsyncSession, *, actor: User, day: date) -> MyDayPublic:
    """``{"date","lessons":[…],"without_topic":[…]}``: the actor's lessons on ``day`` by
    period, and the lessons of that week before ``day`` that still have no topic.

    Each lesson is a slot (``id``, ``course_id``, ``date``, ``period``, ``starts``,
    ``ends``, ``room``, ``topic``, ``homework``, ``attachments``, ``lesson``: the linked
    library lesson or None) with its ``class``, ``subject``, ``journal_url`` and, for the
    day's lessons, ``files`` (the attachments with their names).
    """
    rows = await teacher_slots_on(session, actor=actor, day=day)
    names = await attachment_names(
        session, school_id=actor.school_id, slots=(slot for slot, _c, _s in rows)
    )
    lessons = [
        {**_lesson(slot, school_class, subject), "files": files_public(slot, names)}
        for slot, school_class, subject in rows
    ]
    monday, _sunday = week_bounds(day)
    without_topic = await _without_topic(session, actor=actor, start=monday, before=day)
    return MyDayPublic.model_validate(
        {"date": day, "lessons": lessons, "without_topic": without_topic}
    )
