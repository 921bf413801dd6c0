"""Reads of people, classes and terms; every read is scoped to the actor's school."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import bindparam, func, true
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select as select_columns
from sqlalchemy.orm.attributes import instance_state
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from eschool import direct_read
from eschool.access import child_ids, enrolled_class_ids, taught_class_ids, visible_pupil_ids
from eschool.auth_cache import AuthCache
from eschool.direct_read import DirectReads
from eschool.errors import NotFound
from eschool.models import (
    AcademicYear,
    AuthSession,
    ClassPublic,
    Enrolment,
    Guardianship,
    MePublic,
    Role,
    School,
    SchoolClass,
    Term,
    TermPublic,
    User,
    UserPublic,
)
from eschool.timeutil import utcnow


def user_public(user: User) -> UserPublic:
    """The wire form of a person (no secrets)."""
    return UserPublic.model_validate(user)


def class_public(school_class: SchoolClass) -> ClassPublic:
    """The wire form of a class."""
    return ClassPublic.model_validate(school_class)


def term_public(term: Term) -> TermPublic:
    """The wire form of a term."""
    return TermPublic(
        id=term.id or 0,
        number=term.number,
        name=term.name,
        start=term.starts,
        end=term.ends,
        closed=term.closed,
    )


async def user_by_login(session: AsyncSession, login: str) -> User | None:
    """The user with this login (any school), or None."""
    result = await session.exec(select(User).where(User.login == login.strip().lower()))
    return result.first()


_SESSIONS = AuthSession.__table__  # type: ignore[attr-defined]
_USERS = User.__table__  # type: ignore[attr-defined]
_SESSION_FIELDS = tuple(column.name for column in _SESSIONS.columns)
_USER_FIELDS = tuple(column.name for column in _USERS.columns)

# Every signed-in request runs this: one statement of plain columns (no ORM entities, built
# once), which finds only a session that is neither revoked nor expired, of an active user.
_LIVE_AUTH_SESSION = (
    select_columns(
        *(_SESSIONS.c[name].label(f"s_{name}") for name in _SESSION_FIELDS),
        *(_USERS.c[name].label(f"u_{name}") for name in _USER_FIELDS),
    )
    .join_from(_SESSIONS, _USERS, _USERS.c.id == _SESSIONS.c.user_id)
    .where(
        _SESSIONS.c.id == bindparam("digest"),
        _SESSIONS.c.revoked_at.is_(None),
        _SESSIONS.c.expires_at > bindparam("now", type_=_SESSIONS.c.expires_at.type),
        _USERS.c.active == true(),
    )
)


def _detached(model: type[Any], values: dict[str, Any]) -> Any:
    """A model object of a row read without the ORM, shaped like a loaded one that has left
    its session (``session.add`` of it updates, never inserts, the row). Made as the ORM
    makes the objects it loads (a bare instance, the values put in its ``__dict__``, the
    identity key of its primary key): many times cheaper than the constructor, and every
    signed-in request makes two."""
    instance = model._sa_class_manager.new_instance()
    instance.__dict__.update(values)
    mapper = sa_inspect(model)
    key = tuple(values[column.key] for column in mapper.primary_key)
    instance_state(instance).key = mapper.identity_key_from_primary_key(key)
    return instance


_SPLIT = len(_SESSION_FIELDS)
_USER_ID_AT = _SESSION_FIELDS.index("user_id")
_EXPIRES_AT = _SESSION_FIELDS.index("expires_at")


async def auth_session_by_digest(
    session: AsyncSession,
    secret_digest: str,
    *,
    reads: DirectReads | None = None,
    kept: AuthCache | None = None,
) -> tuple[AuthSession, User] | None:
    """The live session or token stored under this digest, with its user: None when there is
    none, or it is revoked or expired, or its user is deactivated. The row ``kept`` holds
    (:mod:`eschool.auth_cache`), else read straight on the driver with ``reads``
    (:mod:`eschool.direct_read`), else through ``session``. Nothing is left in ``session``
    (the objects are detached, and new for each call)."""
    now = utcnow()
    row = kept.get(secret_digest, now) if kept is not None else None
    if row is None:
        since = kept.generation() if kept is not None else 0
        values = {"digest": secret_digest, "now": now}
        row = await direct_read.first(session, _LIVE_AUTH_SESSION, values, reads)
        if row is None:
            return None
        if kept is not None:
            kept.keep(
                secret_digest,
                row,
                user_id=row[_USER_ID_AT],
                expires_at=row[_EXPIRES_AT],
                since=since,
            )
    split = _SPLIT
    auth = _detached(AuthSession, dict(zip(_SESSION_FIELDS, row[:split], strict=True)))
    user = _detached(User, dict(zip(_USER_FIELDS, row[split:], strict=True)))
    return auth, user


async def school_get(session: AsyncSession, school_id: int) -> School:
    """The school by id."""
    school = await session.get(School, school_id)
    if school is None:
        raise NotFound("No such school.")
    return school


async def user_get(session: AsyncSession, *, actor: User, user_id: int) -> User:
    """A person of the actor's school whom the actor may see; 404 otherwise."""
    user = await session.get(User, user_id)
    if user is None or user.school_id != actor.school_id:
        raise NotFound("No such person.")
    if actor.role == Role.admin or user.id == actor.id:
        return user
    if user.role == Role.pupil:
        visible = await visible_pupil_ids(session, actor)
        if visible is None or user.id in visible:
            return user
    if user.role in (Role.teacher, Role.admin) and actor.role in (Role.teacher, Role.admin):
        return user
    raise NotFound("No such person.")


async def users_list(
    session: AsyncSession,
    *,
    actor: User,
    role: str | None = None,
    class_id: int | None = None,
    q: str | None = None,
    page: int = 1,
    per_page: int = 50,
) -> tuple[list[User], int]:
    """People the actor may see, filtered, one page at a time."""
    query = select(User).where(User.school_id == actor.school_id)
    if actor.role != Role.admin:
        visible = await visible_pupil_ids(session, actor) or set()
        if actor.role == Role.teacher:
            query = query.where(
                (col(User.id).in_(visible)) | (col(User.role).in_([Role.teacher, Role.admin]))
            )
        else:
            query = query.where(col(User.id).in_(visible | {actor.id}))
    if role:
        query = query.where(User.role == role)
    if class_id is not None:
        query = query.join(Enrolment, col(Enrolment.pupil_id) == User.id).where(
            Enrolment.class_id == class_id
        )
    if q:
        like = f"%{q.strip().lower()}%"
        query = query.where(func.lower(User.name).like(like) | func.lower(User.login).like(like))
    total = (await session.exec(select(func.count()).select_from(query.subquery()))).one()
    rows = await session.exec(
        query.order_by(User.role, User.name).offset((page - 1) * per_page).limit(per_page)
    )
    return list(rows.all()), int(total)


async def class_by_name(session: AsyncSession, *, school_id: int, name: str) -> SchoolClass | None:
    """The class of the current (latest) year with this name, e.g. ``7A``."""
    result = await session.exec(
        select(SchoolClass)
        .join(AcademicYear, col(AcademicYear.id) == SchoolClass.year_id)
        .where(SchoolClass.school_id == school_id, SchoolClass.name == name.upper())
        .order_by(col(AcademicYear.starts).desc())
    )
    return result.first()


def _classes_of_role(role: str) -> Any:
    """The statement of :func:`classes_visible` for one role (bound: ``school_id``,
    ``actor_id``): the rules of ``eschool.access`` as subqueries, one statement."""
    school_id: Any = bindparam("school_id")
    actor_id: Any = bindparam("actor_id")
    query = select(SchoolClass).where(SchoolClass.school_id == school_id)
    if role == Role.teacher:
        query = query.where(col(SchoolClass.id).in_(taught_class_ids(school_id, actor_id)))
    elif role == Role.pupil:
        query = query.where(col(SchoolClass.id).in_(enrolled_class_ids(actor_id)))
    elif role == Role.parent:
        query = query.where(
            col(SchoolClass.id).in_(
                select(Enrolment.class_id).where(col(Enrolment.pupil_id).in_(child_ids(actor_id)))
            )
        )
    return query.order_by(col(SchoolClass.grade), col(SchoolClass.name))


# Built once: a request binds only the values (building a statement costs more than running it).
_CLASSES_VISIBLE: dict[str, Any] = {role: _classes_of_role(role) for role in Role}


async def classes_visible(session: AsyncSession, *, actor: User) -> list[SchoolClass]:
    """The classes the actor may see: all for admin, taught for teachers, own for pupils/parents."""
    query = _CLASSES_VISIBLE.get(actor.role, _CLASSES_VISIBLE[Role.admin])
    result = await session.exec(query, params={"school_id": actor.school_id, "actor_id": actor.id})
    return list(result.all())


async def class_get(session: AsyncSession, *, actor: User, class_id: int) -> SchoolClass:
    """A class the actor may see; 404 otherwise."""
    for school_class in await classes_visible(session, actor=actor):
        if school_class.id == class_id:
            return school_class
    raise NotFound("No such class.")


async def class_pupils(session: AsyncSession, *, actor: User, class_id: int) -> list[User]:
    """The pupils of a class, alphabetically; a pupil or parent sees only whom they may."""
    await class_get(session, actor=actor, class_id=class_id)
    query = (
        select(User)
        .join(Enrolment, col(Enrolment.pupil_id) == User.id)
        .where(Enrolment.class_id == class_id)
        .order_by(User.name)
    )
    pupils = list((await session.exec(query)).all())
    visible = await visible_pupil_ids(session, actor)
    if visible is None or actor.role == Role.teacher:
        return pupils
    return [pupil for pupil in pupils if pupil.id in visible]


async def children_of(session: AsyncSession, *, parent: User) -> list[User]:
    """A parent's children, alphabetically."""
    result = await session.exec(
        select(User)
        .join(Guardianship, col(Guardianship.child_id) == User.id)
        .where(Guardianship.parent_id == parent.id)
        .order_by(User.name)
    )
    return list(result.all())


async def parents_of(session: AsyncSession, *, child_id: int) -> list[User]:
    """The parents linked to a pupil."""
    result = await session.exec(
        select(User)
        .join(Guardianship, col(Guardianship.parent_id) == User.id)
        .where(Guardianship.child_id == child_id)
        .order_by(User.name)
    )
    return list(result.all())


_ME_FIELDS = tuple(name for name in MePublic.model_fields if name not in ("classes", "children"))
_CLASS_FIELDS = tuple(ClassPublic.model_fields)


async def me(session: AsyncSession, *, user: User) -> MePublic:
    """The /me document: the person, their classes and (for parents) children; validated
    once, the classes as plain rows of the statement of :func:`classes_visible`."""
    connection = await session.connection()
    classes = await connection.execute(
        _CLASSES_VISIBLE.get(user.role, _CLASSES_VISIBLE[Role.admin]),
        {"school_id": user.school_id, "actor_id": user.id},
    )
    children = await children_of(session, parent=user) if user.role == Role.parent else []
    return MePublic.model_validate(
        {
            **{name: getattr(user, name) for name in _ME_FIELDS},
            "classes": [{name: row[name] for name in _CLASS_FIELDS} for row in classes.mappings()],
            "children": [user_public(child) for child in children],
        }
    )


async def terms_of_school(session: AsyncSession, *, school_id: int) -> list[Term]:
    """Every term of the school, oldest first."""
    result = await session.exec(
        select(Term).where(Term.school_id == school_id).order_by(col(Term.starts))
    )
    return list(result.all())


async def term_current(session: AsyncSession, *, school_id: int, today: date) -> Term | None:
    """The term containing ``today``, else the latest one that started before it."""
    terms = await terms_of_school(session, school_id=school_id)
    for term in terms:
        if term.starts <= today <= term.ends:
            return term
    started = [t for t in terms if t.starts <= today]
    return started[-1] if started else (terms[0] if terms else None)


async def years_of_school(session: AsyncSession, *, school_id: int) -> list[AcademicYear]:
    """Academic years of the school, newest first."""
    result = await session.exec(
        select(AcademicYear)
        .where(AcademicYear.school_id == school_id)
        .order_by(col(AcademicYear.starts).desc())
    )
    return list(result.all())
