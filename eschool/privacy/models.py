"""Tables of privacy — the access record, the school's retention settings, the audit of
exports, erasures and purges — and the wire models of its API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, get_args

from pydantic import Field as WireField
from pydantic import WithJsonSchema
from sqlalchemy import JSON, Index
from sqlmodel import Field, SQLModel

from eschool.api_schema import Public
from eschool.models import MAX_ID, ClassRef, Id, PersonName, Role, WireModel, WireQuery
from eschool.privacy.registry import Erasure
from eschool.timeutil import utcnow

# What the school's retention settings cover: each is kept ``<key>_days`` days (None: for ever).
RetentionKey = Literal["live_events", "recordings", "access_log"]
RETENTION_KEYS: tuple[str, ...] = get_args(RetentionKey)
DEFAULT_RETENTION_DAYS: dict[str, int] = {"live_events": 365, "recordings": 90, "access_log": 365}
MAX_RETENTION_DAYS = 36500
RetentionDays = Annotated[int, WireField(ge=1, le=MAX_RETENTION_DAYS)]

# What an access record says was read (``what``).
AccessKind = Literal[
    "diary",
    "diary.summary",
    "diary.news",
    "diary.ics",
    "journal",
    "journal.csv",
    "journal.xlsx",
    "live.report",
]
ACCESS_KINDS: tuple[str, ...] = get_args(AccessKind)
ACCESS_DETAIL_MAX = 100


class AccessRecord(SQLModel, table=True):
    """Who read a pupil's data (a diary) or a group's (a course's journal, a live report):
    appended on the read, never changed; only the retention purge deletes old lines.

    ``pupil_id`` names the pupil of a diary; ``class_id`` the class a journal or a live report
    shows (so that asking about a pupil finds the reads of their class's journals too).
    """

    __tablename__ = "privacy_access_log"
    __table_args__ = (Index("ix_privacy_access_log_school_at", "school_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="schools.id")
    at: datetime = Field(default_factory=utcnow)
    actor_id: int = Field(foreign_key="users.id", index=True)
    what: str = Field(max_length=16)
    pupil_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    class_id: int | None = Field(default=None, foreign_key="classes.id", index=True)
    target_id: int | None = None  # the course or the live session
    detail: str = Field(default="", max_length=ACCESS_DETAIL_MAX)


class PrivacySettings(SQLModel, table=True):
    """How long a school keeps live event logs, recordings and the access record (days;
    None: for ever). A school without a row has :data:`DEFAULT_RETENTION_DAYS` (no column
    default: a NULL here always means for ever)."""

    __tablename__ = "privacy_settings"

    school_id: int = Field(foreign_key="schools.id", primary_key=True)
    live_events_days: int | None = None
    recordings_days: int | None = None
    access_log_days: int | None = None
    updated_at: datetime = Field(default_factory=utcnow)


class PrivacyAudit(SQLModel, table=True):
    """One export, erasure, retention change or purge: who, when, about whom, what changed.

    ``detail`` holds counts and settings, never the personal data itself (an erasure's entry
    does not keep the erased name or login)."""

    __tablename__ = "privacy_audit"

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="schools.id", index=True)
    at: datetime = Field(default_factory=utcnow)
    actor_id: int | None = Field(default=None, foreign_key="users.id")
    action: str = Field(max_length=16)  # "export", "erase", "retention" or "purge"
    subject_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    detail: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)


# --- wire models -----------------------------------------------------------------------


class EraseRequest(WireModel):
    """``POST /api/v1/privacy/pupils/{id}/erase``: the pupil's login, typed again."""

    confirm: str = WireField(min_length=1, max_length=64)


class RetentionUpdate(WireModel):
    """Only the fields sent change; ``null`` keeps that kind of data for ever."""

    live_events_days: RetentionDays | None = None
    recordings_days: RetentionDays | None = None
    access_log_days: RetentionDays | None = None


class AccessLogQuery(WireQuery):
    """``GET /privacy/access-log``: only what concerns one pupil, and the page."""

    pupil: Id | None = WireField(
        default=None, description="Only the reads about this pupil (their diary, their classes)."
    )
    page: int = WireField(default=1, ge=1, le=MAX_ID)
    per_page: int = WireField(default=50, ge=1, le=200)


# --- answers -----------------------------------------------------------------------------

# A moment as ``eschool.timeutil.iso`` writes it: UTC, to the second, with ``Z``.
IsoTime = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]


class RegistryColumnPublic(Public):
    """A column of a table, and what it holds about a person."""

    name: str
    holds: str


class PersonalTablePublic(Public):
    """A table that holds personal data: its columns, why, and what erasing a pupil does."""

    table: str
    columns: list[RegistryColumnPublic]
    purpose: str
    erasure: Erasure
    erasure_note: str
    retention: RetentionKey | None = WireField(
        description="The retention setting that limits how long its rows are kept, if any."
    )


class RegistryPackagePublic(Public):
    """What one package stores about people."""

    package: str
    tables: list[PersonalTablePublic]


class PersonRefPublic(Public):
    """Who someone is."""

    id: Id
    name: PersonName
    role: Role


class AccessClassPublic(Public):
    """The class whose journal or live report was read."""

    id: Id
    name: ClassRef


class AccessRecordPublic(Public):
    """One read of a pupil's data (a diary) or a class's (a journal, a live report)."""

    id: Id
    at: IsoTime
    actor: PersonRefPublic | None
    what: AccessKind
    pupil: PersonRefPublic | None = WireField(description="The pupil whose diary was read.")
    class_: AccessClassPublic | None = WireField(
        alias="class", description="The class whose journal or live report was read."
    )
    target_id: int | None = WireField(description="The course or the live session read.")
    detail: str = WireField(max_length=ACCESS_DETAIL_MAX)


class PupilErasedPublic(Public):
    """An erased pupil: the name the account keeps, and what each package erased (rows per
    table)."""

    id: Id
    name: PersonName
    erased: dict[str, dict[str, int]]


class RetentionPublic(Public):
    """How many days the school keeps each kind of data (``null``: for ever)."""

    live_events: RetentionDays | None
    recordings: RetentionDays | None
    access_log: RetentionDays | None
