"""Tables of privacy — the access record, the school's retention settings, the audit of
exports, erasures and purges — and the wire models of its API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field as WireField
from sqlalchemy import JSON, Index
from sqlmodel import Field, SQLModel

from eschool.models import WireModel
from eschool.timeutil import utcnow

# What the school's retention settings cover: each is kept ``<key>_days`` days (None: for ever).
RETENTION_KEYS = ("live_events", "recordings", "access_log")
DEFAULT_RETENTION_DAYS: dict[str, int] = {"live_events": 365, "recordings": 90, "access_log": 365}
MAX_RETENTION_DAYS = 36500

# What an access record says was read (``what``).
ACCESS_KINDS = (
    "diary",
    "diary.summary",
    "diary.news",
    "diary.ics",
    "journal",
    "journal.csv",
    "journal.xlsx",
    "live.report",
)


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
    detail: str = Field(default="", max_length=100)


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

    live_events_days: int | None = WireField(default=None, ge=1, le=MAX_RETENTION_DAYS)
    recordings_days: int | None = WireField(default=None, ge=1, le=MAX_RETENTION_DAYS)
    access_log_days: int | None = WireField(default=None, ge=1, le=MAX_RETENTION_DAYS)
