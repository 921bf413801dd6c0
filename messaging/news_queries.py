"""Reads of news: what a person may see, and who is in an audience. Never commits.

An audience row names a group (``staff``, ``pupils``, ``parents``) in the whole school
(``class_id`` null) or in one class: its pupils, their parents, the teachers who teach or
tutor it. Administrators see every item of their school; authors see their own.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import and_, exists, func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from eschool.access import classes_taught
from eschool.errors import NotFound
from eschool.i18n import gettext as _
from eschool.models import ClassTeaching, Enrolment, Guardianship, Role, SchoolClass, User
from eschool.timeutil import iso
from messaging.models import (
    ClassRefPublic,
    NewsAudience,
    NewsAudiencePublic,
    NewsItem,
    NewsPublic,
    NewsRole,
)
from messaging.queries import family_classes, person, users_by_id

GROUP_OF_ROLE: dict[str, NewsRole] = {
    Role.admin: NewsRole.staff,
    Role.teacher: NewsRole.staff,
    Role.pupil: NewsRole.pupils,
    Role.parent: NewsRole.parents,
}


async def _my_classes(session: AsyncSession, actor: User) -> set[int]:
    if actor.role == Role.teacher:
        return await classes_taught(session, actor)
    return await family_classes(session, actor)


async def _visible_filter(session: AsyncSession, actor: User) -> Any:
    """The condition on ``NewsItem`` of the items the actor may see (school scoped)."""
    in_school = col(NewsItem.school_id) == actor.school_id
    if actor.role == Role.admin:
        return in_school
    group = GROUP_OF_ROLE.get(actor.role)
    classes = list(await _my_classes(session, actor))
    audience = exists().where(
        col(NewsAudience.news_id) == NewsItem.id,
        col(NewsAudience.role) == (group.value if group else ""),
        or_(col(NewsAudience.class_id).is_(None), col(NewsAudience.class_id).in_(classes)),
    )
    return and_(in_school, or_(col(NewsItem.author_id) == actor.id, audience))


async def news_list(
    session: AsyncSession, *, actor: User, page: int = 1, per_page: int = 20
) -> tuple[list[NewsPublic], int]:
    """The news the actor may see, newest first."""
    condition = await _visible_filter(session, actor)
    total = (await session.exec(select(func.count(col(NewsItem.id))).where(condition))).one()
    rows = await session.exec(
        select(NewsItem)
        .where(condition)
        .order_by(col(NewsItem.created_at).desc(), col(NewsItem.id).desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    items = list(rows.all())
    return await news_public(session, actor=actor, items=items), total


async def news_visible(session: AsyncSession, *, actor: User, news_id: int) -> NewsItem:
    """One item the actor may see; 404 otherwise."""
    condition = await _visible_filter(session, actor)
    item = (await session.exec(select(NewsItem).where(NewsItem.id == news_id, condition))).first()
    if item is None:
        raise NotFound(_("No such news."))
    return item


async def news_public(
    session: AsyncSession, *, actor: User, items: list[NewsItem]
) -> list[NewsPublic]:
    """The wire form of news items, with their audience and whether the actor may delete."""
    ids = [item.id for item in items]
    audiences: dict[int, list[NewsAudience]] = {}
    if ids:
        audience_rows = await session.exec(
            select(NewsAudience)
            .where(col(NewsAudience.news_id).in_(ids))
            .order_by(col(NewsAudience.id))
        )
        for row in audience_rows.all():
            audiences.setdefault(row.news_id, []).append(row)
    class_ids = {a.class_id for rows in audiences.values() for a in rows if a.class_id}
    classes: dict[int, str] = {}
    if class_ids:
        found = await session.exec(select(SchoolClass).where(col(SchoolClass.id).in_(class_ids)))
        classes = {c.id or 0: c.name for c in found.all()}
    authors = await users_by_id(session, {item.author_id for item in items})
    result = []
    for item in items:
        rows = audiences.get(item.id or 0, [])
        roles = list(dict.fromkeys(a.role for a in rows))
        in_classes = sorted({a.class_id for a in rows if a.class_id})
        author = authors.get(item.author_id)
        audience = NewsAudiencePublic.model_validate(
            {
                "roles": roles,
                "classes": [ClassRefPublic(id=c, name=classes.get(c, "")) for c in in_classes]
                or None,
            }
        )
        result.append(
            NewsPublic(
                id=item.id or 0,
                title=item.title,
                text=item.text,
                author=person(author) if author else None,
                at=iso(item.created_at) or "",
                audience=audience,
                can_delete=actor.role == Role.admin or item.author_id == actor.id,
            )
        )
    return result


async def audience_members(
    session: AsyncSession, *, school_id: int, rows: Iterable[NewsAudience]
) -> set[int]:
    """Ids of the active people an audience reaches."""
    members: set[int] = set()
    role_of_group = {
        NewsRole.staff: (Role.admin, Role.teacher),
        NewsRole.pupils: (Role.pupil,),
        NewsRole.parents: (Role.parent,),
    }
    for row in rows:
        group = NewsRole(row.role)
        if row.class_id is None:
            found = await session.exec(
                select(User.id).where(
                    User.school_id == school_id,
                    col(User.role).in_([str(r) for r in role_of_group[group]]),
                    col(User.active).is_(True),
                )
            )
            members |= {i for i in found.all() if i}
            continue
        pupils = select(Enrolment.pupil_id).where(Enrolment.class_id == row.class_id)
        if group == NewsRole.pupils:
            query = select(User.id).where(col(User.id).in_(pupils))
        elif group == NewsRole.parents:
            parents = select(Guardianship.parent_id).where(col(Guardianship.child_id).in_(pupils))
            query = select(User.id).where(col(User.id).in_(parents))
        else:
            teaching = select(ClassTeaching.teacher_id).where(
                ClassTeaching.class_id == row.class_id
            )
            tutor = select(SchoolClass.form_tutor_id).where(SchoolClass.id == row.class_id)
            query = select(User.id).where(or_(col(User.id).in_(teaching), col(User.id).in_(tutor)))
        found = await session.exec(
            query.where(User.school_id == school_id, col(User.active).is_(True))
        )
        members |= {i for i in found.all() if i}
    return members


async def news_classes_for(session: AsyncSession, *, actor: User) -> list[dict[str, Any]]:
    """The classes the actor may address news to: every active class of the school for an
    administrator, the classes they tutor for a teacher, none for anyone else."""
    if actor.role not in (Role.admin, Role.teacher):
        return []
    query = select(SchoolClass).where(
        SchoolClass.school_id == actor.school_id, col(SchoolClass.active).is_(True)
    )
    if actor.role == Role.teacher:
        query = query.where(SchoolClass.form_tutor_id == actor.id)
    rows = await session.exec(query.order_by(SchoolClass.name))
    return [{"id": c.id, "name": c.name} for c in rows.all()]
