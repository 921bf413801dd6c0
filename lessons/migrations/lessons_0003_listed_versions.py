"""lesson search: the versions the library lists marked ``listed``, kept by triggers

Revision ID: lessons_0003
Revises: lessons_0002
"""

from __future__ import annotations

from alembic import op

revision = "lessons_0003"
down_revision = "lessons_0002"
branch_labels = None
depends_on = None

# A version is listed while it is its lesson's current version and the lesson is published:
# the library's search (lessons/queries.py) then finds published lessons in lesson_versions
# alone, without looking each match up in lessons (at 100,000 lessons a common word matches
# 10,000 versions). The flag (``LessonVersion.listed``) is set by the database alone: these
# triggers keep it on every write, whatever the code path.
_SET_ALL = (
    "UPDATE lesson_versions SET listed = EXISTS (SELECT 1 FROM lessons "
    "WHERE lessons.id = lesson_versions.lesson_id AND lessons.version = lesson_versions.number "
    "AND lessons.status = 'published')"
)
_SQLITE = [
    "ALTER TABLE lesson_versions ADD COLUMN listed BOOLEAN NOT NULL DEFAULT 0",
    _SET_ALL,
    "CREATE TRIGGER lesson_versions_listed AFTER INSERT ON lesson_versions BEGIN "
    "UPDATE lesson_versions SET listed = EXISTS (SELECT 1 FROM lessons WHERE lessons.id = "
    "new.lesson_id AND lessons.version = new.number AND lessons.status = 'published') "
    "WHERE id = new.id; END",
    "CREATE TRIGGER lessons_listed AFTER UPDATE OF status, version ON lessons BEGIN "
    "UPDATE lesson_versions SET listed = "
    "coalesce(number = new.version AND new.status = 'published', 0) WHERE lesson_id = new.id; END",
    # The narrow index of lessons_0002 with the flag, so a search still reads no wide row.
    "DROP INDEX ix_lesson_versions_search",
    "CREATE INDEX ix_lesson_versions_search ON lesson_versions "
    "(id, lesson_id, number, school_id, listed, author_id, published_at, facets)",
]
_POSTGRES = [
    "ALTER TABLE lesson_versions ADD COLUMN listed boolean NOT NULL DEFAULT false",
    _SET_ALL,
    "CREATE FUNCTION lesson_versions_listed() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "NEW.listed := EXISTS (SELECT 1 FROM lessons WHERE lessons.id = NEW.lesson_id "
    "AND lessons.version = NEW.number AND lessons.status = 'published'); RETURN NEW; END $$",
    "CREATE TRIGGER lesson_versions_listed BEFORE INSERT ON lesson_versions "
    "FOR EACH ROW EXECUTE FUNCTION lesson_versions_listed()",
    "CREATE FUNCTION lessons_listed() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "UPDATE lesson_versions SET listed = (number = NEW.version AND NEW.status = 'published') "
    "IS TRUE WHERE lesson_id = NEW.id "
    "AND listed <> ((number = NEW.version AND NEW.status = 'published') IS TRUE); "
    "RETURN NULL; END $$",
    "CREATE TRIGGER lessons_listed AFTER UPDATE OF status, version ON lessons "
    "FOR EACH ROW EXECUTE FUNCTION lessons_listed()",
]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in {"sqlite": _SQLITE, "postgresql": _POSTGRES}.get(dialect, []):
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for statement in (
            "DROP TRIGGER IF EXISTS lesson_versions_listed",
            "DROP TRIGGER IF EXISTS lessons_listed",
            "DROP INDEX IF EXISTS ix_lesson_versions_search",
            "CREATE INDEX ix_lesson_versions_search ON lesson_versions "
            "(id, lesson_id, number, school_id, published_at, facets)",
            "ALTER TABLE lesson_versions DROP COLUMN listed",
        ):
            op.execute(statement)
    elif dialect == "postgresql":
        for statement in (
            "DROP TRIGGER IF EXISTS lessons_listed ON lessons",
            "DROP TRIGGER IF EXISTS lesson_versions_listed ON lesson_versions",
            "DROP FUNCTION IF EXISTS lessons_listed()",
            "DROP FUNCTION IF EXISTS lesson_versions_listed()",
            "ALTER TABLE lesson_versions DROP COLUMN listed",
        ):
            op.execute(statement)
