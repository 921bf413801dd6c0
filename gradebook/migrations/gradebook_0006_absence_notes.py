"""absence notes: a family reports an absence, the class tutor accepts or declines it

Revision ID: gradebook_0006
Revises: gradebook_0005
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "gradebook_0006"
down_revision = "gradebook_0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "absence_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("pupil_id", sa.Integer(), nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("starts", sa.Date(), nullable=False),
        sa.Column("ends", sa.Date(), nullable=False),
        sa.Column("periods", sa.JSON(), nullable=True),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("upload_sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("reported_by", sa.Integer(), nullable=False),
        sa.Column("reported_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("decision_reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"]),
        sa.ForeignKeyConstraint(["pupil_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["class_id"], ["classes.id"]),
        sa.ForeignKeyConstraint(["reported_by"], ["users.id"]),
        sa.ForeignKeyConstraint(["decided_by"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("absence_notes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_absence_notes_school_id"), ["school_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_absence_notes_pupil_id"), ["pupil_id"], unique=False)
        batch_op.create_index(
            "ix_absence_notes_class_dates", ["class_id", "starts", "ends"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("absence_notes", schema=None) as batch_op:
        batch_op.drop_index("ix_absence_notes_class_dates")
        batch_op.drop_index(batch_op.f("ix_absence_notes_pupil_id"))
        batch_op.drop_index(batch_op.f("ix_absence_notes_school_id"))
    op.drop_table("absence_notes")
