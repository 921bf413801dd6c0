"""The one path from scores to journal marks, for homework and live quizzes alike.

A share of the points becomes a value on the course's own scale through the gradebook's
:func:`gradebook.marking.mark_for_share` (with the school's bands); confirmed marks are
written through the gradebook's services, with history, in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from classwork.models import Assignment
from eschool.errors import Conflict, Invalid
from eschool.i18n import gettext as _
from eschool.models import User
from gradebook.marking import mark_for_share
from gradebook.models import Course, Mark
from gradebook.queries import course_marks_for_shares, course_slot_for, mark_bands_of_school
from gradebook.scales import get_scale
from gradebook.services import mark_change, mark_record


async def marks_proposed(
    session: AsyncSession, *, course: Course, shares: dict[int, float]
) -> dict[int, str]:
    """The mark each pupil's share of the points earns on the course's scale."""
    return await course_marks_for_shares(session, course=course, shares=shares)


async def marker_for(
    session: AsyncSession, *, school_id: int, scale_code: str
) -> Callable[[float], str]:
    """A function from a share of the points to a mark on a scale (with the school's bands),
    for reports that propose many marks at once."""
    scale = get_scale(scale_code)
    bands = (await mark_bands_of_school(session, school_id=school_id)).get(scale.code)
    return lambda share: mark_for_share(scale, share, bands or None)


async def slot_for_assignment(
    session: AsyncSession, *, assignment: Assignment, timezone: str
) -> int:
    """Where an assignment's marks go: its own slot, else the course's slot on the due date
    (or the last one before it); 409 ``no_slot`` when the course has no slot yet."""
    if assignment.slot_id is not None:
        return assignment.slot_id
    day = assignment.due.astimezone(ZoneInfo(timezone)).date()
    slot = await course_slot_for(session, course_id=assignment.course_id, day=day)
    if slot is None:
        raise Conflict(
            _("The course has no lesson on or before the due date to put the marks in."),
            code="no_slot",
        )
    return slot.id or 0


async def journal_marks_write(
    session: AsyncSession,
    *,
    actor: User,
    slot_id: int,
    marks: list[tuple[int, Any]],
    work_type: str,
    comment: str,
    reason: str | None = None,
    existing: dict[int, int] | None = None,
) -> dict[int, Mark]:
    """Write marks into one journal slot (flushes, never commits: the caller owns the
    transaction and rolls back on an error). ``existing`` maps a pupil to a mark written
    before from the same work: that mark is changed (with history) rather than doubled."""
    pupils = [pupil for pupil, _value in marks]
    if len(set(pupils)) != len(pupils):
        raise Invalid(_("Give each pupil one mark."), code="duplicate_pupil")
    written: dict[int, Mark] = {}
    for pupil_id, value in marks:
        earlier = (existing or {}).get(pupil_id)
        if earlier is not None:
            written[pupil_id] = await mark_change(
                session,
                actor=actor,
                mark_id=earlier,
                value=value,
                reason=reason or _("Marked again"),
                commit=False,
            )
            continue
        written[pupil_id] = await mark_record(
            session,
            actor=actor,
            pupil_id=pupil_id,
            slot_id=slot_id,
            value=value,
            work_type=work_type,
            comment=comment,
            reason=reason,
            commit=False,
        )
    return written
