"""indexes no query reads: marks by creation time and history by school (a mark's history is
read by its entity, a pupil's by the pupil), each one more page to write with every mark

Revision ID: gradebook_0009
Revises: gradebook_0008
"""

from __future__ import annotations

from alembic import op

revision = "gradebook_0009"
down_revision = "gradebook_0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("marks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_marks_created_at"))
    with op.batch_alter_table("gradebook_history", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gradebook_history_school_id"))


def downgrade() -> None:
    with op.batch_alter_table("gradebook_history", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_gradebook_history_school_id"), ["school_id"], unique=False
        )
    with op.batch_alter_table("marks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_marks_created_at"), ["created_at"], unique=False)
