"""roster sources: which local record each imported OneRoster record became

Revision ID: gradebook_0004
Revises: gradebook_0003
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "gradebook_0004"
down_revision = "gradebook_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "roster_sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column("sourced_id", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("local_id", sa.Integer(), nullable=False),
        sa.Column("row_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("school_id", "kind", "sourced_id"),
    )
    op.create_index("ix_roster_sources_school_id", "roster_sources", ["school_id"])


def downgrade() -> None:
    op.drop_index("ix_roster_sources_school_id", table_name="roster_sources")
    op.drop_table("roster_sources")
