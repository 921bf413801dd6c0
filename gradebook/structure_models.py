"""The school structure's answers as the API sends them (``*Public``) and the query parameters
its endpoints read: subjects, courses, work types, the gradebook settings, timetables, bell
times, holidays and lesson slots. The limits are the request models' (`gradebook.wire_fields`).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from eschool.api_schema import Public
from eschool.models import Id, TermPublic, WireQuery
from gradebook.ref_models import CoursePublic, GradeScale, SlotPublic
from gradebook.wire_fields import (
    HolidayName,
    Period,
    Room,
    RoundingThreshold,
    ScaleCode,
    Share,
    TimeOfDay,
    Weekday,
)

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


class SlotDetailPublic(SlotPublic):
    """A lesson slot with its course and term."""

    course: CoursePublic
    term: TermPublic
