"""Writes of the gradebook's journal: marks, attendance and term marks (the structure is in
structure_services.py, the diary's visits and feeds in diary_services.py).

Each function checks the actor's permissions, validates before touching anything (so a
refused request changes nothing), records history for marks, attendance and term marks,
and commits. Rules of a closed term: only the administrator changes its marks,
attendance and term marks, and must give a reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from sqlalchemy.orm import make_transient_to_detached
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from eschool.db import SessionMaker
from eschool.driver_tx import DriverWrites
from eschool.errors import Invalid, NotFound
from eschool.i18n import gettext as _
from eschool.models import Term, User
from eschool.notifications.pending import DELIVERY_KEY, Receiver
from eschool.timeutil import utcnow
from gradebook import notices, queries
from gradebook.averages import ATTENDANCE_STATUSES
from gradebook.journal_checks import (
    history_row,
    known_work_type,
    normalize,
    require_enrolled,
    require_open_term,
    require_write,
    writable_slot,
)
from gradebook.journal_grid import term_result
from gradebook.mark_direct import (
    INSERT_HISTORY,
    INSERT_MARK,
    MarkAsked,
    NewMark,
    mark_on_driver,
    mark_row,
)
from gradebook.models import (
    Attendance,
    HistoryEntry,
    Mark,
    TermMark,
)
from gradebook.pupil_slot import PupilSlot

# --- the journal: marks, attendance, term marks -------------------------------------------------


@dataclass(frozen=True, slots=True)
class MarkGiven:
    """A mark just given, and the pupil's term result in its course with it (the average,
    the suggested and the given term mark: see :func:`journal_grid.term_result`)."""

    mark: Mark | NewMark
    result: dict[str, Any]


async def mark_give(
    session: AsyncSession,
    *,
    actor: User,
    pupil_id: int,
    slot_id: int,
    value: str | int | float,
    work_type: str = "classwork",
    comment: str | None = None,
    reason: str | None = None,
    writes: DriverWrites | None = None,
    receiver: Receiver | None = None,
) -> MarkGiven:
    """:func:`mark_record`, and the pupil's term result with it (the API's answer): their
    marks in the term read with the slot, before this one is written, and this one. With
    ``writes`` (the API's: a session that wrote nothing yet), written straight on the driver
    when it can be (:mod:`gradebook.mark_direct`), its notifications delivered by
    ``receiver`` (the delivery ``session`` has, given so that a session opened on demand is
    not opened for it: :func:`delivery_of`)."""
    asked = MarkAsked(actor, pupil_id, slot_id, value, work_type, comment, reason)
    written = None
    mark: Mark | NewMark
    if writes is not None:
        if receiver is None:
            receiver = session.sync_session.info.get(DELIVERY_KEY)
        written = await mark_on_driver(writes, asked, session=session, receiver=receiver)
        if written is not None and written.notifications and receiver is not None:
            receiver.committed(written.notifications)
    if written is not None:
        mark, found, marks = written.mark, written.slot, written.marks
    else:
        mark, found = await _mark_insert(session, asked, with_marks=True)
        marks = found.marks
        await session.commit()
    result = term_result(
        [*marks, (mark.value, mark.weight)],
        scale=found.scale_code,
        threshold=found.threshold,
        term_mark=found.term_mark,
        course_id=found.course_id,
        term_id=found.term_id,
        pupil_id=pupil_id,
    )
    return MarkGiven(mark, result)


def delivery_of(sessionmaker: SessionMaker) -> Receiver | None:
    """The delivery of notifications that ``sessionmaker``'s sessions have (None: none)."""
    return cast(Receiver | None, (sessionmaker.kw.get("info") or {}).get(DELIVERY_KEY))


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
    with a `reason`. `commit=False` only writes, for callers that write several
    records in one transaction (e.g. a live lesson's "write to journal").
    """
    asked = MarkAsked(actor, pupil_id, slot_id, value, work_type, comment, reason)
    mark, _found = await _mark_insert(session, asked)
    if commit:
        await session.commit()
    return mark


async def _mark_insert(
    session: AsyncSession, asked: MarkAsked, *, with_marks: bool = False
) -> tuple[Mark, PupilSlot]:
    """The mark and its history written (not committed), the family notified; the slot as
    read (``with_marks``: see :func:`queries.slot_for_pupil`)."""
    actor, pupil_id = asked.actor, asked.pupil_id
    found = await writable_slot(
        session,
        actor=actor,
        slot_id=asked.slot_id,
        pupil_id=pupil_id,
        reason=asked.reason,
        work_type=asked.work_type,
        with_marks=with_marks,
    )
    stored = normalize(found.scale, asked.value)
    code, weight = known_work_type(found.work_type, asked.work_type)
    # The family is told first: its read comes before the first write, so on SQLite the
    # write lock (taken by the first INSERT, held to the commit) is held one trip less.
    await notices.mark_noticed(session, slot=found, pupil_id=pupil_id, value=stored, changed=False)
    row = mark_row(actor, asked, stored=stored, code=code, weight=weight, now=utcnow())
    # Plain INSERTs (not the ORM's unit of work): a quarter of the cost, the same rows.
    connection = await session.connection()
    mark_id: int = (await connection.execute(INSERT_MARK, row)).scalar_one()
    entry = history_row(
        actor=actor,
        entity="mark",
        entity_id=mark_id,
        pupil_id=pupil_id,
        action="create",
        old=None,
        new=stored,
        reason=asked.reason,
    )
    await connection.execute(INSERT_HISTORY, entry)
    # As a mark loaded and left its session: changed and added later, it is updated.
    mark = Mark(id=mark_id, **row)
    make_transient_to_detached(mark)
    return mark, found


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
    new_kind = work_type is not None and work_type != mark.work_type
    found = await writable_slot(
        session,
        actor=actor,
        slot_id=mark.slot_id,
        pupil_id=mark.pupil_id,
        reason=reason,
        work_type=work_type if new_kind else None,
    )
    # Everything is checked before the mark is touched: a refusal leaves it as it was.
    changes: list[tuple[str, str | None, str | None]] = []
    weight = mark.weight
    if value is not None:
        stored = normalize(found.scale, value)
        if stored != mark.value:
            changes.append(("value", mark.value, stored))
    if work_type is not None and new_kind:
        code, weight = known_work_type(found.work_type, work_type)
        changes.append(("work_type", mark.work_type, code))
    if comment is not None:
        cleaned = comment.strip() or None
        if cleaned != mark.comment:
            changes.append(("comment", mark.comment, cleaned))
    if not changes:
        return mark
    graded = any(field != "comment" for field, _old, _new in changes)
    if graded and not reason and found.date < (today or utcnow().date()):
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
            HistoryEntry(
                **history_row(
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
            )
            for field, old, new in changes
        ]
    )
    await notices.mark_changed(session, slot=found, mark=mark, fields=[f for f, _o, _n in changes])
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
    await writable_slot(
        session, actor=actor, slot_id=mark.slot_id, pupil_id=mark.pupil_id, reason=reason
    )
    now = utcnow()
    mark.deleted_at, mark.deleted_by, mark.updated_at = now, actor.id, now
    session.add(mark)
    session.add(
        HistoryEntry(
            **history_row(
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
    found = await writable_slot(
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
        HistoryEntry(
            **history_row(
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
    )
    await notices.attendance_noticed(session, slot=found, pupil_id=pupil_id, status=status)
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
    require_open_term(actor, term.closed, reason)
    await require_enrolled(session, pupil_id=pupil_id, class_id=view.school_class.id or 0)
    stored = None if value is None or value == "" else normalize(view.scale, value)
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
        HistoryEntry(
            **history_row(
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
    )
    await notices.term_mark_noticed(session, view=view, term=term, pupil_id=pupil_id, value=stored)
    await session.commit()
    return record
