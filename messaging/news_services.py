"""Writes of news: an administrator announces to the school (everyone, chosen groups, or
chosen classes); a form tutor to their own class's pupils and/or parents. The audience is
notified in the same transaction; the author or an administrator deletes."""

from __future__ import annotations

from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from eschool.access import require_role
from eschool.errors import Forbidden, NotFound
from eschool.i18n import gettext as _
from eschool.models import Role, SchoolClass, User
from eschool.notifications import notify
from messaging.models import NewsAudience, NewsCreate, NewsItem, NewsRole
from messaging.news_queries import audience_members, news_visible

NEWS_TITLE = "News: {title}"  # the notification's title (translated when shown)


async def _classes_for(session: AsyncSession, *, actor: User, data: NewsCreate) -> list[int]:
    """The classes the item goes to (empty: the whole school), checked for the actor."""
    if actor.role == Role.teacher:
        if not data.class_ids:
            raise Forbidden(_("Form tutors write news to their own class."), code="not_allowed")
        if NewsRole.staff in data.roles and "roles" in data.model_fields_set:
            raise Forbidden(
                _("Class news goes to the class's pupils and parents."), code="not_allowed"
            )
    if not data.class_ids:
        return []
    wanted = set(data.class_ids)
    rows = await session.exec(
        select(SchoolClass).where(
            col(SchoolClass.id).in_(wanted), SchoolClass.school_id == actor.school_id
        )
    )
    classes = list(rows.all())
    if len(classes) != len(wanted):
        raise NotFound(_("No such class."))
    if actor.role == Role.teacher and any(c.form_tutor_id != actor.id for c in classes):
        raise Forbidden(_("Form tutors write news to their own class."), code="not_allowed")
    return sorted(wanted)


async def news_create(session: AsyncSession, *, actor: User, data: NewsCreate) -> NewsItem:
    """Publish a news item to its audience and notify them (administrators; form tutors for
    their class's pupils and parents)."""
    require_role(actor, Role.admin, Role.teacher)
    class_ids = await _classes_for(session, actor=actor, data=data)
    item = NewsItem(
        school_id=actor.school_id, author_id=actor.id or 0, title=data.title, text=data.text
    )
    session.add(item)
    await session.flush()
    roles = list(dict.fromkeys(data.roles))
    if actor.role == Role.teacher and "roles" not in data.model_fields_set:
        roles = [NewsRole.pupils, NewsRole.parents]  # a tutor's news: the class's families
    targets: list[int | None] = [*class_ids] if class_ids else [None]  # None: the school
    audience = [
        NewsAudience(news_id=item.id or 0, role=role.value, class_id=class_id)
        for role in roles
        for class_id in targets
    ]
    session.add_all(audience)
    members = await audience_members(session, school_id=actor.school_id, rows=audience)
    members.discard(actor.id or 0)
    await notify(
        session,
        school_id=actor.school_id,
        kind="news",
        recipients=members,
        title=NEWS_TITLE,
        params={"title": data.title},
        url=f"/news#news-{item.id}",
    )
    await session.commit()
    return item


async def news_delete(session: AsyncSession, *, actor: User, news_id: int) -> None:
    """Remove a news item (its author or an administrator; 404 for who cannot see it)."""
    item = await news_visible(session, actor=actor, news_id=news_id)
    if actor.role != Role.admin and item.author_id != actor.id:
        raise Forbidden(_("Only the author or an administrator deletes news."))
    await session.exec(delete(NewsAudience).where(col(NewsAudience.news_id) == news_id))
    await session.delete(item)
    await session.commit()
