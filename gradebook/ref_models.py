"""The pieces the gradebook's answers share: a person, a class, a subject, a course, a work
type, a grade scale, a lesson slot and the library lesson it links to. One model each, used by
the structure's answers (`structure_models`), the journal's (`journal_models`), the diary's
and homework's. The limits are the request models' (`gradebook.wire_fields`)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import ConfigDict, Field

from eschool.api_schema import Public
from eschool.models import Id
from gradebook.models import ATTACHMENTS_MAX, HOMEWORK_MAX, TOPIC_MAX
from gradebook.wire_fields import (
    Period,
    Room,
    ScaleCode,
    ShortName,
    SubjectName,
    TimeOfDay,
    Weight,
    WorkTypeCode,
    WorkTypeName,
)

Access = Literal["write", "read"]
"""What the caller may do with a course's journal: write (its teachers, the admin) or read
(the class's form tutor)."""


class PersonRef(Public):
    id: int
    name: str


class ClassRef(Public):
    id: int
    name: str


class LessonLink(Public):
    """The library lesson a slot links to."""

    lesson_id: int
    version: int | None
    title: str | None


class GradeScale(Public):
    code: str
    label: str
    values: list[str]
    numeric: bool


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
