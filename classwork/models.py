"""Tables of classwork — assignments (a published library lesson set to a course's pupils,
done pupil-paced), each pupil's work on one and every submitted attempt — and the wire
models of its API."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, field_validator
from pydantic import Field as WireField
from sqlalchemy import JSON
from sqlmodel import Field, SQLModel, UniqueConstraint

from eschool.api_schema import Moment, Public
from eschool.models import Id, WireModel, WireQuery
from eschool.timeutil import utcnow
from gradebook.journal_models import QueryId
from gradebook.ref_models import GradeScale
from lessons.public_models import ShownBlock

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


# --- answers of the API (``*Public``) ---------------------------------------------------------

Number = int | float  # points and scores keep their JSON form (6 stays 6, 5.5 stays 5.5)
Count = Annotated[int, WireField(ge=0)]
Share = Annotated[float, WireField(ge=0, le=1)]
MarkValue = Annotated[str, WireField(max_length=16)]
WorkType = Annotated[str, WireField(pattern=WORK_TYPE_PATTERN)]
Attempts = Annotated[int, WireField(ge=1, le=MAX_ATTEMPTS)]


def _absent(value: Any) -> bool:
    return value is None


def _blank_is_none(value: Any) -> Any:
    return None if value == "" else value


class ProgressPublic(Public):
    """Where one pupil is with one assignment."""

    state: ProgressState
    score: Number | None
    max: Number | None
    mark: MarkValue | None = WireField(description="The mark written into the journal.")
    attempts_used: Count
    saved_at: Moment | None
    submitted_at: Moment | None


class AssignmentLesson(Public):
    """The published lesson version an assignment pins."""

    id: int
    version: int
    title: Annotated[str, WireField(max_length=MAX_TITLE)]


class AssignmentCourse(Public):
    """The course an assignment is set in."""

    model_config = ConfigDict(serialize_by_alias=True, validate_by_name=True)

    id: int
    class_name: str = WireField(alias="class")
    subject: str
    scale: str = WireField(description="The course's grade scale's code.")


class AssignmentPublic(Public):
    """An assignment (without its lesson's blocks or anyone's work)."""

    id: int
    lesson: AssignmentLesson
    course_id: int
    slot_id: int | None
    due: Moment
    attempts: Attempts
    auto_mark: bool
    late: bool = WireField(description="Work handed in after the due time is accepted.")
    work_type: WorkType
    status: Literal["open", "closed"]
    created_at: Moment


class AssignmentInCourse(AssignmentPublic):
    """An assignment with its course."""

    course: AssignmentCourse


class ClassCounts(Public):
    """How many of the class's pupils there are, have handed in and are marked."""

    pupils: Count
    submitted: Count
    marked: Count


class AssignmentItem(AssignmentInCourse):
    """An assignment in a list. Staff get ``counts`` and ``can_edit`` (and with ``?pupil=``
    that pupil's ``progress``); pupils and parents one item per child with ``progress``."""

    counts: ClassCounts | None = WireField(default=None, exclude_if=_absent)
    can_edit: bool | None = WireField(default=None, exclude_if=_absent)
    pupil_id: int | None = WireField(default=None, exclude_if=_absent)
    progress: ProgressPublic | None = WireField(default=None, exclude_if=_absent)


class QuestionPublic(Public):
    """One question of the assignment's lesson: where it is and what it is worth."""

    block_id: str
    index: Count
    kind: str | None
    prompt: str | None
    max: Number


class PupilProgress(Public):
    """A pupil of the class and their progress."""

    id: int
    name: str
    progress: ProgressPublic


class AssignmentDetail(AssignmentInCourse):
    """The assignment with its lesson, as staff (with keys) and parents see it."""

    access: Literal["write", "read", "parent"]
    questions: list[QuestionPublic]
    blocks: list[ShownBlock]
    pupils: list[PupilProgress]


class PupilAssignmentDetail(AssignmentInCourse):
    """The assignment with its lesson, as the pupil doing it sees it: keys only when no
    attempt is left or it is closed, the answers saved, the points of the latest attempt."""

    access: Literal["pupil"]
    questions: list[QuestionPublic]
    blocks: list[ShownBlock]
    answers: dict[str, list[Any]] = WireField(description="Answers by quiz block id.")
    progress: ProgressPublic
    question_scores: list[Number | None]
    attempts_left: Count


class AnswersSaved(Public):
    saved_at: Moment


class SubmitResult(Public):
    """The attempt handed in, scored."""

    attempt: Attempts
    attempts_left: Count
    score: Number
    max: Number
    share: Share | None
    mark: MarkValue | None


class PupilResult(Public):
    """One pupil's line of the results."""

    pupil_id: int
    name: str
    state: ProgressState
    attempts: Count
    score: Number | None
    max: Number | None
    share: Share | None
    answers: list[Any] = WireField(description="The latest attempt's answer per question.")
    question_scores: list[Number | None]
    regraded: bool
    proposed_mark: MarkValue | None
    mark: MarkValue | None
    mark_id: int | None


class AssignmentResults(Public):
    """The results table of an assignment, for its teachers."""

    assignment: AssignmentInCourse
    scale: GradeScale
    questions: list[QuestionPublic]
    pupils: list[PupilResult]


class MarkWritten(Public):
    pupil_id: int
    value: MarkValue


class MarksWritten(Public):
    """The marks written, by pupil."""

    marks: list[MarkWritten]


# --- query parameters -------------------------------------------------------------------------


class AssignmentsQuery(WireQuery):
    """``GET /api/v1/assignments``."""

    course: QueryId = WireField(default=None, description="Only this course's assignments.")
    pupil: QueryId = WireField(default=None, description="The progress of this pupil.")
    status: Literal["open", "closed"] | None = None

    _blank_status = field_validator("status", mode="before")(_blank_is_none)
