"""The journal of a course for a term, built whole: pupils, slots, marks, attendance, averages
and suggested term marks (what the journal page draws and the exports lay out), and one
pupil's term result."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any, cast

from sqlalchemy import BindParameter, Row, bindparam, literal, true
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import Select

from eschool.db import flushed_connection
from eschool.models import User
from eschool.queries import term_public
from eschool.timeutil import iso
from gradebook.absence_cover import journal_absence_notes
from gradebook.averages import attendance_summary, suggest_term_mark, weighted_average
from gradebook.models import (
    DEFAULT_ROUNDING_THRESHOLD,
    Attendance,
    GradebookSettings,
    Mark,
    Slot,
    TermMark,
)
from gradebook.public import (
    MARK_ROW_COLUMNS,
    attachment_names,
    course_public,
    files_public,
    mark_public,
    slot_public,
    work_type_public,
)
from gradebook.queries import (
    class_pupils_of,
    course_get,
    past_statuses,
    rounding_threshold,
    term_for,
    work_types_of_school,
)
from gradebook.scales import get_scale


async def journal_get(
    session: AsyncSession, *, actor: User, course_id: int, term_id: int | None, today: date
) -> dict[str, Any]:
    """The journal of a course for a term, in a fixed number of SQL statements.

    Returns `{"course","term","pupils","slots","marks","attendance","averages",
    "term_marks","suggested","attendance_summary","class_attendance","scale",
    "work_types","access","today"}`; `averages`, `term_marks`, `suggested` and
    `attendance_summary` map a pupil id to a value (or None).
    """
    view = await course_get(session, actor=actor, course_id=course_id)
    term = await term_for(session, school_id=actor.school_id, term_id=term_id, today=today)
    pupils = await class_pupils_of(session, view.school_class.id or 0)
    slots = list(
        (
            await session.exec(
                select(Slot)
                .where(Slot.course_id == course_id, Slot.term_id == term.id)
                .order_by(col(Slot.date), col(Slot.period), col(Slot.id))
            )
        ).all()
    )
    in_term = (Slot.course_id == course_id) & (Slot.term_id == term.id)
    # Marks, attendance and term marks are read as plain rows: the journal only needs
    # their columns, and building ORM objects for every mark cost more than the query.
    # ``Select`` as ``select()`` builds it (its typing stops at four columns); the rows are
    # read by name, which sqlmodel's typing (plain tuples) does not know.
    marks = cast(
        "Sequence[Row[Any]]",
        (
            await session.exec(
                Select(*MARK_ROW_COLUMNS)
                .join(Slot, col(Slot.id) == Mark.slot_id)
                .where(in_term, col(Mark.deleted_at).is_(None))
                .order_by(col(Mark.id))
            )
        ).all(),
    )
    records = (
        await session.exec(
            select(Attendance.pupil_id, Attendance.slot_id, Attendance.status)
            .join(Slot, col(Slot.id) == Attendance.slot_id)
            .where(in_term)
        )
    ).all()
    term_marks = dict(
        (
            await session.exec(
                select(TermMark.pupil_id, TermMark.value).where(
                    TermMark.course_id == course_id, TermMark.term_id == term.id
                )
            )
        ).all()
    )
    threshold = await rounding_threshold(session, school_id=actor.school_id)
    work_types = await work_types_of_school(session, school_id=actor.school_id)

    scale = view.scale
    marks_of: dict[int, list[tuple[str, float]]] = defaultdict(list)
    for mark in marks:
        marks_of[mark.pupil_id].append((mark.value, mark.weight))
    status_of: dict[int, dict[int, str]] = defaultdict(dict)
    for pupil_id, slot_id, status in records:
        status_of[pupil_id][slot_id] = status
    past_slots = [slot for slot in slots if slot.date <= today]
    averages: dict[int, float | None] = {}
    suggested: dict[int, str | None] = {}
    summaries: dict[int, dict[str, Any]] = {}
    class_statuses: list[str] = []
    for pupil in pupils:
        pupil_id = pupil.id or 0
        averages[pupil_id] = weighted_average(marks_of.get(pupil_id, ()), scale)
        suggested[pupil_id] = suggest_term_mark(averages[pupil_id], scale, threshold)
        statuses = past_statuses(past_slots, status_of.get(pupil_id, {}), today)
        summaries[pupil_id] = attendance_summary(statuses)
        class_statuses.extend(statuses)
    pupil_ids = set(averages)
    names = await attachment_names(session, school_id=actor.school_id, slots=slots)
    return {
        "course": course_public(view),
        # Plain data: the journal is rendered with json.dumps (gradebook.journal_cache).
        "term": term_public(term).model_dump(mode="json"),
        "pupils": [{"id": p.id, "name": p.name} for p in pupils],
        "slots": [{**slot_public(slot), "files": files_public(slot, names)} for slot in slots],
        "marks": [mark_public(m) for m in marks if m.pupil_id in pupil_ids],
        "attendance": [
            {"pupil_id": pupil_id, "slot_id": slot_id, "status": status}
            for pupil_id, slot_id, status in records
            if pupil_id in pupil_ids
        ],
        "averages": averages,
        "term_marks": {p: term_marks.get(p) for p in averages},
        "suggested": suggested,
        "attendance_summary": summaries,
        "class_attendance": attendance_summary(class_statuses),
        "scale": scale.as_dict(),
        "work_types": [work_type_public(w) for w in work_types],
        "threshold": threshold,
        "access": view.access,
        "today": iso(today),
        "absence_notes": await journal_absence_notes(session, actor.school_id, pupil_ids, slots),
    }


# A pupil's marks in one course and term (value, weight; one row of NULLs without any), each
# row with the school's rounding threshold and the given term mark: one statement, built once.
_COURSE: BindParameter[int] = bindparam("course_id")
_TERM: BindParameter[int] = bindparam("term_id")
_PUPIL: BindParameter[int] = bindparam("pupil_id")
_PUPIL_MARKS = (
    select(Mark.value, Mark.weight)
    .join(Slot, col(Slot.id) == Mark.slot_id)
    .where(
        col(Slot.course_id) == _COURSE,
        col(Slot.term_id) == _TERM,
        col(Mark.pupil_id) == _PUPIL,
        col(Mark.deleted_at).is_(None),
    )
    .subquery()
)
_TERM_RESULT = (
    select(
        select(GradebookSettings.rounding_threshold)
        .where(col(GradebookSettings.school_id) == bindparam("school_id"))
        .scalar_subquery(),
        select(TermMark.value)
        .where(
            col(TermMark.course_id) == _COURSE,
            col(TermMark.term_id) == _TERM,
            col(TermMark.pupil_id) == _PUPIL,
        )
        .scalar_subquery(),
        _PUPIL_MARKS.c.value,
        _PUPIL_MARKS.c.weight,
    )
    .select_from(select(literal(1).label("one")).subquery())
    .outerjoin(_PUPIL_MARKS, true())
)


async def pupil_term_result(
    session: AsyncSession,
    *,
    course_id: int,
    scale: str,
    term_id: int,
    pupil_id: int,
    school_id: int,
) -> dict[str, Any]:
    """A pupil's weighted average, suggested and given term mark in one course and term (one
    statement)."""
    params = {
        "course_id": course_id,
        "term_id": term_id,
        "pupil_id": pupil_id,
        "school_id": school_id,
    }
    connection = await flushed_connection(session)
    rows = (await connection.execute(_TERM_RESULT, params)).all()
    threshold, given = rows[0][0], rows[0][1]
    return term_result(
        [(value, weight) for _t, _g, value, weight in rows if value is not None],
        scale=scale,
        threshold=DEFAULT_ROUNDING_THRESHOLD if threshold is None else threshold,
        term_mark=given,
        course_id=course_id,
        term_id=term_id,
        pupil_id=pupil_id,
    )


def term_result(
    marks: Iterable[tuple[str, float]],
    *,
    scale: str,
    threshold: float,
    term_mark: str | None,
    course_id: int,
    term_id: int,
    pupil_id: int,
) -> dict[str, Any]:
    """A pupil's term result in a course from their marks (value, weight) in the term, the
    school's rounding threshold and the term mark given (or None): `{"pupil_id",
    "course_id","term_id","average","suggested","term_mark"}`."""
    grades = get_scale(scale)
    average = weighted_average(marks, grades)
    return {
        "pupil_id": pupil_id,
        "course_id": course_id,
        "term_id": term_id,
        "average": average,
        "suggested": suggest_term_mark(average, grades, threshold),
        "term_mark": term_mark,
    }
