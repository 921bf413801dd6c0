"""lesson search: a generation per school's library, changed by triggers on every write

Revision ID: lessons_0004
Revises: lessons_0003
"""

from __future__ import annotations

from alembic import op

revision = "lessons_0004"
down_revision = "lessons_0003"
branch_labels = None
depends_on = None

# ``library_generations`` holds one number per school, replaced by a new random one whenever
# anything a library search shows may have changed: a lesson or a version written or deleted,
# a person renamed (authors are shown by name). ``lessons.search_cache`` keeps the answers of
# searches in memory under the generation they were read at and reads the generation before
# every search: an answer is reused only while no write has committed since. The database sets
# it, whatever the code path or the process that writes. A random number rather than a counter:
# a database restored from a backup or emptied cannot bring a number back with other rows.
# No model declares the table (it is the triggers' alone; makemigration leaves it alone).
_TRIGGERED = ("lessons", "lesson_versions")

_SQLITE_BUMP = (
    "INSERT INTO library_generations (school_id, generation) VALUES ({row}.school_id, random()) "
    "ON CONFLICT (school_id) DO UPDATE SET generation = excluded.generation;"
)


def _sqlite() -> list[str]:
    statements = [
        "CREATE TABLE library_generations "
        "(school_id INTEGER NOT NULL PRIMARY KEY, generation INTEGER NOT NULL)"
    ]
    for table in _TRIGGERED:
        for event, row in (("INSERT", "new"), ("UPDATE", "new"), ("DELETE", "old")):
            statements.append(
                f"CREATE TRIGGER {table}_generation_{event.lower()} AFTER {event} ON {table} "
                f"BEGIN {_SQLITE_BUMP.format(row=row)} END"
            )
    statements.append(
        "CREATE TRIGGER users_generation_update AFTER UPDATE OF name ON users "
        f"WHEN old.name IS NOT new.name BEGIN {_SQLITE_BUMP.format(row='new')} END"
    )
    return statements


# PostgreSQL: the triggers are deferred to the commit, so the school's row is locked only at the
# very end of a writing transaction (two transactions that write lessons in different orders
# cannot deadlock on it), and a search never reads a generation whose rows it cannot see yet.
# A transaction changes a school's generation once (a setting local to it remembers that it
# did): updating one row again for each of thousands of rows written would cost ever more.
_POSTGRES = [
    "CREATE TABLE library_generations "
    "(school_id bigint NOT NULL PRIMARY KEY, generation bigint NOT NULL)",
    "CREATE FUNCTION library_changed() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "DECLARE school bigint; done text; BEGIN "
    "IF TG_OP = 'DELETE' THEN school := OLD.school_id; ELSE school := NEW.school_id; END IF; "
    "done := 'eschool.library_changed_' || school; "
    "IF current_setting(done, true) = 'yes' THEN RETURN NULL; END IF; "
    "PERFORM set_config(done, 'yes', true); "
    "INSERT INTO library_generations (school_id, generation) "
    "VALUES (school, (random() * 9.2e18)::bigint) "
    "ON CONFLICT (school_id) DO UPDATE SET generation = excluded.generation; "
    "RETURN NULL; END $$",
    *(
        f"CREATE CONSTRAINT TRIGGER {table}_generation AFTER INSERT OR UPDATE OR DELETE "
        f"ON {table} DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
        "EXECUTE FUNCTION library_changed()"
        for table in _TRIGGERED
    ),
    "CREATE CONSTRAINT TRIGGER users_generation AFTER UPDATE OF name ON users "
    "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name) "
    "EXECUTE FUNCTION library_changed()",
]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in {"sqlite": _sqlite(), "postgresql": _POSTGRES}.get(dialect, []):
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for table in _TRIGGERED:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_generation_{event}")
        op.execute("DROP TRIGGER IF EXISTS users_generation_update")
    elif dialect == "postgresql":
        for table in ("lessons", "lesson_versions", "users"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_generation ON {table}")
        op.execute("DROP FUNCTION IF EXISTS library_changed()")
    op.execute("DROP TABLE IF EXISTS library_generations")
