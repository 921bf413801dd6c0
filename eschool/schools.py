"""Schools on one server: a new school with its first admin, and finding a school by a
reference the command line was given (its id, slug or name).

Logins are unique across the whole server (``users.login``), so a new school's admin
needs a login nobody in any school has.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from eschool import queries
from eschool.errors import Conflict, Invalid, NotFound
from eschool.models import Role, School, TermSystem, User, UserCreate
from eschool.security import generate_password, hash_password
from eschool.web import parse_model

__all__ = ["NewSchool", "school_add", "school_find", "schools_all"]

NAME_MAX = 200
SLUG_MAX = 64


@dataclass(frozen=True)
class NewSchool:
    """What `school_add` made: the school, its admin and the admin's one-time password."""

    school: School
    admin: User
    password: str


def _slug_base(name: str) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[: SLUG_MAX - 16].strip("-")
    # A name in another alphabet leaves little: "Лицей № 2" → "school-2".
    return base if re.search(r"[a-z]", base) else f"school-{base}".strip("-")


async def _free_slug(session: AsyncSession, name: str) -> str:
    base = _slug_base(name)
    taken = set(
        (
            await session.exec(
                select(School.slug).where(
                    (col(School.slug) == base) | col(School.slug).startswith(f"{base}-")
                )
            )
        ).all()
    )
    slug, number = base, 1
    while slug in taken:
        number += 1
        slug = f"{base}-{number}"
    return slug


async def school_add(
    session: AsyncSession,
    *,
    name: str,
    admin_login: str,
    admin_name: str | None = None,
    term_system: str = TermSystem.quarters,
) -> NewSchool:
    """Create a school and its first admin in one transaction (the command line's
    `eschool school add`); the admin's password is generated and returned once.

    An empty name or a bad login → Invalid; a login taken in any school → Conflict
    (`login_taken`); nothing is stored then.
    """
    name = " ".join(name.split())
    if not name:
        raise Invalid("A school needs a name: --name must not be empty.")
    if len(name) > NAME_MAX:
        raise Invalid(f"A school's name has at most {NAME_MAX} characters.")
    if term_system not in {system.value for system in TermSystem}:
        raise Invalid("term_system must be quarters, trimesters or halves")
    data = parse_model(
        UserCreate,
        {"login": admin_login, "name": admin_name or "Administrator", "role": Role.admin},
    )
    same_name = await session.exec(select(School.id).where(School.name == name))
    if same_name.first() is not None:
        raise Conflict(f"A school called {name!r} exists already.", code="school_exists")
    if await queries.user_by_login(session, data.login):
        raise Conflict(
            f"The login {data.login!r} is taken (logins are unique across all schools).",
            code="login_taken",
        )
    password = generate_password()
    school = School(name=name, slug=await _free_slug(session, name), term_system=term_system)
    session.add(school)
    try:
        await session.flush()
        admin = User(
            school_id=school.id or 0,
            login=data.login,
            name=data.name,
            role=Role.admin,
            password_hash=hash_password(password),
        )
        session.add(admin)
        await session.commit()
    except IntegrityError as exc:
        await session.rollback()
        raise Conflict(f"The login {data.login!r} is taken.", code="login_taken") from exc
    return NewSchool(school=school, admin=admin, password=password)


async def schools_all(session: AsyncSession) -> list[School]:
    """Every school on the server, oldest first."""
    return list((await session.exec(select(School).order_by(col(School.id)))).all())


async def school_find(session: AsyncSession, ref: str | None) -> School:
    """The school `ref` names (an id, a slug or a name, case-insensitive); without `ref`
    the only school there is. Several or none → a domain error saying what to do."""
    if ref is None or not ref.strip():
        schools = await schools_all(session)
        if not schools:
            raise NotFound("No school yet: run `eschool school add` or `eschool demo --seed-only`.")
        if len(schools) > 1:
            listed = ", ".join(f"{s.id} ({s.name})" for s in schools)
            raise Invalid(f"Several schools exist: choose one with --school ID or NAME: {listed}.")
        return schools[0]
    ref = ref.strip()
    query = select(School).where(
        (func.lower(School.slug) == ref.lower()) | (func.lower(School.name) == ref.lower())
    )
    if ref.isdigit() and len(ref) < 10:
        query = select(School).where(
            (col(School.id) == int(ref)) | (func.lower(School.slug) == ref.lower())
        )
    found = list((await session.exec(query)).all())
    if not found:
        raise NotFound(f"There is no school {ref!r}.")
    if len(found) > 1:
        raise Invalid(f"Several schools are called {ref!r}: name one by its id.")
    return found[0]
