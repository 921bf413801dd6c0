"""What is new in a pupil's diary since the reader's last visit (the diary page's news and
``GET /diary/{id}/news``), read as plain rows: the marks in one statement, the homework in one.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BindParameter, bindparam
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import Select

from eschool import direct_read
from eschool.direct_read import DirectReads
from eschool.models import Enrolment, User
from eschool.timeutil import iso, utcnow
from gradebook.diary import MARK_COLUMNS, diary_pupil, work_type_name, work_type_of_mark
from gradebook.models import Course, DiaryVisit, Mark, Slot, Subject, WorkType

NEWS_DEFAULT_DAYS = 7
NEWS_LIMIT = 50

_PUPIL: BindParameter[int] = bindparam("pupil_id")
_SINCE: BindParameter[datetime] = bindparam("since")

_LAST_VISIT = select(DiaryVisit.seen_at).where(
    col(DiaryVisit.viewer_id) == bindparam("viewer_id"), col(DiaryVisit.pupil_id) == _PUPIL
)

# Built as ``select()`` builds them: its typing stops at four columns.
_MARKS: Select[*tuple[Any, ...]] = (
    Select(
        *MARK_COLUMNS,
        col(Slot.id),
        col(Slot.date),
        col(Subject.id),
        col(Subject.name),
        col(Subject.short_name),
    )
    .select_from(Mark)
    .join(Slot, col(Slot.id) == Mark.slot_id)
    .join(Course, col(Course.id) == Slot.course_id)
    .join(Subject, col(Subject.id) == Course.subject_id)
    .outerjoin(WorkType, work_type_of_mark())
    .where(
        col(Mark.pupil_id) == _PUPIL,
        col(Mark.deleted_at).is_(None),
        col(Mark.created_at) > _SINCE,
    )
    .order_by(col(Mark.created_at).desc(), col(Mark.id).desc())
    .limit(NEWS_LIMIT)
)

_HOMEWORK: Select[*tuple[Any, ...]] = (
    Select(
        col(Slot.id),
        col(Slot.date),
        col(Subject.id),
        col(Subject.name),
        col(Subject.short_name),
        col(Slot.homework),
    )
    .select_from(Slot)
    .join(Course, col(Course.id) == Slot.course_id)
    .join(Subject, col(Subject.id) == Course.subject_id)
    .join(Enrolment, col(Enrolment.class_id) == Course.class_id)
    .where(
        col(Enrolment.pupil_id) == _PUPIL,
        col(Slot.homework_at).is_not(None),
        col(Slot.homework_at) > _SINCE,
        Slot.homework != "",
    )
    .order_by(col(Slot.homework_at).desc(), col(Slot.id).desc())
    .limit(NEWS_LIMIT)
)


async def last_visit(
    session: AsyncSession, *, viewer_id: int, pupil_id: int, reads: DirectReads | None = None
) -> datetime | None:
    """When the viewer last opened the pupil's diary, or None (straight on the driver with
    ``reads``)."""
    params = {"viewer_id": viewer_id, "pupil_id": pupil_id}
    row = await direct_read.first(session, _LAST_VISIT, params, reads)
    return None if row is None else row[0]


def default_since() -> datetime:
    """Where the news starts for a reader who never marked it as seen: 7 days ago, to the
    minute (the same news, and the same kept answer, for a whole minute)."""
    return (utcnow() - timedelta(days=NEWS_DEFAULT_DAYS)).replace(second=0, microsecond=0)


async def diary_news(
    session: AsyncSession, *, actor: User, pupil_id: int, since: datetime | None = None
) -> dict[str, Any]:
    """What is new for a pupil since the actor's last visit (else the last 7 days).

    Returns `{"since","marks":[{…mark, "date","subject","slot_id"}],
    "homework":[{"slot_id","date","subject","homework"}]}`, newest first, at most 50 each.
    """
    await diary_pupil(session, actor=actor, pupil_id=pupil_id)
    if since is None:
        since = await last_visit(session, viewer_id=actor.id or 0, pupil_id=pupil_id)
    if since is None:
        since = default_since()
    params = {"pupil_id": pupil_id, "school_id": actor.school_id, "since": since}
    marks = []
    for row in (await session.exec(_MARKS, params=params)).all():
        mark_id, value, work_type, weight, comment, stored, has_types = row[:7]
        slot_id, day, subject_id, name, short_name = row[7:]
        marks.append(
            {
                "id": mark_id,
                "value": value,
                "work_type": work_type,
                "work_type_name": work_type_name(work_type, stored, has_types),
                "weight": weight,
                "comment": comment,
                "slot_id": slot_id,
                "date": day.isoformat(),
                "subject": {"id": subject_id, "name": name, "short_name": short_name},
            }
        )
    homework = [
        {
            "slot_id": slot_id,
            "date": day.isoformat(),
            "subject": {"id": subject_id, "name": name, "short_name": short_name},
            "homework": text,
        }
        for slot_id, day, subject_id, name, short_name, text in (
            await session.exec(_HOMEWORK, params=params)
        ).all()
    ]
    return {"since": iso(since), "marks": marks, "homework": homework}
