"""The diary's answers as the API sends them (``*Public``) and the query parameters it reads.

The week, the term summary and the news are built as plain rows for speed
(:mod:`gradebook.diary`, :mod:`gradebook.diary_summary`, :mod:`gradebook.diary_news`) and
serialized as they are: these models describe that JSON exactly, for the OpenAPI document
and the tests, and are not built per request.
"""

from __future__ import annotations

import datetime as dt

from pydantic import AwareDatetime, ConfigDict, Field

from eschool.api_schema import Body, Moment, Public
from eschool.models import TermPublic, WireQuery
from gradebook.journal_models import (
    AttendanceStatus,
    AttendanceSummary,
    FileRef,
    QueryDate,
)
from gradebook.models import COMMENT_MAX, HOMEWORK_MAX, TOPIC_MAX
from gradebook.ref_models import LessonLink, PersonRef, SubjectPublic
from gradebook.wire_fields import Period, Room, TimeOfDay

CALENDAR = Body(
    "text/calendar",
    "The pupil's lessons with topics and homework as iCalendar (RFC 5545), from the first day "
    "of the current term to the end of the school's last term. Event UIDs are "
    "`slot-<id>@eschool`, whatever the address the feed is fetched under (docs/calendar-feed.md).",
    {"type": "string"},
)


class DiaryWeekQuery(WireQuery):
    """``?from=&to=``: at most 62 days; without both, the current week (Monday to Sunday);
    with only ``from``, seven days; with only ``to``, from the Monday of its week."""

    start: QueryDate = Field(default=None, alias="from")
    end: QueryDate = Field(default=None, alias="to")


class DiarySeenQuery(WireQuery):
    at: AwareDatetime | None = Field(
        default=None,
        description="The moment the page showed the news, with its offset; default: now.",
        examples=["2026-09-01T10:00:00Z"],
    )


class DiaryMark(Public):
    id: int
    value: str
    work_type: str
    work_type_name: str = Field(description="The work type's name, translated.")
    weight: float
    comment: str | None = Field(max_length=COMMENT_MAX)


class DiaryLesson(Public):
    slot_id: int
    course_id: int
    subject: SubjectPublic
    period: Period
    starts: TimeOfDay
    ends: TimeOfDay
    room: Room
    topic: str = Field(max_length=TOPIC_MAX)
    homework: str = Field(max_length=HOMEWORK_MAX)
    attachments: list[str]
    files: list[FileRef]
    lesson: LessonLink | None
    marks: list[DiaryMark] = Field(description="In the order they were given.")
    attendance: AttendanceStatus | None


class DiaryDay(Public):
    date: dt.date
    lessons: list[DiaryLesson]


class DiaryWeekPublic(Public):
    """``GET /diary/{pupil_id}``: every weekday, weekend days only when they have lessons."""

    model_config = ConfigDict(populate_by_name=True)

    pupil: PersonRef
    start: dt.date = Field(alias="from")
    end: dt.date = Field(alias="to")
    days: list[DiaryDay]


class DiarySummaryMark(DiaryMark):
    date: dt.date


class DiarySubject(Public):
    course_id: int
    subject: SubjectPublic
    teacher: PersonRef | None
    marks: list[DiarySummaryMark] = Field(description="In date order.")
    average: float | None
    term_mark: str | None
    attendance: AttendanceSummary


class DiarySummaryPublic(Public):
    """``GET /diary/{pupil_id}/summary``: the term per subject."""

    pupil: PersonRef
    term: TermPublic
    subjects: list[DiarySubject]


class DiaryNewsMark(DiaryMark):
    slot_id: int
    date: dt.date
    subject: SubjectPublic


class DiaryNewsHomework(Public):
    slot_id: int
    date: dt.date
    subject: SubjectPublic
    homework: str = Field(max_length=HOMEWORK_MAX)


class DiaryNewsPublic(Public):
    """``GET /diary/{pupil_id}/news``: newest first, at most 50 of each."""

    since: Moment
    marks: list[DiaryNewsMark]
    homework: list[DiaryNewsHomework]


class FeedStatus(Public):
    """Whether the caller has a secret calendar link for the pupil, and since when."""

    active: bool
    created_at: Moment | None


class FeedLink(Public):
    """A new secret calendar link, shown once."""

    url: str = Field(description="The feed's address (`https://…/feeds/<secret>.ics`).")
    webcal: str = Field(description="The same address as `webcal://…`, to subscribe.")
    active: bool
