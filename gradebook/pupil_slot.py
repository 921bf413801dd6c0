"""The read a journal write about one pupil starts with: the slot, its course and term, what
the actor may do, whether the pupil is in the class, the work type asked for, the school's
rounding threshold and, for a new mark's answer, the pupil's term mark — in one statement,
as plain values (a write needs none of the ORM's objects); the pupil's marks in the term in
a second."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import BindParameter, String, bindparam, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from eschool.db import flushed_connection
from eschool.errors import NotFound
from eschool.i18n import gettext as _
from eschool.models import Enrolment, SchoolClass, Term, User
from gradebook.mark_tally import PUPIL_TALLIES
from gradebook.models import (
    DEFAULT_ROUNDING_THRESHOLD,
    DEFAULT_WORK_TYPES,
    Course,
    CourseTeacher,
    GradebookSettings,
    Slot,
    Subject,
    TermMark,
    WorkType,
)
from gradebook.queries import access_of, slot_joins
from gradebook.scales import Scale, get_scale

_SCHOOL: BindParameter[int] = bindparam("school_id")


@dataclass(frozen=True, slots=True)
class PupilSlot:
    """What a journal write about one pupil in a slot needs, read in one statement: the slot,
    its course and term as plain values, what the actor may do (``access``, as
    :class:`CourseView`'s), whether the pupil is in the course's class, the work type asked
    for (``(code, weight)``; None: the school has no such one) and the school's rounding
    threshold."""

    slot_id: int
    school_id: int
    date: date
    term_id: int
    term_closed: bool
    course_id: int
    scale_code: str
    class_id: int
    form_tutor_id: int | None
    subject: str
    access: str | None
    enrolled: bool
    work_type: tuple[str, float] | None
    threshold: float
    # Only with ``with_marks``: the pupil's term mark in the course and their marks (value,
    # weight) in the slot's term (those of a value and weight as one: see with_marks_read).
    term_mark: str | None = None
    marks: tuple[tuple[str, float], ...] = ()

    @property
    def scale(self) -> Scale:
        """The course's grade scale."""
        return get_scale(self.scale_code)


_ACTOR: BindParameter[int] = bindparam("actor_id")
_WORK_TYPE: BindParameter[str | None] = bindparam("work_type", type_=String)
_PUPIL_SLOT = slot_joins(
    select(  # type: ignore[call-overload]  # sqlmodel types select() up to four columns
        Slot.date,
        Slot.term_id,
        Term.closed,
        Course.id,
        Course.scale,
        Course.class_id,
        SchoolClass.form_tutor_id,
        Subject.name,
        select(CourseTeacher.id)
        .where(col(CourseTeacher.course_id) == Course.id, col(CourseTeacher.teacher_id) == _ACTOR)
        .exists(),
        select(Enrolment.id)
        .where(
            col(Enrolment.pupil_id) == bindparam("pupil_id"),
            col(Enrolment.class_id) == Course.class_id,
        )
        .exists(),
        # The school's work type of the code, and how many it saved (none: the defaults).
        select(WorkType.weight)
        .where(col(WorkType.school_id) == _SCHOOL, col(WorkType.code) == _WORK_TYPE)
        .scalar_subquery(),
        select(func.count()).where(col(WorkType.school_id) == _SCHOOL).scalar_subquery(),
        select(GradebookSettings.rounding_threshold)
        .where(col(GradebookSettings.school_id) == _SCHOOL)
        .scalar_subquery(),
    )
)
# The same with the pupil's term mark in the course (one row), and the pupil's marks in the
# course's term, read after it (a statement of their own: joined to the slot's row, SQLite
# ran the slot's subqueries again for each mark).
_PUPIL_SLOT_TERM_MARK = _PUPIL_SLOT.add_columns(
    select(TermMark.value)
    .where(
        col(TermMark.course_id) == Course.id,
        col(TermMark.term_id) == Slot.term_id,
        col(TermMark.pupil_id) == bindparam("pupil_id"),
    )
    .scalar_subquery()
)


def _chosen_work_type(code: str, weight: float | None, saved: int) -> tuple[str, float] | None:
    """The work type ``code`` names as ``(code, weight)``: the school's own when it saved any
    (``weight`` of its ``code``, None when it has no such one), else one of the defaults."""
    if saved:
        return None if weight is None else (code, weight)
    for default_code, _name, default_weight in DEFAULT_WORK_TYPES:
        if default_code == code:
            return code, default_weight
    return None


async def slot_for_pupil(
    session: AsyncSession,
    *,
    actor: User,
    slot_id: int,
    pupil_id: int,
    work_type: str | None = None,
    with_marks: bool = False,
) -> PupilSlot:
    """The slot as a journal write about ``pupil_id`` needs it (:class:`PupilSlot`; with the
    work type of code ``work_type`` when given, and ``with_marks`` the pupil's term mark and
    marks in the course's term), in one statement (two with the marks); 404 for a slot the
    actor may not see."""
    params = pupil_slot_params(actor=actor, slot_id=slot_id, pupil_id=pupil_id, work_type=work_type)
    connection = await flushed_connection(session)
    rows = (
        await connection.execute(_PUPIL_SLOT_TERM_MARK if with_marks else _PUPIL_SLOT, params)
    ).all()
    found = pupil_slot_from_rows(
        rows, actor=actor, slot_id=slot_id, work_type=work_type, with_marks=with_marks
    )
    if not with_marks:
        return found
    marks = (await connection.execute(PUPIL_TALLIES, marks_params(found, pupil_id))).all()
    return with_marks_read(found, marks)


# Public for writes made straight on the driver (gradebook.mark_direct), which run them
# themselves with :data:`gradebook.mark_tally.PUPIL_TALLIES`: the statements of
# :func:`slot_for_pupil` with the marks, their values, their rows read.
PUPIL_SLOT_TERM_MARK = _PUPIL_SLOT_TERM_MARK


def marks_params(found: PupilSlot, pupil_id: int) -> dict[str, Any]:
    """The values of the statement of the pupil's marks in the slot's course and term."""
    return {"pupil_id": pupil_id, "course_id": found.course_id, "term_id": found.term_id}


def with_marks_read(found: PupilSlot, marks: Sequence[Sequence[Any]]) -> PupilSlot:
    """``found`` with the pupil's marks (the rows of
    :data:`gradebook.mark_tally.PUPIL_TALLIES`: see :func:`marks_weighed`)."""
    return replace(found, marks=marks_weighed(marks))


def marks_weighed(marks: Sequence[Sequence[Any]]) -> tuple[tuple[str, float], ...]:
    """The pupil's marks from the rows of :data:`gradebook.mark_tally.PUPIL_TALLIES` (a value,
    a weight and how many of the pupil's marks have both), for their average: the marks of a
    value and weight as one of the value weighing as much as they do together."""
    pairs: list[tuple[str, float]] = []
    for value, weight, count in marks:
        pairs.extend(_weighing(value, weight, count))
    return tuple(pairs)


def _weighing(value: str, weight: float, count: int) -> list[tuple[str, float]]:
    """``count`` marks of ``value`` and ``weight`` as one weighing their sum, when that sum
    is a float whose shortest form is the exact sum of the decimals the weights are
    written as (as :func:`gradebook.averages.weighted_average` reads weights: the average
    is the same); else as they are."""
    if count == 1 or not isinstance(weight, float) or not math.isfinite(weight):
        return [(value, weight)] * count
    exact = Decimal(repr(weight)) * count
    total = float(exact)
    return [(value, total)] if Decimal(repr(total)) == exact else [(value, weight)] * count


def pupil_slot_params(
    *, actor: User, slot_id: int, pupil_id: int, work_type: str | None
) -> dict[str, Any]:
    """The values of :func:`slot_for_pupil`'s statement."""
    return {
        "slot_id": slot_id,
        "school_id": actor.school_id,
        "actor_id": actor.id,
        "pupil_id": pupil_id,
        "work_type": work_type,
    }


def pupil_slot_from_rows(
    rows: Sequence[Sequence[Any]],
    *,
    actor: User,
    slot_id: int,
    work_type: str | None,
    with_marks: bool,
) -> PupilSlot:
    """What :func:`slot_for_pupil` answers, from the rows of its statement."""
    if not rows:
        raise NotFound(_("No such lesson slot."))
    row = rows[0]
    day, term_id, closed, course_id, scale, class_id, tutor_id, subject, teaches = row[:9]
    enrolled, weight, saved, threshold = row[9:13]
    access = access_of(actor, tutor_id, [actor.id] if teaches else [])
    if access is None:
        raise NotFound(_("No such course."))
    return PupilSlot(
        slot_id=slot_id,
        school_id=actor.school_id,
        date=day,
        term_id=term_id,
        term_closed=bool(closed),
        course_id=course_id,
        scale_code=scale,
        class_id=class_id,
        form_tutor_id=tutor_id,
        subject=subject,
        access=access,
        enrolled=bool(enrolled),
        work_type=None if work_type is None else _chosen_work_type(work_type, weight, saved),
        threshold=DEFAULT_ROUNDING_THRESHOLD if threshold is None else threshold,
        term_mark=row[13] if with_marks else None,
    )
