"""What classwork tells families: an assignment set, and (daily) an assignment due tomorrow
that the pupil has not handed in — through :func:`eschool.notifications.notify`, to the
pupil and their linked parents only."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from classwork.models import Assignment, AssignmentWork
from eschool.i18n import N_
from eschool.notifications import Notice, families_of, notify_many
from gradebook.models import Course, Subject
from gradebook.queries import CourseView, class_pupils_of


def _local_day(moment: datetime, timezone: str) -> str:
    return moment.astimezone(ZoneInfo(timezone)).strftime("%d.%m.%Y")


async def _to_pupils(
    session: AsyncSession,
    *,
    assignment: Assignment,
    class_id: int,
    subject: str,
    kind: str,
    title: str,
    timezone: str,
    skip: set[int] | None = None,
) -> None:
    pupils = [p for p in await class_pupils_of(session, class_id) if not skip or p.id not in skip]
    families = await families_of(session, pupil_ids=[pupil.id or 0 for pupil in pupils])
    await notify_many(
        session,
        school_id=assignment.school_id,
        kind=kind,
        notices=[
            Notice(
                recipients=families.get(pupil.id or 0, []),
                title=title,
                params={
                    "pupil": pupil.name,
                    "title": assignment.lesson_title,
                    "subject": subject,
                    "due": _local_day(assignment.due, timezone),
                },
                url=f"/assignments/{assignment.id}",
                pupil_id=pupil.id,
            )
            for pupil in pupils
        ],
    )


async def assignment_set(
    session: AsyncSession, *, course: CourseView, assignment: Assignment, timezone: str
) -> None:
    """An assignment was set: tell each pupil of the course's class and their parents."""
    await session.flush()  # the assignment's id, for the link
    await _to_pupils(
        session,
        assignment=assignment,
        class_id=course.school_class.id or 0,
        subject=course.subject.name,
        kind="assignment",
        title=N_("{pupil}: new assignment “{title}” in {subject}, due {due}"),
        timezone=timezone,
    )


async def due_tomorrow(session: AsyncSession, today: date, *, timezone: str) -> None:
    """The daily task: for each open assignment due tomorrow (at school), tell each pupil who
    has not handed it in, and their parents. Commits."""
    zone = ZoneInfo(timezone)
    start = datetime.combine(today + timedelta(days=1), time(0, 0), tzinfo=zone)
    found = await session.exec(
        select(Assignment, Course.class_id, Subject.name)
        .join(Course, col(Course.id) == Assignment.course_id)
        .join(Subject, col(Subject.id) == Course.subject_id)
        .where(
            col(Assignment.closed).is_(False),
            col(Assignment.due) >= start,
            col(Assignment.due) < start + timedelta(days=1),
        )
        .order_by(col(Assignment.id))
    )
    for assignment, class_id, subject in found.all():
        handed_in = await session.exec(
            select(AssignmentWork.pupil_id).where(
                AssignmentWork.assignment_id == assignment.id,
                col(AssignmentWork.submitted_at).is_not(None),
            )
        )
        await _to_pupils(
            session,
            assignment=assignment,
            class_id=class_id,
            subject=subject,
            kind="due",
            title=N_("{pupil}: “{title}” in {subject} is due tomorrow and not handed in"),
            timezone=timezone,
            skip=set(handed_in.all()),
        )
    await session.commit()
