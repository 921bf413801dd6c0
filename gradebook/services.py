"""Writes of the gradebook: structure (subjects, courses, timetable, holidays, slots), the
journal (marks, attendance, term marks, topics and homework) and diary visits and feeds.

Each function checks the actor's permissions, validates before touching anything (so a
refused request changes nothing), records history for marks, attendance and term marks,
and commits. Rules of a closed term: only the administrator changes its marks,
attendance and term marks, and must give a reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from eschool.access import children_ids, class_teaching_set, require_role
from eschool.errors import Conflict, Forbidden, Invalid, NotFound
from eschool.i18n import gettext as _
from eschool.models import Enrolment, Role, SchoolClass, Term, User
from eschool.security import digest, new_secret
from eschool.timeutil import utcnow
from gradebook import notices, queries
from gradebook.averages import ATTENDANCE_STATUSES
from gradebook.bell_times import bells_effective
from gradebook.marking import Bands, BandsError, check_bands
from gradebook.models import (
    DEFAULT_WORK_TYPES,
    Attendance,
    Course,
    CourseTeacher,
    DiaryFeed,
    DiaryVisit,
    GradebookSettings,
    HistoryEntry,
    Holiday,
    Mark,
    Slot,
    Subject,
    TermMark,
    TimetableEntryIn,
    TimetableEntryRow,
    WorkType,
)
from gradebook.queries import WRITE, CourseView, SlotView
from gradebook.scales import DEFAULT_SCALE, SCALES, Scale, ScaleError
from gradebook.timetable import TimetableEntry, generate_slots
from gradebook.timetable_conflicts import teacher_clashes_check

SHORT_NAME_LENGTH = 8


# --- shared checks -------------------------------------------------------------------------


def _require_write(view: CourseView) -> None:
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
        raise Invalid(_("This pupil is not in the course's class."), code="not_in_class")


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


# --- structure: subjects, courses, timetable, holidays, slots ---------------------------------


async def subject_create(
    session: AsyncSession, *, actor: User, name: str, short_name: str | None = None
) -> Subject:
    """A new subject of the actor's school (admin); 409 when the name is taken."""
    require_role(actor, Role.admin)
    name = " ".join(name.split())
    if not name:
        raise Invalid(_("A subject needs a name."))
    taken = await session.exec(
        select(Subject.id).where(Subject.school_id == actor.school_id, Subject.name == name)
    )
    if taken.first() is not None:
        raise Conflict(_("There is already a subject with this name."))
    subject = Subject(
        school_id=actor.school_id,
        name=name,
        short_name=(short_name or "").strip() or name[:SHORT_NAME_LENGTH],
    )
    session.add(subject)
    await session.commit()
    return subject


async def _teachers_of_school(
    session: AsyncSession, *, school_id: int, teacher_ids: Sequence[int]
) -> list[int]:
    unique = list(dict.fromkeys(teacher_ids))
    if not unique:
        return []
    rows = await session.exec(
        select(User.id).where(
            col(User.id).in_(unique),
            User.school_id == school_id,
            col(User.role).in_([Role.teacher, Role.admin]),
        )
    )
    found = set(rows.all())
    missing = [t for t in unique if t not in found]
    if missing:
        raise Invalid(_("Not teachers of this school: {ids}.", ids=missing), code="not_a_teacher")
    return unique


async def class_teaching_refresh(session: AsyncSession, *, class_id: int) -> None:
    """Tell the shell who teaches in a class: a teacher teaches a class when they teach one
    of its courses. Call it after changing course teachers, before the commit."""
    # Lock the class row so that two changes to its courses' teachers recompute in turn
    # (PostgreSQL; SQLite writers are serialized anyway and ignore FOR UPDATE).
    school_id = (
        await session.exec(
            select(SchoolClass.school_id).where(SchoolClass.id == class_id).with_for_update()
        )
    ).one()
    rows = await session.exec(
        select(CourseTeacher.teacher_id)
        .join(Course, col(Course.id) == CourseTeacher.course_id)
        .where(Course.class_id == class_id)
        .distinct()
    )
    await class_teaching_set(
        session, school_id=school_id, class_id=class_id, teacher_ids=rows.all()
    )


async def course_create(
    session: AsyncSession,
    *,
    actor: User,
    class_id: int,
    subject_id: int,
    teacher_ids: Sequence[int] = (),
    scale: str = DEFAULT_SCALE,
) -> Course:
    """A new course: a class taking a subject with its teachers, on a grade scale (admin)."""
    require_role(actor, Role.admin)
    school_class = await session.get(SchoolClass, class_id)
    if school_class is None or school_class.school_id != actor.school_id:
        raise NotFound(_("No such class."))
    subject = await session.get(Subject, subject_id)
    if subject is None or subject.school_id != actor.school_id:
        raise NotFound(_("No such subject."))
    if scale not in SCALES:
        raise Invalid(_("Unknown grade scale {code}.", code=scale), code="unknown_scale")
    teachers = await _teachers_of_school(
        session, school_id=actor.school_id, teacher_ids=teacher_ids
    )
    course = Course(
        school_id=actor.school_id, class_id=class_id, subject_id=subject_id, scale=scale
    )
    session.add(course)
    await session.flush()
    session.add_all([CourseTeacher(course_id=course.id or 0, teacher_id=t) for t in teachers])
    await session.flush()
    await class_teaching_refresh(session, class_id=class_id)
    await session.commit()
    return course


async def course_update(
    session: AsyncSession,
    *,
    actor: User,
    course_id: int,
    teacher_ids: Sequence[int] | None = None,
    scale: str | None = None,
) -> Course:
    """Change a course's teachers and/or grade scale (admin).

    Marks already given keep their stored value; values not on a new scale are left
    out of averages.
    """
    require_role(actor, Role.admin)
    course = await session.get(Course, course_id)
    if course is None or course.school_id != actor.school_id:
        raise NotFound(_("No such course."))
    if scale is not None:
        if scale not in SCALES:
            raise Invalid(_("Unknown grade scale {code}.", code=scale), code="unknown_scale")
        course.scale = scale
        session.add(course)
    if teacher_ids is not None:
        teachers = await _teachers_of_school(
            session, school_id=actor.school_id, teacher_ids=teacher_ids
        )
        await session.exec(delete(CourseTeacher).where(col(CourseTeacher.course_id) == course_id))
        session.add_all([CourseTeacher(course_id=course_id, teacher_id=t) for t in teachers])
        await session.flush()
        await class_teaching_refresh(session, class_id=course.class_id)
    await session.commit()
    return course


async def timetable_set(
    session: AsyncSession, *, actor: User, class_id: int, entries: Sequence[TimetableEntryIn]
) -> list[TimetableEntryRow]:
    """Replace a class's weekly timetable (admin). Slots change only when regenerated.

    An entry without times takes them from the school's bell times of its period (the
    default bells when the school has set none); a teacher in two places → 409.
    """
    require_role(actor, Role.admin)
    school_class = await session.get(SchoolClass, class_id)
    if school_class is None or school_class.school_id != actor.school_id:
        raise NotFound(_("No such class."))
    course_ids = set(
        (await session.exec(select(Course.id).where(Course.class_id == class_id))).all()
    )
    rows: list[TimetableEntryRow] = []
    seen: set[tuple[int, int, int]] = set()
    school_bells = await bells_effective(session, school_id=actor.school_id)
    for entry in entries:
        if entry.course_id not in course_ids:
            raise Invalid(_("Course {id} is not a course of this class.", id=entry.course_id))
        key = (entry.course_id, entry.weekday, entry.period)
        if key in seen:
            raise Invalid(_("A course is timetabled twice in the same weekday and period."))
        seen.add(key)
        bells = school_bells.get(entry.period)
        starts = entry.starts or (bells[0] if bells else None)
        ends = entry.ends or (bells[1] if bells else None)
        if starts is None or ends is None:
            raise Invalid(
                _("Period {n} has no default times: give starts and ends.", n=entry.period)
            )
        if starts >= ends:
            raise Invalid(_("A lesson must end after it starts."))
        rows.append(
            TimetableEntryRow(
                school_id=actor.school_id,
                class_id=class_id,
                course_id=entry.course_id,
                weekday=entry.weekday,
                period=entry.period,
                room=entry.room,
                starts=starts,
                ends=ends,
            )
        )
    await teacher_clashes_check(session, school_class=school_class, entries=entries)
    await session.exec(delete(TimetableEntryRow).where(col(TimetableEntryRow.class_id) == class_id))
    session.add_all(rows)
    await session.commit()
    return rows


async def holiday_add(
    session: AsyncSession, *, actor: User, name: str, starts: date, ends: date
) -> Holiday:
    """A school holiday, first and last day inclusive (admin); regenerate slots after it."""
    require_role(actor, Role.admin)
    if ends < starts:
        raise Invalid(_("A holiday must not end before it starts."))
    holiday = Holiday(school_id=actor.school_id, name=name.strip(), starts=starts, ends=ends)
    session.add(holiday)
    await session.commit()
    return holiday


async def holiday_remove(session: AsyncSession, *, actor: User, holiday_id: int) -> None:
    """Remove a holiday (admin)."""
    require_role(actor, Role.admin)
    holiday = await session.get(Holiday, holiday_id)
    if holiday is None or holiday.school_id != actor.school_id:
        raise NotFound(_("No such holiday."))
    await session.delete(holiday)
    await session.commit()


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
    _require_write(view.course)
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


# --- school settings ---------------------------------------------------------------------------


async def work_types_ensure(session: AsyncSession, *, school_id: int) -> list[WorkType]:
    """Store the default work types for a school that has none yet (flushes, no commit)."""
    rows = await session.exec(select(WorkType).where(WorkType.school_id == school_id))
    found = list(rows.all())
    if found:
        return found
    created = [
        WorkType(school_id=school_id, code=code, name=name, weight=weight, position=index)
        for index, (code, name, weight) in enumerate(DEFAULT_WORK_TYPES)
    ]
    session.add_all(created)
    await session.flush()
    return created


async def work_type_save(
    session: AsyncSession,
    *,
    actor: User,
    code: str,
    name: str,
    weight: float,
    position: int | None = None,
) -> WorkType:
    """Add a work type or change one's name, weight or position (admin).

    Marks already given keep the weight they were given with.
    """
    require_role(actor, Role.admin)
    existing = await work_types_ensure(session, school_id=actor.school_id)
    work_type = next((w for w in existing if w.code == code), None)
    if work_type is None:
        work_type = WorkType(
            school_id=actor.school_id,
            code=code,
            name=name,
            weight=weight,
            position=len(existing) if position is None else position,
        )
    else:
        work_type.name, work_type.weight = name, weight
        if position is not None:
            work_type.position = position
    session.add(work_type)
    await session.commit()
    return work_type


async def settings_update(
    session: AsyncSession,
    *,
    actor: User,
    rounding_threshold: float | None = None,
    mark_bands: dict[str, dict[str, float] | None] | None = None,
) -> GradebookSettings:
    """Change the school's gradebook settings (admin): the threshold for suggested term
    marks, in (0, 1], and/or the bands that turn scores into marks per scale
    (``gradebook.marking``; a scale given as None returns to the default bands)."""
    require_role(actor, Role.admin)
    if rounding_threshold is not None and not 0 < rounding_threshold <= 1:
        raise Invalid(_("The rounding threshold must be above 0 and at most 1."))
    checked: dict[str, Bands | None] = {}
    for code, bands in (mark_bands or {}).items():
        try:
            checked[code] = None if bands is None else check_bands(code, bands)
        except (BandsError, ScaleError) as exc:
            raise Invalid(
                _("Marks from scores on the {scale} scale: {problem}", scale=code, problem=exc),
                code="invalid_bands",
            ) from exc
    row = await session.get(GradebookSettings, actor.school_id)
    if row is None:
        row = GradebookSettings(school_id=actor.school_id)
    if rounding_threshold is not None:
        row.rounding_threshold = rounding_threshold
    if checked:
        merged = dict(row.mark_bands or {})
        for code, bands in checked.items():
            if bands:
                merged[code] = bands
            else:
                merged.pop(code, None)
        row.mark_bands = merged or None
    session.add(row)
    await session.commit()
    return row


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
    view = await queries.slot_get(session, actor=actor, slot_id=slot_id)
    if not (as_tutor and view.school_class.form_tutor_id == actor.id):
        _require_write(view.course)
    _require_open_term(actor, view.term, reason)
    await _require_enrolled(session, pupil_id=pupil_id, class_id=view.school_class.id or 0)
    return view


async def mark_record(
    session: AsyncSession,
    *,
    actor: User,
    pupil_id: int,
    slot_id: int,
    value: str | int,
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
    value: str | int | None = None,
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
    value: str | int | None,
    reason: str | None = None,
) -> TermMark | None:
    """Set (or, with `value=None`, clear) a pupil's term mark in a course.

    By the course's teachers or the admin; the value must be on the course's scale.
    Once the term is closed only the admin may, with a reason.
    """
    view = await queries.course_get(session, actor=actor, course_id=course_id)
    _require_write(view)
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


# --- the diary: visits and calendar feeds ---------------------------------------------------------


async def diary_seen(
    session: AsyncSession, *, actor: User, pupil_id: int, at: datetime | None = None
) -> None:
    """Remember that the actor has seen the pupil's diary up to ``at`` (default now; never
    later than now, and a remembered visit never moves back): the news feed starts there."""
    await queries.diary_pupil(session, actor=actor, pupil_id=pupil_id)
    now = utcnow()
    at = now if at is None else min(_aware(at), now)
    visit = (
        await session.exec(
            select(DiaryVisit).where(
                DiaryVisit.viewer_id == actor.id, DiaryVisit.pupil_id == pupil_id
            )
        )
    ).first()
    if visit is None:
        visit = DiaryVisit(viewer_id=actor.id or 0, pupil_id=pupil_id)
    elif visit.seen_at is not None and _aware(visit.seen_at) >= at:
        return
    visit.seen_at = at
    session.add(visit)
    await session.commit()


def _aware(moment: datetime) -> datetime:
    """A stored moment in UTC (SQLite hands datetimes back without their zone)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


async def _require_feed_owner(session: AsyncSession, *, actor: User, pupil_id: int) -> None:
    await queries.diary_pupil(session, actor=actor, pupil_id=pupil_id)
    if actor.role == Role.pupil and actor.id == pupil_id:
        return
    if actor.role == Role.parent and pupil_id in await children_ids(session, actor.id or 0):
        return
    raise Forbidden(_("Only the pupil and their parents make calendar links."))


async def _revoke_feeds(session: AsyncSession, *, actor: User, pupil_id: int) -> int:
    feeds = (
        await session.exec(
            select(DiaryFeed).where(
                DiaryFeed.pupil_id == pupil_id,
                DiaryFeed.owner_id == actor.id,
                col(DiaryFeed.revoked_at).is_(None),
            )
        )
    ).all()
    now = utcnow()
    for feed in feeds:
        feed.revoked_at = now
        session.add(feed)
    return len(feeds)


async def feed_create(session: AsyncSession, *, actor: User, pupil_id: int) -> str:
    """A new secret calendar link to the pupil's timetable (pupil or parent).

    Returns the secret (shown once; only its digest is stored). The actor's earlier
    link for this pupil stops working.
    """
    await _require_feed_owner(session, actor=actor, pupil_id=pupil_id)
    await _revoke_feeds(session, actor=actor, pupil_id=pupil_id)
    secret = new_secret()
    session.add(
        DiaryFeed(
            school_id=actor.school_id,
            pupil_id=pupil_id,
            owner_id=actor.id or 0,
            digest=digest(secret),
        )
    )
    await session.commit()
    return secret


async def feed_revoke(session: AsyncSession, *, actor: User, pupil_id: int) -> int:
    """Stop the actor's calendar link for the pupil; returns how many links were revoked."""
    await _require_feed_owner(session, actor=actor, pupil_id=pupil_id)
    revoked = await _revoke_feeds(session, actor=actor, pupil_id=pupil_id)
    await session.commit()
    return revoked
