"""Whose diary an actor may open (the pupil, their parents, the school's admin, the form tutor;
anyone else is told the pupil does not exist), the pupils a parent may pick from, and the
calendar feed behind a secret link."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from sqlalchemy import bindparam
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from eschool import direct_read
from eschool.access import child_ids, children_ids
from eschool.direct_read import DirectReads
from eschool.errors import NotFound
from eschool.i18n import gettext as _
from eschool.models import Enrolment, Role, SchoolClass, User
from eschool.security import digest
from gradebook.diary_versions import KeptVersions
from gradebook.models import (
    DiaryFeed,
)


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
        rows = await session.exec(  # one statement: the children by their link
            select(User)
            .where(col(User.id).in_(child_ids(actor.id or 0)))
            .order_by(col(User.name), col(User.id))
        )
        return list(rows.all())
    return []


@dataclass(frozen=True)
class FeedOwner:
    """Who made a live calendar link, for which pupil: the feed is read as the owner would
    read the diary (:func:`gradebook.diary_cache.diary_version` checks they still may)."""

    owner_id: int
    role: str
    school_id: int
    pupil_id: int


_FEED_OWNER = (
    select(DiaryFeed.owner_id, User.role, User.school_id, DiaryFeed.pupil_id)
    .join(User, col(User.id) == DiaryFeed.owner_id)
    .where(
        DiaryFeed.digest == bindparam("digest"),
        col(DiaryFeed.revoked_at).is_(None),
        col(User.active).is_(True),
    )
)


async def feed_owner(
    session: AsyncSession,
    *,
    secret: str,
    reads: DirectReads | None = None,
    kept: KeptVersions | None = None,
) -> FeedOwner | None:
    """The owner and pupil of a live calendar link whose owner is still active (one
    statement, straight on the driver with ``reads``; none when ``kept`` has it:
    :mod:`gradebook.diary_versions`); else None."""
    key = ("feed", digest(secret))
    found = None if kept is None else kept.get(key)
    if found is not None:
        return cast(FeedOwner, found)
    since = 0 if kept is None else kept.generation()
    row = await direct_read.first(session, _FEED_OWNER, {"digest": key[1]}, reads)
    if row is None:
        return None
    owner_id, role, school_id, pupil_id = row
    owner = FeedOwner(owner_id, str(role), school_id, pupil_id)
    if kept is not None:
        kept.keep(key, owner, school_id=school_id, since=since)
    return owner


async def feed_active(session: AsyncSession, *, actor: User, pupil_id: int) -> DiaryFeed | None:
    """The actor's live calendar link for a pupil, if any."""
    await diary_pupil(session, actor=actor, pupil_id=pupil_id)
    return await feed_of(session, owner_id=actor.id or 0, pupil_id=pupil_id)


async def feed_of(session: AsyncSession, *, owner_id: int, pupil_id: int) -> DiaryFeed | None:
    """The owner's live calendar link for a pupil, if any (the caller checked they may read
    the pupil's diary)."""
    return (
        await session.exec(
            select(DiaryFeed).where(
                DiaryFeed.pupil_id == pupil_id,
                DiaryFeed.owner_id == owner_id,
                col(DiaryFeed.revoked_at).is_(None),
            )
        )
    ).first()
