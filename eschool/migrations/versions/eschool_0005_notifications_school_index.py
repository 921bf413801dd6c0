"""the notifications' school index, which no query reads (a person's notifications are read by
the person): one page less to write with every notification

Revision ID: eschool_0005
Revises: eschool_0004
"""

from __future__ import annotations

from alembic import op

revision = "eschool_0005"
down_revision = "eschool_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notifications_school_id"))


def downgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notifications_school_id"), ["school_id"], unique=False)
