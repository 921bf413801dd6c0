"""The journal's revision: a counter per course, and one per school, bumped by database
triggers (migration ``gradebook_0007``) in the same transaction as every write that changes
what a journal shows.

The course's counter moves with its marks, attendance, slots (topics, homework, files), term
marks, the course itself and its teachers; the school's (``course_id`` 0) with what many
journals share: pupils' names, enrolments, classes, subjects, terms, work types, the
gradebook settings, absence notes and uploaded files' names. Triggers rather than calls in
the services: a writer added later (another package, a bulk update, a migration) cannot
forget to bump it.

Read before the journal is built, the pair tells whether a client's copy (ETag) or a
rendered copy (:mod:`gradebook.journal_cache`) is still the journal's current state.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Integer, column, text
from sqlmodel import Field, SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from eschool import direct_read
from eschool.direct_read import DirectReads

SCHOOL_WIDE = 0  # the course_id of a school's own counter


class JournalRevision(SQLModel, table=True):
    """How many times the journal of a course (or, for ``course_id`` 0, anything every
    journal of the school shows) has changed; written by triggers only."""

    __tablename__ = "journal_revisions"

    school_id: int = Field(primary_key=True)
    course_id: int = Field(primary_key=True)
    revision: int = Field(default=0)


@dataclass(frozen=True)
class JournalKey:
    """What the actor may do with a course's journal, and its revisions, read in one query."""

    course_id: int
    class_id: int
    access: str | None  # "write", "read" or None (no access: answered as 404)
    course_revision: int
    school_revision: int


# One statement: the course (of the actor's school), whether the actor teaches it, whether
# they are its class's form tutor, and both counters (0 before the first write).
_KEY_SQL = text(
    """
    SELECT c.class_id,
           cl.form_tutor_id,
           CASE WHEN EXISTS (SELECT 1 FROM course_teachers ct
                             WHERE ct.course_id = c.id AND ct.teacher_id = :actor_id)
                THEN 1 ELSE 0 END AS teaches,
           COALESCE((SELECT r.revision FROM journal_revisions r
                     WHERE r.school_id = c.school_id AND r.course_id = c.id), 0)
               AS course_revision,
           COALESCE((SELECT r.revision FROM journal_revisions r
                     WHERE r.school_id = c.school_id AND r.course_id = 0), 0)
               AS school_revision
    FROM courses c JOIN classes cl ON cl.id = c.class_id
    WHERE c.id = :course_id AND c.school_id = :school_id
    """
).columns(
    column("class_id", Integer),
    column("form_tutor_id", Integer),
    column("teaches", Integer),
    column("course_revision", Integer),
    column("school_revision", Integer),
)


async def journal_key(
    session: AsyncSession,
    *,
    actor_id: int,
    role: str,
    school_id: int,
    course_id: int,
    reads: DirectReads | None = None,
) -> JournalKey | None:
    """The course's access and revisions for the actor, or None when no such course exists
    in the actor's school (read straight on the driver with ``reads``: it is read on every
    journal request). Access follows :func:`gradebook.queries.access_of`: the admin and the
    course's teachers write, the class's form tutor reads, nobody else."""
    row = await direct_read.first(
        session,
        _KEY_SQL,
        {"actor_id": actor_id, "course_id": course_id, "school_id": school_id},
        reads,
    )
    if row is None:
        return None
    class_id, form_tutor_id, teaches, course_revision, school_revision = row
    access: str | None = None
    if role == "admin":
        access = "write"
    elif role == "teacher":
        if teaches:
            access = "write"
        elif form_tutor_id == actor_id:
            access = "read"
    return JournalKey(course_id, class_id, access, int(course_revision), int(school_revision))
