"""Who may see whom: role checks and the pupil-visibility rule shared by every package."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from eschool.errors import Forbidden, NotFound
from eschool.i18n import gettext as _
from eschool.models import ClassTeaching, Enrolment, Guardianship, Role, SchoolClass, User


def require_role(actor: User, *roles: Role | str) -> None:
    """Refuse with 403 unless the actor has one of ``roles``."""
    if actor.role not in roles:
        raise Forbidden(_("Your role may not do this."))


# The rules as statements of ids, for a value or a ``bindparam`` (a statement built once).


def taught_class_ids(school_id: Any, teacher_id: Any) -> SelectOfScalar[Any]:
    """The classes a teacher teaches (see `ClassTeaching`) or is the form tutor of."""
    teaching = select(ClassTeaching.class_id).where(ClassTeaching.teacher_id == teacher_id)
    return select(SchoolClass.id).where(
        SchoolClass.school_id == school_id,
        or_(col(SchoolClass.form_tutor_id) == teacher_id, col(SchoolClass.id).in_(teaching)),
    )


def enrolled_class_ids(pupil_id: Any) -> SelectOfScalar[int]:
    """The classes a pupil is enrolled in."""
    return select(Enrolment.class_id).where(Enrolment.pupil_id == pupil_id)


def child_ids(parent_id: Any) -> SelectOfScalar[int]:
    """A parent's children."""
    return select(Guardianship.child_id).where(Guardianship.parent_id == parent_id)


async def classes_taught(session: AsyncSession, teacher: User) -> set[int]:
    """Ids of the classes the teacher teaches (see `ClassTeaching`) or is the form tutor of."""
    rows = await session.exec(taught_class_ids(teacher.school_id, teacher.id))
    return {row for row in rows.all() if row is not None}


async def class_teaching_set(
    session: AsyncSession, *, school_id: int, class_id: int, teacher_ids: Iterable[int]
) -> None:
    """Make ``teacher_ids`` the teachers who teach in the class (the form tutor needs no row).

    For the domain that knows who teaches where, inside its own transaction: adds and
    removes rows, never commits. The caller serializes concurrent changes to one class.
    """
    wanted = set(teacher_ids)
    rows = await session.exec(
        select(ClassTeaching.teacher_id).where(ClassTeaching.class_id == class_id)
    )
    present = set(rows.all())
    if present - wanted:
        await session.exec(
            delete(ClassTeaching).where(
                col(ClassTeaching.class_id) == class_id,
                col(ClassTeaching.teacher_id).in_(present - wanted),
            )
        )
    session.add_all(
        ClassTeaching(school_id=school_id, class_id=class_id, teacher_id=teacher_id)
        for teacher_id in sorted(wanted - present)
    )
    await session.flush()


async def pupil_class_ids(session: AsyncSession, pupil_id: int) -> set[int]:
    """Ids of the classes a pupil is enrolled in."""
    rows = await session.exec(enrolled_class_ids(pupil_id))
    return set(rows.all())


async def children_ids(session: AsyncSession, parent_id: int) -> set[int]:
    """Ids of a parent's children."""
    rows = await session.exec(child_ids(parent_id))
    return set(rows.all())


async def visible_pupil_ids(session: AsyncSession, actor: User) -> set[int] | None:
    """The pupils the actor may see; ``None`` means every pupil of the actor's school."""
    if actor.role == Role.admin:
        return None
    if actor.role == Role.pupil:
        return {actor.id} if actor.id is not None else set()
    if actor.role == Role.parent:
        return await children_ids(session, actor.id or 0)
    class_ids = await classes_taught(session, actor)
    if not class_ids:
        return set()
    rows = await session.exec(
        select(col(Enrolment.pupil_id)).where(col(Enrolment.class_id).in_(class_ids))
    )
    return set(rows.all())


async def require_pupil_visible(session: AsyncSession, actor: User, pupil_id: int) -> User:
    """The pupil, if the actor may see them; 404 otherwise (never the data)."""
    pupil = await session.get(User, pupil_id)
    if pupil is None or pupil.school_id != actor.school_id or pupil.role != Role.pupil:
        raise NotFound("No such pupil.")
    visible = await visible_pupil_ids(session, actor)
    if visible is not None and pupil_id not in visible:
        raise NotFound("No such pupil.")
    return pupil
