"""A pupil's marks in a course and term, counted by value and weight: kept by database
triggers (migration ``gradebook_0008``) in the same transaction as every write to a mark, or
to a slot that moves to another course or term.

A new, changed or deleted mark answers with the pupil's term average and the suggested term
mark, which need all their marks in the course's term. Counted on read, that cost grew with
every mark the pupil had (hundreds in a busy term, thousands when a pupil's years of marks
were scanned); kept on write, it is a handful of rows: one per kind of mark. The marks
themselves, with their history, stay as they are; this table is derived from them alone and
is rebuilt from them by the migration.

Triggers rather than calls in the services, as for the journal's revision
(:mod:`gradebook.journal_revision`): a writer added later cannot forget it. A deleted mark
(``deleted_at`` set) is not counted; a row whose count fell to 0 stays, and is not read.
"""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlmodel import Field, SQLModel, col


class MarkTally(SQLModel, table=True):
    """How many of a pupil's marks in a course and term have this value and weight; written
    by triggers only."""

    __tablename__ = "mark_tallies"
    __table_args__ = {"sqlite_with_rowid": False}  # one b-tree on SQLite, the key's

    pupil_id: int = Field(primary_key=True)
    course_id: int = Field(primary_key=True)
    term_id: int = Field(primary_key=True)
    value: str = Field(primary_key=True, max_length=16)
    weight: float = Field(primary_key=True)
    marks: int = Field(default=0)


# The rows of a pupil's marks in a course's term: (value, weight, how many), as a GROUP BY
# over their marks would give them.
PUPIL_TALLIES = select(col(MarkTally.value), col(MarkTally.weight), col(MarkTally.marks)).where(
    col(MarkTally.pupil_id) == bindparam("pupil_id"),
    col(MarkTally.course_id) == bindparam("course_id"),
    col(MarkTally.term_id) == bindparam("term_id"),
    col(MarkTally.marks) > 0,
)
