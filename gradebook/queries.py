"""Reads of the gradebook: courses, the journal, history, the diary and its feeds.

Every read is scoped to the actor's school and to what the actor may see:
- admin: every course and pupil of the school;
- teacher: writes the courses they teach, reads every course of the class they are
  form tutor of, sees the diary of the pupils of that class;
- pupil: only their own diary; parent: only their children's diaries.
Anything else is answered as if it did not exist (404), never with data.
Nothing here commits.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Row, String, cast, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from eschool.access import children_ids, classes_taught, pupil_class_ids
from eschool.errors import Forbidden, NotFound
from eschool.i18n import gettext as _
from eschool.models import Enrolment, Role, SchoolClass, Term, User, id_from_text
from eschool.queries import term_current, term_public
from eschool.security import digest
from eschool.timeutil import iso
from eschool.uploads.queries import uploads_info
from gradebook.absence_cover import journal_absence_notes
from gradebook.averages import attendance_summary, suggest_term_mark, weighted_average
from gradebook.marking import Bands, bands_for, mark_for_share
from gradebook.models import (
    DEFAULT_ROUNDING_THRESHOLD,
    DEFAULT_WORK_TYPES,
    Attendance,
    Course,
    CourseTeacher,
    DiaryFeed,
    GradebookSettings,
    HistoryEntry,
    Holiday,
    Mark,
    Slot,
    Subject,
    TermMark,
    TimetableEntryRow,
    WorkType,
)
from gradebook.scales import SCALES, Scale, get_scale

WRITE = "write"
READ = "read"


@dataclass
class CourseView:
    """A course with its class, subject and teachers, and what the actor may do with it.

    `access` is "write" (teacher of the course, admin), "read" (form tutor of the class)
    or None (pupils and parents, who see a course only through the diary).
    """

    course: Course
    school_class: SchoolClass
    subject: Subject
    teachers: list[User]
    access: str | None

    @property
    def scale(self) -> Scale:
        """The course's grade scale."""
        return get_scale(self.course.scale)


@dataclass
class SlotView:
    """A lesson slot with its course (class, subject, teachers, access) and term."""

    slot: Slot
    course: CourseView
    term: Term

    @property
    def school_class(self) -> SchoolClass:
        """The class whose pupils take this lesson."""
        return self.course.school_class


# --- wire forms --------------------------------------------------------------------------


def person_ref(user: User | None) -> dict[str, Any] | None:
    """`{"id","name"}` of a person, or None."""
    return None if user is None else {"id": user.id, "name": user.name}


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


_MARK_COLUMNS = (
    Mark.id,
    Mark.pupil_id,
    Mark.slot_id,
    Mark.value,
    Mark.work_type,
    Mark.weight,
    Mark.comment,
    Mark.created_at,
)
"""The columns `mark_public` reads: select these to get rows it takes in place of a Mark."""


def mark_public(mark: Mark | Row[Any]) -> dict[str, Any]:
    """`{"id","pupil_id","slot_id","value","work_type","weight","comment","created_at"}`.

    Takes a Mark or a row of `_MARK_COLUMNS` (the journal reads marks as rows).
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


def attendance_public(record: Attendance) -> dict[str, Any]:
    """`{"pupil_id","slot_id","status"}`."""
    return {"pupil_id": record.pupil_id, "slot_id": record.slot_id, "status": record.status}


def work_type_public(work_type: WorkType) -> dict[str, Any]:
    """`{"code","name","weight"}`."""
    return {"code": work_type.code, "name": _(work_type.name), "weight": work_type.weight}


def history_public(entry: HistoryEntry, by: User | None) -> dict[str, Any]:
    """`{"at","by","action","field","old","new","reason"}` of one history entry."""
    return {
        "at": iso(entry.at),
        "by": person_ref(by),
        "action": entry.action,
        "field": entry.field,
        "old": entry.old,
        "new": entry.new,
        "reason": entry.reason,
    }


def holiday_public(holiday: Holiday) -> dict[str, Any]:
    """`{"id","name","starts","ends"}`."""
    return {
        "id": holiday.id,
        "name": holiday.name,
        "starts": iso(holiday.starts),
        "ends": iso(holiday.ends),
    }


def timetable_entry_public(entry: TimetableEntryRow) -> dict[str, Any]:
    """`{"id","weekday","period","course_id","room","starts","ends"}`."""
    return {
        "id": entry.id,
        "weekday": entry.weekday,
        "period": entry.period,
        "course_id": entry.course_id,
        "room": entry.room,
        "starts": entry.starts.strftime("%H:%M"),
        "ends": entry.ends.strftime("%H:%M"),
    }


# --- school settings ----------------------------------------------------------------------


async def work_types_of_school(session: AsyncSession, *, school_id: int) -> list[WorkType]:
    """The school's work types in picker order; the defaults (unsaved) when it has none."""
    rows = await session.exec(
        select(WorkType)
        .where(WorkType.school_id == school_id)
        .order_by(WorkType.position, WorkType.id)
    )
    found = list(rows.all())
    if found:
        return found
    return [
        WorkType(school_id=school_id, code=code, name=name, weight=weight, position=index)
        for index, (code, name, weight) in enumerate(DEFAULT_WORK_TYPES)
    ]


async def rounding_threshold(session: AsyncSession, *, school_id: int) -> float:
    """The school's threshold for suggesting a term mark (default 0.5)."""
    row = await session.get(GradebookSettings, school_id)
    return row.rounding_threshold if row is not None else DEFAULT_ROUNDING_THRESHOLD


async def mark_bands_of_school(session: AsyncSession, *, school_id: int) -> dict[str, Bands]:
    """The bands in force for every scale: the school's own, else the defaults."""
    row = await session.get(GradebookSettings, school_id)
    own = row.mark_bands if row is not None else None
    return {code: bands_for(code, own) for code in SCALES}


async def course_marks_for_shares(
    session: AsyncSession, *, course: Course, shares: dict[int, float]
) -> dict[int, str]:
    """The mark each pupil's share of the points earns on the course's own scale."""
    scale = get_scale(course.scale)
    bands = (await mark_bands_of_school(session, school_id=course.school_id)).get(scale.code)
    return {pupil: mark_for_share(scale, share, bands or None) for pupil, share in shares.items()}


async def subjects_of_school(session: AsyncSession, *, school_id: int) -> list[Subject]:
    """The school's subjects by name."""
    rows = await session.exec(
        select(Subject).where(Subject.school_id == school_id).order_by(Subject.name)
    )
    return list(rows.all())


async def holidays_of_school(session: AsyncSession, *, school_id: int) -> list[Holiday]:
    """The school's holidays, earliest first."""
    rows = await session.exec(
        select(Holiday).where(Holiday.school_id == school_id).order_by(Holiday.starts)
    )
    return list(rows.all())


# --- courses ------------------------------------------------------------------------------


def _access(actor: User, school_class: SchoolClass, teacher_ids: Iterable[int]) -> str | None:
    if actor.role == Role.admin:
        return WRITE
    if actor.role != Role.teacher:
        return None
    if actor.id in set(teacher_ids):
        return WRITE
    if school_class.form_tutor_id == actor.id:
        return READ
    return None


async def _teachers_of(session: AsyncSession, course_ids: Sequence[int]) -> dict[int, list[User]]:
    if not course_ids:
        return {}
    rows = await session.exec(
        select(CourseTeacher.course_id, User)
        .join(User, col(User.id) == CourseTeacher.teacher_id)
        .where(col(CourseTeacher.course_id).in_(course_ids))
        .order_by(CourseTeacher.id)
    )
    teachers: dict[int, list[User]] = defaultdict(list)
    for course_id, teacher in rows.all():
        teachers[course_id].append(teacher)
    return teachers


async def course_get(session: AsyncSession, *, actor: User, course_id: int) -> CourseView:
    """A course the actor may open in the journal (write or read); 404 otherwise."""
    row = (
        await session.exec(
            select(Course, SchoolClass, Subject)
            .join(SchoolClass, col(SchoolClass.id) == Course.class_id)
            .join(Subject, col(Subject.id) == Course.subject_id)
            .where(Course.id == course_id, Course.school_id == actor.school_id)
        )
    ).first()
    if row is None:
        raise NotFound(_("No such course."))
    course, school_class, subject = row
    teachers = (await _teachers_of(session, [course_id])).get(course_id, [])
    access = _access(actor, school_class, (t.id for t in teachers))
    if access is None:
        raise NotFound(_("No such course."))
    return CourseView(course, school_class, subject, teachers, access)


async def courses_list(
    session: AsyncSession, *, actor: User, class_ref: str | None = None, mine: bool = False
) -> list[CourseView]:
    """The courses the actor may see, by class then subject.

    `class_ref` filters by class id or name ("7A"); `mine` keeps only the courses the
    actor teaches. Teachers see the courses they teach and every course of the class
    they are form tutor of; pupils and parents the courses of their own classes.
    """
    query = (
        select(Course, SchoolClass, Subject)
        .join(SchoolClass, col(SchoolClass.id) == Course.class_id)
        .join(Subject, col(Subject.id) == Course.subject_id)
        .where(Course.school_id == actor.school_id)
    )
    if class_ref:
        ref = class_ref.strip()
        if ref.isdigit():  # an id; one beyond what the database holds names no class
            query = query.where(SchoolClass.id == (id_from_text(ref) or 0))
        else:
            query = query.where(func.upper(SchoolClass.name) == ref.upper())
    if actor.role == Role.pupil:
        query = query.where(col(SchoolClass.id).in_(await pupil_class_ids(session, actor.id or 0)))
    elif actor.role == Role.parent:
        class_ids: set[int] = set()
        for child in await children_ids(session, actor.id or 0):
            class_ids |= await pupil_class_ids(session, child)
        query = query.where(col(SchoolClass.id).in_(class_ids))
    rows = (await session.exec(query.order_by(SchoolClass.name, Subject.name, Course.id))).all()
    teachers = await _teachers_of(session, [course.id for course, _c, _s in rows if course.id])
    views = []
    for course, school_class, subject in rows:
        course_teachers = teachers.get(course.id or 0, [])
        access = _access(actor, school_class, (t.id for t in course_teachers))
        if actor.role == Role.teacher and access is None:
            continue
        if mine and actor.id not in {t.id for t in course_teachers}:
            continue
        views.append(CourseView(course, school_class, subject, course_teachers, access))
    return views


async def term_for(
    session: AsyncSession, *, school_id: int, term_id: int | None, today: date
) -> Term:
    """The term asked for (of this school), or the one containing `today`."""
    if term_id is not None:
        term = await session.get(Term, term_id)
        if term is None or term.school_id != school_id:
            raise NotFound(_("No such term."))
        return term
    term = await term_current(session, school_id=school_id, today=today)
    if term is None:
        raise NotFound(_("The school has no terms yet."))
    return term


async def class_pupils_of(session: AsyncSession, class_id: int) -> list[User]:
    """The pupils enrolled in a class, by name (no permission check: callers do it)."""
    rows = await session.exec(
        select(User)
        .join(Enrolment, col(Enrolment.pupil_id) == User.id)
        .where(Enrolment.class_id == class_id)
        .order_by(User.name, User.id)
    )
    return list(rows.all())


def _past_statuses(slots: Iterable[Slot], records: dict[int, str], today: date) -> list[str]:
    """Statuses of the lessons that have happened; a lesson without a record counts present."""
    return [records.get(slot.id or 0, "present") for slot in slots if slot.date <= today]


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
                .order_by(Slot.date, Slot.period, Slot.id)
            )
        ).all()
    )
    in_term = (Slot.course_id == course_id) & (Slot.term_id == term.id)
    # Marks, attendance and term marks are read as plain rows: the journal only needs
    # their columns, and building ORM objects for every mark cost more than the query.
    marks = (
        await session.exec(
            select(*_MARK_COLUMNS)
            .join(Slot, col(Slot.id) == Mark.slot_id)
            .where(in_term, col(Mark.deleted_at).is_(None))
            .order_by(Mark.id)
        )
    ).all()
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
        statuses = _past_statuses(past_slots, status_of.get(pupil_id, {}), today)
        summaries[pupil_id] = attendance_summary(statuses)
        class_statuses.extend(statuses)
    pupil_ids = set(averages)
    names = await attachment_names(session, school_id=actor.school_id, slots=slots)
    return {
        "course": course_public(view),
        "term": term_public(term),
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


async def pupil_term_result(
    session: AsyncSession, *, course: Course, term_id: int, pupil_id: int, school_id: int
) -> dict[str, Any]:
    """A pupil's weighted average, suggested and given term mark in one course and term."""
    rows = await session.exec(
        select(Mark.value, Mark.weight)
        .join(Slot, col(Slot.id) == Mark.slot_id)
        .where(
            Slot.course_id == course.id,
            Slot.term_id == term_id,
            Mark.pupil_id == pupil_id,
            col(Mark.deleted_at).is_(None),
        )
    )
    scale = get_scale(course.scale)
    average = weighted_average([(value, weight) for value, weight in rows.all()], scale)
    threshold = await rounding_threshold(session, school_id=school_id)
    given = (
        await session.exec(
            select(TermMark.value).where(
                TermMark.course_id == course.id,
                TermMark.term_id == term_id,
                TermMark.pupil_id == pupil_id,
            )
        )
    ).first()
    return {
        "pupil_id": pupil_id,
        "course_id": course.id,
        "term_id": term_id,
        "average": average,
        "suggested": suggest_term_mark(average, scale, threshold),
        "term_mark": given,
    }


# --- slots --------------------------------------------------------------------------------


async def slot_get(session: AsyncSession, *, actor: User, slot_id: int) -> SlotView:
    """A lesson slot with its course (class, subject, teachers) and term.

    For the journal and for live lessons: the slot's pupils are the course's class
    (`class_pupils_of(session, view.school_class.id)`). `view.course.access` says
    whether the actor may write ("write") or only read ("read"); a slot the actor may
    not see at all is a 404.
    """
    slot = await session.get(Slot, slot_id)
    if slot is None or slot.school_id != actor.school_id:
        raise NotFound(_("No such lesson slot."))
    view = await course_get(session, actor=actor, course_id=slot.course_id)
    term = await session.get(Term, slot.term_id)
    if term is None:
        raise NotFound(_("No such lesson slot."))
    return SlotView(slot=slot, course=view, term=term)


async def course_of_slot(session: AsyncSession, *, slot_id: int) -> Course | None:
    """The course a slot belongs to (no permission check: callers have made theirs)."""
    slot = await session.get(Slot, slot_id)
    return await session.get(Course, slot.course_id) if slot is not None else None


async def course_slot_for(session: AsyncSession, *, course_id: int, day: date) -> Slot | None:
    """The course's first slot on ``day``, else its last slot before it (None: no slot yet)."""
    on_day = (
        await session.exec(
            select(Slot)
            .where(Slot.course_id == course_id, Slot.date == day)
            .order_by(col(Slot.period), col(Slot.id))
        )
    ).first()
    if on_day is not None:
        return on_day
    return (
        await session.exec(
            select(Slot)
            .where(Slot.course_id == course_id, col(Slot.date) < day)
            .order_by(col(Slot.date).desc(), col(Slot.period).desc())
        )
    ).first()


async def timetable_of_class(
    session: AsyncSession, *, school_id: int, class_id: int
) -> list[TimetableEntryRow]:
    """The weekly timetable of a class, by weekday and period."""
    rows = await session.exec(
        select(TimetableEntryRow)
        .where(TimetableEntryRow.school_id == school_id, TimetableEntryRow.class_id == class_id)
        .order_by(TimetableEntryRow.weekday, TimetableEntryRow.period, TimetableEntryRow.id)
    )
    return list(rows.all())


# --- history ------------------------------------------------------------------------------


async def history_of(
    session: AsyncSession, *, school_id: int, entity: str, entity_id: int
) -> list[dict[str, Any]]:
    """Every recorded create, change and delete of one record, oldest first."""
    rows = await session.exec(
        select(HistoryEntry, User)
        .join(User, col(User.id) == HistoryEntry.by_id, isouter=True)
        .where(
            HistoryEntry.school_id == school_id,
            HistoryEntry.entity == entity,
            HistoryEntry.entity_id == entity_id,
        )
        .order_by(HistoryEntry.at, HistoryEntry.id)
    )
    return [history_public(entry, by) for entry, by in rows.all()]


async def mark_history(session: AsyncSession, *, actor: User, mark_id: int) -> list[dict[str, Any]]:
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
) -> list[dict[str, Any]]:
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
) -> list[dict[str, Any]]:
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
) -> dict[str, Any]:
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
    rows = []
    every: list[str] = []
    for pupil in pupils:
        statuses = _past_statuses(slots, status_of.get(pupil.id or 0, {}), today)
        every.extend(statuses)
        rows.append({"pupil": person_ref(pupil), "summary": attendance_summary(statuses)})
    return {
        "class": {"id": school_class.id, "name": school_class.name},
        "term": term_public(term),
        "pupils": rows,
        "total": attendance_summary(every),
    }


# --- the diary ------------------------------------------------------------------------------


async def diary_pupil(session: AsyncSession, *, actor: User, pupil_id: int) -> User:
    """The pupil whose diary the actor may read; 404 for anyone else.

    A pupil reads their own, a parent their children's, the admin any pupil of the
    school, a teacher the pupils of the class they are form tutor of.
    """
    pupil = await session.get(User, pupil_id)
    if pupil is None or pupil.school_id != actor.school_id or pupil.role != Role.pupil:
        raise NotFound(_("No such pupil."))
    if actor.role == Role.admin:
        return pupil
    if actor.role == Role.pupil and actor.id == pupil_id:
        return pupil
    if actor.role == Role.parent and pupil_id in await children_ids(session, actor.id or 0):
        return pupil
    if actor.role == Role.teacher:
        tutored = await session.exec(
            select(SchoolClass.id)
            .join(Enrolment, col(Enrolment.class_id) == SchoolClass.id)
            .where(Enrolment.pupil_id == pupil_id, SchoolClass.form_tutor_id == actor.id)
        )
        if tutored.first() is not None:
            return pupil
    raise NotFound(_("No such pupil."))


async def diary_pupils(session: AsyncSession, *, actor: User) -> list[User]:
    """Whose diaries the actor opens from /diary: a pupil themself, a parent the children."""
    if actor.role == Role.pupil:
        return [actor]
    if actor.role == Role.parent:
        ids = await children_ids(session, actor.id or 0)
        if not ids:
            return []
        rows = await session.exec(
            select(User).where(col(User.id).in_(ids)).order_by(User.name, User.id)
        )
        return list(rows.all())
    return []


async def feed_by_secret(session: AsyncSession, *, secret: str) -> tuple[User, User] | None:
    """(owner, pupil) of a live calendar link whose owner may still see the pupil; else None."""
    feed = (
        await session.exec(
            select(DiaryFeed).where(
                DiaryFeed.digest == digest(secret), col(DiaryFeed.revoked_at).is_(None)
            )
        )
    ).first()
    if feed is None:
        return None
    owner = await session.get(User, feed.owner_id)
    if owner is None or not owner.active:
        return None
    try:
        pupil = await diary_pupil(session, actor=owner, pupil_id=feed.pupil_id)
    except NotFound:
        return None
    return owner, pupil


async def feed_active(session: AsyncSession, *, actor: User, pupil_id: int) -> DiaryFeed | None:
    """The actor's live calendar link for a pupil, if any."""
    await diary_pupil(session, actor=actor, pupil_id=pupil_id)
    return (
        await session.exec(
            select(DiaryFeed).where(
                DiaryFeed.pupil_id == pupil_id,
                DiaryFeed.owner_id == actor.id,
                col(DiaryFeed.revoked_at).is_(None),
            )
        )
    ).first()


async def attachment_visible(session: AsyncSession, actor: User, sha256: str) -> bool:
    """The gradebook's file audience: whether the uploaded file ``sha256`` is attached to
    homework of a slot the actor may see, in their own school.

    Appended to ``app.state.file_audiences`` (the routes' lifespan), so that the shell's
    file route serves homework attachments to the class's pupils and parents and its
    teachers.
    """
    if len(sha256) != 64 or not all(ch in "0123456789abcdef" for ch in sha256):
        return False
    candidates = await session.exec(
        select(Slot.course_id)
        .where(
            Slot.school_id == actor.school_id,
            cast(Slot.attachments, String).like(f"%{sha256}%"),
        )
        .distinct()
    )
    course_ids = set(candidates.all())
    if not course_ids:
        return False
    visible = await courses_list(session, actor=actor)
    return any(view.course.id in course_ids for view in visible)


def teacher_slots_select(actor: User) -> Any:
    """``select(Slot, SchoolClass, Subject)`` of the slots of the courses the actor teaches;
    callers add the dates (and any other filter) and the order."""
    return (
        select(Slot, SchoolClass, Subject)
        .join(Course, col(Course.id) == Slot.course_id)
        .join(CourseTeacher, col(CourseTeacher.course_id) == Course.id)
        .join(SchoolClass, col(SchoolClass.id) == Course.class_id)
        .join(Subject, col(Subject.id) == Course.subject_id)
        .where(Slot.school_id == actor.school_id, CourseTeacher.teacher_id == actor.id)
    )


async def teacher_slots_on(
    session: AsyncSession, *, actor: User, day: date
) -> list[tuple[Slot, SchoolClass, Subject]]:
    """The teacher's lesson slots on ``day`` (their courses only), by period then class."""
    rows = await session.exec(
        teacher_slots_select(actor)
        .where(Slot.date == day)
        .order_by(col(Slot.period), col(SchoolClass.name))
    )
    return [(slot, school_class, subject) for slot, school_class, subject in rows.all()]
