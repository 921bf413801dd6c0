"""The school structure's answers as the API sends them (``*Public``) and the query parameters
its endpoints read: subjects, courses, work types, the gradebook settings, timetables, bell
times, holidays and lesson slots. The limits are the request models' (`gradebook.wire_fields`).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import ConfigDict, Field

from eschool.api_schema import Public
from eschool.models import Id, TermPublic, WireQuery
from gradebook.journal_models import ClassRef, GradeScale, LessonLink, PersonRef
from gradebook.models import ATTACHMENTS_MAX, HOMEWORK_MAX, TOPIC_MAX
from gradebook.wire_fields import (
    HolidayName,
    Period,
    Room,
    RoundingThreshold,
    ScaleCode,
    Share,
    ShortName,
    SubjectName,
    TimeOfDay,
    Weekday,
    Weight,
    WorkTypeCode,
    WorkTypeName,
)

Access = Literal["write", "read"]
"""What the caller may do with a course's journal: write (its teachers, the admin) or read
(the class's form tutor)."""

# --- query parameters ---------------------------------------------------------------------


class CoursesQuery(WireQuery):
    """``GET /courses?class=&teacher=me``."""

    class_ref: str | None = Field(
        default=None, alias="class", description="A class's id or name, e.g. `7A`."
    )
    teacher: Literal["me"] | None = Field(
        default=None, description="`me`: only the courses the caller teaches."
    )


# --- answers ------------------------------------------------------------------------------


class SubjectPublic(Public):
    id: Id
    name: SubjectName
    short_name: ShortName


class CoursePublic(Public):
    """A class taking a subject with its teachers, on a grade scale."""

    model_config = ConfigDict(populate_by_name=True)

    id: Id
    school_class: ClassRef = Field(alias="class")
    subject: SubjectPublic
    teacher: PersonRef | None = Field(description="The first of its teachers.")
    teachers: list[PersonRef]
    scale: ScaleCode
    access: Access | None = Field(
        description="null for pupils and parents, who see a course through the diary."
    )


class WorkTypePublic(Public):
    """A kind of work marks are given for, with its weight in averages."""

    code: WorkTypeCode
    name: WorkTypeName = Field(description="In the caller's language.")
    weight: Weight


class SettingsPublic(Public):
    """The school's gradebook settings."""

    rounding_threshold: RoundingThreshold = Field(
        description="The fraction of an average at which a suggested term mark rounds up."
    )
    mark_bands: dict[ScaleCode, dict[str, Share]] = Field(
        description="Per scale, per value: the least share of the points that earns it."
    )
    scales: list[GradeScale]


class TimetableEntryPublic(Public):
    """One weekly lesson of a class."""

    id: Id
    weekday: Weekday
    period: Period
    course_id: Id
    room: Room
    starts: TimeOfDay
    ends: TimeOfDay


class BellTimePublic(Public):
    period: Period
    starts: TimeOfDay
    ends: TimeOfDay


class BellTimesPublic(Public):
    """The school's bell times; `default` when it has set none of its own."""

    periods: list[BellTimePublic]
    default: bool


class BellTimesSavedPublic(BellTimesPublic):
    """The new bell times, and how many timetable entries moved with them."""

    timetable_updated: int = Field(ge=0)


class HolidayPublic(Public):
    """School holidays, first and last day inclusive."""

    id: Id
    name: HolidayName
    starts: dt.date
    ends: dt.date


class SlotsGeneratedPublic(Public):
    """What a (re)generation of a term's lesson slots did."""

    term_id: Id
    created: int = Field(ge=0)
    updated: int = Field(ge=0)
    removed: int = Field(ge=0)
    kept: int = Field(
        ge=0, description="Slots the timetable no longer has, kept for what they hold."
    )


class SlotPublic(Public):
    """One lesson of a course on a date."""

    id: Id
    course_id: Id
    term_id: Id
    date: dt.date
    period: Period
    starts: TimeOfDay
    ends: TimeOfDay
    room: Room
    topic: str = Field(max_length=TOPIC_MAX)
    homework: str = Field(max_length=HOMEWORK_MAX)
    attachments: list[str] = Field(
        max_length=ATTACHMENTS_MAX, description="Ids of uploaded files, served at /assets/{id}."
    )
    lesson: LessonLink | None


class SlotDetailPublic(SlotPublic):
    """A lesson slot with its course and term."""

    course: CoursePublic
    term: TermPublic
