"""PostgreSQL: a notice when a person or a session changes, for the sign-in rows each process
keeps (eschool.auth_cache)

Revision ID: eschool_0006
Revises: eschool_0005
"""

from __future__ import annotations

from alembic import op

revision = "eschool_0006"
down_revision = "eschool_0005"
branch_labels = None
depends_on = None

# At the commit of an update or a delete of a person or a session, a notice on the channel
# ``eschool_auth`` with the person's id (``*`` for a TRUNCATE: anyone). PostgreSQL delivers
# notices only when their transaction commits, and a transaction's identical notices once.
# Triggers rather than calls in the services: a writer added later cannot forget one. SQLite
# needs none: nothing there keeps sign-in rows.
_FUNCTION = (
    "CREATE FUNCTION eschool_auth_changed() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "IF TG_OP = 'TRUNCATE' THEN PERFORM pg_notify('eschool_auth', '*'); "
    "ELSIF TG_TABLE_NAME = 'users' THEN PERFORM pg_notify('eschool_auth', OLD.id::text); "
    "ELSE PERFORM pg_notify('eschool_auth', OLD.user_id::text); "
    "END IF; RETURN NULL; END $$"
)
_TABLES = ("users", "auth_sessions")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(_FUNCTION)
    for table in _TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_auth_notice AFTER UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION eschool_auth_changed()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_auth_notice_all AFTER TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION eschool_auth_changed()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in _TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_auth_notice ON {table}")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_auth_notice_all ON {table}")
    op.execute("DROP FUNCTION IF EXISTS eschool_auth_changed()")
