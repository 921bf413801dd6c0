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

from eschool.api_schema import Public
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
    # Whether observers may watch the replay (``/live/{code}/replay``) too.
    allow_observer_replay: bool = Field(default=False)
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
    rubric_id: Id | None = None  # an observation rubric of the school (live/rubrics.py)
    allow_observer_replay: bool = False


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


# --- observation rubrics and observers' notes (docs/open-lessons.md) ---------------------

MAX_RUBRIC_TITLE = 200
MAX_CRITERIA = 20
MAX_CRITERION_TITLE = 300
MIN_LEVELS = 2
MAX_LEVELS = 10
MAX_LEVEL_TEXT = 500
CRITERION_ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,39}$"
MAX_NOTE_TEXT = 2_000


class Rubric(SQLModel, table=True):
    """A school's observation rubric: criteria, each with its level descriptors (lowest
    first). Deleting one archives it: the lessons that used it keep their snapshot
    (:class:`LiveSessionRubric`)."""

    __tablename__ = "rubrics"

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="schools.id", index=True)
    title: str = Field(max_length=MAX_RUBRIC_TITLE)
    # [{"id": slug, "title": str, "levels": [str, ...]}, ...]
    criteria: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    archived_at: datetime | None = None


class LiveSessionRubric(SQLModel, table=True):
    """The rubric a live lesson was started with, as it was then (feedback shows this)."""

    __tablename__ = "live_session_rubrics"

    session_id: int = Field(foreign_key="live_sessions.id", primary_key=True)
    rubric_id: int | None = Field(default=None, foreign_key="rubrics.id", index=True)
    title: str = Field(max_length=MAX_RUBRIC_TITLE)
    criteria: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)


class LiveNote(SQLModel, table=True):
    """One note (and/or score) an observer wrote during a live lesson: never an event of the
    room, seen only by its author, the lesson's teacher and the school's admins."""

    __tablename__ = "live_notes"
    __table_args__ = (UniqueConstraint("session_id", "author_key", "mid"),)

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="live_sessions.id", index=True)
    # The observer's id in the room as text: a visitor's pass id ("v-…") or a user's id.
    author_key: str = Field(max_length=80)
    author_id: int | None = Field(default=None, foreign_key="users.id")
    author_name: str = Field(max_length=200)
    mid: str = Field(max_length=64)  # the client message id: a repeat is stored once
    at: datetime = Field(default_factory=utcnow)
    seq: int
    slide: int
    text: str = Field(default="", sa_type=Text)
    criterion: str | None = Field(default=None, max_length=40)
    level: int | None = None


def _one_line_title(value: str) -> str:
    """A title on one line, its white space folded; blank is refused."""
    value = " ".join(value.split())
    if not value:
        raise ValueError("title must not be blank")
    return value


class RubricCriterion(WireModel):
    """One criterion: a slug ``id`` unique in the rubric, a title, 2–10 level descriptors."""

    id: str = WireField(pattern=CRITERION_ID_PATTERN)
    title: str = WireField(min_length=1, max_length=MAX_CRITERION_TITLE)
    levels: list[str] = WireField(min_length=MIN_LEVELS, max_length=MAX_LEVELS)

    _clean_title = field_validator("title")(_one_line_title)

    @field_validator("levels")
    @classmethod
    def _clean_levels(cls, value: list[str]) -> list[str]:
        cleaned = [" ".join(level.split()) for level in value]
        if any(not level or len(level) > MAX_LEVEL_TEXT for level in cleaned):
            raise ValueError(f"each level holds 1 to {MAX_LEVEL_TEXT} characters")
        return cleaned


class RubricCreate(WireModel):
    """``POST /api/v1/rubrics`` and ``PUT /api/v1/rubrics/{id}``: the whole rubric."""

    title: str = WireField(min_length=1, max_length=MAX_RUBRIC_TITLE)
    criteria: list[RubricCriterion] = WireField(min_length=1, max_length=MAX_CRITERIA)

    _clean_title = field_validator("title")(_one_line_title)

    @field_validator("criteria")
    @classmethod
    def _unique_ids(cls, value: list[RubricCriterion]) -> list[RubricCriterion]:
        ids = [criterion.id for criterion in value]
        if len(set(ids)) != len(ids):
            raise ValueError("each criterion needs an id of its own in the rubric")
        return value


class RubricPublic(Public):
    """A rubric as the API returns it (built from a ``Rubric`` row)."""

    id: int
    title: str
    criteria: list[RubricCriterion]
    updated_at: datetime
