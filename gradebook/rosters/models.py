"""Which local record an imported roster record became: the key of idempotent imports."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel, UniqueConstraint

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
