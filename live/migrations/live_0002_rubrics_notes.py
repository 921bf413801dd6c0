"""rubrics, the rubric a live lesson was started with, observers' notes

Revision ID: live_0002
Revises: live_0001
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "live_0002"
down_revision = "live_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rubrics",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("criteria", sa.JSON(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("archived_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("rubrics", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rubrics_school_id"), ["school_id"], unique=False)

    op.create_table(
        "live_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("author_key", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("author_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("mid", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("slide", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("criterion", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("level", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["session_id"], ["live_sessions.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("session_id", "author_key", "mid"),
    )
    with op.batch_alter_table("live_notes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_live_notes_session_id"), ["session_id"], unique=False)

    op.create_table(
        "live_session_rubrics",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("rubric_id", sa.Integer(), nullable=True),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("criteria", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["rubric_id"], ["rubrics.id"]),
        sa.ForeignKeyConstraint(["session_id"], ["live_sessions.id"]),
        sa.PrimaryKeyConstraint("session_id"),
    )
    with op.batch_alter_table("live_session_rubrics", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_live_session_rubrics_rubric_id"), ["rubric_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("live_session_rubrics", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_live_session_rubrics_rubric_id"))
    op.drop_table("live_session_rubrics")
    with op.batch_alter_table("live_notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_live_notes_session_id"))
    op.drop_table("live_notes")
    with op.batch_alter_table("rubrics", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rubrics_school_id"))
    op.drop_table("rubrics")
