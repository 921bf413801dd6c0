"""The journal's answers as the API sends them (``*Public``) and the query parameters its
endpoints read: the journal of a course, marks, attendance, term marks, their history, a
class's attendance and a teacher's day.

The journal itself is served from rendered bytes (:mod:`gradebook.journal_cache`): its model
describes that JSON exactly, for the OpenAPI document and the tests, and is never built per
request. The limits are the request models' (:mod:`gradebook.models`).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from eschool.api_schema import Moment, Public
from eschool.models import Id, TermPublic, WireQuery
from eschool.timeutil import MAX_QUERY_DATE, MIN_QUERY_DATE
from gradebook.averages import ATTENDANCE_STATUSES
from gradebook.models import COMMENT_MAX, REASON_MAX
from gradebook.ref_models import (
    Access,
    ClassRef,
    CoursePublic,
    GradeScale,
    PersonRef,
    SlotPublic,
    SubjectPublic,
    WorkTypePublic,
)

# --- shared value types ---------------------------------------------------------------------

AttendanceStatus = Literal[ATTENDANCE_STATUSES]  # type: ignore[valid-type]


QueryId = Id | None
"""An optional id in the query string (``WireQuery`` takes an empty one as not given)."""
QueryDate = Annotated[dt.date, Field(ge=MIN_QUERY_DATE, le=MAX_QUERY_DATE)] | None
"""An optional ISO date in the query string, between 1900 and 2199."""


# --- query parameters -----------------------------------------------------------------------


class TermQuery(WireQuery):
    """``?term=``: a term of the school (default: the term that contains today)."""

    term: QueryId = Field(default=None, description="The term's id; default: today's term.")


class JournalCsvQuery(TermQuery):
    """``?term=&delimiter=``."""

    delimiter: Literal[",", ";"] | None = Field(
        default=None, description="`;` for spreadsheets that expect semicolons; default `,`."
    )


class MarkDeleteQuery(WireQuery):
    """``DELETE /marks/{id}?reason=``."""

    reason: str | None = Field(default=None, max_length=REASON_MAX)


class AttendanceHistoryQuery(WireQuery):
    pupil_id: Id
    slot_id: Id


class TermMarkHistoryQuery(WireQuery):
    pupil_id: Id
    course_id: Id
    term_id: Id


class ClassAttendanceQuery(TermQuery):
    class_id: Id = Field(alias="class", description="The class's id.")


class MyDayQuery(WireQuery):
    date: QueryDate = Field(default=None, description="The day; default: today at school.")


# --- the pieces of the journal ---------------------------------------------------------------


class FileRef(Public):
    """A homework file: its id in the upload store and the name it was uploaded with."""

    id: str
    name: str


class JournalSlot(SlotPublic):
    files: list[FileRef]


class MarkPublic(Public):
    id: int
    pupil_id: int
    slot_id: int
    value: str
    work_type: str
    weight: float
    comment: str | None = Field(max_length=COMMENT_MAX)
    created_at: Moment


class AttendanceRecord(Public):
    pupil_id: int
    slot_id: int
    status: AttendanceStatus


class AttendanceSummary(Public):
    """Lessons per status up to today, and the share attended (late counts as present;
    null without lessons)."""

    present: int = Field(ge=0)
    absent: int = Field(ge=0)
    late: int = Field(ge=0)
    excused: int = Field(ge=0)
    ill: int = Field(ge=0)
    total: int = Field(ge=0)
    present_percent: float | None = Field(ge=0, le=100)


class AbsenceCover(Public):
    """A reported or accepted absence note and the journal's slots it covers."""

    id: int
    pupil_id: int
    slot_ids: list[int]
    status: Literal["reported", "accepted"]


class JournalPublic(Public):
    """``GET /courses/{id}/journal``: the maps are keyed by pupil id."""

    course: CoursePublic
    term: TermPublic
    pupils: list[PersonRef]
    slots: list[JournalSlot]
    marks: list[MarkPublic]
    attendance: list[AttendanceRecord]
    averages: dict[int, float | None] = Field(description="Weighted average (null: no marks).")
    term_marks: dict[int, str | None]
    suggested: dict[int, str | None] = Field(description="The term mark the average suggests.")
    attendance_summary: dict[int, AttendanceSummary]
    class_attendance: AttendanceSummary
    scale: GradeScale
    work_types: list[WorkTypePublic]
    threshold: float = Field(description="The school's rounding threshold.")
    access: Access
    today: dt.date
    absence_notes: list[AbsenceCover]


# --- answers of the writes and the histories --------------------------------------------------


class TermResult(Public):
    """A pupil's weighted average, suggested and given term mark in a course and term."""

    pupil_id: int
    course_id: int
    term_id: int
    average: float | None
    suggested: str | None
    term_mark: str | None


class MarkAnswer(MarkPublic):
    """A mark just written, with the pupil's average and (suggested) term mark after it."""

    deleted: bool
    average: float | None
    suggested: str | None
    term_mark: str | None


class TermMarkAnswer(TermResult):
    value: str | None = Field(description="The term mark now given (null: none).")


class HistoryEntryPublic(Public):
    at: Moment
    by: PersonRef | None
    action: Literal["create", "change", "delete"]
    field: str
    old: str | None
    new: str | None
    reason: str | None = Field(max_length=REASON_MAX)


class PupilAttendance(Public):
    pupil: PersonRef
    summary: AttendanceSummary


class ClassAttendancePublic(Public):
    """``GET /attendance/summary``: over every course of a class in a term."""

    model_config = ConfigDict(populate_by_name=True)

    school_class: ClassRef = Field(alias="class")
    term: TermPublic
    pupils: list[PupilAttendance]
    total: AttendanceSummary


class TeacherLesson(SlotPublic):
    """One of a teacher's lessons, with its class and subject."""

    model_config = ConfigDict(populate_by_name=True)

    school_class: ClassRef = Field(alias="class")
    subject: SubjectPublic
    journal_url: str


class TeacherDayLesson(TeacherLesson):
    files: list[FileRef]


class MyDayPublic(Public):
    """``GET /my-day``: the day's lessons by period, and the week's earlier lessons that
    still have no topic."""

    date: dt.date
    lessons: list[TeacherDayLesson]
    without_topic: list[TeacherLesson]
