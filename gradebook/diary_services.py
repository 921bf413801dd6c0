"""Writes of the diary: when a family last looked (what is new since), and the secret calendar
feed links (made, revoked)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from eschool.access import children_ids
from eschool.errors import Forbidden
from eschool.i18n import gettext as _
from eschool.models import Role, User
from eschool.security import digest, new_secret
from eschool.timeutil import utcnow
from gradebook import diary_access
from gradebook.models import (
    DiaryFeed,
    DiaryVisit,
)


async def diary_seen(
    session: AsyncSession, *, actor: User, pupil_id: int, at: datetime | None = None
) -> None:
    """Remember that the actor has seen the pupil's diary up to ``at`` (default now; never
    later than now, and a remembered visit never moves back): the news feed starts there."""
    await diary_access.diary_pupil(session, actor=actor, pupil_id=pupil_id)
    now = utcnow()
    at = now if at is None else min(_aware(at), now)
    visit = (
        await session.exec(
            select(DiaryVisit).where(
                DiaryVisit.viewer_id == actor.id, DiaryVisit.pupil_id == pupil_id
            )
        )
    ).first()
    if visit is None:
        visit = DiaryVisit(viewer_id=actor.id or 0, pupil_id=pupil_id)
    elif visit.seen_at is not None and _aware(visit.seen_at) >= at:
        return
    visit.seen_at = at
    session.add(visit)
    await session.commit()


def _aware(moment: datetime) -> datetime:
    """A stored moment in UTC (SQLite hands datetimes back without their zone)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


async def _require_feed_owner(session: AsyncSession, *, actor: User, pupil_id: int) -> None:
    await diary_access.diary_pupil(session, actor=actor, pupil_id=pupil_id)
    if actor.role == Role.pupil and actor.id == pupil_id:
        return
    if actor.role == Role.parent and pupil_id in await children_ids(session, actor.id or 0):
        return
    raise Forbidden(_("Only the pupil and their parents make calendar links."))


async def _revoke_feeds(session: AsyncSession, *, actor: User, pupil_id: int) -> int:
    feeds = (
        await session.exec(
            select(DiaryFeed).where(
                DiaryFeed.pupil_id == pupil_id,
                DiaryFeed.owner_id == actor.id,
                col(DiaryFeed.revoked_at).is_(None),
            )
        )
    ).all()
    now = utcnow()
    for feed in feeds:
        feed.revoked_at = now
        session.add(feed)
    return len(feeds)


async def feed_create(session: AsyncSession, *, actor: User, pupil_id: int) -> str:
    """A new secret calendar link to the pupil's timetable (pupil or parent).

    Returns the secret (shown once; only its digest is stored). The actor's earlier
    link for this pupil stops working.
    """
    await _require_feed_owner(session, actor=actor, pupil_id=pupil_id)
    await _revoke_feeds(session, actor=actor, pupil_id=pupil_id)
    secret = new_secret()
    session.add(
        DiaryFeed(
            school_id=actor.school_id,
            pupil_id=pupil_id,
            owner_id=actor.id or 0,
            digest=digest(secret),
        )
    )
    await session.commit()
    return secret


async def feed_revoke(session: AsyncSession, *, actor: User, pupil_id: int) -> int:
    """Stop the actor's calendar link for the pupil; returns how many links were revoked."""
    await _require_feed_owner(session, actor=actor, pupil_id=pupil_id)
    revoked = await _revoke_feeds(session, actor=actor, pupil_id=pupil_id)
    await session.commit()
    return revoked
