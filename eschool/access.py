"""Who may see whom: role checks and the pupil-visibility rule shared by every package."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from eschool.errors import Forbidden, NotFound
from eschool.models import Enrolment, Guardianship, Role, SchoolClass, User

# Which classes a teacher teaches is known to the gradebook (its courses); it registers a
# lookup here from create_app(), so eschool never imports it.
TeachingLookup = Callable[[AsyncSession, int], Awaitable[set[int]]]
_teaching_lookups: dict[str, TeachingLookup] = {}


def register_teaching_lookup(name: str, lookup: TeachingLookup) -> None:
    """Register a source of 'classes this teacher teaches' (idempotent by name)."""
    _teaching_lookups[name] = lookup


def require_role(actor: User, *roles: Role | str) -> None:
    """Refuse with 403 unless the actor has one of ``roles``."""
    if actor.role not in roles:
        raise Forbidden("Your role may not do this.")


async def classes_taught(session: AsyncSession, teacher: User) -> set[int]:
    """Ids of the classes the teacher teaches or is the form tutor of."""
    rows = await session.exec(
        select(SchoolClass.id).where(
            SchoolClass.form_tutor_id == teacher.id, SchoolClass.school_id == teacher.school_id
        )
    )
    class_ids = {row for row in rows.all() if row is not None}
    for lookup in _teaching_lookups.values():
        class_ids |= await lookup(session, teacher.id)
    return class_ids


async def pupil_class_ids(session: AsyncSession, pupil_id: int) -> set[int]:
    """Ids of the classes a pupil is enrolled in."""
    rows = await session.exec(select(Enrolment.class_id).where(Enrolment.pupil_id == pupil_id))
    return set(rows.all())


async def children_ids(session: AsyncSession, parent_id: int) -> set[int]:
    """Ids of a parent's children."""
    rows = await session.exec(
        select(Guardianship.child_id).where(Guardianship.parent_id == parent_id)
    )
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
    rows = await session.exec(select(Enrolment.pupil_id).where(Enrolment.class_id.in_(class_ids)))
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
