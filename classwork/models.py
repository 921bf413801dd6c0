"""Tables of classwork — assignments (a published library lesson set to a course's pupils,
done pupil-paced), each pupil's work on one and every submitted attempt — and the wire
models of its API."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import Field as WireField
from pydantic import field_validator
from sqlalchemy import JSON
from sqlmodel import Field, SQLModel, UniqueConstraint

from eschool.models import Id, WireModel
from eschool.timeutil import utcnow

MAX_ATTEMPTS = 10
MAX_TITLE = 300
WORK_TYPE_PATTERN = r"^[a-z][a-z0-9_-]{0,31}$"
MAX_QUESTIONS_PER_BLOCK = 100
MAX_MARKS_PER_WRITE = 200


class ProgressState(StrEnum):
    """Where one pupil is with one assignment."""

    not_started = "not_started"
    in_progress = "in_progress"
    submitted = "submitted"
    marked = "marked"


class Assignment(SQLModel, table=True):
    """A published lesson version set to the pupils of a course, due at a moment."""

    __tablename__ = "assignments"

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="schools.id", index=True)
    course_id: int = Field(foreign_key="courses.id", index=True)
    slot_id: int | None = Field(default=None, foreign_key="slots.id", index=True)
    lesson_id: int = Field(foreign_key="lessons.id", index=True)
    lesson_version: int
    lesson_title: str = Field(max_length=MAX_TITLE)
    due: datetime = Field(index=True)
    attempts: int = Field(default=1)
    auto_mark: bool = Field(default=False)
    late: bool = Field(default=False)
    work_type: str = Field(default="homework", max_length=32)
    closed: bool = Field(default=False)
    created_by: int = Field(foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow)


class AssignmentWork(SQLModel, table=True):
    """One pupil's work on one assignment: the answers being given, and the latest result.

    ``answers`` maps a quiz block id to its list of answers (one per question, ``None`` for
    a skipped one). ``question_scores`` maps a block id to the points each question earned
    in the latest submitted attempt (a teacher may regrade them).
    """

    __tablename__ = "assignment_work"
    __table_args__ = (UniqueConstraint("assignment_id", "pupil_id"),)

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="schools.id", index=True)
    assignment_id: int = Field(foreign_key="assignments.id", index=True)
    pupil_id: int = Field(foreign_key="users.id", index=True)
    answers: dict[str, list[Any]] = Field(default_factory=dict, sa_type=JSON)
    saved_at: datetime | None = None
    attempts_used: int = Field(default=0)
    submitted_at: datetime | None = None
    question_scores: dict[str, list[float]] | None = Field(default=None, sa_type=JSON)
    score: float | None = None
    max_score: float | None = None
    regraded_by: int | None = Field(default=None, foreign_key="users.id")
    mark_id: int | None = Field(default=None, foreign_key="marks.id")
    mark_value: str | None = Field(default=None, max_length=16)


class AssignmentAttempt(SQLModel, table=True):
    """A submitted attempt, kept as it was submitted (the record of what a pupil handed in)."""

    __tablename__ = "assignment_attempts"
    __table_args__ = (UniqueConstraint("work_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    work_id: int = Field(foreign_key="assignment_work.id", index=True)
    number: int
    answers: dict[str, list[Any]] = Field(default_factory=dict, sa_type=JSON)
    question_scores: dict[str, list[float]] = Field(default_factory=dict, sa_type=JSON)
    score: float
    max_score: float
    submitted_at: datetime = Field(default_factory=utcnow)
    late: bool = Field(default=False)


# --- wire models -----------------------------------------------------------------------


def _date_or_moment(value: Any) -> Any:
    """``"2026-12-10"`` is a date (the end of that day at school), not midnight: parse it so
    before pydantic's union would read it as a moment."""
    if isinstance(value, str) and len(value) == 10:
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value
    return value


class AssignmentCreate(WireModel):
    """``due`` is a moment (ISO 8601) or a date, meaning the end of that day at school."""

    lesson_id: Id
    course_id: Id
    slot_id: Id | None = None
    due: datetime | date
    attempts: int = WireField(default=1, ge=1, le=MAX_ATTEMPTS)
    auto_mark: bool = False
    late: bool = False
    work_type: str = WireField(default="homework", pattern=WORK_TYPE_PATTERN)

    _due = field_validator("due", mode="before")(_date_or_moment)


class AssignmentUpdate(WireModel):
    """Only the fields sent change."""

    due: datetime | date | None = None
    attempts: int | None = WireField(default=None, ge=1, le=MAX_ATTEMPTS)
    auto_mark: bool | None = None
    late: bool | None = None
    closed: bool | None = None

    _due = field_validator("due", mode="before")(_date_or_moment)


class AnswersSave(WireModel):
    """The answers to one quiz block of the assignment's lesson, one per question."""

    block_id: str = WireField(min_length=1, max_length=64)
    answers: list[Any] = WireField(max_length=MAX_QUESTIONS_PER_BLOCK)


class Regrade(WireModel):
    """Points per question, in the order of ``questions`` in the results (null: unchanged)."""

    question_scores: list[float | None] = WireField(max_length=MAX_QUESTIONS_PER_BLOCK * 20)
    reason: str | None = WireField(default=None, max_length=500)

    @field_validator("question_scores")
    @classmethod
    def _finite(cls, values: list[float | None]) -> list[float | None]:
        for value in values:
            if value is not None and not (0 <= value < float("inf")):
                raise ValueError("points are numbers of 0 or more")
        return values


class MarkEntry(WireModel):
    pupil_id: Id
    value: int | float | str


class MarksWrite(WireModel):
    """Marks to write into the journal, on the course's own scale."""

    marks: list[MarkEntry] = WireField(min_length=1, max_length=MAX_MARKS_PER_WRITE)
    comment: str | None = WireField(default=None, max_length=500)
    reason: str | None = WireField(default=None, max_length=500)
