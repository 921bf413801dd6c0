"""PostgreSQL: a notice when a journal revision, a guardianship or a calendar link changes, for
the diary versions each process keeps (gradebook.diary_versions)

Revision ID: gradebook_0010
Revises: gradebook_0009
"""

from __future__ import annotations

from alembic import op

revision = "gradebook_0010"
down_revision = "gradebook_0009"
branch_labels = None
depends_on = None

# At the commit of a change of a journal revision, a notice on the channel ``eschool_journal``
# with the school's id; of a guardianship (who may read whose diary), a calendar link, or a
# TRUNCATE of any, ``*`` (every school). PostgreSQL delivers notices only when their
# transaction commits, and a transaction's identical notices once. SQLite needs none: nothing
# there keeps versions.
_FUNCTION = (
    "CREATE FUNCTION gradebook_diary_changed() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "IF TG_OP = 'TRUNCATE' OR TG_TABLE_NAME <> 'journal_revisions' THEN "
    "PERFORM pg_notify('eschool_journal', '*'); "
    "ELSIF TG_OP = 'DELETE' THEN PERFORM pg_notify('eschool_journal', OLD.school_id::text); "
    "ELSE PERFORM pg_notify('eschool_journal', NEW.school_id::text); "
    "END IF; RETURN NULL; END $$"
)
_TABLES = ("journal_revisions", "guardianships", "diary_feeds")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(_FUNCTION)
    for table in _TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_diary_notice AFTER INSERT OR UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION gradebook_diary_changed()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_diary_notice_all AFTER TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION gradebook_diary_changed()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in _TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_diary_notice ON {table}")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_diary_notice_all ON {table}")
    op.execute("DROP FUNCTION IF EXISTS gradebook_diary_changed()")
