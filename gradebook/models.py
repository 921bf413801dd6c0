"""Tables of the gradebook (subjects, courses, timetable, slots, marks, attendance, term
marks, their history, diary visits and feeds) and the wire models of its API."""

from __future__ import annotations

import datetime as dt
import re
from datetime import date, datetime, time
from typing import Any

from pydantic import Field as WireField
from pydantic import field_validator
from sqlalchemy import JSON, Index
from sqlmodel import Field, SQLModel, UniqueConstraint

from eschool.models import Id, WireModel
from eschool.timeutil import utcnow
from gradebook.averages import ATTENDANCE_STATUSES
from gradebook.scales import DEFAULT_SCALE, SCALES
from gradebook.wire_fields import (
    HolidayName,
    Period,
    Room,
    RoundingThreshold,
    ScaleCode,
    ShortName,
    SubjectName,
    Weekday,
    Weight,
    WorkTypeCode,
    WorkTypeName,
)

TOPIC_MAX = 500
HOMEWORK_MAX = 5000
COMMENT_MAX = 500
REASON_MAX = 500
ATTACHMENTS_MAX = 20
DEFAULT_ROUNDING_THRESHOLD = 0.5

# The work types every school starts with: (code, English name, weight). A school may
# change weights or add its own (`PUT /api/v1/work-types`).
DEFAULT_WORK_TYPES: tuple[tuple[str, str, float], ...] = (
    ("classwork", "Classwork", 1.0),
    ("homework", "Homework", 1.0),
    ("oral", "Oral answer", 1.0),
    ("test", "Test", 2.0),
    ("exam", "Exam", 3.0),
)

_ATTENDANCE_PATTERN = "^(" + "|".join(ATTENDANCE_STATUSES) + ")$"
_ASSET_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")  # the library's ids are SHA-256 hex digests


class Subject(SQLModel, table=True):
    __tablename__ = "subjects"
    __table_args__ = (UniqueConstraint("school_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="schools.id", index=True)
    name: str = Field(max_length=100)
    short_name: str = Field(max_length=32)


class Course(SQLModel, table=True):
    """A class taking a subject, on a grade scale; its teachers are in `course_teachers`."""

    __tablename__ = "courses"

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="schools.id", index=True)
    class_id: int = Field(foreign_key="classes.id", index=True)
    subject_id: int = Field(foreign_key="subjects.id", index=True)
    scale: str = Field(default=DEFAULT_SCALE, max_length=16)
    created_at: datetime = Field(default_factory=utcnow)


class CourseTeacher(SQLModel, table=True):
    __tablename__ = "course_teachers"
    __table_args__ = (UniqueConstraint("course_id", "teacher_id"),)

    id: int | None = Field(default=None, primary_key=True)
    course_id: int = Field(foreign_key="courses.id", index=True)
    teacher_id: int = Field(foreign_key="users.id", index=True)


class TimetableEntryRow(SQLModel, table=True):
    """One weekly lesson of a class: weekday 0 = Monday."""

    __tablename__ = "timetable_entries"
    __table_args__ = (UniqueConstraint("course_id", "weekday", "period"),)

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="schools.id", index=True)
    class_id: int = Field(foreign_key="classes.id", index=True)
    course_id: int = Field(foreign_key="courses.id", index=True)
    weekday: int
    period: int
    room: str = Field(default="", max_length=32)
    starts: time
    ends: time


class Holiday(SQLModel, table=True):
    __tablename__ = "holidays"

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="schools.id", index=True)
    name: str = Field(max_length=100)
    starts: date
    ends: date


class Slot(SQLModel, table=True):
    """One lesson of a course on a date: the journal's column and the diary's line."""

    __tablename__ = "slots"
    __table_args__ = (
        UniqueConstraint("course_id", "date", "period"),
        Index("ix_slots_course_term", "course_id", "term_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="schools.id", index=True)
    course_id: int = Field(foreign_key="courses.id")
    term_id: int = Field(foreign_key="terms.id", index=True)
    date: dt.date = Field(index=True)
    period: int
    starts: time
    ends: time
    room: str = Field(default="", max_length=32)
    topic: str = Field(default="", max_length=TOPIC_MAX)
    homework: str = Field(default="", max_length=HOMEWORK_MAX)
    # ids of the library's uploaded assets (`POST /api/v1/assets`), served at /assets/{id}
    attachments: list[str] = Field(default_factory=list, sa_type=JSON)
    lesson_id: int | None = None
    lesson_version: int | None = None
    lesson_title: str | None = Field(default=None, max_length=300)
    homework_at: datetime | None = None
    updated_at: datetime = Field(default_factory=utcnow)


class WorkType(SQLModel, table=True):
    __tablename__ = "work_types"
    __table_args__ = (UniqueConstraint("school_id", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="schools.id", index=True)
    code: str = Field(max_length=32)
    name: str = Field(max_length=100)
    weight: float = Field(default=1.0)
    position: int = Field(default=0)


class Mark(SQLModel, table=True):
    """A mark; deletion is soft (`deleted_at`), so history always has its subject."""

    __tablename__ = "marks"

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="schools.id", index=True)
    slot_id: int = Field(foreign_key="slots.id", index=True)
    pupil_id: int = Field(foreign_key="users.id", index=True)
    value: str = Field(max_length=16)
    work_type: str = Field(max_length=32)
    weight: float = Field(default=1.0)
    comment: str | None = Field(default=None, max_length=COMMENT_MAX)
    created_by: int = Field(foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    deleted_at: datetime | None = None
    deleted_by: int | None = Field(default=None, foreign_key="users.id")


class Attendance(SQLModel, table=True):
    """A pupil's attendance at a slot; a past slot without a row counts as present."""

    __tablename__ = "attendance"
    __table_args__ = (UniqueConstraint("slot_id", "pupil_id"),)

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="schools.id", index=True)
    slot_id: int = Field(foreign_key="slots.id", index=True)
    pupil_id: int = Field(foreign_key="users.id", index=True)
    status: str = Field(max_length=16)
    set_by: int = Field(foreign_key="users.id")
    updated_at: datetime = Field(default_factory=utcnow)


class TermMark(SQLModel, table=True):
    __tablename__ = "term_marks"
    __table_args__ = (UniqueConstraint("course_id", "term_id", "pupil_id"),)

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="schools.id", index=True)
    course_id: int = Field(foreign_key="courses.id", index=True)
    term_id: int = Field(foreign_key="terms.id", index=True)
    pupil_id: int = Field(foreign_key="users.id", index=True)
    value: str | None = Field(default=None, max_length=16)  # None once cleared
    set_by: int = Field(foreign_key="users.id")
    updated_at: datetime = Field(default_factory=utcnow)


class HistoryEntry(SQLModel, table=True):
    """One create, change or delete of a mark, an attendance record or a term mark."""

    __tablename__ = "gradebook_history"
    __table_args__ = (Index("ix_gradebook_history_entity", "entity", "entity_id"),)

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="schools.id")
    entity: str = Field(max_length=16)  # "mark", "attendance" or "term_mark"
    entity_id: int
    pupil_id: int = Field(foreign_key="users.id", index=True)
    action: str = Field(max_length=8)  # "create", "change" or "delete"
    field: str = Field(default="value", max_length=16)
    old: str | None = Field(default=None, max_length=COMMENT_MAX)
    new: str | None = Field(default=None, max_length=COMMENT_MAX)
    reason: str | None = Field(default=None, max_length=REASON_MAX)
    by_id: int = Field(foreign_key="users.id")
    at: datetime = Field(default_factory=utcnow)


class GradebookSettings(SQLModel, table=True):
    __tablename__ = "gradebook_settings"

    school_id: int = Field(foreign_key="schools.id", primary_key=True)
    rounding_threshold: float = Field(default=DEFAULT_ROUNDING_THRESHOLD)
    # scale code -> {value: least share}: the school's own bands for marks from scores
    # (gradebook.marking); a scale missing here uses the defaults.
    mark_bands: dict[str, dict[str, float]] | None = Field(default=None, sa_type=JSON)


class BellTime(SQLModel, table=True):
    """When a period of the school day starts and ends (`gradebook.bell_times`)."""

    __tablename__ = "bell_times"
    __table_args__ = (UniqueConstraint("school_id", "period"),)

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="schools.id", index=True)
    period: int
    starts: time
    ends: time


class DiaryVisit(SQLModel, table=True):
    """When a viewer last opened a pupil's diary: the news feed starts there."""

    __tablename__ = "diary_visits"
    __table_args__ = (UniqueConstraint("viewer_id", "pupil_id"),)

    id: int | None = Field(default=None, primary_key=True)
    viewer_id: int = Field(foreign_key="users.id", index=True)
    pupil_id: int = Field(foreign_key="users.id", index=True)
    seen_at: datetime = Field(default_factory=utcnow)


class DiaryFeed(SQLModel, table=True):
    """A secret calendar link to a pupil's timetable; only the secret's digest is kept."""

    __tablename__ = "diary_feeds"

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="schools.id", index=True)
    pupil_id: int = Field(foreign_key="users.id", index=True)
    owner_id: int = Field(foreign_key="users.id", index=True)
    digest: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow)
    revoked_at: datetime | None = None


# --- wire models -----------------------------------------------------------------------


def _clean_reason(value: str | None) -> str | None:
    if value is None:
        return None
    value = " ".join(value.split())
    return value or None


class SubjectCreate(WireModel):
    name: SubjectName
    short_name: ShortName | None = None


class CourseCreate(WireModel):
    class_id: Id
    subject_id: Id
    teacher_ids: list[Id] = WireField(default_factory=list, max_length=10)
    scale: ScaleCode = DEFAULT_SCALE

    @field_validator("scale")
    @classmethod
    def _known_scale(cls, value: str) -> str:
        if value not in SCALES:
            raise ValueError(f"unknown grade scale; known: {', '.join(SCALES)}")
        return value


class CourseUpdate(WireModel):
    teacher_ids: list[Id] | None = WireField(default=None, max_length=10)
    scale: ScaleCode | None = None

    @field_validator("scale")
    @classmethod
    def _known_scale(cls, value: str | None) -> str | None:
        if value is not None and value not in SCALES:
            raise ValueError(f"unknown grade scale; known: {', '.join(SCALES)}")
        return value


class TimetableEntryIn(WireModel):
    weekday: Weekday
    period: Period
    course_id: Id
    room: Room = ""
    starts: time | None = None
    ends: time | None = None


class TimetableIn(WireModel):
    entries: list[TimetableEntryIn] = WireField(max_length=100)


class HolidayCreate(WireModel):
    name: HolidayName
    starts: date
    ends: date


class SlotsGenerate(WireModel):
    term_id: Id
    class_id: Id | None = None


class SlotUpdate(WireModel):
    """Only the fields sent are changed; `lesson_id: null` unlinks the library lesson."""

    topic: str | None = WireField(default=None, max_length=TOPIC_MAX)
    homework: str | None = WireField(default=None, max_length=HOMEWORK_MAX)
    attachments: list[str] | None = WireField(default=None, max_length=ATTACHMENTS_MAX)
    lesson_id: Id | None = None

    @field_validator("attachments")
    @classmethod
    def _asset_ids(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and not all(_ASSET_ID.fullmatch(item) for item in value):
            raise ValueError("attachments are the ids of uploaded assets")
        return value


class MarkCreate(WireModel):
    pupil_id: Id
    slot_id: Id
    value: int | float | str
    work_type: str = WireField(default="classwork", min_length=1, max_length=32)
    comment: str | None = WireField(default=None, max_length=COMMENT_MAX)
    reason: str | None = WireField(default=None, max_length=REASON_MAX)

    _reason = field_validator("reason")(_clean_reason)


class MarkUpdate(WireModel):
    value: int | float | str | None = None
    work_type: str | None = WireField(default=None, min_length=1, max_length=32)
    comment: str | None = WireField(default=None, max_length=COMMENT_MAX)
    reason: str | None = WireField(default=None, max_length=REASON_MAX)

    _reason = field_validator("reason")(_clean_reason)


class AttendanceSet(WireModel):
    pupil_id: Id
    slot_id: Id
    status: str = WireField(pattern=_ATTENDANCE_PATTERN)
    reason: str | None = WireField(default=None, max_length=REASON_MAX)

    _reason = field_validator("reason")(_clean_reason)


class TermMarkSet(WireModel):
    """`value: null` removes the term mark."""

    pupil_id: Id
    course_id: Id
    term_id: Id
    value: int | float | str | None = None
    reason: str | None = WireField(default=None, max_length=REASON_MAX)

    _reason = field_validator("reason")(_clean_reason)


class WorkTypeSave(WireModel):
    code: WorkTypeCode
    name: WorkTypeName
    weight: Weight
    position: int | None = WireField(default=None, ge=0, le=1000)


class SettingsUpdate(WireModel):
    """Only the fields sent change; in `mark_bands` a scale set to null returns to defaults."""

    rounding_threshold: RoundingThreshold | None = None
    mark_bands: dict[str, dict[str, float] | None] | None = WireField(default=None, max_length=10)


def clean_reason(value: Any) -> str | None:
    """A reason as typed by a person: trimmed, spaces collapsed, None when blank."""
    return _clean_reason(value if isinstance(value, str) else None)


# --- absence notes (gradebook.absence_notes) --------------------------------------------

ABSENCE_REASON_MAX = 1000
ABSENCE_NOTE_STATUSES = ("reported", "accepted", "declined", "withdrawn")
_SHA256_PATTERN = r"^[0-9a-f]{64}$"


class AbsenceNote(SQLModel, table=True):
    """A family's (or the tutor's) report that a pupil will be, or was, away: whole days from
    `starts` to `ends`, or only the lesson `periods` of those days. The class tutor (or an
    admin) accepts it — the covered slots' attendance becomes excused — or declines it."""

    __tablename__ = "absence_notes"
    __table_args__ = (Index("ix_absence_notes_class_dates", "class_id", "starts", "ends"),)

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="schools.id", index=True)
    pupil_id: int = Field(foreign_key="users.id", index=True)
    # The pupil's class when the note was reported: its form tutor decides.
    class_id: int = Field(foreign_key="classes.id")
    starts: date
    ends: date
    periods: list[int] | None = Field(default=None, sa_type=JSON)  # None: whole days
    reason: str = Field(max_length=ABSENCE_REASON_MAX)
    upload_sha256: str | None = Field(default=None, max_length=64)  # a file of the upload store
    status: str = Field(default="reported", max_length=16)
    reported_by: int = Field(foreign_key="users.id")
    reported_at: datetime = Field(default_factory=utcnow)
    decided_by: int | None = Field(default=None, foreign_key="users.id")
    decided_at: datetime | None = None
    decision_reason: str | None = Field(default=None, max_length=REASON_MAX)


def _note_text(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must not be blank")
    return value


class AbsenceNoteCreate(WireModel):
    """`POST /api/v1/absence-notes`: dates are checked against today by the service."""

    pupil_id: Id
    starts: date = WireField(alias="from")
    ends: date = WireField(alias="to")
    periods: list[int] | None = WireField(default=None, min_length=1, max_length=13)
    reason: str = WireField(min_length=1, max_length=ABSENCE_REASON_MAX)
    upload_id: str | None = WireField(default=None, pattern=_SHA256_PATTERN)

    _reason = field_validator("reason")(_note_text)

    @field_validator("periods")
    @classmethod
    def _lesson_periods(cls, value: list[int] | None) -> list[int] | None:
        if value is None:
            return None
        if any(not 0 <= period <= 12 for period in value):
            raise ValueError("periods are lesson numbers from 0 to 12")
        return sorted(set(value))


class AbsenceNoteDecision(WireModel):
    """`PATCH /api/v1/absence-notes/{id}`: accepted or declined (tutor, admin; a decline
    needs a reason) or withdrawn (the family)."""

    status: str = WireField(pattern="^(accepted|declined|withdrawn)$")
    reason: str | None = WireField(default=None, max_length=REASON_MAX)

    _reason = field_validator("reason")(_clean_reason)


# The roster import's own table, the journal's revision counters and the pupils' mark tallies
# (both written by triggers only) live in their own modules; imported here so that the schema
# (``eschool.all_models``) knows them.
from gradebook.journal_revision import JournalRevision  # noqa: E402, F401
from gradebook.mark_tally import MarkTally  # noqa: E402, F401
from gradebook.rosters.models import RosterSource  # noqa: E402, F401
