"""Which local record an imported roster record became (the key of idempotent imports), and
the answers of the import API."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field as WireField
from sqlmodel import Field, SQLModel, UniqueConstraint

from eschool.api_schema import ErrorDetail, Public
from eschool.models import Id, WireQuery
from eschool.timeutil import utcnow

# kind → the table its local_id points into
KINDS = {
    "org": "schools",
    "session.year": "academic_years",
    "session.term": "terms",
    "session.container": "terms",  # a semester holding grading periods: no local row (0)
    "course": "subjects",
    "class.homeroom": "classes",
    "class.scheduled": "courses",
    "user": "users",
    "enrollment.student": "enrolments",
    "enrollment.teacher": "course_teachers",
    "enrollment.tutor": "classes",
    "guardianship": "guardianships",
}


class RosterSource(SQLModel, table=True):
    """One record of an imported roster (by its ``sourcedId``) and the local row it became.

    ``row_hash`` is the SHA-256 of the record as last imported: a re-import of an unchanged
    record touches nothing. ``active`` is false once the source marked it ``tobedeleted``.
    """

    __tablename__ = "roster_sources"
    __table_args__ = (UniqueConstraint("school_id", "kind", "sourced_id"),)

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="schools.id", index=True)
    kind: str = Field(max_length=24)
    sourced_id: str = Field(max_length=255)
    local_id: int
    row_hash: str = Field(max_length=64)
    active: bool = Field(default=True)
    updated_at: datetime = Field(default_factory=utcnow)


# --- answers of the import API (`gradebook.rosters.routes`) ----------------------------------


class ImportQuery(WireQuery):
    """``?dry_run=1``: check and count, store nothing."""

    dry_run: bool = WireField(default=False, description="1: a preview that stores nothing.")


class ResultsQuery(WireQuery):
    """``?term=``: the term whose results to export (default: the term that contains today)."""

    term: Id | None = WireField(default=None, description="The term's id.")


class ChangeCounts(Public):
    """How many records of one kind an import creates, updates and deactivates."""

    create: int = WireField(ge=0)
    update: int = WireField(ge=0)
    deactivate: int = WireField(ge=0)


class RosterChanges(Public):
    """What an import changes (or, in a dry run, would change), by kind."""

    academicSessions: ChangeCounts  # named as OneRoster names it
    subjects: ChangeCounts
    classes: ChangeCounts
    courses: ChangeCounts
    users: ChangeCounts
    guardianships: ChangeCounts
    enrollments: ChangeCounts


class RosterProblem(Public):
    """One problem of an import, located: the file, its CSV line (header = 1), the column."""

    file: str
    line: int | None
    column: str | None
    message: str


class RosterImportPublic(Public):
    """An import's result: nothing is stored unless there is no problem and no dry run."""

    changes: RosterChanges
    errors: list[RosterProblem]
    applied: bool = WireField(description="Whether the changes were stored.")
    dry_run: bool


class RosterImportRefused(RosterImportPublic):
    """An import refused (422 `roster_invalid`): every problem, in `errors` and in `error`."""

    error: ErrorDetail
