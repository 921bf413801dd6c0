"""class teaching from courses: tell the shell who teaches in which class

Revision ID: gradebook_0002
Revises: gradebook_0001

A data migration: a teacher teaches a class when they teach one of its courses
(gradebook.structure_services.class_teaching_refresh keeps it so from now on). Plain SQL that runs
on SQLite and PostgreSQL alike; rows already there are left alone.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "gradebook_0002"
down_revision = "gradebook_0001"
branch_labels = None
depends_on = "eschool_0002"  # creates the class_teaching table

FILL = sa.text(
    """
    INSERT INTO class_teaching (school_id, class_id, teacher_id)
    SELECT DISTINCT classes.school_id, courses.class_id, course_teachers.teacher_id
    FROM course_teachers
    JOIN courses ON courses.id = course_teachers.course_id
    JOIN classes ON classes.id = courses.class_id
    WHERE NOT EXISTS (
        SELECT 1 FROM class_teaching AS known
        WHERE known.class_id = courses.class_id
        AND known.teacher_id = course_teachers.teacher_id
    )
    """
)


def upgrade() -> None:
    op.execute(FILL)


def downgrade() -> None:
    # Only the gradebook fills the table: before this revision it was empty.
    op.execute(sa.text("DELETE FROM class_teaching"))
