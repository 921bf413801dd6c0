"""Tables of live lessons and the wire models of their API.

A ``live_sessions`` row is one run of a published lesson version: its join code, who runs it,
which class may join, a snapshot of the lesson's blocks (with answer keys: the room scores the
quiz) and, once it has ended, the report. ``live_events`` holds the room's log, one row per
event in ``seq`` order, each written (by the process that appended it) before it is
acknowledged, whichever the broker (see live/event_log.py).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import Field as WireField
from pydantic import field_validator
from sqlalchemy import JSON, Text
from sqlmodel import Field, SQLModel, UniqueConstraint

from eschool.models import MAX_ID, Id, WireModel
from eschool.timeutil import utcnow

CODE_LENGTH = 6
MAX_OBSERVER_NAME = 60
MAX_JOURNAL_MARKS = 200


class SessionStatus(StrEnum):
    active = "active"
    ended = "ended"


class LiveSession(SQLModel, table=True):
    """One live run of a published lesson version."""

    __tablename__ = "live_sessions"

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="schools.id", index=True)
    # Canonical form without the dash ("K7QF29"); unique for ever, so a code never names two
    # sessions, not even an ended one and its successor.
    code: str = Field(max_length=CODE_LENGTH, unique=True)
    teacher_id: int = Field(foreign_key="users.id", index=True)
    lesson_id: int
    lesson_version: int
    title: str = Field(max_length=300)
    blocks: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    # The journal slot the lesson is given in, and the class whose pupils may join
    # (None: the pupils of every class the teacher teaches).
    slot_id: int | None = Field(default=None, index=True)
    class_id: int | None = Field(default=None, foreign_key="classes.id")
    allow_observers: bool = Field(default=True)
    status: str = Field(default=SessionStatus.active, max_length=16, index=True)
    started_at: datetime = Field(default_factory=utcnow)
    ended_at: datetime | None = None
    report: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    journal_at: datetime | None = None
    journal_by: int | None = Field(default=None, foreign_key="users.id")


class LiveEvent(SQLModel, table=True):
    """One event of a room's log, as the broker stored it (JSON text without the seq)."""

    __tablename__ = "live_events"
    __table_args__ = (UniqueConstraint("session_id", "seq"),)

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="live_sessions.id", index=True)
    seq: int
    body: str = Field(sa_type=Text)


# --- wire models -----------------------------------------------------------------------


class LiveStart(WireModel):
    """``POST /api/v1/live``: run a published lesson (the latest version unless named)."""

    lesson_id: Id
    version: int | None = WireField(default=None, ge=1, le=MAX_ID)
    slot_id: Id | None = None
    class_id: Id | None = None
    allow_observers: bool = True


class ObserverJoin(WireModel):
    """``POST /live/{code}/join``: a visitor's name."""

    name: str = WireField(min_length=1, max_length=MAX_OBSERVER_NAME)

    @field_validator("name")
    @classmethod
    def _clean_name(cls, value: str) -> str:
        value = " ".join(value.split())
        if not value:
            raise ValueError("name must not be blank")
        return value


class ProposedMark(WireModel):
    pupil_id: Id
    value: int | str


class JournalConfirm(WireModel):
    """``POST /live/{code}/journal``: the marks the teacher confirms, and whether to take
    attendance from who joined (off unless asked: it marks everyone else absent)."""

    marks: list[ProposedMark] = WireField(default_factory=list, max_length=MAX_JOURNAL_MARKS)
    attendance: bool = False
    work_type: str = WireField(default="classwork", min_length=1, max_length=32)
    comment: str | None = WireField(default=None, max_length=500)
