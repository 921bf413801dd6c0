"""People and the school: schools, users, classes, enrolment, guardians, years, terms, auth."""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, field_validator, model_validator
from pydantic import Field as WireField
from sqlmodel import Field, SQLModel, UniqueConstraint

from eschool.api_schema import Public
from eschool.timeutil import utcnow


class Role(StrEnum):
    admin = "admin"
    teacher = "teacher"
    pupil = "pupil"
    parent = "parent"


class TermSystem(StrEnum):
    quarters = "quarters"
    trimesters = "trimesters"
    halves = "halves"


LOGIN_PATTERN = r"^[a-z0-9][a-z0-9._-]{1,63}$"
CLASS_NAME_PATTERN = r"^(1[01]|[1-9])[A-Za-zА-Яа-яЁё]{0,2}$"


class School(SQLModel, table=True):
    __tablename__ = "schools"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    slug: str = Field(max_length=64, unique=True)
    term_system: str = Field(default=TermSystem.quarters, max_length=16)
    created_at: datetime = Field(default_factory=utcnow)


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="schools.id", index=True)
    login: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=200)
    role: str = Field(max_length=16, index=True)
    email: str | None = Field(default=None, max_length=254)
    password_hash: str = Field(max_length=255)
    active: bool = Field(default=True)
    lang: str | None = Field(default=None, max_length=8)
    created_at: datetime = Field(default_factory=utcnow)
    password_changed_at: datetime = Field(default_factory=utcnow)


class AcademicYear(SQLModel, table=True):
    __tablename__ = "academic_years"
    __table_args__ = (UniqueConstraint("school_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="schools.id", index=True)
    name: str = Field(max_length=32)
    starts: date
    ends: date


class Term(SQLModel, table=True):
    __tablename__ = "terms"

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="schools.id", index=True)
    year_id: int = Field(foreign_key="academic_years.id", index=True)
    number: int
    name: str = Field(max_length=64)
    starts: date
    ends: date
    closed: bool = Field(default=False)


class SchoolClass(SQLModel, table=True):
    __tablename__ = "classes"
    __table_args__ = (UniqueConstraint("school_id", "year_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="schools.id", index=True)
    year_id: int = Field(foreign_key="academic_years.id", index=True)
    name: str = Field(max_length=8)
    grade: int
    form_tutor_id: int | None = Field(default=None, foreign_key="users.id")
    active: bool = Field(default=True)


class Enrolment(SQLModel, table=True):
    __tablename__ = "enrolments"
    __table_args__ = (UniqueConstraint("class_id", "pupil_id"),)

    id: int | None = Field(default=None, primary_key=True)
    class_id: int = Field(foreign_key="classes.id", index=True)
    pupil_id: int = Field(foreign_key="users.id", index=True)
    enrolled_at: datetime = Field(default_factory=utcnow)


class ClassTeaching(SQLModel, table=True):
    """A teacher who teaches in a class apart from being its form tutor.

    The shell's visibility rule reads it; the domain that knows who teaches where (the
    gradebook, from its courses' teachers) keeps it true through
    ``eschool.access.class_teaching_set`` in the same transaction as its own change.
    """

    __tablename__ = "class_teaching"
    __table_args__ = (UniqueConstraint("class_id", "teacher_id"),)

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="schools.id", index=True)
    class_id: int = Field(foreign_key="classes.id")  # the unique key's first column indexes it
    teacher_id: int = Field(foreign_key="users.id", index=True)


class Guardianship(SQLModel, table=True):
    __tablename__ = "guardianships"
    __table_args__ = (UniqueConstraint("parent_id", "child_id"),)

    id: int | None = Field(default=None, primary_key=True)
    parent_id: int = Field(foreign_key="users.id", index=True)
    child_id: int = Field(foreign_key="users.id", index=True)


class AuthSession(SQLModel, table=True):
    """A browser session or an API token: only the SHA-256 of the secret is stored."""

    __tablename__ = "auth_sessions"

    id: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="users.id", index=True)
    kind: str = Field(max_length=8)  # "cookie" or "token"
    csrf_token: str = Field(max_length=64)
    label: str | None = Field(default=None, max_length=100)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    revoked_at: datetime | None = None


class LoginFailure(SQLModel, table=True):
    __tablename__ = "login_failures"

    id: int | None = Field(default=None, primary_key=True)
    login: str = Field(max_length=64, index=True)
    address: str = Field(max_length=64, index=True)
    at: datetime = Field(default_factory=utcnow, index=True)


# --- wire models -----------------------------------------------------------------


MAX_ID = 2**31 - 1
"""The largest id there can be: ids are 32-bit INTEGER columns on PostgreSQL."""

Id = Annotated[int, WireField(ge=1, le=MAX_ID)]
"""An id in a request body: a whole number the database can hold (anything else → 422,
where a larger one would overflow the query on PostgreSQL)."""


def id_from_text(text: str) -> int | None:
    """The id written in ``text`` (ASCII digits, 1 to ``MAX_ID``), or None."""
    text = text.strip()
    if text.isascii() and text.isdigit() and len(text) <= len(str(MAX_ID)):
        number = int(text)
        return number if 0 < number <= MAX_ID else None
    return None


EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def email_checked(value: str | None) -> str | None:
    """An e-mail address as stored: trimmed, ``""`` as None; one that cannot be one → error."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    if not EMAIL_PATTERN.match(value):
        raise ValueError("not an e-mail address")
    return value


# The limits of the wire fields, declared once: request bodies and answers share them.
Login = Annotated[str, WireField(min_length=2, max_length=64, pattern=LOGIN_PATTERN)]
PersonName = Annotated[str, WireField(min_length=1, max_length=200)]
Email = Annotated[str, WireField(max_length=254)]
Password = Annotated[str, WireField(min_length=8, max_length=200)]
Lang = Annotated[str, WireField(max_length=8)]
ClassName = Annotated[str, WireField(min_length=1, max_length=8, pattern=CLASS_NAME_PATTERN)]
ClassRef = Annotated[str, WireField(max_length=8, description="A class's name, e.g. `7A`.")]
Grade = Annotated[int, WireField(ge=1, le=11)]
YEAR_NAME_MAX = 32
TERM_NAME_MAX = 64
YearName = Annotated[str, WireField(min_length=1, max_length=YEAR_NAME_MAX)]
TermName = Annotated[str, WireField(min_length=1, max_length=TERM_NAME_MAX)]


class WireModel(BaseModel):
    """Base of request bodies: unknown fields are ignored, declared limits enforced."""

    model_config = ConfigDict(populate_by_name=True, str_strip_whitespace=False)


class WireQuery(BaseModel):
    """Base of query-string models (``web.read_query``): unknown parameters are ignored, an
    empty one (``?role=``) counts as not given."""

    model_config = ConfigDict(populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _drop_empty(cls, data: object) -> object:
        if isinstance(data, dict):
            return {key: value for key, value in data.items() if value != ""}
        return data


class UserCreate(WireModel):
    login: Login
    name: PersonName
    role: Role
    email: Email | None = None
    password: Password | None = None
    class_name: ClassRef | None = WireField(default=None, alias="class")

    _email = field_validator("email")(email_checked)

    @field_validator("login", mode="before")
    @classmethod
    def _lower_login(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("name")
    @classmethod
    def _strip_name(cls, value: str) -> str:
        value = " ".join(value.split())
        if not value:
            raise ValueError("name must not be blank")
        return value


class UserUpdate(WireModel):
    name: PersonName | None = None
    email: Email | None = None
    active: bool | None = None
    lang: Lang | None = None

    _email = field_validator("email")(email_checked)


class PasswordReset(WireModel):
    password: Password | None = None
    # Needed (and only checked) when one changes one's own password.
    current_password: str | None = WireField(default=None, max_length=200)


class ClassCreate(WireModel):
    name: ClassName
    grade: Grade | None = None
    form_tutor_id: Id | None = None


class ClassUpdate(WireModel):
    form_tutor_id: Id | None = None
    active: bool | None = None


class EnrolmentCreate(WireModel):
    pupil_id: Id


class GuardianLink(WireModel):
    parent_id: Id
    child_id: Id


class TokenRequest(WireModel):
    login: str = WireField(min_length=1, max_length=64)
    password: str = WireField(min_length=1, max_length=200)


class UsersQuery(WireQuery):
    """``GET /users``: filters and the page."""

    role: Role | None = None
    class_name: ClassRef | None = WireField(default=None, alias="class")
    q: str | None = WireField(
        default=None, max_length=200, description="Part of the name or the login."
    )
    page: int = WireField(default=1, ge=1, le=MAX_ID)
    per_page: int = WireField(default=50, ge=1, le=200)


# --- answers -----------------------------------------------------------------------


class UserPublic(Public):
    """A person (no secrets)."""

    id: Id
    login: Login
    name: PersonName
    role: Role
    email: Email | None
    active: bool


class UserCreatedPublic(UserPublic):
    """A person just added without a password: the generated one, shown this once."""

    password: Password


class ClassPublic(Public):
    """A class of one academic year."""

    id: Id
    name: ClassName
    grade: Grade
    year_id: Id
    form_tutor_id: Id | None
    active: bool


class MePublic(UserPublic):
    """The caller: the person, the interface language, the classes they may see and (for a
    parent) their children."""

    lang: Lang | None
    classes: list[ClassPublic]
    children: list[UserPublic]


class TokenPublic(Public):
    """A new bearer token (shown once) and whose it is."""

    token: str = WireField(min_length=1, max_length=200)
    user: UserPublic


class PasswordPublic(Public):
    """The new password, shown once."""

    password: Password


class GuardianLinkPublic(Public):
    """A parent linked to a child."""

    parent_id: Id
    child_id: Id


class TermPublic(Public):
    """A term of an academic year (its dates inclusive)."""

    id: Id
    number: int = WireField(ge=1, description="Its place in the year, by start date.")
    name: TermName
    start: date
    end: date
    closed: bool = WireField(description="Whether the term is closed (locked).")


class DaySpanPublic(Public):
    """Days from ``start`` to ``end``, both inclusive."""

    start: date
    end: date


class YearPublic(Public):
    """An academic year with its terms and the days no term covers."""

    id: Id
    name: YearName
    start: date
    end: date
    terms: list[TermPublic]
    gaps: list[DaySpanPublic]
