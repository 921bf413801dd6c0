"""The diary's week and its calendar feed, read for speed.

A family opens the diary every evening and a calendar app polls the feed every hour, so these
reads are made of few statements, built once, returning plain rows (no ORM objects): one for
a week's lessons with their marks, attendance and the reader's right to see them (a second one
only for a week without lessons), one for a feed's lessons. Each date is formatted once. The
indexes they use already exist (a PostgreSQL test checks the plan): the enrolments by pupil,
the slots by date and by ``(course_id, date, period)``, the marks by pupil and slot, the
attendance by ``(slot_id, pupil_id)``.

Who may read a pupil's diary: the pupil, their parents, the school's admin and the form tutor
of the pupil's class; anyone else is answered 404, as if the pupil did not exist.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import BindParameter, and_, bindparam, exists, func, literal
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import Select, SelectOfScalar

from eschool.errors import BadRequest, NotFound
from eschool.i18n import gettext as _
from eschool.models import Enrolment, Guardianship, Role, SchoolClass, Term, User
from eschool.uploads.queries import uploads_info
from gradebook.exports import diary_ics
from gradebook.models import (
    DEFAULT_WORK_TYPES,
    Attendance,
    Course,
    Mark,
    Slot,
    Subject,
    WorkType,
)

DIARY_MAX_DAYS = 62
# The domain part of every calendar event's UID (`slot-<id>@eschool`): fixed, so that a feed
# fetched under another address (a new domain, a proxy) does not duplicate every event.
FEED_UID_DOMAIN = "eschool"
# Without a term ahead, a feed reaches this far into the future.
FEED_DAYS_AHEAD = 60
_DEFAULT_NAMES = {code: name for code, name, _weight in DEFAULT_WORK_TYPES}


@dataclass(frozen=True)
class DiaryPupil:
    """The pupil whose diary is read: what the diary and the feed show of them."""

    id: int
    name: str
    school_id: int

    def public(self) -> dict[str, Any]:
        """`{"id","name"}`."""
        return {"id": self.id, "name": self.name}


# Statements are built once with parameters (building one costs more than running it).
_PUPIL: BindParameter[int] = bindparam("pupil_id")
_ACTOR: BindParameter[int] = bindparam("actor_id")
_SCHOOL: BindParameter[int] = bindparam("school_id")
_START: BindParameter[date] = bindparam("start")
_END: BindParameter[date] = bindparam("end")


def may_read(role: str) -> Any:
    """The SQL condition under which an actor of ``role`` may read the pupil's diary (for a
    pupil, their own: the caller checks that it is)."""
    if role in (Role.admin, Role.pupil):
        return literal(True)
    if role == Role.parent:
        return exists().where(
            col(Guardianship.parent_id) == _ACTOR, col(Guardianship.child_id) == _PUPIL
        )
    if role == Role.teacher:
        # Aliases: inside the week's query, the bare tables would be correlated to its own.
        enrolment, school_class = aliased(Enrolment), aliased(SchoolClass)
        return exists().where(
            col(enrolment.pupil_id) == _PUPIL,
            col(school_class.id) == enrolment.class_id,
            col(school_class.form_tutor_id) == _ACTOR,
        )
    return literal(False)


_PUPIL_FOR: dict[str, SelectOfScalar[str]] = {
    role: select(User.name).where(
        col(User.id) == _PUPIL,
        col(User.school_id) == _SCHOOL,
        User.role == Role.pupil,
        may_read(role),
    )
    for role in (Role.admin, Role.parent, Role.teacher)
}


async def diary_pupil(session: AsyncSession, *, actor: User, pupil_id: int) -> DiaryPupil:
    """The pupil whose diary the actor may read (one statement; none for a pupil's own);
    404 for anyone else."""
    if actor.role == Role.pupil:
        if actor.id != pupil_id:
            raise NotFound(_("No such pupil."))
        return DiaryPupil(id=pupil_id, name=actor.name, school_id=actor.school_id)
    query = _PUPIL_FOR.get(actor.role)
    params = {"pupil_id": pupil_id, "actor_id": actor.id, "school_id": actor.school_id}
    row = None if query is None else (await session.exec(query, params=params)).first()
    if row is None:
        raise NotFound(_("No such pupil."))
    return DiaryPupil(id=pupil_id, name=row, school_id=actor.school_id)


# How many work types the school saved (0: it uses the defaults), for `work_type_name`.
SCHOOL_HAS_WORK_TYPES = select(func.count()).where(WorkType.school_id == _SCHOOL).scalar_subquery()
# A mark as the diary shows it, in this order wherever a statement reads marks (the readers
# unpack the row by position): what the work type is called needs whether the school has any.
MARK_COLUMNS = (
    col(Mark.id),
    col(Mark.value),
    col(Mark.work_type),
    col(Mark.weight),
    col(Mark.comment),
    col(WorkType.name),
    SCHOOL_HAS_WORK_TYPES,
)


def work_type_of_mark() -> Any:
    """The join condition of the school's work type named by a mark (``school_id``)."""
    return and_(col(WorkType.school_id) == _SCHOOL, col(WorkType.code) == Mark.work_type)


def _pupil_lessons() -> Any:
    """The joins from a pupil's enrolments to the lessons of their classes between two dates
    (the caller chooses the columns; parameters ``pupil_id``, ``start``, ``end``)."""
    return (
        Select()
        .select_from(Slot)
        .join(Course, col(Course.id) == Slot.course_id)
        .join(Subject, col(Subject.id) == Course.subject_id)
        .join(Enrolment, col(Enrolment.class_id) == Course.class_id)
        .where(col(Enrolment.pupil_id) == _PUPIL, col(Slot.date) >= _START, col(Slot.date) <= _END)
    )


def _week_query(role: str) -> Any:
    """One row per lesson and mark (a lesson without marks once), with the attendance and
    the pupil's name, when an actor of ``role`` may read the diary (parameters
    ``pupil_id``, ``actor_id``, ``school_id``, ``start``, ``end``)."""
    return (
        _pupil_lessons()
        .add_columns(
            Slot.id,
            Slot.course_id,
            Slot.date,
            Slot.period,
            Slot.starts,
            Slot.ends,
            Slot.room,
            Slot.topic,
            Slot.homework,
            Slot.attachments,
            Slot.lesson_id,
            Slot.lesson_version,
            Slot.lesson_title,
            Subject.id,
            Subject.name,
            Subject.short_name,
            *MARK_COLUMNS,
            Attendance.status,
            User.name,
        )
        .join(User, col(User.id) == Enrolment.pupil_id)
        .outerjoin(
            Mark,
            and_(
                col(Mark.slot_id) == Slot.id,
                col(Mark.pupil_id) == _PUPIL,
                col(Mark.deleted_at).is_(None),
            ),
        )
        .outerjoin(
            WorkType,
            work_type_of_mark(),
        )
        .outerjoin(
            Attendance,
            and_(col(Attendance.slot_id) == Slot.id, col(Attendance.pupil_id) == _PUPIL),
        )
        .where(col(User.school_id) == _SCHOOL, User.role == Role.pupil, may_read(role))
        .order_by(Slot.date, Slot.period, Slot.starts, Slot.id, Mark.id)
    )


# The week's statement per reader role (public for the query-plan test).
WEEK_BY_ROLE: dict[str, Any] = {role: _week_query(role) for role in Role}


def work_type_name(code: str, stored: str | None, school_has_types: int) -> str:
    """The name shown for a mark's work type: the school's, else (a school that kept the
    defaults) the default one, else the code itself; translated."""
    if stored is not None:
        return _(stored)
    if not school_has_types and code in _DEFAULT_NAMES:
        return _(_DEFAULT_NAMES[code])
    return code


async def _file_names(
    session: AsyncSession, school_id: int, attachments: Iterable[list[str] | None]
) -> dict[str, str]:
    """The names homework files were uploaded with, by file id ("" when unknown); no
    statement when no lesson has files."""
    ids = {sha for files in attachments for sha in files or ()}
    if not ids:
        return {}
    info = await uploads_info(session, school_id=school_id, shas=ids)
    return {sha: str(info.get(sha, {}).get("filename") or "") for sha in ids}


def check_range(start: date, end: date) -> None:
    """400 for a range that ends before it starts or is longer than ``DIARY_MAX_DAYS``."""
    if end < start:
        raise BadRequest(_("`to` must not be before `from`."))
    if (end - start).days >= DIARY_MAX_DAYS:
        raise BadRequest(_("Ask for at most {n} days at a time.", n=DIARY_MAX_DAYS))


async def diary_week(
    session: AsyncSession, *, actor: User, pupil_id: int, start: date, end: date
) -> dict[str, Any]:
    """The diary between two dates: `{"pupil","from","to","days":[{"date","lessons":[…]}]}`.

    Each lesson is `{"slot_id","course_id","subject","period","starts","ends","room",
    "topic","homework","attachments","files","lesson","marks","attendance"}` (`files`: the
    attachments with the names they were uploaded with); `marks` are
    `{"id","value","work_type","work_type_name","weight","comment"}` in the order they were
    given and `attendance` is the recorded status or None. Every weekday is listed, weekend
    days only when they have lessons. At most 62 days at a time.
    """
    check_range(start, end)
    if actor.role == Role.pupil and actor.id != pupil_id:
        raise NotFound(_("No such pupil."))
    params = {"pupil_id": pupil_id, "actor_id": actor.id, "school_id": actor.school_id}
    rows = (
        await session.exec(WEEK_BY_ROLE[actor.role], params={**params, "start": start, "end": end})
    ).all()
    # The lessons come with the reader's right to see them; without lessons, ask apart
    # whether the reader may (404) or the week is empty.
    if rows:
        pupil = DiaryPupil(id=pupil_id, name=rows[0][-1], school_id=actor.school_id)
    else:
        pupil = await diary_pupil(session, actor=actor, pupil_id=pupil_id)
    names = await _file_names(session, actor.school_id, (row[9] for row in rows))
    lessons_on: dict[date, list[dict[str, Any]]] = {}
    lesson: dict[str, Any] = {}
    for (
        slot_id,
        course_id,
        day,
        period,
        starts,
        ends,
        room,
        topic,
        homework,
        attachments,
        lesson_id,
        lesson_version,
        lesson_title,
        subject_id,
        subject_name,
        subject_short,
        mark_id,
        value,
        work_type,
        weight,
        comment,
        work_type_stored,
        school_has_types,
        status,
        _pupil_name,
    ) in rows:
        if lesson.get("slot_id") != slot_id:
            files = list(attachments or ())
            lesson = {
                "slot_id": slot_id,
                "course_id": course_id,
                "subject": {"id": subject_id, "name": subject_name, "short_name": subject_short},
                "period": period,
                "starts": starts.strftime("%H:%M"),
                "ends": ends.strftime("%H:%M"),
                "room": room,
                "topic": topic,
                "homework": homework,
                "attachments": files,
                "files": [{"id": sha, "name": names.get(sha, "")} for sha in files],
                "lesson": None
                if lesson_id is None
                else {"lesson_id": lesson_id, "version": lesson_version, "title": lesson_title},
                "marks": [],
                "attendance": status,
            }
            lessons_on.setdefault(day, []).append(lesson)
        if mark_id is not None:
            lesson["marks"].append(
                {
                    "id": mark_id,
                    "value": value,
                    "work_type": work_type,
                    "work_type_name": work_type_name(work_type, work_type_stored, school_has_types),
                    "weight": weight,
                    "comment": comment,
                }
            )
    days = []
    day = start
    while day <= end:
        lessons = lessons_on.get(day)
        if lessons or day.weekday() < 5:
            days.append({"date": day.isoformat(), "lessons": lessons or []})
        day += timedelta(days=1)
    return {"pupil": pupil.public(), "from": start.isoformat(), "to": end.isoformat(), "days": days}


# --- the calendar feed -------------------------------------------------------------------------


async def feed_window(session: AsyncSession, *, school_id: int, today: date) -> tuple[date, date]:
    """The dates a calendar feed covers: from the first day of the current term (between
    terms, of the last one that started; before the first, from today) to the end of the
    school's last term, or ``FEED_DAYS_AHEAD`` days ahead when no term lies ahead."""
    terms = (
        await session.exec(
            select(col(Term.starts), col(Term.ends))
            .where(Term.school_id == school_id)
            .order_by(col(Term.starts), col(Term.id))
        )
    ).all()
    started = [starts for starts, _ends in terms if starts <= today]
    start = started[-1] if started else today
    last = max((ends for _starts, ends in terms), default=None)
    end = last if last is not None and last >= today else today + timedelta(days=FEED_DAYS_AHEAD)
    return start, end


async def diary_events(
    session: AsyncSession, *, pupil_id: int, start: date, end: date
) -> list[dict[str, Any]]:
    """A pupil's lessons between two dates as `gradebook.exports.diary_ics` events, in
    date, period and slot order; `updated` is when the lesson last changed."""
    rows = await session.exec(_EVENTS, params={"pupil_id": pupil_id, "start": start, "end": end})
    keys = ("slot_id", "date", "starts", "ends", "subject", "room", "topic", "homework", "updated")
    return [dict(zip(keys, row, strict=True)) for row in rows.all()]


_EVENTS = (
    _pupil_lessons()
    .add_columns(
        Slot.id,
        Slot.date,
        Slot.starts,
        Slot.ends,
        Subject.name,
        Slot.room,
        Slot.topic,
        Slot.homework,
        Slot.updated_at,
    )
    .order_by(Slot.date, Slot.period, Slot.id)
)


async def feed_text(
    session: AsyncSession, *, pupil: DiaryPupil, today: date, tz: str | None
) -> str:
    """The pupil's calendar feed from the first day of the current term to the end of the last
    one (:func:`feed_window`). Its UIDs do not depend on the address it is fetched under, and
    its text only on the data (each event's DTSTAMP is when its lesson last changed)."""
    start, end = await feed_window(session, school_id=pupil.school_id, today=today)
    events = await diary_events(session, pupil_id=pupil.id, start=start, end=end)
    return diary_ics(
        pupil_name=pupil.name,
        events=events,
        calendar_name=_("Diary of {name}", name=pupil.name),
        tz=tz,
        uid_domain=FEED_UID_DOMAIN,
    )


def webcal_url(url: str) -> str:
    """The ``webcal://`` form of a feed's ``http(s)://`` address (calendar apps subscribe to
    it when it is opened)."""
    _scheme, separator, rest = url.partition("://")
    return f"webcal://{rest}" if separator else url
