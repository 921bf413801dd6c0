"""Writes about people and sign-in: each function checks permissions and owns its commit."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from eschool import queries, signin
from eschool.access import require_role
from eschool.auth_cache import AuthCache
from eschool.direct_read import DirectReads
from eschool.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized
from eschool.models import (
    AcademicYear,
    AuthSession,
    ClassCreate,
    ClassUpdate,
    Enrolment,
    Guardianship,
    Role,
    School,
    SchoolClass,
    Term,
    TermSystem,
    User,
    UserCreate,
    UserUpdate,
)
from eschool.security import (
    digest,
    generate_password,
    hash_password,
    new_secret,
    verify_password,
)
from eschool.signin import LoginThrottle
from eschool.timeutil import utcnow

TOKEN_DAYS = 365


# --- sign-in ------------------------------------------------------------------------


async def auth_login(
    session: AsyncSession,
    *,
    login: str,
    password: str,
    address: str,
    device: str | None = None,
    kind: str = "cookie",
    days: int = 14,
    throttle: LoginThrottle | None = None,
) -> tuple[User, str, AuthSession]:
    """Check a login and password; return the user, the new secret and its session row.

    ``device`` is the id of a device cookie that signed in to this login before (checked by
    the caller). A client that keeps failing is slowed down with 429 (``eschool.signin``); a
    client without recent failures is never refused the right password.
    """
    login = login.strip().lower()[:64]
    throttle = throttle or LoginThrottle()
    attempt = await signin.attempt_begin(
        session,
        throttle=throttle,
        login=login,
        client=signin.client_key(address, device),
    )
    user = await queries.user_by_login(session, login)
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.active:
        await signin.attempt_failed(session, throttle=throttle, attempt=attempt)
        raise Unauthorized("Wrong login or password.", code="invalid_credentials")
    await signin.attempt_succeeded(session, attempt=attempt)
    secret, auth = _new_auth_session(user, kind=kind, days=TOKEN_DAYS if kind == "token" else days)
    session.add(auth)
    await session.commit()
    return user, secret, auth


def _new_auth_session(user: User, *, kind: str, days: int) -> tuple[str, AuthSession]:
    secret = new_secret()
    auth = AuthSession(
        id=digest(secret),
        user_id=user.id or 0,
        kind=kind,
        csrf_token=new_secret(24),
        expires_at=utcnow() + timedelta(days=days),
    )
    return secret, auth


async def auth_resolve(
    session: AsyncSession,
    *,
    secret: str,
    reads: DirectReads | None = None,
    kept: AuthCache | None = None,
) -> tuple[User, AuthSession] | None:
    """The active user and session behind a cookie or bearer secret, or None (unknown,
    revoked, expired, or of a deactivated user: the query checks it all, in one statement,
    straight on the driver with ``reads``, unless the process ``kept`` the row). The objects
    are detached: ``session`` keeps no reference to them."""
    if not secret or len(secret) > 200:
        return None
    found = await queries.auth_session_by_digest(session, digest(secret), reads=reads, kept=kept)
    if found is None:
        return None
    auth, user = found
    return user, auth


async def auth_logout(session: AsyncSession, *, auth: AuthSession) -> None:
    """Revoke one session or token."""
    await session.exec(
        update(AuthSession).where(col(AuthSession.id) == auth.id).values(revoked_at=utcnow())
    )
    await session.commit()


async def _revoke_all(session: AsyncSession, user_id: int) -> None:
    await session.exec(
        update(AuthSession)
        .where(col(AuthSession.user_id) == user_id, col(AuthSession.revoked_at).is_(None))
        .values(revoked_at=utcnow())
    )


# --- people -------------------------------------------------------------------------


async def user_create(
    session: AsyncSession, *, actor: User | None, data: UserCreate, school_id: int | None = None
) -> tuple[User, str | None]:
    """Add a person (admin only); returns the user and the generated password, if any.

    ``actor`` is None only for the command line, which then names the school.
    """
    if actor is not None:
        require_role(actor, Role.admin)
        school_id = actor.school_id
    if school_id is None:
        raise Invalid("Which school does this person belong to?")
    if await queries.user_by_login(session, data.login):
        raise Conflict(f"The login {data.login!r} is taken.", code="login_taken")
    school_class = None
    if data.class_name:
        if data.role != Role.pupil:
            raise Invalid("Only a pupil is enrolled in a class.")
        school_class = await queries.class_by_name(
            session, school_id=school_id, name=data.class_name
        )
        if school_class is None:
            raise Invalid(f"There is no class {data.class_name!r}.")
    generated = None if data.password else generate_password()
    user = User(
        school_id=school_id,
        login=data.login,
        name=data.name,
        role=data.role,
        email=data.email,
        password_hash=hash_password(data.password or generated or ""),
    )
    session.add(user)
    try:
        await session.flush()
        if school_class is not None:
            session.add(Enrolment(class_id=school_class.id or 0, pupil_id=user.id or 0))
        await session.commit()
    except IntegrityError as exc:
        await session.rollback()
        raise Conflict(f"The login {data.login!r} is taken.", code="login_taken") from exc
    return user, generated


async def user_update(
    session: AsyncSession, *, actor: User, user_id: int, data: UserUpdate
) -> User:
    """Edit a person: the admin edits anyone of the school; a person their own name and language."""
    user = await queries.user_get(session, actor=actor, user_id=user_id)
    changes = data.model_dump(exclude_unset=True)
    if actor.role != Role.admin and (user.id != actor.id or set(changes) - {"lang", "email"}):
        raise Forbidden("You may change only your own language and e-mail.")
    if changes.get("active") is False and user.id == actor.id:
        raise Invalid("You cannot deactivate yourself.")
    if "name" in changes and changes["name"] is not None:
        changes["name"] = " ".join(changes["name"].split())
        if not changes["name"]:
            raise Invalid("name must not be blank")
    if "lang" in changes and changes["lang"] not in (None, "en", "ru"):
        raise Invalid("lang must be en or ru")
    for field, value in changes.items():
        if value is not None or field in ("email", "lang"):
            setattr(user, field, value)
    if changes.get("active") is False:
        await _revoke_all(session, user.id or 0)
    session.add(user)
    await session.commit()
    return user


async def user_password_set(
    session: AsyncSession,
    *,
    actor: User | None,
    user_id: int,
    password: str | None = None,
    current_password: str | None = None,
    address: str | None = None,
    throttle: LoginThrottle | None = None,
) -> str:
    """Set a new password (generated when not given) and revoke every session of that user.

    Changing one's own password always needs the current one, an admin's included (a stolen
    session must not become a permanent takeover); with ``address`` wrong ones are throttled
    like failed sign-ins. The admin resets anyone else's. ``actor`` None is the command line.
    Returns the new password.
    """
    user = await session.get(User, user_id)
    if user is None or (actor is not None and user.school_id != actor.school_id):
        raise NotFound("No such person.")
    own = actor is not None and actor.id == user.id
    if actor is not None and not own and actor.role != Role.admin:
        raise Forbidden("You may change only your own password.")
    if password is not None and not 8 <= len(password) <= 200:
        raise Invalid("A password needs at least 8 characters.")
    if own and not current_password:
        raise Invalid("Changing your own password needs the current one.", code="wrong_password")
    if own:
        await _current_password_check(
            session, user=user, password=current_password or "", address=address, throttle=throttle
        )
    new_password = password or generate_password()
    user.password_hash = hash_password(new_password)
    user.password_changed_at = utcnow()
    session.add(user)
    await _revoke_all(session, user.id or 0)
    await session.commit()
    return new_password


async def _current_password_check(
    session: AsyncSession,
    *,
    user: User,
    password: str,
    address: str | None,
    throttle: LoginThrottle | None,
) -> None:
    """422 ``wrong_password`` unless ``password`` is the user's; counted as a sign-in attempt
    of that login from ``address`` when one is given."""
    if address is None:
        if not verify_password(user.password_hash, password):
            raise Invalid("The current password is wrong.", code="wrong_password")
        return
    throttle = throttle or LoginThrottle()
    attempt = await signin.attempt_begin(
        session,
        throttle=throttle,
        login=user.login.lower(),
        client=signin.client_key(address, None),
    )
    if not verify_password(user.password_hash, password):
        await signin.attempt_failed(session, throttle=throttle, attempt=attempt)
        raise Invalid("The current password is wrong.", code="wrong_password")
    await signin.attempt_succeeded(session, attempt=attempt)


async def api_token_create(session: AsyncSession, *, user: User, label: str) -> str:
    """A new API token for an integration; only its digest is stored."""
    secret, auth = _new_auth_session(user, kind="token", days=TOKEN_DAYS)
    auth.label = label[:100]
    session.add(auth)
    await session.commit()
    return secret


# --- classes, enrolment, guardians ---------------------------------------------------


def _grade_of(name: str) -> int:
    digits = "".join(ch for ch in name if ch.isdigit())
    return int(digits)


async def class_create(session: AsyncSession, *, actor: User, data: ClassCreate) -> SchoolClass:
    """Add a class to the current academic year (admin)."""
    require_role(actor, Role.admin)
    years = await queries.years_of_school(session, school_id=actor.school_id)
    if not years:
        raise Invalid("Create an academic year first.")
    name = data.name.upper()
    grade = data.grade or _grade_of(name)
    if data.grade and data.grade != _grade_of(name):
        raise Invalid(f"Class {name} is not in grade {data.grade}.")
    if data.form_tutor_id is not None:
        await _require_teacher(session, actor=actor, user_id=data.form_tutor_id)
    existing = await queries.class_by_name(session, school_id=actor.school_id, name=name)
    if existing is not None and existing.year_id == years[0].id:
        raise Conflict(f"Class {name} already exists.")
    school_class = SchoolClass(
        school_id=actor.school_id,
        year_id=years[0].id or 0,
        name=name,
        grade=grade,
        form_tutor_id=data.form_tutor_id,
    )
    session.add(school_class)
    await session.commit()
    return school_class


async def _require_teacher(session: AsyncSession, *, actor: User, user_id: int) -> User:
    teacher = await session.get(User, user_id)
    if teacher is None or teacher.school_id != actor.school_id or teacher.role != Role.teacher:
        raise Invalid("The form tutor must be a teacher of this school.")
    return teacher


async def class_update(
    session: AsyncSession, *, actor: User, class_id: int, data: ClassUpdate
) -> SchoolClass:
    """Change a class's form tutor or deactivate it (admin)."""
    require_role(actor, Role.admin)
    school_class = await queries.class_get(session, actor=actor, class_id=class_id)
    changes = data.model_dump(exclude_unset=True)
    if changes.get("form_tutor_id") is not None:
        await _require_teacher(session, actor=actor, user_id=changes["form_tutor_id"])
    for field, value in changes.items():
        setattr(school_class, field, value)
    session.add(school_class)
    await session.commit()
    return school_class


async def enrolment_add(
    session: AsyncSession, *, actor: User, class_id: int, pupil_id: int
) -> Enrolment:
    """Enrol a pupil in a class (admin); a pupil is in one class of a year at a time."""
    require_role(actor, Role.admin)
    school_class = await queries.class_get(session, actor=actor, class_id=class_id)
    pupil = await session.get(User, pupil_id)
    if pupil is None or pupil.school_id != actor.school_id or pupil.role != Role.pupil:
        raise Invalid("Only a pupil of this school can be enrolled.")
    current = await session.exec(
        select(Enrolment, SchoolClass)
        .join(SchoolClass, col(SchoolClass.id) == Enrolment.class_id)
        .where(Enrolment.pupil_id == pupil_id, SchoolClass.year_id == school_class.year_id)
    )
    for enrolment, other in current.all():
        if other.id == class_id:
            return enrolment
        await session.delete(enrolment)  # moving to another class of the same year
    enrolment = Enrolment(class_id=class_id, pupil_id=pupil_id)
    session.add(enrolment)
    await session.commit()
    return enrolment


async def enrolment_remove(
    session: AsyncSession, *, actor: User, class_id: int, pupil_id: int
) -> None:
    """Take a pupil out of a class (admin)."""
    require_role(actor, Role.admin)
    await queries.class_get(session, actor=actor, class_id=class_id)
    result = await session.exec(
        select(Enrolment).where(Enrolment.class_id == class_id, Enrolment.pupil_id == pupil_id)
    )
    enrolment = result.first()
    if enrolment is None:
        raise NotFound("That pupil is not in this class.")
    await session.delete(enrolment)
    await session.commit()


async def guardian_link(
    session: AsyncSession, *, actor: User, parent_id: int, child_id: int
) -> Guardianship:
    """Link a parent to a child (admin)."""
    require_role(actor, Role.admin)
    parent = await session.get(User, parent_id)
    child = await session.get(User, child_id)
    if parent is None or parent.school_id != actor.school_id or parent.role != Role.parent:
        raise Invalid("parent_id must be a parent of this school.")
    if child is None or child.school_id != actor.school_id or child.role != Role.pupil:
        raise Invalid("child_id must be a pupil of this school.")
    existing = await session.exec(
        select(Guardianship).where(
            Guardianship.parent_id == parent_id, Guardianship.child_id == child_id
        )
    )
    link = existing.first()
    if link is not None:
        return link
    link = Guardianship(parent_id=parent_id, child_id=child_id)
    session.add(link)
    await session.commit()
    return link


async def guardian_unlink(
    session: AsyncSession, *, actor: User, parent_id: int, child_id: int
) -> None:
    """Remove a parent-child link (admin)."""
    require_role(actor, Role.admin)
    result = await session.exec(
        select(Guardianship)
        .join(User, col(User.id) == Guardianship.parent_id)
        .where(
            Guardianship.parent_id == parent_id,
            Guardianship.child_id == child_id,
            User.school_id == actor.school_id,
        )
    )
    link = result.first()
    if link is None:
        raise NotFound("No such link.")
    await session.delete(link)
    await session.commit()


# --- schools, years, terms ------------------------------------------------------------

TERM_COUNTS = {TermSystem.quarters: 4, TermSystem.trimesters: 3, TermSystem.halves: 2}
TERM_NAMES = {
    TermSystem.quarters: "Quarter",
    TermSystem.trimesters: "Trimester",
    TermSystem.halves: "Half-year",
}


async def school_create(
    session: AsyncSession, *, name: str, slug: str, term_system: str = TermSystem.quarters
) -> School:
    """A new school (command line and seed only)."""
    if term_system not in TERM_COUNTS:
        raise Invalid("term_system must be quarters, trimesters or halves")
    school = School(name=name, slug=slug, term_system=term_system)
    session.add(school)
    await session.commit()
    return school


def split_year(starts: date, ends: date, parts: int) -> list[tuple[date, date]]:
    """Split an academic year into ``parts`` consecutive terms of near-equal length."""
    if ends <= starts:
        raise Invalid("An academic year must end after it starts.")
    days = (ends - starts).days + 1
    bounds = []
    for index in range(parts):
        first = starts + timedelta(days=days * index // parts)
        last = starts + timedelta(days=days * (index + 1) // parts - 1)
        bounds.append((first, last))
    return bounds


async def year_create(
    session: AsyncSession,
    *,
    actor: User | None,
    school: School,
    name: str,
    starts: date,
    ends: date,
) -> AcademicYear:
    """An academic year split into the school's terms (quarters, trimesters or halves)."""
    if actor is not None:
        require_role(actor, Role.admin)
    year = AcademicYear(school_id=school.id or 0, name=name, starts=starts, ends=ends)
    session.add(year)
    await session.flush()
    system = TermSystem(school.term_system)
    for number, (first, last) in enumerate(split_year(starts, ends, TERM_COUNTS[system]), start=1):
        session.add(
            Term(
                school_id=school.id or 0,
                year_id=year.id or 0,
                number=number,
                name=f"{TERM_NAMES[system]} {number}",
                starts=first,
                ends=last,
            )
        )
    await session.commit()
    return year
