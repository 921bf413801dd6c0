"""observer replay: whether the teacher lets observers watch a lesson's replay

Revision ID: live_0003
Revises: live_0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "live_0003"
down_revision = "live_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("live_sessions") as batch:
        batch.add_column(
            sa.Column(
                "allow_observer_replay", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("live_sessions") as batch:
        batch.drop_column("allow_observer_replay")
