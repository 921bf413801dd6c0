"""Writes of the gradebook's journal: marks, attendance and term marks (the structure is in
structure_services.py, the diary's visits and feeds in diary_services.py).

Each function checks the actor's permissions, validates before touching anything (so a
refused request changes nothing), records history for marks, attendance and term marks,
and commits. Rules of a closed term: only the administrator changes its marks,
attendance and term marks, and must give a reason.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from eschool.errors import Forbidden, Invalid, NotFound
from eschool.i18n import gettext as _
from eschool.models import Enrolment, Role, Term, User
from eschool.timeutil import utcnow
from gradebook import notices, queries
from gradebook.averages import ATTENDANCE_STATUSES
from gradebook.models import (
    Attendance,
    HistoryEntry,
    Mark,
    TermMark,
    WorkType,
)
from gradebook.queries import WRITE, CourseView, SlotView
from gradebook.scales import Scale, ScaleError

# --- shared checks -------------------------------------------------------------------------


def require_write(view: CourseView) -> None:
    if view.access != WRITE:
        raise Forbidden(_("Only the course's teachers and the administrator change its journal."))


def _require_open_term(actor: User, term: Term, reason: str | None) -> None:
    """A closed term is changed only by the administrator, and only with a reason."""
    if not term.closed:
        return
    if actor.role != Role.admin:
        raise Forbidden(
            _("The term is closed: only the administrator may change its records."),
            code="term_closed",
        )
    if not reason:
        raise Invalid(
            _("The term is closed: give a reason for the change."), code="reason_required"
        )


def _normalize(scale: Scale, value: Any) -> str:
    try:
        return scale.normalize(value)
    except ScaleError as exc:
        raise Invalid(str(exc), code="out_of_scale") from exc


async def _require_enrolled(session: AsyncSession, *, pupil_id: int, class_id: int) -> None:
    found = await session.exec(
        select(Enrolment.id).where(Enrolment.pupil_id == pupil_id, Enrolment.class_id == class_id)
    )
    if found.first() is None:
        raise _not_in_class()


def _not_in_class() -> Invalid:
    return Invalid(_("This pupil is not in the course's class."), code="not_in_class")


async def _work_type(session: AsyncSession, *, school_id: int, code: str) -> WorkType:
    for work_type in await queries.work_types_of_school(session, school_id=school_id):
        if work_type.code == code:
            return work_type
    raise Invalid(_("Unknown work type {code}.", code=code), code="unknown_work_type")


def _history(
    *,
    actor: User,
    entity: str,
    entity_id: int,
    pupil_id: int,
    action: str,
    old: str | None,
    new: str | None,
    reason: str | None,
    field: str = "value",
) -> HistoryEntry:
    return HistoryEntry(
        school_id=actor.school_id,
        entity=entity,
        entity_id=entity_id,
        pupil_id=pupil_id,
        action=action,
        field=field,
        old=old,
        new=new,
        reason=reason,
        by_id=actor.id or 0,
        at=utcnow(),
    )


# --- the journal: marks, attendance, term marks -------------------------------------------------


async def _writable_slot(
    session: AsyncSession,
    *,
    actor: User,
    slot_id: int,
    pupil_id: int,
    reason: str | None,
    as_tutor: bool = False,
) -> SlotView:
    view, enrolled = await queries.slot_for_pupil(
        session, actor=actor, slot_id=slot_id, pupil_id=pupil_id
    )
    if not (as_tutor and view.school_class.form_tutor_id == actor.id):
        require_write(view.course)
    _require_open_term(actor, view.term, reason)
    if not enrolled:
        raise _not_in_class()
    return view


async def mark_record(
    session: AsyncSession,
    *,
    actor: User,
    pupil_id: int,
    slot_id: int,
    value: str | int | float,
    work_type: str = "classwork",
    comment: str | None = None,
    reason: str | None = None,
    commit: bool = True,
) -> Mark:
    """Give a pupil a mark in a lesson slot (teacher of the course or admin).

    The value is checked against the course's scale and stored in its canonical form
    (422 `out_of_scale` otherwise, nothing stored); the weight is the work type's.
    A pupil may get several marks in one slot. In a closed term only the admin may,
    with a `reason`. `commit=False` only flushes, for callers that write several
    records in one transaction (e.g. a live lesson's "write to journal").
    """
    view = await _writable_slot(
        session, actor=actor, slot_id=slot_id, pupil_id=pupil_id, reason=reason
    )
    stored = _normalize(view.course.scale, value)
    kind = await _work_type(session, school_id=actor.school_id, code=work_type)
    now = utcnow()
    mark = Mark(
        school_id=actor.school_id,
        slot_id=slot_id,
        pupil_id=pupil_id,
        value=stored,
        work_type=kind.code,
        weight=kind.weight,
        comment=(comment or "").strip() or None,
        created_by=actor.id or 0,
        created_at=now,
        updated_at=now,
    )
    session.add(mark)
    await session.flush()
    session.add(
        _history(
            actor=actor,
            entity="mark",
            entity_id=mark.id or 0,
            pupil_id=pupil_id,
            action="create",
            old=None,
            new=stored,
            reason=reason,
        )
    )
    await notices.mark_noticed(session, view=view, pupil_id=pupil_id, value=stored, changed=False)
    if commit:
        await session.commit()
    return mark


async def _live_mark(session: AsyncSession, *, actor: User, mark_id: int) -> Mark:
    mark = await session.get(Mark, mark_id)
    if mark is None or mark.school_id != actor.school_id or mark.deleted_at is not None:
        raise NotFound(_("No such mark."))
    return mark


async def mark_change(
    session: AsyncSession,
    *,
    actor: User,
    mark_id: int,
    value: str | int | float | None = None,
    work_type: str | None = None,
    comment: str | None = None,
    reason: str | None = None,
    commit: bool = True,
    today: date | None = None,
) -> Mark:
    """Change a mark's value, work type and/or comment (None leaves a field; "" clears the
    comment). Every changed field is recorded in the history with the reason.

    After the lesson's own day (``today``: the school's date, UTC's when not given) a change
    of the value or the work type needs a reason: 422 ``reason_required`` without one.
    `commit=False` only flushes (see `mark_record`)."""
    mark = await _live_mark(session, actor=actor, mark_id=mark_id)
    view = await _writable_slot(
        session, actor=actor, slot_id=mark.slot_id, pupil_id=mark.pupil_id, reason=reason
    )
    # Everything is checked before the mark is touched: a refusal leaves it as it was.
    changes: list[tuple[str, str | None, str | None]] = []
    weight = mark.weight
    if value is not None:
        stored = _normalize(view.course.scale, value)
        if stored != mark.value:
            changes.append(("value", mark.value, stored))
    if work_type is not None and work_type != mark.work_type:
        kind = await _work_type(session, school_id=actor.school_id, code=work_type)
        changes.append(("work_type", mark.work_type, kind.code))
        weight = kind.weight
    if comment is not None:
        cleaned = comment.strip() or None
        if cleaned != mark.comment:
            changes.append(("comment", mark.comment, cleaned))
    if not changes:
        return mark
    graded = any(field != "comment" for field, _old, _new in changes)
    if graded and not reason and view.slot.date < (today or utcnow().date()):
        raise Invalid(
            _("The lesson is over: say why you change this mark."), code="reason_required"
        )
    for field, _old, new in changes:
        setattr(mark, field, new)
    mark.weight = weight
    mark.updated_at = utcnow()
    session.add(mark)
    session.add_all(
        [
            _history(
                actor=actor,
                entity="mark",
                entity_id=mark_id,
                pupil_id=mark.pupil_id,
                action="change",
                field=field,
                old=old,
                new=new,
                reason=reason,
            )
            for field, old, new in changes
        ]
    )
    await notices.mark_changed(session, view=view, mark=mark, fields=[f for f, _o, _n in changes])
    if commit:
        await session.commit()
    else:
        await session.flush()
    return mark


async def mark_delete(
    session: AsyncSession, *, actor: User, mark_id: int, reason: str | None = None
) -> Mark:
    """Delete a mark softly (it stays, with `deleted_at`, and its history shows it)."""
    mark = await _live_mark(session, actor=actor, mark_id=mark_id)
    await _writable_slot(
        session, actor=actor, slot_id=mark.slot_id, pupil_id=mark.pupil_id, reason=reason
    )
    now = utcnow()
    mark.deleted_at, mark.deleted_by, mark.updated_at = now, actor.id, now
    session.add(mark)
    session.add(
        _history(
            actor=actor,
            entity="mark",
            entity_id=mark_id,
            pupil_id=mark.pupil_id,
            action="delete",
            old=mark.value,
            new=None,
            reason=reason,
        )
    )
    await session.commit()
    return mark


async def attendance_take(
    session: AsyncSession,
    *,
    actor: User,
    pupil_id: int,
    slot_id: int,
    status: str,
    reason: str | None = None,
    commit: bool = True,
    tutor_excuses: bool = False,
) -> Attendance:
    """Record a pupil's attendance at a slot: present, absent, late, excused or ill.

    Setting the status it already has changes nothing; every change is in the history.
    `commit=False` only flushes (see `mark_record`). With `tutor_excuses` the class's form
    tutor may write `excused` in any course of the class (an accepted absence note).
    """
    if status not in ATTENDANCE_STATUSES:
        raise Invalid(
            _("Unknown attendance status {status}.", status=status),
            code="unknown_status",
        )
    view = await _writable_slot(
        session,
        actor=actor,
        slot_id=slot_id,
        pupil_id=pupil_id,
        reason=reason,
        as_tutor=tutor_excuses and status == "excused",
    )
    record = (
        await session.exec(
            select(Attendance).where(Attendance.slot_id == slot_id, Attendance.pupil_id == pupil_id)
        )
    ).first()
    old = None
    if record is None:
        record = Attendance(
            school_id=actor.school_id,
            slot_id=slot_id,
            pupil_id=pupil_id,
            status=status,
            set_by=actor.id or 0,
        )
    elif record.status == status:
        return record
    else:
        old = record.status
        record.status, record.set_by, record.updated_at = status, actor.id or 0, utcnow()
    session.add(record)
    await session.flush()
    session.add(
        _history(
            actor=actor,
            entity="attendance",
            entity_id=record.id or 0,
            pupil_id=pupil_id,
            action="create" if old is None else "change",
            old=old,
            new=status,
            reason=reason,
        )
    )
    await notices.attendance_noticed(session, view=view, pupil_id=pupil_id, status=status)
    if commit:
        await session.commit()
    return record


async def term_mark_set(
    session: AsyncSession,
    *,
    actor: User,
    pupil_id: int,
    course_id: int,
    term_id: int,
    value: str | int | float | None,
    reason: str | None = None,
) -> TermMark | None:
    """Set (or, with `value=None`, clear) a pupil's term mark in a course.

    By the course's teachers or the admin; the value must be on the course's scale.
    Once the term is closed only the admin may, with a reason.
    """
    view = await queries.course_get(session, actor=actor, course_id=course_id)
    require_write(view)
    term = await session.get(Term, term_id)
    if term is None or term.school_id != actor.school_id:
        raise NotFound(_("No such term."))
    _require_open_term(actor, term, reason)
    await _require_enrolled(session, pupil_id=pupil_id, class_id=view.school_class.id or 0)
    stored = None if value is None or value == "" else _normalize(view.scale, value)
    record = (
        await session.exec(
            select(TermMark).where(
                TermMark.course_id == course_id,
                TermMark.term_id == term_id,
                TermMark.pupil_id == pupil_id,
            )
        )
    ).first()
    if record is None and stored is None:
        return None
    old = record.value if record is not None else None
    if record is not None and old == stored:
        return record
    if record is None:
        record = TermMark(
            school_id=actor.school_id,
            course_id=course_id,
            term_id=term_id,
            pupil_id=pupil_id,
            value=stored,
            set_by=actor.id or 0,
        )
    else:
        record.value, record.set_by, record.updated_at = stored, actor.id or 0, utcnow()
    session.add(record)
    await session.flush()
    if stored is None:
        action = "delete"
    elif old is None:
        action = "create"
    else:
        action = "change"
    session.add(
        _history(
            actor=actor,
            entity="term_mark",
            entity_id=record.id or 0,
            pupil_id=pupil_id,
            action=action,
            old=old,
            new=stored,
            reason=reason,
        )
    )
    await notices.term_mark_noticed(session, view=view, term=term, pupil_id=pupil_id, value=stored)
    await session.commit()
    return record
