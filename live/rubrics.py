"""Observation rubrics: reading them (teachers pick one to start a lesson with), writing them
(admins), and the snapshot a live lesson keeps of the one it was started with.

Every rubric belongs to a school; another school's rubric, or an archived one, is "not found".
Deleting archives: a lesson's feedback shows the rubric as it was when the lesson started.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from eschool.errors import Forbidden, NotFound
from eschool.i18n import gettext as _
from eschool.models import Role, User
from eschool.timeutil import utcnow
from live.models import LiveSession, LiveSessionRubric, Rubric, RubricCreate, RubricPublic

# --- queries -------------------------------------------------------------------------------


def rubric_public(rubric: Rubric) -> RubricPublic:
    """The wire form ``{"id","title","criteria","updated_at"}``."""
    return RubricPublic.model_validate(rubric)


def _require_staff(actor: User) -> None:
    if actor.role not in (Role.admin, Role.teacher):
        raise Forbidden(_("Only teachers and administrators see observation rubrics."))


async def rubrics_list(session: AsyncSession, *, actor: User) -> list[Rubric]:
    """The school's rubrics (not archived), by title (teachers and admins)."""
    _require_staff(actor)
    rows = await session.exec(
        select(Rubric)
        .where(Rubric.school_id == actor.school_id, col(Rubric.archived_at).is_(None))
        .order_by(Rubric.title, col(Rubric.id))
    )
    return list(rows.all())


async def rubric_get(session: AsyncSession, *, actor: User, rubric_id: int) -> Rubric:
    """One rubric of the actor's school; 404 for another school's or an archived one."""
    _require_staff(actor)
    rubric = await session.get(Rubric, rubric_id)
    if rubric is None or rubric.school_id != actor.school_id or rubric.archived_at is not None:
        raise NotFound(_("No such rubric."), code="not_found")
    return rubric


async def session_rubric(session: AsyncSession, *, live: LiveSession) -> dict[str, Any] | None:
    """The snapshot of the rubric a lesson was started with: ``{"id","title","criteria"}``."""
    snapshot = await session.get(LiveSessionRubric, live.id)
    if snapshot is None:
        return None
    return {"id": snapshot.rubric_id, "title": snapshot.title, "criteria": snapshot.criteria}


# --- services ------------------------------------------------------------------------------


def _require_admin(actor: User) -> None:
    if actor.role != Role.admin:
        raise Forbidden(_("Only administrators edit observation rubrics."))


def _criteria(data: RubricCreate) -> list[dict[str, Any]]:
    return [criterion.model_dump(mode="json") for criterion in data.criteria]


async def rubric_create(session: AsyncSession, *, actor: User, data: RubricCreate) -> Rubric:
    """Add a rubric to the actor's school (admins)."""
    _require_admin(actor)
    rubric = Rubric(school_id=actor.school_id, title=data.title, criteria=_criteria(data))
    session.add(rubric)
    await session.commit()
    await session.refresh(rubric)
    return rubric


async def rubric_update(
    session: AsyncSession, *, actor: User, rubric_id: int, data: RubricCreate
) -> Rubric:
    """Replace a rubric's title and criteria (admins); lessons already run keep theirs."""
    _require_admin(actor)
    rubric = await rubric_get(session, actor=actor, rubric_id=rubric_id)
    rubric.title = data.title
    rubric.criteria = _criteria(data)
    rubric.updated_at = utcnow()
    session.add(rubric)
    await session.commit()
    await session.refresh(rubric)
    return rubric


async def rubric_delete(session: AsyncSession, *, actor: User, rubric_id: int) -> None:
    """Archive a rubric (admins): gone from lists and from new lessons; the feedback of the
    lessons that used it keeps their snapshot."""
    _require_admin(actor)
    rubric = await rubric_get(session, actor=actor, rubric_id=rubric_id)
    rubric.archived_at = utcnow()
    session.add(rubric)
    await session.commit()


async def rubric_for_start(
    session: AsyncSession, *, actor: User, rubric_id: int | None
) -> Rubric | None:
    """The rubric a lesson is being started with (``None`` without one); 404 when it is not a
    rubric of the actor's school."""
    if rubric_id is None:
        return None
    return await rubric_get(session, actor=actor, rubric_id=rubric_id)


async def rubric_snapshot_add(
    session: AsyncSession, *, live: LiveSession, rubric: Rubric | None
) -> None:
    """Keep a copy of ``rubric`` with a lesson being started (in the caller's transaction;
    flushes to learn the lesson's id). Nothing without a rubric."""
    if rubric is None:
        return
    await session.flush()
    session.add(
        LiveSessionRubric(
            session_id=live.id or 0,
            rubric_id=rubric.id,
            title=rubric.title,
            criteria=list(rubric.criteria),
        )
    )
