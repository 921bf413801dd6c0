"""bell times: when each period of a school's day starts and ends

Revision ID: gradebook_0005
Revises: gradebook_0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "gradebook_0005"
down_revision = "gradebook_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bell_times",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("starts", sa.Time(), nullable=False),
        sa.Column("ends", sa.Time(), nullable=False),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("school_id", "period"),
    )
    with op.batch_alter_table("bell_times", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bell_times_school_id"), ["school_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("bell_times", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bell_times_school_id"))
    op.drop_table("bell_times")
