"""privacy: the access record, the school's retention settings and the privacy audit

Revision ID: eschool_0003
Revises: eschool_0002
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "eschool_0003"
down_revision = "eschool_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "privacy_settings",
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("live_events_days", sa.Integer(), nullable=True),
        sa.Column("recordings_days", sa.Integer(), nullable=True),
        sa.Column("access_log_days", sa.Integer(), nullable=True),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["school_id"],
            ["schools.id"],
        ),
        sa.PrimaryKeyConstraint("school_id"),
    )
    op.create_table(
        "privacy_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["users.id"],
        ),
        sa.ForeignKeyConstraint(
            ["school_id"],
            ["schools.id"],
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["users.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("privacy_audit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_privacy_audit_school_id"), ["school_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_privacy_audit_subject_id"), ["subject_id"], unique=False
        )

    op.create_table(
        "privacy_access_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("what", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("pupil_id", sa.Integer(), nullable=True),
        sa.Column("class_id", sa.Integer(), nullable=True),
        sa.Column("target_id", sa.Integer(), nullable=True),
        sa.Column("detail", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["users.id"],
        ),
        sa.ForeignKeyConstraint(
            ["class_id"],
            ["classes.id"],
        ),
        sa.ForeignKeyConstraint(
            ["pupil_id"],
            ["users.id"],
        ),
        sa.ForeignKeyConstraint(
            ["school_id"],
            ["schools.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("privacy_access_log", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_privacy_access_log_actor_id"), ["actor_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_privacy_access_log_class_id"), ["class_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_privacy_access_log_pupil_id"), ["pupil_id"], unique=False
        )
        batch_op.create_index("ix_privacy_access_log_school_at", ["school_id", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("privacy_access_log", schema=None) as batch_op:
        batch_op.drop_index("ix_privacy_access_log_school_at")
        batch_op.drop_index(batch_op.f("ix_privacy_access_log_pupil_id"))
        batch_op.drop_index(batch_op.f("ix_privacy_access_log_class_id"))
        batch_op.drop_index(batch_op.f("ix_privacy_access_log_actor_id"))

    op.drop_table("privacy_access_log")
    with op.batch_alter_table("privacy_audit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_privacy_audit_subject_id"))
        batch_op.drop_index(batch_op.f("ix_privacy_audit_school_id"))

    op.drop_table("privacy_audit")
    op.drop_table("privacy_settings")
