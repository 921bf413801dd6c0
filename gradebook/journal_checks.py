"""What every write of the journal checks before it touches anything — the actor may write
the course, the term is open (or the administrator gives a reason), the value is on the
course's scale, the pupil is in the class, the work type exists — and the history entry each
change records (who, when, old, new, why). Used by :mod:`gradebook.services`."""

from __future__ import annotations

from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from eschool.errors import Forbidden, Invalid
from eschool.i18n import gettext as _
from eschool.models import Enrolment, Role, User
from eschool.timeutil import utcnow
from gradebook.pupil_slot import PupilSlot, slot_for_pupil
from gradebook.queries import WRITE, CourseView
from gradebook.scales import Scale, ScaleError


def require_write(view: CourseView | PupilSlot) -> None:
    """Only the course's teachers and the administrator change its journal (403)."""
    if view.access != WRITE:
        raise Forbidden(_("Only the course's teachers and the administrator change its journal."))


def require_open_term(actor: User, closed: bool, reason: str | None) -> None:
    """A closed term is changed only by the administrator, and only with a reason."""
    if not closed:
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


def normalize(scale: Scale, value: Any) -> str:
    """The value as the scale stores it; 422 ``out_of_scale`` when it is not on it."""
    try:
        return scale.normalize(value)
    except ScaleError as exc:
        raise Invalid(str(exc), code="out_of_scale") from exc


async def require_enrolled(session: AsyncSession, *, pupil_id: int, class_id: int) -> None:
    """422 ``not_in_class`` unless the pupil is enrolled in the class."""
    found = await session.exec(
        select(Enrolment.id).where(Enrolment.pupil_id == pupil_id, Enrolment.class_id == class_id)
    )
    if found.first() is None:
        raise not_in_class()


def not_in_class() -> Invalid:
    """The error of a pupil who is not in the course's class."""
    return Invalid(_("This pupil is not in the course's class."), code="not_in_class")


def known_work_type(found: tuple[str, float] | None, code: str) -> tuple[str, float]:
    """The work type ``(code, weight)`` found for ``code``; 422 when the school has none such."""
    if found is None:
        raise Invalid(_("Unknown work type {code}.", code=code), code="unknown_work_type")
    return found


def history_row(
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
) -> dict[str, Any]:
    """The columns of a history entry: who did what to which record, when and why."""
    return {
        "school_id": actor.school_id,
        "entity": entity,
        "entity_id": entity_id,
        "pupil_id": pupil_id,
        "action": action,
        "field": field,
        "old": old,
        "new": new,
        "reason": reason,
        "by_id": actor.id or 0,
        "at": utcnow(),
    }


async def writable_slot(
    session: AsyncSession,
    *,
    actor: User,
    slot_id: int,
    pupil_id: int,
    reason: str | None,
    as_tutor: bool = False,
    work_type: str | None = None,
    with_marks: bool = False,
) -> PupilSlot:
    """The slot (:func:`slot_for_pupil`) once the actor may write about the pupil there: a
    writer of the course (or, ``as_tutor``, the class's form tutor), the term open or a
    reason given, the pupil in the class."""
    found = await slot_for_pupil(
        session,
        actor=actor,
        slot_id=slot_id,
        pupil_id=pupil_id,
        work_type=work_type,
        with_marks=with_marks,
    )
    require_writable(found, actor=actor, reason=reason, as_tutor=as_tutor)
    return found


def require_writable(
    found: PupilSlot, *, actor: User, reason: str | None, as_tutor: bool = False
) -> None:
    """The checks of :func:`writable_slot` on a slot read already."""
    if not (as_tutor and found.form_tutor_id == actor.id):
        require_write(found)
    require_open_term(actor, found.term_closed, reason)
    if not found.enrolled:
        raise not_in_class()
