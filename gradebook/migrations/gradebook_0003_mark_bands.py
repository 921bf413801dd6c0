"""mark bands: a school's own shares for marks from scores, per scale

Revision ID: gradebook_0003
Revises: gradebook_0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "gradebook_0003"
down_revision = "gradebook_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("gradebook_settings") as batch:
        batch.add_column(sa.Column("mark_bands", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("gradebook_settings") as batch:
        batch.drop_column("mark_bands")
