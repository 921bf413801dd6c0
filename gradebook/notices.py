"""What the journal tells families: a new or changed mark, an absence or lateness, homework
set, a term mark — each through :func:`eschool.notifications.notify_family` (or, for a whole
class, ``notify_many``) in the service's own transaction (delivered after its commit), to
the pupil and their linked parents only."""

from __future__ import annotations

from datetime import date

from sqlmodel.ext.asyncio.session import AsyncSession

from eschool.i18n import N_
from eschool.models import Term
from eschool.notifications import Notice, families_of, notify_family, notify_many
from gradebook import queries
from gradebook.models import Mark
from gradebook.pupil_slot import PupilSlot
from gradebook.queries import CourseView, SlotView

# Attendance worth telling a family at once (an excused absence comes from their own note).
NOTIFIED_ATTENDANCE = {
    "absent": N_("{pupil}: absent from {subject} on {date}"),
    "late": N_("{pupil}: late for {subject} on {date}"),
}


def _day(day: date) -> str:
    return day.strftime("%d.%m.%Y")


def _diary(pupil_id: int, day: date) -> str:
    return f"/diary?pupil={pupil_id}&week={day.isoformat()}"


async def mark_noticed(
    session: AsyncSession, *, slot: PupilSlot, pupil_id: int, value: str, changed: bool
) -> None:
    """A mark was given (or its value changed): tell the pupil and their parents."""
    title, params, url = mark_notice(slot=slot, pupil_id=pupil_id, value=value, changed=changed)
    await notify_family(
        session,
        school_id=slot.school_id,
        kind="mark",
        pupil_id=pupil_id,
        title=title,
        params=params,
        url=url,
    )


def mark_notice(
    *, slot: PupilSlot, pupil_id: int, value: str, changed: bool
) -> tuple[str, dict[str, str | int], str]:
    """The title, its values and the link of a mark's notification (kind ``mark``)."""
    title = (
        N_("{pupil}: mark in {subject} on {date} changed to {value}")
        if changed
        else N_("{pupil}: mark {value} in {subject} on {date}")
    )
    params: dict[str, str | int] = {
        "subject": slot.subject,
        "date": _day(slot.date),
        "value": value,
    }
    return title, params, _diary(pupil_id, slot.date)


async def attendance_noticed(
    session: AsyncSession, *, slot: PupilSlot, pupil_id: int, status: str
) -> None:
    """A pupil was marked absent or late: tell them and their parents (other statuses: no)."""
    title = NOTIFIED_ATTENDANCE.get(status)
    if title is None:
        return
    await notify_family(
        session,
        school_id=slot.school_id,
        kind="absence",
        pupil_id=pupil_id,
        title=title,
        params={"subject": slot.subject, "date": _day(slot.date)},
        url=_diary(pupil_id, slot.date),
    )


async def mark_changed(
    session: AsyncSession, *, slot: PupilSlot, mark: Mark, fields: list[str]
) -> None:
    """A mark was changed: tell the family when its value changed (not for a comment)."""
    if "value" in fields:
        await mark_noticed(
            session, slot=slot, pupil_id=mark.pupil_id, value=mark.value, changed=True
        )


async def homework_noticed(session: AsyncSession, *, view: SlotView, homework: str) -> None:
    """Homework was set for a slot: tell each pupil of the class and their parents."""
    if not homework:
        return
    pupils = await queries.class_pupils_of(session, view.school_class.id or 0)
    families = await families_of(session, pupil_ids=[pupil.id or 0 for pupil in pupils])
    await notify_many(
        session,
        school_id=view.course.course.school_id,
        kind="homework",
        notices=[
            Notice(
                recipients=families.get(pupil.id or 0, []),
                title=N_("{pupil}: homework in {subject} for {date}"),
                params={
                    "pupil": pupil.name,
                    "subject": view.course.subject.name,
                    "date": _day(view.slot.date),
                },
                url=_diary(pupil.id or 0, view.slot.date),
                pupil_id=pupil.id,
            )
            for pupil in pupils
        ],
    )


async def term_mark_noticed(
    session: AsyncSession, *, view: CourseView, term: Term, pupil_id: int, value: str | None
) -> None:
    """A term mark was set or changed: tell the pupil and their parents (not a cleared one)."""
    if value is None:
        return
    await notify_family(
        session,
        school_id=view.course.school_id,
        kind="term_mark",
        pupil_id=pupil_id,
        title=N_("{pupil}: term mark {value} in {subject} ({term})"),
        params={"subject": view.subject.name, "term": term.name, "value": value},
        url=f"/diary?pupil={pupil_id}",
    )
